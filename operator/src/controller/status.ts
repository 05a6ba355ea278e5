// The status this reconcile writes (pure): observedGeneration, phase, conditions shaped like
// metav1.Condition (lastTransitionTime moves only when the status flips), members, shards and the
// plan. The reconciler writes it once, and not at all when it equals what is stored.
import { compactSlots, countDistinctSlots, countSlots, formatSlotRanges, parseSlotRanges, rangesToSlots } from "../../../common/slots.ts";
import { clusterEngineSummary } from "../../../common/engine-image.ts";
import { caProblem } from "./tls.ts";
import { certManagerProblem } from "./tls-cert-manager.ts";
import { memberCount, type Condition, type ConditionType, type MdbClusterStatus, type MemberStatusEntry, type Phase, type ShardDetail } from "../api/types.ts";
import { parseMemberName, planProgress, type Plan } from "../planner/index.ts";
import type { Action } from "../model/actions.ts";
import { toObservedCluster } from "../model/members.ts";
import { isResolved, REPORT_STALE_MS, type MemberView, type Observation } from "../model/observation.ts";
import { stepToStatus, type StoredPlan } from "../model/stored-plan.ts";
import { authSecretName, clientCaSecretName, clientServiceName, ENGINE_PORT, memberSelector } from "../resources/names.ts";

export interface StatusInput {
  observation: Observation;
  action: Action;
  /** The plan after this reconcile (started, advanced or finished), if any. */
  plan?: StoredPlan;
  /** Why the last action failed, when it did. */
  error?: string;
  topologyKeys: { zone: string; rack: string };
}

const roleName = (r: string | undefined) => (r === "PRIMARY" ? "primary" : r === "REPLICA" ? "standby" : "");

/**
 * A member serves its role when its sidecar says so in a fresh report (docs/operations.md#member-health).
 * The pod's Ready condition is a copy of the same judgement that arrives later and, with the node cut
 * off, never changes: the report is what counts.
 */
export const serving = (m: MemberView): boolean => !m.terminating && !m.unknown && m.status?.ready === true;

function memberState(m: MemberView): string {
  if (m.terminating) return "Terminating";
  if (m.unknown && (m.reportAgeMs ?? 0) > REPORT_STALE_MS) return "Unknown";
  return m.status?.state ?? "Pending";
}

function memberEntries(o: Observation, keys: StatusInput["topologyKeys"], wanted: { shards: number; replicas: number }): MemberStatusEntry[] {
  const previous = new Map((o.cluster.status?.members ?? []).map((e) => [e.name ?? "", e]));
  const present = o.members.filter((m) => m.pod).map((m) => {
    const labels = o.nodeLabels.get(m.node) ?? {};
    return {
      name: m.name,
      shard: m.shard,
      node: m.node,
      ...(labels[keys.zone] ? { zone: labels[keys.zone] } : {}),
      ...(labels[keys.rack] ? { rack: labels[keys.rack] } : {}),
      state: memberState(m),
      role: roleName(m.status?.role),
      // The last engine id known stays until a new one is reported: a lost member's engine is forgotten by it.
      engineNodeId: m.status?.nodeId || previous.get(m.name)?.engineNodeId || "",
      ip: m.ip,
      ready: serving(m),
    };
  });
  // A member whose pod is gone stays listed as Lost (with its last engine id) until it is back, unless
  // the spec no longer has it (a scale-in removed it).
  const names = new Set(present.map((e) => e.name));
  const cluster = o.cluster.metadata!.name!;
  const stillWanted = (name: string) => { const p = parseMemberName(cluster, name); return p !== undefined && p.shard < wanted.shards && p.index <= wanted.replicas; };
  const lost = [...previous.values()]
    .filter((e) => !names.has(e.name ?? "") && stillWanted(e.name ?? ""))
    .map((e) => ({ ...e, state: "Lost", ip: "", ready: false }));
  return [...present, ...lost].sort((a, b) => (a.shard ?? 0) - (b.shard ?? 0) || (a.name ?? "").localeCompare(b.name ?? ""));
}

function shardDetails(o: Observation): ShardDetail[] {
  const shards = [...new Set(o.members.map((m) => m.shard))].sort((a, b) => a - b);
  return shards.map((index) => {
    const inShard = o.members.filter((m) => m.shard === index && m.pod);
    const primary = inShard.find((m) => m.status?.role === "PRIMARY" && (m.status.slotsOwned > 0 || inShard.every((x) => x.status?.role !== "PRIMARY" || x === m)));
    const slots = primary?.status ? formatSlotRanges(compactSlots(rangesToSlots(primary.status.slots))) : "";
    return { index, slots, primary: primary?.name ?? "", standbys: inShard.filter((m) => m.status?.role === "REPLICA").map((m) => m.name) };
  });
}

function condition(type: ConditionType, ok: boolean, reason: string, message: string, generation: number, previous: Condition[] | undefined, nowIso: string): Condition {
  const status = ok ? "True" : "False";
  const prior = previous?.find((c) => c.type === type);
  const lastTransitionTime = prior && prior.status === status ? prior.lastTransitionTime : nowIso;
  return { type, status, observedGeneration: generation, lastTransitionTime, reason, message };
}

function planSummary(plan: Plan, o: Observation, total: number): { summary: string; progress: NonNullable<NonNullable<MdbClusterStatus["plan"]>["progress"]> } {
  const p = planProgress(plan, toObservedCluster(o.members, plan, total));
  const slotsPart = p.slotsTotal > 0 ? `, slots ${p.slotsDone}/${p.slotsTotal}` : "";
  const keysMoved = plan.steps.reduce((n, s) => n + (s.keysMoved ?? 0), 0);
  const bytesMoved = plan.steps.reduce((n, s) => n + (s.bytesMoved ?? 0), 0);
  return {
    summary: `${plan.kind} ${p.stepsDone}/${p.stepsTotal} steps${slotsPart}`,
    progress: { stepsDone: p.stepsDone, stepsTotal: p.stepsTotal, slotsDone: p.slotsDone, slotsTotal: p.slotsTotal, keysMoved, bytesMoved },
  };
}

/** status.engine: the engines the members report (docs/engines.md#what-the-sidecar-reports). */
function engineOf(o: Observation): { engine?: string } {
  const engine = clusterEngineSummary(o.members.filter((m) => m.pod && !m.terminating).map((m) => m.status?.engine));
  return engine ? { engine } : {};
}

/**
 * Members whose sidecar went silent, and whether their engine still serves (a standby replicates
 * from it): such a primary is not failed over, a person looks at its sidecar.
 */
function silentNotes(o: Observation): string[] {
  const lastId = new Map((o.cluster.status?.members ?? []).map((e) => [e.name, e.engineNodeId ?? ""]));
  return o.members.filter((m) => m.pod && !m.terminating && m.unknown && m.reported && m.sidecarError).map((m) => {
    const id = lastId.get(m.name);
    const follower = id ? o.members.find((x) => x.status?.replication?.linkUp && x.status.replication.primaryNodeId === id) : undefined;
    return `${m.name}: ${m.sidecarError}${follower ? `; its engine still serves: ${follower.name} replicates from it, so it is not failed over; see kubectl logs -n ${m.pod!.metadata?.namespace} ${m.name} -c sidecar` : ""}`;
  });
}

const STUCK_POD = /^(CrashLoopBackOff|ImagePullBackOff|ErrImagePull|CreateContainerConfigError|CreateContainerError|InvalidImageName)\b/;

export function computeStatus(input: StatusInput): MdbClusterStatus {
  const { observation: o, action } = input;
  const previous = o.cluster.status;
  const generation = o.cluster.metadata?.generation ?? 0;
  const nowIso = new Date(o.nowMs).toISOString();
  const spec = isResolved(o.spec) ? o.spec : undefined;
  const wanted = spec ? memberCount(spec) : o.members.length;
  const members = memberEntries(o, input.topologyKeys, spec ? { shards: spec.shards, replicas: spec.replicasPerShard } : { shards: Number.MAX_SAFE_INTEGER, replicas: Number.MAX_SAFE_INTEGER });
  const readyMembers = members.filter((m) => m.ready).length;
  const details = shardDetails(o);
  const servingShards = details.filter((d) => d.slots !== "").length;
  const owned = o.members.filter((m) => m.status?.role === "PRIMARY" && serving(m)).map((m) => m.status?.slots ?? []);
  // Each slot once: mid-move the source and the target may both report one (16425 of 16384 flipped Available).
  const slotsServed = countDistinctSlots(owned.flat());
  // Outside a move, two primaries claiming a slot disagree (e.g. one back from its volume after a
  // failover) until their epochs settle it; clients bounce between them meanwhile.
  const doubleClaimed = owned.reduce((n, r) => n + countSlots(r), 0) - slotsServed;
  const moving = input.plan?.phase === "Running" && input.plan.plan.steps.some((st) => st.kind === "move-slots" && st.state !== "done");
  // Every engine must see the whole slot map too: one that does not yet answers clients CLUSTERDOWN.
  // A member that serves no role yet (a replacement joining, one gone Unknown) answers no client with
  // data; Ready below still waits for it.
  const servesARole = (m: MemberView) => ["ACTIVE", "STANDBY", "MIGRATING"].includes(m.status?.state ?? "");
  const live = o.members.filter((m) => m.pod && !m.terminating && !m.unknown && m.status?.engineUp && servesARole(m));
  // And every such engine must reach every other: after a restart with new addresses an engine still
  // dials a peer's old one until it learns the new, and answers CLUSTERDOWN when it then flags it failing.
  const liveIds = new Map(live.map((m) => [m.status!.nodeId, m.name]));
  const cut = live.flatMap((m) => (m.status!.unreachablePeers ?? []).filter((p) => liveIds.has(p.nodeId)).map((p) => `${m.name} cannot reach ${liveIds.get(p.nodeId)} (at ${p.host})`));
  const allAgree = live.every((m) => m.status?.clusterState === "ok") && cut.length === 0;
  const available = slotsServed === 16384 && allAgree && (doubleClaimed === 0 || moving);
  const running = input.plan?.phase === "Running";
  const recovering = running && (input.plan!.plan.kind === "failover" || input.plan!.plan.kind === "replace");

  let phase: Phase;
  if (o.cluster.metadata?.deletionTimestamp) phase = "Deleting";
  // A spec that cannot be carried out: a new cluster waits for it (Pending); one that serves keeps serving, Degraded.
  else if (action.kind === "blocked" && (action.reason === "SpecInvalid" || action.reason === "Unplaceable" || action.reason === "SecretMissing")) phase = servingShards > 0 ? "Degraded" : "Pending";
  else if (running && input.plan?.plan.kind === "bootstrap") phase = o.members.some((m) => m.pod) ? (o.members.every((m) => !m.pod || m.status) ? "Bootstrapping" : "Creating") : "Creating";
  else if (recovering) phase = "Degraded";
  // A planned switchover moves one role within a whole cluster: the phase stays what availability says.
  else if (running && input.plan!.plan.kind !== "switchover") phase = "Scaling";
  // A failed plan whose cluster recovered anyway (a later plan, the engines) is history, not the phase.
  else if (input.plan?.phase === "Failed" && !(available && readyMembers === wanted)) phase = "Failed";
  else if (available && readyMembers === wanted) phase = "Ready";
  // A new cluster whose bootstrap plan is done but whose members are not all serving yet is still
  // bootstrapping, not degraded: it has never been Ready.
  else if (input.plan?.plan.kind === "bootstrap" && (previous?.phase === undefined || previous.phase === "Creating" || previous.phase === "Bootstrapping" || previous.phase === "Pending")) phase = "Bootstrapping";
  else if (available || servingShards > 0) phase = "Degraded";
  else phase = "Creating";

  const blocked = action.kind === "blocked" ? action : undefined;
  const starting = phase === "Creating" || phase === "Bootstrapping";
  // A CA that cannot be used degrades the cluster even while nothing needs issuing: the next renewal will.
  // With cert-manager: an issuer or a Certificate that keeps the members from their certificates.
  const issuerRef = spec?.tls.issuerRef;
  const badCa = issuerRef ? undefined : caProblem(o.tls, o.cluster.metadata!.name!, o.nowMs);
  const certificates = issuerRef ? certManagerProblem(o, issuerRef) : badCa ? { reason: "CaSecretInvalid", message: badCa } : undefined;
  // Pods the kubelet cannot keep running (a crash loop, an image it cannot pull): the operator waits on them, a person acts.
  const stuck = o.members.filter((m) => m.pod && !m.terminating && STUCK_POD.test(m.podProblem ?? "")).map((m) => `${m.name}: ${m.podProblem}`);
  const degradedReason = blocked?.reason ?? (input.error ? "ReconcileError" : recovering ? (input.plan!.plan.kind === "failover" ? "PrimaryLost" : "MemberLost")
    // Not in the pass that starts a plan: the spec just asked for members the plan is about to make.
    : certificates ? certificates.reason : readyMembers < wanted && !running && !starting && servingShards > 0 && action.kind !== "start-plan" ? "MembersNotReady"
    // Also while a cluster forms or scales: its plan waits on these pods for good.
    : stuck.length > 0 ? "MemberFailing" : "");
  const degradedMessage = blocked?.message ?? input.error ?? (recovering
    ? `${input.plan!.plan.reasons.map((r) => r.message).join("; ")} (plan ${input.plan!.plan.id}; ${stuck.length ? `waiting on ${stuck.join("; ")}` : "the operator acts, nothing to do"})`
    : certificates?.message ?? (degradedReason === "MembersNotReady" ? [`${readyMembers} of ${wanted} members are ready`, ...stuck, ...silentNotes(o)].join("; ")
      : degradedReason === "MemberFailing" ? stuck.join("; ") : ""));
  const conditions: Condition[] = [
    condition("Available", available, available ? "AllSlotsServed" : running && input.plan!.plan.kind === "bootstrap" ? "Bootstrapping" : "SlotsNotServed",
      available ? `all 16384 slots are served by ready primaries (${servingShards} shards)`
        : slotsServed === 16384 && allAgree ? `every slot is served, but ${doubleClaimed} are claimed by two primaries; the engines settle it by epoch`
        : slotsServed === 16384 && cut.length > 0 ? `every slot is served, but not every engine reaches the others yet: ${cut.slice(0, 3).join(", ")}${cut.length > 3 ? ` and ${cut.length - 3} more` : ""} (engines learn each other's new addresses after a restart; a link that stays down is a network problem between those pods)`
        : slotsServed === 16384 ? "every slot is served, but not every engine sees the whole slot map yet (cluster_state not ok)"
        : `${slotsServed} of 16384 slots are served by ready primaries`, generation, previous?.conditions, nowIso),
    condition("Progressing", running, action.kind === "pause-moves" ? "MigrationPaused" : running ? planReason(input.plan!.plan.kind) : "Idle",
      action.kind === "pause-moves" ? action.message : running ? `plan ${input.plan!.plan.id} (${input.plan!.plan.kind}) is running` : action.kind === "idle" ? action.message : "no plan is running", generation, previous?.conditions, nowIso),
    condition("Degraded", degradedReason !== "", degradedReason || "AsExpected", degradedMessage || "every member is where it should be", generation, previous?.conditions, nowIso),
  ];

  const name = o.cluster.metadata!.name!;
  const status: MdbClusterStatus = {
    observedGeneration: generation,
    phase,
    shards: servingShards,
    selector: memberSelector(name),
    ready: `${readyMembers}/${wanted}`,
    readyMembers,
    endpoint: `${clientServiceName(name)}.${o.cluster.metadata!.namespace}.svc:${ENGINE_PORT}`,
    ...engineOf(o),
    secretName: authSecretName(o.cluster),
    ...(spec?.tls.enabled ? { tls: { caSecretName: clientCaSecretName(name) } } : {}),
    conditions,
    members,
    shardDetails: details,
  };
  if (input.plan) {
    const { summary, progress } = planSummary(input.plan.plan, o, wanted);
    status.plan = {
      id: input.plan.plan.id,
      kind: input.plan.plan.kind,
      phase: input.plan.phase,
      summary: input.plan.phase === "Running" ? summary : "",
      ...(input.plan.startedAt ? { startedAt: input.plan.startedAt } : {}),
      ...(input.plan.finishedAt ? { finishedAt: input.plan.finishedAt } : {}),
      reasons: input.plan.plan.reasons.map((r) => r.message),
      steps: input.plan.plan.steps.map(stepToStatus),
      progress,
      ...(input.plan.plan.target ? { target: input.plan.plan.target } : {}),
    };
    // The Migration column: how much of a running plan's slot moves are done.
    const moves = input.plan.plan.steps.some((s) => s.kind === "move-slots");
    if (moves && input.plan.phase === "Running" && progress.slotsTotal) status.migration = `${Math.floor((100 * (progress.slotsDone ?? 0)) / progress.slotsTotal)}%`;
  }
  return status;
}

const PLAN_REASONS: Record<string, string> = {
  bootstrap: "Bootstrapping", "scale-out": "ScalingOut", "scale-in": "ScalingIn", rebalance: "Rebalancing",
  drain: "Draining", replace: "Replacing", failover: "FailingOver", switchover: "SwitchingOver",
};

function planReason(kind: string): string {
  return PLAN_REASONS[kind] ?? "PlanRunning";
}

/** Equal statuses produce no write. */
export function statusEqual(a: MdbClusterStatus | undefined, b: MdbClusterStatus): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.keys(v as object).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => [k, normalize((v as Record<string, unknown>)[k])]));
  }
  return v;
}

export interface StatusEvent { type: "Normal" | "Warning"; reason: string; message: string }

/** What changed between two statuses that a user should read in `kubectl describe` (pure). */
export function statusEvents(before: MdbClusterStatus | undefined, after: MdbClusterStatus): StatusEvent[] {
  const events: StatusEvent[] = [];
  if (after.plan?.id && (before?.plan?.id !== after.plan.id || before?.plan?.phase !== after.plan.phase)) {
    const p = after.plan;
    if (p.phase === "Running") events.push({ type: "Normal", reason: "PlanStarted", message: `${p.kind} plan ${p.id}: ${p.steps?.length ?? 0} steps` });
    // A formed cluster bootstrapped again lost its data (every member gone with persistence off).
    if (p.phase === "Running" && p.kind === "bootstrap" && before?.plan?.id) events.push({ type: "Warning", reason: "DataLost", message: p.reasons?.[0] ?? "the cluster was formed again, empty" });
    if (p.phase === "Succeeded") events.push({ type: "Normal", reason: "PlanSucceeded", message: `${p.kind} plan ${p.id} finished` });
    if (p.phase === "Superseded") events.push({ type: "Normal", reason: "PlanSuperseded", message: `${p.kind} plan ${p.id} ended after its moves in flight: the spec asks for another shape` });
    if (p.phase === "Failed") events.push({ type: "Warning", reason: "PlanFailed", message: `${p.kind} plan ${p.id}: ${p.steps?.find((s) => s.state === "failed")?.message ?? "a step failed"}` });
  }
  if (after.plan?.id && before?.plan?.id === after.plan.id) events.push(...waveEvents(before.plan.steps ?? [], after.plan.steps ?? []));
  for (const c of after.conditions ?? []) {
    const prior = before?.conditions?.find((x) => x.type === c.type);
    if (prior && prior.status === c.status && prior.reason === c.reason) continue;
    if (!prior && c.status === "False" && c.type !== "Available") continue;
    const warning = (c.type === "Degraded" && c.status === "True") || (c.type === "Available" && c.status === "False" && prior?.status === "True");
    events.push({ type: warning ? "Warning" : "Normal", reason: c.reason, message: `${c.type}=${c.status}: ${c.message}` });
  }
  return events;
}

type StepStatus = NonNullable<NonNullable<MdbClusterStatus["plan"]>["steps"]>[number];

/** A Normal Event for each wave of slot moves that finished between two statuses of one plan. */
function waveEvents(before: readonly StepStatus[], after: readonly StepStatus[]): StatusEvent[] {
  const waves = (steps: readonly StepStatus[]) => {
    const byWave = new Map<number, StepStatus[]>();
    for (const s of steps) if (s.kind === "move-slots") byWave.set(s.shard ?? 0, [...(byWave.get(s.shard ?? 0) ?? []), s]);
    return byWave;
  };
  const was = waves(before);
  const now = waves(after);
  const events: StatusEvent[] = [];
  for (const [wave, steps] of now) {
    const done = (list: readonly StepStatus[] | undefined) => (list ?? []).length > 0 && list!.every((s) => s.state === "done");
    if (!done(steps) || done(was.get(wave))) continue;
    const slots = steps.reduce((n, s) => n + countSlots(parseSlotRanges(s.slots ?? "")), 0);
    events.push({ type: "Normal", reason: "WaveDone", message: `wave ${wave + 1} of ${now.size} done: ${slots} slots moved in ${steps.length} moves` });
  }
  return events;
}
