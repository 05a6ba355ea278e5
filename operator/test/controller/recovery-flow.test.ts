// Recovery, pass by pass, against simulated pods and sidecars: the reconciler's own loop (observe →
// decide → execute → status, the plan kept in status) after a primary's pod, a standby's pod or the
// only primary of a shard is lost.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_TOPOLOGY_KEYS } from "../../../common/labels.ts";
import { FINALIZER } from "../../src/api/types.ts";
import { decide } from "../../src/controller/decide.ts";
import { SHUTDOWN_HANDOVER_MS } from "../../../common/member-env.ts";
import { execute } from "../../src/controller/execute.ts";
import { computeStatus, statusEvents } from "../../src/controller/status.ts";
import { planFromStatus } from "../../src/model/stored-plan.ts";
import { silentLogger } from "../../src/runtime/log.ts";
import { SimulatedCluster } from "./fixtures.ts";
import { losePod, readyCluster, settle } from "./flow.ts";

const condition = (sim: SimulatedCluster, type: string) => sim.cluster.status?.conditions?.find((c) => c.type === type);

describe("recovery, pass by pass", () => {
  test("a primary's pod is deleted: its standby takes over (FORCE), the member comes back as a standby, its old engine is forgotten", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    const oldId = sim.members.status("demo-0-0").nodeId;
    const node = sim.pods.get("demo-0-0")!.spec!.nodeName;
    losePod(sim, "demo-0-0");
    const actions = await settle(sim);
    assert.ok(actions.includes("start-plan failover"), actions.join(", "));
    assert.ok(actions.includes("start-plan replace"), actions.join(", "));
    assert.ok(actions.indexOf("start-plan failover") < actions.indexOf("start-plan replace"), "the failover comes first");
    assert.ok(sim.members.calls.includes("demo-0-1 Promote FORCE"), "2 of 3 primaries serve: the engines vote");
    assert.equal(sim.members.status("demo-0-1").role, "PRIMARY");
    assert.equal(sim.members.status("demo-0-0").state, "STANDBY", "the member is back, following its shard's new primary");
    assert.equal(sim.pods.get("demo-0-0")!.spec!.nodeName, node, "on its own node");
    assert.notEqual(sim.members.status("demo-0-0").nodeId, oldId);
    for (const m of ["demo-0-1", "demo-1-0", "demo-1-1", "demo-2-0", "demo-2-1"]) assert.ok(sim.members.calls.includes(`${m} ForgetNode`), `${m} forgot the old engine`);
    await settle(sim);
    assert.equal(sim.cluster.status?.phase, "Ready");
    assert.equal(sim.cluster.status?.ready, "6/6");
    assert.equal(condition(sim, "Degraded")?.status, "False");
  });

  test("a primary whose pod is being deleted and whose engine still answers is not failed over until it stopped or SHUTDOWN_HANDOVER_MS passed", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    const pod = sim.pods.get("demo-0-0")!;
    const deletedAtMs = 1_000_000;
    pod.metadata = { ...pod.metadata, deletionGracePeriodSeconds: 30, deletionTimestamp: new Date(deletedAtMs + 30_000) as never };
    const at = (ms: number) => decide(sim.observe(ms), planFromStatus(sim.cluster.status?.plan), FINALIZER);
    const stopping = at(deletedAtMs + 1_000);
    assert.notEqual(stopping.kind === "start-plan" && stopping.plan.kind, "failover", "the engine is stopping: it hands over itself");
    // Handed over: the old primary follows, before its standby's report says it serves.
    const primary = sim.members.engine("demo-0-0");
    const asPrimary = primary.status;
    sim.members.update(primary, { role: "REPLICA", slots: [], slotsOwned: 0 });
    const handedOver = at(deletedAtMs + 1_500);
    assert.notEqual(handedOver.kind === "start-plan" && handedOver.plan.kind, "failover", "it handed its slots over: their new owner's report comes next");
    sim.members.update(primary, asPrimary);
    const late = at(deletedAtMs + SHUTDOWN_HANDOVER_MS + 1_000);
    assert.equal(late.kind === "start-plan" && late.plan.kind, "failover", "past the bound the standby is promoted");
    sim.members.update(sim.members.engine("demo-0-0"), { engineUp: false });
    const stopped = at(deletedAtMs + 2_000);
    assert.equal(stopped.kind === "start-plan" && stopped.plan.kind, "failover", "the engine stopped without handing over: FORCE at once");
  });

  test("a standby that restarted and never reached its primary since is not promoted while the primary may come back with its data; it is once the primary came back empty", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    const standby = sim.members.engine("demo-0-1");
    losePod(sim, "demo-0-0");
    sim.members.update(standby, { replication: { ...standby.status.replication!, linkUp: false, linkedSinceStart: false } });
    const waiting = decide(sim.observe(100), planFromStatus(sim.cluster.status?.plan), FINALIZER);
    assert.notEqual(waiting.kind === "start-plan" && waiting.plan.kind, "failover", "its data may predate writes the primary acknowledged");
    // The primary's member is back without its data (its volume was lost): the stale standby is all there is.
    sim.writes.createPod({ ...structuredClone(sim.pods.get("demo-1-0")!), metadata: { ...structuredClone(sim.pods.get("demo-1-0")!.metadata!), name: "demo-0-0" } });
    sim.members.update(sim.members.engine("demo-0-0"), { engineUp: true });
    const empty = decide(sim.observe(200), planFromStatus(sim.cluster.status?.plan), FINALIZER);
    assert.ok(empty.kind === "start-plan" && empty.plan.kind === "failover", JSON.stringify(empty).slice(0, 300));
    assert.deepEqual(empty.plan.steps.map((s) => s.kind === "switchover" && [s.to, s.stale]), [["demo-0-1", true]]);
    assert.match(empty.plan.reasons?.[0]?.message ?? "", /came back without its data.*writes acknowledged after that are lost/);
  });

  test("a standby's pod is deleted: no failover; it comes back and follows its primary", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    losePod(sim, "demo-2-1");
    const actions = await settle(sim);
    assert.ok(!actions.includes("start-plan failover"), actions.join(", "));
    assert.ok(actions.includes("start-plan replace"));
    assert.equal(sim.members.status("demo-2-1").state, "STANDBY");
    assert.equal(sim.members.status("demo-2-0").role, "PRIMARY");
    await settle(sim);
    assert.equal(sim.cluster.status?.ready, "6/6");
  });

  test("a 1-shard cluster loses its primary's pod: the engines cannot vote, so its standby takes over by TAKEOVER once the old pod is gone", async () => {
    const sim = await readyCluster({ shards: 1, replicasPerShard: 1 });
    losePod(sim, "demo-0-0");
    await settle(sim);
    assert.ok(sim.members.calls.includes("demo-0-1 PrepareTakeover"));
    assert.ok(sim.members.calls.includes("demo-0-1 Promote TAKEOVER"));
    assert.ok(!sim.members.calls.includes("demo-0-1 Promote FORCE"));
    await settle(sim);
    assert.equal(sim.cluster.status?.phase, "Ready");
    assert.equal(sim.cluster.status?.ready, "2/2");
  });

  test("while a member is lost, status lists it as Lost and never advises changing spec.shards", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    losePod(sim, "demo-1-1");
    const o = sim.observe(100);
    const action = decide(o, planFromStatus(sim.cluster.status?.plan), FINALIZER);
    assert.equal(action.kind, "start-plan");
    sim.cluster.status = computeStatus({ observation: o, action, topologyKeys: DEFAULT_TOPOLOGY_KEYS });
    const lost = sim.cluster.status.members?.find((m) => m.name === "demo-1-1");
    assert.equal(lost?.state, "Lost");
    assert.ok(lost?.engineNodeId, "its last engine id is kept, to be forgotten");
    assert.doesNotMatch(JSON.stringify(sim.cluster.status.conditions), /spec\.shards/);
  });

  test("spec.failover.enabled false: the operator leaves the failover to the engines", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1, failover: { enabled: false } });
    losePod(sim, "demo-0-0");
    const action = decide(sim.observe(100), planFromStatus(sim.cluster.status?.plan), FINALIZER);
    assert.notEqual(action.kind === "start-plan" && action.plan.kind, "failover");
    assert.ok(!sim.members.calls.some((c) => c.includes("Promote")));
  });

  test("a changed spec.shards after the cluster formed is a scale-out, not a loss: the new members are placed, then slots move", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    sim.cluster.spec.shards = 4;
    const action = await sim.decideAfterCertificates(planFromStatus(sim.cluster.status?.plan), 100);
    assert.equal(action.kind === "start-plan" && action.plan.kind, "scale-out");
    const steps = action.kind === "start-plan" ? action.plan.steps : [];
    assert.deepEqual(steps.filter((s) => s.kind === "place-member").map((s) => s.kind === "place-member" && `${s.member} ${s.role}`), ["demo-3-0 primary", "demo-3-1 standby"]);
    assert.ok(steps.filter((s) => s.kind === "move-slots").every((s) => s.kind === "move-slots" && s.to === 3), "every move goes to the new shard");
  });

  test("a member whose reports stopped is Unknown and not counted ready; nothing is done on one late report", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    const o = sim.observe(100);
    const view = o.members.find((m) => m.name === "demo-0-1")!;
    view.unknown = true;
    view.reportAgeMs = 4_000;
    delete view.status;
    const status = computeStatus({ observation: o, action: { kind: "idle", message: "" }, topologyKeys: DEFAULT_TOPOLOGY_KEYS });
    assert.equal(status.members?.find((m) => m.name === "demo-0-1")?.state, "Unknown");
    assert.equal(status.ready, "5/6");
    assert.equal(decide(o, planFromStatus(sim.cluster.status?.plan), FINALIZER).kind, "idle", "a standby gone quiet is not replaced while its pod exists");
  });

  test("just after an operator restart (a primary not heard from yet) no failover starts; after the bound without a report it does", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    const quiet = (age: number) => {
      const o = sim.observe(100);
      const view = o.members.find((m) => m.name === "demo-0-0")!;
      Object.assign(view, { unknown: true, reportAgeMs: age });
      delete view.status;
      return decide(o, planFromStatus(sim.cluster.status?.plan), FINALIZER);
    };
    assert.equal(quiet(500).kind, "idle", "its report may still come");
    sim.members.update(sim.members.engine("demo-0-1"), { replication: { ...sim.members.status("demo-0-1").replication!, linkUp: false } });
    const action = quiet(3_500);
    assert.equal(action.kind === "start-plan" && action.plan.kind, "failover");
  });

  test("engines that dial live peers at addresses they no longer have (every pod made again) meet a member again, before they flag each other failing; a link down at the right address is left to the engines", async () => {
    const sim = await readyCluster({ shards: 2, replicasPerShard: 1 });
    const stale = (m: string) => ({ nodeId: sim.members.engine(m).nodeId, host: "10.9.9.9", port: 6379 });
    const current = (m: string) => ({ nodeId: sim.members.engine(m).nodeId, host: sim.observe(100).members.find((x) => x.name === m)!.ip, port: 6379 });
    sim.members.update(sim.members.engine("demo-0-0"), { unreachablePeers: [stale("demo-1-0"), stale("demo-1-1")] });
    sim.members.update(sim.members.engine("demo-1-0"), { unreachablePeers: [stale("demo-0-0")] });
    const action = decide(sim.observe(100), planFromStatus(sim.cluster.status?.plan), FINALIZER);
    assert.equal(action.kind, "meet");
    assert.deepEqual(action.kind === "meet" && [action.seed, action.members], ["demo-0-1", ["demo-0-0", "demo-1-0", "demo-1-1"]], "the seed reaches everyone; every member of a cut meets it");
    sim.members.update(sim.members.engine("demo-0-0"), { unreachablePeers: [current("demo-1-0"), { nodeId: "f".repeat(40), host: "10.9.9.8", port: 6379 }] });
    sim.members.update(sim.members.engine("demo-1-0"), { unreachablePeers: [] });
    assert.equal(decide(sim.observe(100), planFromStatus(sim.cluster.status?.plan), FINALIZER).kind, "idle", "a link down at the current address, or an engine id no live member has, is no reason to meet");
  });

  test("a primary whose sidecar went silent while its standby still replicates from its engine is not failed over; Degraded names it", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    const o = sim.observe(100);
    const view = o.members.find((m) => m.name === "demo-0-0")!;
    Object.assign(view, { unknown: true, reportAgeMs: 20_000, sidecarError: "no report for 20 s (a member is Unknown after 3 s of silence)" });
    delete view.status;
    const action = decide(o, planFromStatus(sim.cluster.status?.plan), FINALIZER);
    assert.notEqual(action.kind === "start-plan" && action.plan.kind, "failover", "its engine serves: a FORCE would be refused (the standby's link is up) and would lose writes");
    const status = computeStatus({ observation: o, action, topologyKeys: DEFAULT_TOPOLOGY_KEYS });
    const degraded = status.conditions!.find((c) => c.type === "Degraded")!;
    assert.equal(degraded.status, "True");
    assert.match(degraded.message, /demo-0-0: no report for 20 s.*its engine still serves: demo-0-1 replicates from it/);
  });

  test("a primary's node goes NotReady: failover, then the member is placed on another node that keeps its shard's isolation, the old pod removed", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    const oldNode = sim.pods.get("demo-1-0")!.spec!.nodeName!;
    const zoneOf = (node: string) => sim.nodes.find((n) => n.metadata!.name === node)!.metadata!.labels!["topology.kubernetes.io/zone"];
    sim.nodes.find((n) => n.metadata!.name === oldNode)!.status!.conditions = [{ type: "Ready", status: "False" }];
    sim.members.remove("demo-1-0"); // the node stopped: its engine is gone, its pod object stays
    await settle(sim);
    await settle(sim);
    const newNode = sim.pods.get("demo-1-0")!.spec!.nodeName!;
    assert.notEqual(newNode, oldNode, "placed elsewhere");
    assert.notEqual(zoneOf(newNode), zoneOf(sim.pods.get("demo-1-1")!.spec!.nodeName!), "isolated from its shard's other member");
    assert.equal(sim.members.status("demo-1-1").role, "PRIMARY");
    assert.equal(sim.members.status("demo-1-0").state, "STANDBY");
    assert.equal(sim.cluster.status?.phase, "Ready");
  });

  test("a replacement that cannot finish (its pod never starts) ends Failed at its deadline with the step's reason; a new plan comes after the retry wait", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    losePod(sim, "demo-2-1");
    sim.startsAfter.set("demo-2-1", 1e9); // its engine never comes up
    await settle(sim, 8).catch(() => undefined);
    const stored = planFromStatus(sim.cluster.status?.plan)!;
    assert.equal(stored.plan.kind, "replace");
    assert.equal(stored.phase, "Running");
    const at = (ms: number) => Date.parse(stored.startedAt!) + ms;
    assert.equal(decide(sim.observe(at(60_000)), stored, FINALIZER).kind, "run-steps", "within its deadline it keeps going");
    const late = decide(sim.observe(at(11 * 60_000)), stored, FINALIZER);
    assert.equal(late.kind, "fail-plan");
    const failed = await execute(late, stored, "ns/demo", {
      context: () => { throw new Error("not needed"); }, nowMs: at(11 * 60_000), resyncMs: 60_000, log: silentLogger(),
      setFinalizer: async () => {}, closeSidecars: () => {}, runSteps: async (p) => p,
    });
    assert.equal(failed.plan?.phase, "Failed");
    assert.match(failed.plan!.plan.steps.find((x) => x.state === "failed")!.message ?? "", /place-member\/demo-2-1 did not finish within 600 s: member demo-2-1: engine not answering/);
    const soon = decide(sim.observe(at(11 * 60_000 + 5_000)), failed.plan, FINALIZER);
    assert.deepEqual([soon.kind, soon.kind === "blocked" && soon.reason], ["blocked", "PlanFailed"]);
    const retry = decide(sim.observe(at(11 * 60_000 + 31_000)), failed.plan, FINALIZER);
    assert.equal(retry.kind === "start-plan" && retry.plan.kind, "replace");
    const again = retry.kind === "start-plan" ? retry.plan.steps.find((x) => x.kind === "place-member") : undefined;
    assert.ok(again?.kind === "place-member" && again.member === "demo-2-1" && again.node !== sim.pods.get("demo-2-1")!.spec!.nodeName, "placed again, away from the node it was stuck on");
  });

  test("every pod deleted at once with persistence: each member goes back to its own node (two that shared one both go back to it), old primaries as primaries, nothing forgotten", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1, persistence: { enabled: true } });
    // An earlier replacement put demo-1-1 on demo-0-0's node.
    const shared = sim.pods.get("demo-0-0")!.spec!.nodeName!;
    sim.cluster.status!.members = sim.cluster.status!.members!.map((m) => (m.name === "demo-1-1" ? { ...m, node: shared } : m));
    const primaries = new Set(sim.cluster.status!.members!.filter((m) => m.role === "primary").map((m) => m.name));
    for (const name of [...sim.pods.keys()]) losePod(sim, name);
    const action = decide(sim.observe(200), planFromStatus(sim.cluster.status?.plan), FINALIZER);
    assert.equal(action.kind === "start-plan" && action.plan.kind, "replace");
    if (action.kind !== "start-plan") return;
    const places = action.plan.steps.filter((st) => st.kind === "place-member");
    const last = new Map(sim.cluster.status!.members!.map((m) => [m.name, m.node]));
    for (const p of places) {
      assert.equal(p.kind === "place-member" && p.node, last.get(p.kind === "place-member" ? p.member : ""), `${p.kind === "place-member" && p.member} goes back to its own node`);
      assert.equal(p.kind === "place-member" && p.role, primaries.has(p.kind === "place-member" ? p.member : "") ? "primary" : "standby");
    }
    assert.equal(places.length, 6);
    assert.ok(!action.plan.steps.some((st) => st.kind === "forget-node"), "every engine keeps its identity");
  });

  test("every pod deleted at once without persistence: the cluster is formed again, empty, and a Warning Event says the data is lost", async () => {
    const sim = await readyCluster({ shards: 2, replicasPerShard: 1 });
    const before = sim.cluster.status!;
    for (const name of [...sim.pods.keys()]) losePod(sim, name);
    const o = sim.observe(200);
    const action = decide(o, planFromStatus(sim.cluster.status?.plan), FINALIZER);
    assert.equal(action.kind === "start-plan" && action.plan.kind, "bootstrap");
    assert.match(action.kind === "start-plan" ? action.plan.reasons[0].message : "", /no copy of the data is left/);
    if (action.kind !== "start-plan") return;
    const status = computeStatus({ observation: o, action, plan: { plan: action.plan, phase: "Running" }, topologyKeys: DEFAULT_TOPOLOGY_KEYS });
    assert.ok(statusEvents(before, status).some((e) => e.type === "Warning" && e.reason === "DataLost"));
    sim.cluster.status = status;
    await settle(sim);
    await settle(sim);
    assert.equal(sim.cluster.status?.phase, "Ready");
    assert.equal(sim.cluster.status?.ready, "4/4");
  });
});
