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
    const pod = sim.pods.get("demo-0-0")!;
    sim.pods.delete("demo-0-0");
    sim.members.remove("demo-0-0");
    const step = planned<ForgetNodeStep>({ kind: "forget-node", member: "demo-0-0", shard: 0, nodeId: lostId });
    const waiting = await advanceForgetNode(step, sim.context(sim.observe(100)));
    assert.equal(waiting.state, "running");
    assert.match(waiting.message, /demo-0-1 still follows demo-0-0's old engine/);
    assert.ok(!sim.members.calls.some((c) => c.endsWith("ForgetNode")), "nothing forgotten yet");
    await sim.members.client("demo-0-1").promote("FORCE");
    const absent = await advanceForgetNode(step, sim.context(sim.observe(200)));
    assert.equal(absent.state, "running");
    assert.match(absent.message, /waiting for demo-0-0 to report which engine it runs/);
    // Back without its volume: a new engine; the old id is forgotten by every other engine.
    await sim.writes.createPod(pod);
    sim.members.update(sim.members.engine("demo-0-0"), { state: "STANDBY", role: "REPLICA" }); // its first report
    const done = await advanceForgetNode(step, sim.context(sim.observe(300)));
    assert.equal(done.state, "done", done.message);
    assert.equal(sim.members.calls.filter((c) => c.endsWith("ForgetNode")).length, 6, "the new engine too: gossip may have taught it the old id");
  });

  test("a member back from its volume with the same engine: nothing is forgotten (a FORGET would drop a live engine for 60 s)", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    const id = sim.members.status("demo-0-1").nodeId;
    const step = planned<ForgetNodeStep>({ kind: "forget-node", member: "demo-0-1", shard: 0, nodeId: id });
    const done = await advanceForgetNode(step, sim.context(sim.observe(100)));
    assert.equal(done.state, "done");
    assert.match(done.message, /demo-0-1 runs the engine .* \(back from its volume\): nothing to forget/);
    assert.ok(!sim.members.calls.some((c) => c.endsWith("ForgetNode")), "no engine told to forget a live one");
  });
});
