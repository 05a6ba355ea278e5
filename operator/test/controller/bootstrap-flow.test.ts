// The controller's pure decision and the executor, driven pass by pass against simulated pods and
// sidecars, from an empty namespace to a Ready cluster: what one reconcile after another does.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_TOPOLOGY_KEYS } from "../../../common/labels.ts";
import { FINALIZER } from "../../src/api/types.ts";
import { decide } from "../../src/controller/decide.ts";
import type { StoredPlan } from "../../src/model/stored-plan.ts";
import { computeStatus } from "../../src/controller/status.ts";
import { execute } from "../../src/controller/execute.ts";
import { silentLogger } from "../../src/runtime/log.ts";
import { runPlanSteps, StepsInFlight } from "../../src/executor/run-plan.ts";
import { gridNodes, makeCluster, SimulatedCluster } from "./fixtures.ts";

const keys = DEFAULT_TOPOLOGY_KEYS;

async function reconcileUntilIdle(sim: SimulatedCluster, maxPasses = 40) {
  let stored: StoredPlan | undefined;
  const inFlight = new StepsInFlight();
  const actions: string[] = [];
  for (let pass = 0; pass < maxPasses; pass++) {
    const o = sim.observe(pass);
    const action = decide(o, stored, FINALIZER);
    actions.push(action.kind);
    if (action.kind === "idle") return { stored, actions, status: computeStatus({ observation: sim.observe(pass + 1), action, plan: stored, topologyKeys: keys }) };
    if (!["ensure-objects", "issue-certificates", "start-plan", "run-steps", "finish-plan"].includes(action.kind)) throw new Error(`unexpected action ${JSON.stringify(action)}`);
    // The reconciler's own dispatch; only the step runner differs (it waits for every step here).
    ({ plan: stored } = await execute(action, stored, "default/demo", {
      context: () => sim.context(o), nowMs: pass, resyncMs: 60_000, log: silentLogger(),
      setFinalizer: async () => {}, closeSidecars: () => {},
      runSteps: (plan, steps, ctx) => runPlanSteps(plan, steps, ctx, { inFlight, onSettled: () => {} }),
    }));
  }
  throw new Error(`not idle after ${maxPasses} passes: ${actions.join(", ")}`);
}

describe("bootstrap, pass by pass", () => {
  test("3 shards × 1 standby over 3 zones: owned objects, plan, pods pinned, joined, slots, standbys → Ready", async () => {
    const sim = new SimulatedCluster(makeCluster({ shards: 3, replicasPerShard: 1 }), gridNodes(["a", "b", "c"]));
    const { stored, actions, status } = await reconcileUntilIdle(sim);
    assert.equal(actions[0], "ensure-objects");
    assert.equal(actions[1], "issue-certificates", "the CA and every member's certificate before any pod");
    assert.equal(actions[2], "start-plan", "the plan is written before any step runs");
    assert.equal(stored?.phase, "Succeeded");
    assert.deepEqual([...sim.owned.keys()].sort(), [
      "NetworkPolicy/demo", "PodDisruptionBudget/demo", "Secret/demo-0-0-tls", "Secret/demo-0-1-tls", "Secret/demo-1-0-tls", "Secret/demo-1-1-tls", "Secret/demo-2-0-tls", "Secret/demo-2-1-tls",
      "Secret/demo-auth", "Secret/demo-ca", "Secret/demo-sidecar", "Service/demo", "Service/demo-members",
    ]);
    assert.equal(sim.pods.size, 6);
    // Members of a shard never share a zone, read from the Node each pod is bound to.
    const zoneOf = (pod: string) => sim.nodes.find((n) => n.metadata!.name === sim.pods.get(pod)!.spec!.nodeName)!.metadata!.labels!["topology.kubernetes.io/zone"];
    for (const s of [0, 1, 2]) assert.notEqual(zoneOf(`demo-${s}-0`), zoneOf(`demo-${s}-1`), `shard ${s}`);
    const statuses = [...sim.pods.keys()].map((p) => [p, sim.members.status(p)] as const);
    const primaries = statuses.filter(([, s]) => s.state === "ACTIVE");
    assert.equal(primaries.length, 3);
    assert.equal(primaries.reduce((n, [, s]) => n + s.slotsOwned, 0), 16384);
    for (const [name, s] of statuses.filter(([, s]) => s.state === "STANDBY")) {
      const primary = primaries.find(([, p]) => p.nodeId === s.replication?.primaryNodeId);
      assert.ok(primary, `${name} follows a primary`);
      assert.equal(primary[0].split("-")[1], name.split("-")[1], `${name} follows the primary of its own shard`);
    }
    assert.equal(status.phase, "Ready");
    assert.equal(status.ready, "6/6");
    assert.equal(status.shards, 3);
    assert.equal(status.conditions?.find((c) => c.type === "Available")?.status, "True");
    assert.equal(status.plan?.phase, "Succeeded");
    assert.equal(status.plan?.progress?.slotsDone, 16384);
  });

  test("every sidecar call is one the member accepts: no member joins itself, slots only go to primaries", async () => {
    const sim = new SimulatedCluster(makeCluster({ shards: 2, replicasPerShard: 2 }), gridNodes(["a", "b", "c"]));
    await reconcileUntilIdle(sim);
    const assigns = sim.members.calls.filter((c) => c.endsWith("AssignSlots")).map((c) => c.split(" ")[0]);
    assert.equal(assigns.length, 2);
    for (const m of assigns) assert.equal(sim.members.status(m).state, "ACTIVE");
    assert.equal(sim.members.calls.filter((c) => c.endsWith("ReplicateFrom")).length, 4);
  });

  test("a cluster that cannot be placed is blocked with the reason, and nothing is created", async () => {
    const sim = new SimulatedCluster(makeCluster({ shards: 2, replicasPerShard: 2, placement: { isolationLevel: "zone" } }), gridNodes(["a", "b"]));
    await sim.setUp();
    const action = decide(sim.observe(), undefined, FINALIZER);
    assert.equal(action.kind, "blocked");
    assert.equal(action.kind === "blocked" && action.reason, "Unplaceable");
    assert.equal(sim.pods.size, 0);
  });

  test("members that start at different times still form one cluster, never islands", async () => {
    const sim = new SimulatedCluster(makeCluster({ shards: 3, replicasPerShard: 1 }), gridNodes(["a", "b", "c"]));
    // Shard 2's members start first and meet each other; the other four start together later. Meeting
    // "whoever is up" made two clusters here ({shard 2} and {shards 0, 1}); one seed for all does not.
    for (const [name, passes] of [["demo-0-0", 6], ["demo-0-1", 6], ["demo-1-0", 6], ["demo-1-1", 6], ["demo-2-0", 1], ["demo-2-1", 1]] as const) sim.startsAfter.set(name, passes);
    const { stored } = await reconcileUntilIdle(sim, 60);
    assert.equal(stored?.phase, "Succeeded");
    for (const name of sim.pods.keys()) assert.equal(sim.members.status(name).clusterKnownNodes, 6, `${name} knows every member`);
  });

  test("a Ready cluster split into islands is joined again", async () => {
    const sim = new SimulatedCluster(makeCluster({ shards: 3, replicasPerShard: 1 }), gridNodes(["a", "b", "c"]));
    const { stored } = await reconcileUntilIdle(sim);
    const island = new Set(["demo-2-0", "demo-2-1"]);
    for (const name of sim.pods.keys()) {
      const e = sim.members.engine(name);
      e.known = new Set([...e.known].filter((n) => island.has(n) === island.has(name)));
      sim.members.update(e, {});
    }
    const action = decide(sim.observe(), stored, FINALIZER);
    assert.equal(action.kind, "meet");
    if (action.kind !== "meet") return;
    // Counts cannot tell islands apart: every member that knows too few meets the best-connected one.
    assert.equal(action.seed, "demo-0-0");
    assert.deepEqual(action.members.sort(), ["demo-0-1", "demo-1-0", "demo-1-1", "demo-2-0", "demo-2-1"]);
    const { meetSeed } = await import("../../src/executor/meet.ts");
    const o = sim.observe();
    await meetSeed(action.members, action.seed, sim.context(o));
    sim.observe(); sim.observe();
    for (const name of sim.pods.keys()) assert.equal(sim.members.status(name).clusterKnownNodes, 6, name);
    assert.equal(decide(sim.observe(), stored, FINALIZER).kind, "idle");
  });

  test("the disruption budget follows the members the cluster has: at most one member down by choice, not rewritten before new members exist", async () => {
    const sim = new SimulatedCluster(makeCluster({ shards: 3, replicasPerShard: 1 }), gridNodes(["a", "b", "c"]));
    const { stored } = await reconcileUntilIdle(sim);
    assert.equal((sim.owned.get("PodDisruptionBudget/demo") as { spec: { minAvailable: number } }).spec.minAvailable, 5);
    sim.cluster.spec.replicasPerShard = 2;
    const action = await sim.decideAfterCertificates(stored);
    assert.equal(action.kind === "start-plan" && action.plan.kind, "scale-out", "more standbys: a plan, and no PDB change before they exist");
    assert.deepEqual(action.kind === "start-plan" && action.plan.steps.map((s) => s.kind === "place-member" && `${s.member} ${s.role}`), ["demo-0-2 standby", "demo-1-2 standby", "demo-2-2 standby"]);
  });

  test("Available waits until every engine sees the whole slot map (one that does not answers CLUSTERDOWN)", async () => {
    const sim = new SimulatedCluster(makeCluster({ shards: 3, replicasPerShard: 1 }), gridNodes(["a", "b", "c"]));
    const { stored, status } = await reconcileUntilIdle(sim);
    assert.equal(status.conditions?.find((c) => c.type === "Available")?.status, "True");
    const standby = sim.members.engine("demo-1-1");
    standby.status = { ...standby.status, clusterState: "fail" };
    const after = computeStatus({ observation: sim.observe(99), action: { kind: "idle", message: "" }, plan: stored, topologyKeys: keys });
    const available = after.conditions?.find((c) => c.type === "Available");
    assert.equal(available?.status, "False");
    assert.match(available?.message ?? "", /not every engine sees the whole slot map/);
  });
});
