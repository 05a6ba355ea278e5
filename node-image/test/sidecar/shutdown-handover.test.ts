// When a stopping sidecar keeps reporting while its engine stops (shutdown-handover.ts stopVerdict).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ENGINE_STOP_START_MS, stopVerdict } from "../../src/sidecar/shutdown-handover.ts";

const LIMIT = 15_000;
const primary = { up: true, primaryWithSlots: true, stopping: false };

test("a primary's engine that is stopping is waited for, up to the limit", () => {
  assert.equal(stopVerdict({ ...primary, stopping: true }, 0, LIMIT), "wait");
  assert.equal(stopVerdict({ ...primary, stopping: true }, LIMIT - 1, LIMIT), "wait");
  assert.equal(stopVerdict({ ...primary, stopping: true }, LIMIT, LIMIT), "timeout");
});

test("an engine that has not begun to stop gets a moment to begin; after that only the sidecar was stopped", () => {
  assert.equal(stopVerdict(primary, 0, LIMIT), "wait");
  assert.equal(stopVerdict(primary, ENGINE_STOP_START_MS - 1, LIMIT), "wait");
  assert.equal(stopVerdict(primary, ENGINE_STOP_START_MS, LIMIT), "not-stopping");
});

test("an engine that is down, or a standby, or a primary without slots (it handed them over) is not waited for", () => {
  assert.equal(stopVerdict({ ...primary, up: false }, 0, LIMIT), "released");
  assert.equal(stopVerdict({ ...primary, primaryWithSlots: false, stopping: true }, 0, LIMIT), "released");
});
