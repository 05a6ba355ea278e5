import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  findOwnJob, nextJob, otherActiveJobs, parseSlotMigrations, slotRangesText, terminalState, type SlotMigrationJob,
} from "../../src/migration/atomic-jobs.ts";

const T = "t".repeat(40);
const job = (name: string, slotRanges: string, state: string, extra: Partial<SlotMigrationJob> = {}): SlotMigrationJob =>
  ({ name, operation: "EXPORT", slotRanges, sourceNode: "s".repeat(40), targetNode: T, state, message: "", ...extra });

describe("atomic slot migration jobs", () => {
  test("only success, failed and cancelled end a job: the cut-over states are still running", () => {
    assert.deepEqual(["success", "failed", "cancelled"].map(terminalState), ["success", "failed", "cancelled"]);
    for (const running of ["connecting", "waiting-to-snapshot", "snapshotting", "replicating", "failover-paused", "failover-granted", "failover-requested", "unknown"]) {
      assert.equal(terminalState(running), undefined, running);
    }
  });

  test("GETSLOTMIGRATIONS entries parse field by field", () => {
    const reply = [["name", "a".repeat(40), "operation", "EXPORT", "slot_ranges", "0-99 200-200", "target_node", T, "source_node", "s".repeat(40),
      "create_time", 1, "state", "failed", "message", "Connection lost to target", "cow_size", 0]];
    assert.deepEqual(parseSlotMigrations(reply), [job("a".repeat(40), "0-99 200-200", "failed", { message: "Connection lost to target" })]);
    assert.deepEqual(parseSlotMigrations("ERR"), []);
  });

  test("slot ranges as the engine writes them", () => assert.equal(slotRangesText([5, 3, 4, 9]), "3-5 9-9"));

  test("ours is the new EXPORT of exactly our ranges to our target: older jobs and other moves' jobs are not", () => {
    const before = new Set(["old"]);
    const jobs = [
      job("other-target", "0-9", "snapshotting", { targetNode: "x".repeat(40) }),
      job("import", "0-9", "snapshotting", { operation: "IMPORT" }),
      job("other-ranges", "0-8", "snapshotting"),
      job("ours", "0-9", "waiting-to-snapshot"),
      job("old", "0-9", "success"),
    ];
    assert.equal(findOwnJob(jobs, before, "0-9", T)?.name, "ours");
    assert.equal(findOwnJob(jobs.filter((j) => j.name !== "ours"), before, "0-9", T), undefined, "the earlier job of the same ranges is history, not ours");
    assert.deepEqual(otherActiveJobs(jobs, "ours").map((j) => j.name), ["other-target", "import", "other-ranges"]);
  });

  test("jobs take slots in order up to the key budget; a slot above it moves alone", () => {
    const keys = new Map([[1, 40], [2, 40], [3, 40], [4, 500], [5, 10]]);
    const of = (s: number) => keys.get(s) ?? 0;
    assert.deepEqual(nextJob([1, 2, 3, 4, 5], of, 100), { slots: [1, 2], keys: 80 });
    assert.deepEqual(nextJob([4, 5], of, 100), { slots: [4], keys: 500 });
    assert.deepEqual(nextJob([1, 2, 3, 4, 5], of, Infinity), { slots: [1, 2, 3, 4, 5], keys: 630 });
  });
});
