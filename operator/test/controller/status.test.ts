import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FINALIZER } from "../../src/api/types.ts";
import { decide } from "../../src/controller/decide.ts";
import { planFromStatus, stepFromStatus, stepToStatus } from "../../src/model/stored-plan.ts";
import { computeStatus, statusEqual } from "../../src/controller/status.ts";
import { planned } from "../../src/planner/index.ts";
import { buildNetworkPolicy } from "../../src/resources/network-policy.ts";
import { gridNodes, makeCluster, SimulatedCluster } from "./fixtures.ts";
import { readyCluster } from "./flow.ts";

const keys = { zone: "topology.kubernetes.io/zone", rack: "topology.mdbcluster.io/rack" };

describe("status", () => {
  test("lastTransitionTime moves only when a condition flips", () => {
    const sim = new SimulatedCluster(makeCluster({ shards: 1, replicasPerShard: 0 }), gridNodes(["a"]));
    const o1 = sim.observe(1_000);
    const s1 = computeStatus({ observation: o1, action: { kind: "idle", message: "x" }, topologyKeys: keys });
    sim.cluster.status = s1;
    const s2 = computeStatus({ observation: sim.observe(9_000), action: { kind: "idle", message: "x" }, topologyKeys: keys });
    for (const c of s2.conditions!) assert.equal(c.lastTransitionTime, s1.conditions!.find((p) => p.type === c.type)!.lastTransitionTime, c.type);
    assert.ok(statusEqual(s1, s2), "nothing changed: no write");
    const s3 = computeStatus({ observation: sim.observe(20_000), action: { kind: "blocked", reason: "SpecInvalid", message: "spec.shards: bad" }, topologyKeys: keys });
    const degraded = s3.conditions!.find((c) => c.type === "Degraded")!;
    assert.equal(degraded.status, "True");
    assert.equal(degraded.reason, "SpecInvalid");
    assert.equal(degraded.lastTransitionTime, new Date(20_000).toISOString());
    assert.equal(s3.phase, "Pending");
  });

  test("a member whose container crash-loops is named in Degraded with the container, its last exit and where to look", async () => {
    const sim = await readyCluster({ shards: 1, replicasPerShard: 1 });
    const pod = sim.pods.get("demo-0-1")!;
    pod.status = { ...pod.status, phase: "Running", containerStatuses: [
      { name: "engine", ready: false, restartCount: 5, image: "e", imageID: "", state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 1m20s restarting failed container=engine pod=demo-0-1_ns(u)" } },
        lastState: { terminated: { exitCode: 1, reason: "Error", message: "1:M 07 Dec 04:02:04.729 # Missing implement of connection type tls\n1:M 07 Dec 04:02:04.729 # Failed finding TLS support.\n" } } },
    ] };
    sim.members.update(sim.members.engine("demo-0-1"), { engineUp: false, state: "OFFLINE", ready: false });
    const s = computeStatus({ observation: sim.observe(10_000), action: { kind: "idle", message: "" }, topologyKeys: keys });
    const degraded = s.conditions!.find((c) => c.type === "Degraded")!;
    assert.equal(degraded.reason, "MembersNotReady");
    assert.match(degraded.message, /demo-0-1: CrashLoopBackOff: container engine restarted 5 times, last exit 1 \(Error\): "1:M 07 Dec 04:02:04.729 # Failed finding TLS support."; see kubectl logs -n ns demo-0-1 -c engine --previous/);
  });

  test("between two back-offs (started again, not ready, restarted twice or more) the member is still named: no flapping; one restart is not a crash loop", async () => {
    const sim = await readyCluster({ shards: 1, replicasPerShard: 1 });
    sim.members.update(sim.members.engine("demo-0-1"), { engineUp: false, state: "OFFLINE", ready: false });
    const pod = sim.pods.get("demo-0-1")!;
    const engine = (restartCount: number) => ({ name: "engine", ready: false, restartCount, image: "e", imageID: "", state: { running: { startedAt: new Date(0) } },
      lastState: { terminated: { exitCode: 1, reason: "Error" } } });
    const degraded = (restartCount: number) => {
      pod.status = { ...pod.status, phase: "Running", containerStatuses: [engine(restartCount)] };
      return computeStatus({ observation: sim.observe(10_000), action: { kind: "idle", message: "" }, topologyKeys: keys }).conditions!.find((c) => c.type === "Degraded")!;
    };
    assert.match(degraded(3).message, /demo-0-1: CrashLoopBackOff: container engine restarted 3 times, last exit 1 \(Error\)/);
    assert.doesNotMatch(degraded(1).message, /CrashLoopBackOff/, "an engine killed once and starting again");
  });

  test("a slot two primaries claim: served once and Available mid-move; outside a move a conflict, not Available", async () => {
    const sim = await readyCluster({ shards: 2, replicasPerShard: 0 });
    const target = sim.members.engine("demo-1-0");
    sim.members.update(target, { slots: [...target.status.slots, { start: 0, end: 40 }] }); // claimed by the target, not yet dropped by the source
    const move = { phase: "Running", plan: { id: "scale-out-1", kind: "scale-out", reasons: [], steps: [{ id: "m", kind: "move-slots", state: "running", from: 0, to: 1, slots: [{ start: 0, end: 40 }] }] } };
    const available = (plan?: unknown) => computeStatus({ observation: sim.observe(10_000), action: { kind: "idle", message: "" }, topologyKeys: keys, ...(plan ? { plan: plan as never } : {}) })
      .conditions!.find((c) => c.type === "Available")!;
    const moving = available(move);
    assert.equal(moving.status, "True", moving.message);
    assert.equal(moving.reason, "AllSlotsServed");
    const conflict = available();
    assert.equal(conflict.status, "False");
    assert.equal(conflict.message, "every slot is served, but 41 are claimed by two primaries; the engines settle it by epoch");
  });

  test("an engine that cannot reach a live peer (new addresses after a restart) keeps Available false, naming both; a lost member's id does not count", async () => {
    const sim = await readyCluster({ shards: 2, replicasPerShard: 1 });
    const available = () => computeStatus({ observation: sim.observe(10_000), action: { kind: "idle", message: "" }, topologyKeys: keys }).conditions!.find((c) => c.type === "Available")!;
    assert.equal(available().status, "True");
    const peer = sim.members.engine("demo-1-0");
    sim.members.update(sim.members.engine("demo-0-0"), { unreachablePeers: [{ nodeId: peer.nodeId, host: "10.9.9.9", port: 6379 }, { nodeId: "f".repeat(40), host: "10.9.9.8", port: 6379 }] });
    const cut = available();
    assert.equal(cut.status, "False");
    assert.match(cut.message, /demo-0-0 cannot reach demo-1-0 \(at 10\.9\.9\.9\) \(engines learn each other's new addresses after a restart/);
    sim.members.update(sim.members.engine("demo-0-0"), { unreachablePeers: [{ nodeId: "f".repeat(40), host: "10.9.9.8", port: 6379 }] });
    assert.equal(available().status, "True", "an engine id no live member has (a lost member, forgotten later) is not a cut");
  });

  test("observedGeneration, selector, endpoint and the Secret are reported", () => {
    const sim = new SimulatedCluster(makeCluster({ shards: 1 }, { generation: 7 }), gridNodes(["a"]));
    const s = computeStatus({ observation: sim.observe(), action: { kind: "idle", message: "" }, topologyKeys: keys });
    assert.equal(s.observedGeneration, 7);
    assert.equal(s.selector, "mdbcluster.io/cluster=demo,app.kubernetes.io/component=member");
    assert.equal(s.endpoint, "demo.ns.svc:6379");
    assert.equal(s.secretName, "demo-auth");
  });
});

describe("status.plan round trip", () => {
  test("every step kind survives status and back", () => {
    const steps = [
      planned({ kind: "place-member", member: "demo-0-0", shard: 0, role: "primary", node: "n1" }),
      planned({ kind: "assign-slots", shard: 0, slots: [{ start: 0, end: 5460 }, { start: 9000, end: 9000 }] }),
      planned({ kind: "move-slots", slots: [{ start: 0, end: 10 }], from: 0, to: 3, wave: 1 }),
      planned({ kind: "switchover", shard: 2, from: "demo-2-0", to: "demo-2-1" }),
      planned({ kind: "remove-member", member: "demo-4-0", shard: 4 }),
    ];
    for (const s of steps) assert.deepEqual(stepFromStatus(stepToStatus(s)), s, s.kind);
  });

  test("a stored plan this version cannot read is ignored, not half-used", () => {
    assert.equal(planFromStatus({ id: "x", kind: "bootstrap", steps: [{ id: "a", kind: "teleport", state: "pending" }] }), undefined);
    assert.equal(planFromStatus({ id: "x", kind: "bootstrap", steps: [{ id: "a", kind: "assign-slots", shard: 0, slots: "0-99999" }] }), undefined);
  });

  test("a running plan in status is resumed, never re-planned", async () => {
    const sim = new SimulatedCluster(makeCluster({ shards: 3, replicasPerShard: 1 }), gridNodes(["a", "b", "c"]));
    for (const k of ["Service/demo", "Service/demo-members", "PodDisruptionBudget/demo", "Secret/demo-auth", "Secret/demo-sidecar"]) {
      const [kind, name] = k.split("/");
      sim.owned.set(k, { kind, metadata: { name, ownerReferences: [{ uid: "uid-1" }] }, ...(kind === "PodDisruptionBudget" ? { spec: { minAvailable: 5 } } : {}) } as never);
    }
    sim.owned.set("NetworkPolicy/demo", buildNetworkPolicy(sim.cluster, sim.context(sim.observe()).spec.networkPolicy));
    const stored = { plan: { id: "bootstrap-from-an-earlier-leader", kind: "bootstrap" as const, reasons: [], steps: [planned({ kind: "place-member", member: "demo-0-0", shard: 0, role: "primary", node: "a2-h2" })] }, phase: "Running" as const };
    const action = await sim.decideAfterCertificates(stored);
    assert.equal(action.kind, "run-steps");
    assert.deepEqual(action.kind === "run-steps" && action.steps.map((s) => s.id), ["place-member/demo-0-0"]);
  });
});

describe("teardown order", () => {
  test("standbys go first, then primaries, then volumes and owned objects, then the finalizer", async () => {
    const sim = new SimulatedCluster(makeCluster({ shards: 1, replicasPerShard: 1 }, { deletionTimestamp: new Date(0) }), gridNodes(["a", "b"]));
    await sim.writes.createPod({ metadata: { name: "demo-0-0", namespace: "ns", labels: { "mdbcluster.io/cluster": "demo" } }, spec: { containers: [], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "k", operator: "In", values: ["a1-h1"] }] }] } } } } });
    await sim.writes.createPod({ metadata: { name: "demo-0-1", namespace: "ns", labels: { "mdbcluster.io/cluster": "demo" } }, spec: { containers: [], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "k", operator: "In", values: ["b1-h1"] }] }] } } } } });
    sim.members.engine("demo-0-1").status = { ...sim.members.engine("demo-0-1").status, role: "REPLICA", state: "STANDBY" };
    sim.owned.set("Service/demo", { kind: "Service", metadata: { name: "demo", ownerReferences: [{ uid: "uid-1" }] } } as never);
    const first = decide(sim.observe(), undefined, FINALIZER);
    assert.deepEqual(first, { kind: "teardown", pods: ["demo-0-1"], pvcs: [], owned: [] });
    sim.pods.delete("demo-0-1");
    assert.deepEqual(decide(sim.observe(), undefined, FINALIZER), { kind: "teardown", pods: ["demo-0-0"], pvcs: [], owned: [] });
    sim.pods.delete("demo-0-0");
    assert.deepEqual(decide(sim.observe(), undefined, FINALIZER), { kind: "teardown", pods: [], pvcs: [], owned: ["client-service"] });
    sim.owned.clear();
    assert.deepEqual(decide(sim.observe(), undefined, FINALIZER), { kind: "remove-finalizer" });
  });
});

describe("status events", () => {
  const cond = (type: string, status: "True" | "False", reason: string) => ({ type, status, reason, message: "m", lastTransitionTime: "t" });
  test("a plan starting and finishing, and conditions flipping, each make one event; an unchanged status makes none", async () => {
    const { statusEvents } = await import("../../src/controller/status.ts");
    const running = { plan: { id: "p1", kind: "bootstrap", phase: "Running" as const, steps: [] }, conditions: [cond("Available", "False", "Bootstrapping")] };
    const ready = { plan: { id: "p1", kind: "bootstrap", phase: "Succeeded" as const, steps: [] }, conditions: [cond("Available", "True", "AllSlotsServed")] };
    assert.deepEqual(statusEvents(undefined, running).map((e) => e.reason), ["PlanStarted", "Bootstrapping"]);
    assert.deepEqual(statusEvents(running, ready).map((e) => `${e.type} ${e.reason}`), ["Normal PlanSucceeded", "Normal AllSlotsServed"]);
    assert.deepEqual(statusEvents(ready, ready), []);
    const lost = { ...ready, conditions: [cond("Available", "False", "SlotsNotServed"), cond("Degraded", "True", "MembersNotReady")] };
    assert.deepEqual(statusEvents(ready, lost).map((e) => `${e.type} ${e.reason}`), ["Warning SlotsNotServed", "Warning MembersNotReady"]);
  });
});
