import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Metadata } from "@grpc/grpc-js";
import { judgeLeader, LeaderFence } from "../../src/sidecar/leader-fence.ts";

const md = (identity?: string, epoch?: string) => {
  const m = new Metadata();
  if (identity !== undefined) m.set("x-mdb-leader", identity);
  if (epoch !== undefined) m.set("x-mdb-leader-epoch", epoch);
  return m;
};

describe("judgeLeader", () => {
  const cases: [string, { identity: string; epoch: number } | undefined, { identity: string; epoch: number }, boolean][] = [
    ["first leader seen", undefined, { identity: "a", epoch: 3 }, true],
    ["same leader again", { identity: "a", epoch: 3 }, { identity: "a", epoch: 3 }, true],
    ["a newer leader", { identity: "a", epoch: 3 }, { identity: "b", epoch: 4 }, true],
    ["a deposed leader (lower epoch)", { identity: "b", epoch: 4 }, { identity: "a", epoch: 3 }, false],
    ["another identity at the same epoch", { identity: "b", epoch: 4 }, { identity: "c", epoch: 4 }, false],
  ];
  for (const [name, highest, caller, ok] of cases) test(name, () => assert.equal(judgeLeader(highest, caller).ok, ok));
});

describe("LeaderFence", () => {
  test("refuses a deposed leader after a newer one, and remembers across restarts", () => {
    const dir = mkdtempSync(join(tmpdir(), "mdb-fence-"));
    try {
      const fence = new LeaderFence(dir);
      assert.equal(fence.admit(md("op-a", "1")), undefined);
      assert.equal(fence.admit(md("op-b", "2")), undefined);
      assert.match(fence.admit(md("op-a", "1"))!, /deposed leader/);
      const restarted = new LeaderFence(dir);
      assert.deepEqual(restarted.current(), { identity: "op-b", epoch: 2 });
      assert.match(restarted.admit(md("op-a", "1"))!, /op-b has led epoch 2/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test("calls without leader headers are not fenced; half a header is refused", () => {
    const fence = new LeaderFence();
    assert.equal(fence.admit(md()), undefined);
    assert.match(fence.admit(md("op-a"))!, /must be sent together/);
    assert.match(fence.admit(md("op-a", "-1"))!, /non-negative integer/);
  });
});
