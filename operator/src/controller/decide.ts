// The controller's decision (pure): from what was observed and the plan in status, the one thing to
// do next. The reconciler carries it out; the next reconcile observes the result.
import { formatSlotRanges } from "../../../common/slots.ts";
import { placementPolicy } from "../api/planner-inputs.ts";
import { pdbMinAvailable } from "../resources/cluster-objects.ts";
import { buildNetworkPolicy, networkPolicyUpToDate } from "../resources/network-policy.ts";
import { memberName } from "../resources/names.ts";
import { memberCount, type ResolvedSpec } from "../api/types.ts";
import { planBootstrap, stepFinished, type Plan, type PlannedStep } from "../planner/index.ts";
import { toObservedCluster } from "../model/members.ts";
import { decideRecovery, overdueStep, retryWait } from "./recovery.ts";
import { decideRespread } from "./respread.ts";
import { decideTls } from "./tls.ts";
import { clusterShape, decideScale, migrationPaused, PAUSE_MIGRATION_ANNOTATION } from "./scale.ts";
import { isResolved, type MemberView, type Observation } from "../model/observation.ts";
import type { Action, OwnedKind } from "../model/actions.ts";
import type { StoredPlan } from "../model/stored-plan.ts";

const hasFinalizer = (o: Observation, finalizer: string) => (o.cluster.metadata?.finalizers ?? []).includes(finalizer);

/** Deletion in order: member pods (standbys before primaries), then volumes, then the rest. */
export function decideTeardown(o: Observation, finalizer: string): Action {
  if (!hasFinalizer(o, finalizer)) return { kind: "idle", message: "being deleted; nothing of ours is left" };
  const live = o.members.filter((m) => m.pod && !m.terminating);
  if (live.length > 0) {
    const standbys = live.filter((m) => m.status?.role !== "PRIMARY");
    return { kind: "teardown", pods: (standbys.length > 0 ? standbys : live).map((m) => m.name), pvcs: [], owned: [] };
  }
  if (o.members.some((m) => m.pod)) return { kind: "blocked", reason: "Deleting", message: "waiting for member pods to terminate" };
  if (o.owned.pvcs.length > 0) return { kind: "teardown", pods: [], pvcs: o.owned.pvcs.map((p) => p.metadata!.name!), owned: [] };
  const owned = presentOwned(o);
  // cert-manager's Certificates before their Secrets, or it writes them again.
  const certificates = o.tls.certManager?.api === "served" ? Object.keys(o.tls.certManager.certificates).sort() : [];
  if (certificates.length > 0) return { kind: "teardown", pods: [], pvcs: [], owned, certificates };
  const tlsSecrets = [o.owned.caSecret, o.owned.operatorTlsSecret, ...o.owned.memberTlsSecrets].filter((s) => s !== undefined).map((s) => s.metadata!.name!);
  if (owned.length > 0 || tlsSecrets.length > 0) return { kind: "teardown", pods: [], pvcs: [], owned, ...(tlsSecrets.length > 0 ? { tlsSecrets } : {}) };
  return { kind: "remove-finalizer" };
}

function presentOwned(o: Observation): OwnedKind[] {
  const out: OwnedKind[] = [];
  if (o.owned.generatedAuthSecret) out.push("auth-secret");
  if (o.owned.sidecarSecret) out.push("sidecar-secret");
  if (o.owned.headlessService) out.push("headless-service");
  if (o.owned.clientService) out.push("client-service");
  if (o.owned.pdb) out.push("pdb");
  if (o.owned.networkPolicy) out.push("network-policy");
  return out;
}

function missingOwned(o: Observation, spec: ResolvedSpec): OwnedKind[] {
  const out: OwnedKind[] = [];
  if (!spec.auth.secretName && !o.owned.generatedAuthSecret) out.push("auth-secret");
  if (!o.owned.sidecarSecret) out.push("sidecar-secret");
  if (!o.owned.headlessService) out.push("headless-service");
  if (!o.owned.clientService) out.push("client-service");
  if (!o.owned.pdb) out.push("pdb");
  if (spec.networkPolicy.enabled && !o.owned.networkPolicy) out.push("network-policy");
  return out;
}

/**
 * Steps that may advance now: every unfinished step whose unfinished predecessors it may overlap.
 * Members are placed together; a shard's slots are assigned as soon as its primary's engine is up,
 * before the engines meet (as redis-cli --cluster create does: the slots are disjoint, so the
 * configurations merge) — an engine answers only node-timeout after it first sees slots anywhere,
 * so the sooner the better; moves of one wave run together; anything else waits for all before it.
 */
export function runnableSteps(plan: Plan, finished: (s: PlannedStep) => boolean): PlannedStep[] {
  const out: PlannedStep[] = [];
  const pending: PlannedStep[] = [];
  for (const step of plan.steps) {
    if (finished(step)) continue;
    if (pending.every((before) => mayOverlap(before, step))) out.push(step);
    pending.push(step);
  }
  return out;
}

function mayOverlap(before: PlannedStep, step: PlannedStep): boolean {
  if (before.kind === "place-member" && step.kind === "place-member") return true;
  if (before.kind === "place-member" && step.kind === "assign-slots") return true;
  if (before.kind === "assign-slots" && step.kind === "assign-slots") return true;
  return before.kind === "move-slots" && step.kind === "move-slots" && before.wave === step.wave;
}

export function decide(o: Observation, stored: StoredPlan | undefined, finalizer: string): Action {
  if (o.cluster.metadata?.deletionTimestamp) return decideTeardown(o, finalizer);
  if (!hasFinalizer(o, finalizer)) return { kind: "add-finalizer" };
  if (!isResolved(o.spec)) return { kind: "blocked", reason: "SpecInvalid", message: `${o.spec.error}; fix the resource (kubectl edit mdb ${o.cluster.metadata?.name})` };
  const spec = o.spec;
  if (o.userSecretProblem) return { kind: "blocked", reason: "SecretMissing", message: o.userSecretProblem };
  const missing = missingOwned(o, spec);
  if (missing.length > 0) return { kind: "ensure-objects", missing };
  const formed = stored !== undefined && !(stored.plan.kind === "bootstrap" && stored.phase !== "Succeeded");
  // After the cluster formed, the PDB and recovery follow the members it has, not a shape it is asked to take.
  const now = formed ? clusterShape(o) : { shards: spec.shards, replicas: spec.replicasPerShard };
  const pdbShape = { shards: now.shards, replicasPerShard: now.replicas };
  const minAvailable = pdbMinAvailable(pdbShape);
  if (o.owned.pdb && o.owned.pdb.spec?.minAvailable !== minAvailable) return { kind: "update-pdb", minAvailable, shape: pdbShape };
  if (o.owned.networkPolicy && (!spec.networkPolicy.enabled || !networkPolicyUpToDate(o.owned.networkPolicy, buildNetworkPolicy(o.cluster, spec.networkPolicy)))) {
    return { kind: "sync-network-policy", remove: !spec.networkPolicy.enabled };
  }

  const certificates = decideTls(o, spec, stored);
  if (certificates) return certificates;

  const total = memberCount(spec);
  if (formed) {
    const overdue = overdueStep(o, stored!);
    if (overdue) return overdue;
    const kept = { ...spec, shards: Math.min(spec.shards, now.shards), replicasPerShard: Math.min(spec.replicasPerShard, now.replicas) };
    const recovery = decideRecovery(o, kept, stored, joiningShards(stored));
    const wait = recovery?.kind === "start-plan" ? retryWait(o, stored!) : undefined;
    if (wait) return wait;
    if (recovery) return recovery;
  }
  if (stored && stored.phase === "Running") {
    if (migrationPaused(o) && (stored.plan.kind === "scale-out" || stored.plan.kind === "scale-in" || stored.plan.kind === "rebalance")) {
      const moving = stored.plan.steps.filter((s) => s.kind === "move-slots" && s.state === "running");
      const targets = moving.flatMap((s) => (s.kind === "move-slots" ? o.members.filter((m) => m.shard === s.to && m.status?.role === "PRIMARY").map((m) => m.name) : []));
      return { kind: "pause-moves", targets, message: `plan ${stored.plan.id} is paused (annotation ${PAUSE_MIGRATION_ANNOTATION}=true): the moves in flight stop after their batches in flight; remove the annotation to resume` };
    }
    // A spec that asks for another shape than the running scale plan's: the moves in flight finish,
    // then the plan ends and the next one starts from where the members are.
    const target = stored.plan.target;
    if (target && (target.shards !== spec.shards || target.replicasPerShard !== spec.replicasPerShard)) {
      const inFlight = stored.plan.steps.filter((s) => s.state === "running" && !stepFinished(s, toObservedCluster(o.members, stored.plan, total)));
      if (inFlight.length === 0) return { kind: "supersede-plan", message: `spec asks for ${spec.shards} × ${spec.replicasPerShard + 1}, the plan was for ${target.shards} × ${target.replicasPerShard + 1}` };
      return { kind: "run-steps", steps: inFlight };
    }
    const observed = toObservedCluster(o.members, stored.plan, total);
    // A forget-node step is judged by the engines' answers, and a failover by its shard being served
    // (by whichever member the engines settled on), both recorded as done by their executors.
    const judgedByExecutor = (s: PlannedStep) => s.kind === "forget-node" || (s.kind === "switchover" && s.forced === true);
    const finished = (s: PlannedStep) => (judgedByExecutor(s) && s.state === "done") || stepFinished(s, observed);
    const runnable = runnableSteps(stored.plan, finished);
    return runnable.length === 0 ? { kind: "finish-plan" } : { kind: "run-steps", steps: runnable };
  }

  const ownsSlots = o.members.some((m) => (m.status?.slotsOwned ?? 0) > 0);
  if (!ownsSlots && !stored) {
    const outcome = planBootstrap({ nodes: o.nodes, policy: placementPolicy(spec), shards: spec.shards, replicasPerShard: spec.replicasPerShard, namePrefix: o.cluster.metadata!.name! });
    if (!outcome.ok) return { kind: "blocked", reason: "Unplaceable", message: outcome.refusal.message };
    return { kind: "start-plan", plan: adoptExistingPods(outcome.plan, o) };
  }

  const serving = new Set(o.members.filter((m) => (m.status?.slotsOwned ?? 0) > 0 && m.status?.role === "PRIMARY").map((m) => m.shard));
  // A member whose engine knows fewer engines than are up has lost the cluster (a restart with a new
  // IP, a partition that healed into islands): it meets the best-connected member again.
  const up = o.members.filter((m) => m.status?.engineUp && m.ip && !m.terminating && !m.unknown);
  // A member whose engine does not see the cluster whole (cluster_state not ok) may know its peers
  // only at addresses they no longer have (every pod made again at once): it meets one again too.
  // So does one that cannot reach a live peer because it dials an address the peer no longer has (its
  // engine reports so before it flags the peer failing and answers CLUSTERDOWN), and that peer: a meet
  // teaches both the current addresses. A link down at the right address is left to the engines (a
  // meet then only adds a handshake, and meeting again and again keeps the links flapping).
  const byId = new Map(up.map((m) => [m.status!.nodeId, m]));
  const cut = up.flatMap((m) => (m.status!.unreachablePeers ?? []).flatMap(({ nodeId, host }) => { const p = byId.get(nodeId); return p && p.ip !== host ? [m, p] : []; }));
  const lonely = up.filter((m) => m.status!.clusterKnownNodes < up.length || m.status!.clusterState !== "ok" || cut.includes(m));
  if (up.length > 1 && lonely.length > 0) {
    const ok = (m: MemberView) => (m.status!.clusterState === "ok" ? 1 : 0);
    const cuts = (m: MemberView) => cut.filter((x) => x === m).length;
    const seed = [...up].sort((a, b) => ok(b) - ok(a) || cuts(a) - cuts(b) || b.status!.clusterKnownNodes - a.status!.clusterKnownNodes || a.name.localeCompare(b.name))[0];
    const members = lonely.filter((m) => m !== seed).map((m) => m.name);
    if (members.length > 0) return { kind: "meet", members, seed: seed.name };
  }
  // A standby whose link to its primary is down while that primary serves may still dial the address
  // the primary had before its pod was made again: meeting the primary at its address now re-points it.
  const cutOff = up.find((m) => m.status!.role === "REPLICA" && m.status!.replication && !m.status!.replication.linkUp && !m.status!.replication.syncInProgress);
  const itsPrimary = cutOff && up.find((x) => x.status!.nodeId === cutOff.status!.replication!.primaryNodeId && x.status!.role === "PRIMARY");
  if (cutOff && itsPrimary) return { kind: "meet", members: [cutOff.name], seed: itsPrimary.name };
  const scale = formed ? decideScale(o, spec) : undefined;
  if (scale) return scale;
  const respread = formed ? decideRespread(o, spec, stored) : undefined;
  if (respread && "kind" in respread) return respread;
  const shardsText = [...serving].sort((a, b) => a - b).map((s) => {
    const p = o.members.find((m) => m.shard === s && m.status?.role === "PRIMARY");
    return `${s}:${formatSlotRanges(p?.status?.slots ?? [])}`;
  }).join(" ");
  return { kind: "idle", message: `${serving.size} shards serve all slots (${shardsText})`, ...(respread ? { recheckInMs: respread.waitMs } : {}) };
}

export function expectedMembers(spec: ResolvedSpec, cluster: string): string[] {
  const out: string[] = [];
  for (let s = 0; s < spec.shards; s++) for (let i = 0; i <= spec.replicasPerShard; i++) out.push(memberName(cluster, s, i));
  return out;
}

/** A pod that already exists for a member (status lost, a retried bootstrap) keeps its node. */
function adoptExistingPods(plan: Plan, o: Observation): Plan {
  return {
    ...plan,
    steps: plan.steps.map((s) => {
      if (s.kind !== "place-member") return s;
      const existing = o.members.find((m) => m.name === s.member && m.pod && m.node);
      return existing && existing.node !== s.node ? { ...s, node: existing.node } : s;
    }),
  };
}

/** Shards a running scale-out adds, until a move to them is done (before, they may own no slot): not failed over. */
function joiningShards(stored: StoredPlan | undefined): Set<number> {
  if (stored?.phase !== "Running" || stored.plan.kind !== "scale-out") return new Set();
  const added = new Set(stored.plan.steps.flatMap((s) => (s.kind === "place-member" && s.role === "primary" ? [s.shard] : [])));
  for (const s of stored.plan.steps) if (s.kind === "move-slots" && s.state === "done") added.delete(s.to);
  return added;
}
