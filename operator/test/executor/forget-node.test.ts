// forget-node waits while a standby still follows the engine it would forget (the other primaries
// vote for that standby's failover only while they know its primary), then every engine forgets it.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { advanceForgetNode } from "../../src/executor/forget-node.ts";
import { planned, type ForgetNodeStep } from "../../src/planner/index.ts";
import { readyCluster } from "../controller/flow.ts";

describe("forget-node", () => {
  test("waits while a standby follows the lost engine; once that standby follows another primary, every engine forgets it", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    const lostId = sim.members.status("demo-0-0").nodeId;
    sim.pods.delete("demo-0-0");
    sim.members.remove("demo-0-0");
    const step = planned<ForgetNodeStep>({ kind: "forget-node", member: "demo-0-0", shard: 0, nodeId: lostId });
    const waiting = await advanceForgetNode(step, sim.context(sim.observe(100)));
    assert.equal(waiting.state, "running");
    assert.match(waiting.message, /demo-0-1 still follows demo-0-0's old engine/);
    assert.ok(!sim.members.calls.some((c) => c.endsWith("ForgetNode")), "nothing forgotten yet");
    await sim.members.client("demo-0-1").promote("FORCE");
    const done = await advanceForgetNode(step, sim.context(sim.observe(200)));
    assert.equal(done.state, "done", done.message);
    assert.equal(sim.members.calls.filter((c) => c.endsWith("ForgetNode")).length, 5);
  });
});
