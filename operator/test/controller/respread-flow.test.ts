// Primary re-spread, pass by pass: after a failover left two primaries in one zone, the whole,
// quiet cluster gets planned (GRACEFUL) switchovers that spread them again.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FINALIZER } from "../../src/api/types.ts";
import { decide } from "../../src/controller/decide.ts";
import { RESPREAD_SETTLE_MS } from "../../src/controller/respread.ts";
import { planFromStatus } from "../../src/model/stored-plan.ts";
import type { SimulatedCluster } from "./fixtures.ts";
import { StepsInFlight } from "../../src/executor/run-plan.ts";
import { losePod, pass, readyCluster, settle } from "./flow.ts";

const zoneOf = (sim: SimulatedCluster, member: string) => sim.pods.get(member)!.spec!.nodeName!.charAt(0);
const primaryZones = (sim: SimulatedCluster) => ["demo-0", "demo-1", "demo-2"]
  .map((shard) => [`${shard}-0`, `${shard}-1`].find((m) => sim.members.status(m).role === "PRIMARY")!)
  .map((m) => zoneOf(sim, m)).sort();

/** A ready 3 × 1 cluster whose shard 0 failed over: its primary is now in a zone that holds another one. */
async function afterFailover(): Promise<SimulatedCluster> {
  const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
  assert.deepEqual(primaryZones(sim), ["a", "b", "c"], "bootstrap: one primary per zone");
  losePod(sim, "demo-0-0");
  await settle(sim);
  await settle(sim);
  assert.equal(sim.members.status("demo-0-1").role, "PRIMARY");
  assert.equal(new Set(primaryZones(sim)).size, 2, "after the failover two primaries share a zone");
  return sim;
}

const finishedAt = (sim: SimulatedCluster) => Date.parse(planFromStatus(sim.cluster.status?.plan)!.finishedAt!);

describe("primary re-spread, pass by pass", () => {
  test("once whole and quiet, a planned switchover (GRACEFUL) puts a primary back in the zone without one", async () => {
    const sim = await afterFailover();
    const quiet = finishedAt(sim) + RESPREAD_SETTLE_MS;
    const early = decide(sim.observe(quiet - 1_000), planFromStatus(sim.cluster.status?.plan), FINALIZER);
    assert.equal(early.kind, "idle", "not before the cluster has been quiet for the settle time");
    assert.equal(early.kind === "idle" && early.recheckInMs, 1_000, "the reconciler looks again when the settle time is over");
    const actions = await settle(sim, 60, quiet);
    assert.ok(actions.includes("start-plan switchover"), actions.join(", "));
    assert.ok(sim.members.calls.includes("demo-0-0 Promote GRACEFUL"), sim.members.calls.join(", "));
    assert.ok(!sim.members.calls.some((c) => /Promote (FORCE|TAKEOVER)/.test(c) && c.startsWith("demo-0-0")), "a planned switchover is never forced");
    assert.deepEqual(primaryZones(sim), ["a", "b", "c"]);
    await settle(sim, 60, quiet + 100);
    const stored = planFromStatus(sim.cluster.status?.plan)!;
    assert.deepEqual([stored.plan.kind, stored.phase], ["switchover", "Succeeded"]);
    assert.equal(sim.cluster.status?.phase, "Ready");
    const again = decide(sim.observe(finishedAt(sim) + 2 * RESPREAD_SETTLE_MS), stored, FINALIZER);
    assert.equal(again.kind, "idle", "spread: nothing more to do");
  });

  test("not right after a disturbance without a plan of ours (the engines failed over by themselves): Available and Degraded must have held that long too", async () => {
    const sim = await afterFailover();
    const at = finishedAt(sim) + 5 * RESPREAD_SETTLE_MS;
    const flippedAt = at - 2_000;
    for (const c of sim.cluster.status!.conditions!) if (c.type === "Degraded") c.lastTransitionTime = new Date(flippedAt).toISOString();
    const early = decide(sim.observe(at), planFromStatus(sim.cluster.status?.plan), FINALIZER);
    assert.equal(early.kind === "idle" && early.recheckInMs, RESPREAD_SETTLE_MS - 2_000, `waits out the settle time from the flip: ${JSON.stringify(early)}`);
    const degraded = sim.cluster.status!.conditions!.find((c) => c.type === "Degraded")!;
    degraded.status = "True";
    assert.equal(decide(sim.observe(at + RESPREAD_SETTLE_MS), planFromStatus(sim.cluster.status?.plan), FINALIZER).kind, "idle", "not while Degraded");
    degraded.status = "False";
    const later = decide(sim.observe(flippedAt + RESPREAD_SETTLE_MS + 1), planFromStatus(sim.cluster.status?.plan), FINALIZER);
    assert.equal(later.kind === "start-plan" && later.plan.kind, "switchover");
  });

  test("spec.failover.enabled false: primaries stay where the engines put them", async () => {
    const sim = await afterFailover();
    sim.cluster.spec.failover = { enabled: false };
    const action = decide(sim.observe(finishedAt(sim) + 2 * RESPREAD_SETTLE_MS), planFromStatus(sim.cluster.status?.plan), FINALIZER);
    assert.equal(action.kind, "idle");
  });

  test("not while a standby is out of sync: the switchover waits until the cluster is whole", async () => {
    const sim = await afterFailover();
    sim.members.engines.get("demo-0-0")!.status.replication!.linkUp = false;
    const action = decide(sim.observe(finishedAt(sim) + 2 * RESPREAD_SETTLE_MS), planFromStatus(sim.cluster.status?.plan), FINALIZER);
    assert.notEqual(action.kind === "start-plan" && action.plan.kind, "switchover");
  });

  test("the reports of a handover arrive one by one: the old primary already follows the new one, whose report still says replica; no failover is planned", async () => {
    const sim = await afterFailover();
    const quiet = finishedAt(sim) + RESPREAD_SETTLE_MS;
    const inFlight = new StepsInFlight();
    let stale: ReturnType<typeof sim.members.status> | undefined;
    for (let n = 0; n < 20 && !sim.members.calls.includes("demo-0-0 Promote GRACEFUL"); n++) {
      stale = structuredClone(sim.members.status("demo-0-0"));
      await pass(sim, quiet + n, inFlight);
    }
    assert.ok(sim.members.calls.includes("demo-0-0 Promote GRACEFUL"), sim.members.calls.join(", "));
    const stored = planFromStatus(sim.cluster.status?.plan)!;
    assert.equal(stored.plan.kind, "switchover");
    // demo-0-1 handed over and follows demo-0-0; demo-0-0's last report is from before its promotion.
    const o = sim.observe(quiet + 30);
    const lagging = o.members.find((m) => m.name === "demo-0-0")!;
    lagging.status = stale!;
    assert.equal(o.members.find((m) => m.name === "demo-0-1")!.status!.replication!.primaryNodeId, lagging.status.nodeId);
    const action = decide(o, stored, FINALIZER);
    assert.notEqual(action.kind === "start-plan" && action.plan.kind, "failover", `no failover while the new primary's report lags: ${JSON.stringify(action)}`);
    // Past the switchover's deadline, a shard still without a serving primary fails over after all.
    const late = decide({ ...o, nowMs: Date.parse(stored.startedAt!) + 61_000 }, stored, FINALIZER);
    assert.ok(late.kind !== "idle", JSON.stringify(late));
  });
});
