// Recovery (pure): a formed cluster that lost a primary or a member gets them back
// (docs/architecture.md#failure-handling). A shard whose primary is dead or gone fails over to its
// in-sync standby with the highest replication offset; a member whose pod is gone comes back under
// its own name — on its node when that node can take it (with its volume, so with its data and engine
// identity when persistence is on), else where the planner puts it — and every engine forgets the
// engine id it lost. A lost member is never read as a change of spec.shards.
import { SHUTDOWN_HANDOVER_MS } from "../../../common/member-env.ts";
import { placementPolicy } from "../api/planner-inputs.ts";
import type { ResolvedSpec } from "../api/types.ts";
import type { Action } from "../model/actions.ts";
import { promotable, servingPrimary } from "../model/members.ts";
import { REPORT_STALE_MS, type MemberView, type Observation } from "../model/observation.ts";
import type { StoredPlan } from "../model/stored-plan.ts";
import {
  memberName, planBootstrap, planId, planned, solvePlacement,
  type ForgetNodeStep, type PlannedStep, type Reason, type Step, type SwitchoverStep,
} from "../planner/index.ts";

interface Lost { name: string; shard: number; node: string; nodeId: string; wasPrimary: boolean }

/**
 * Members of the spec with no pod (or a pod that ended), or whose pod is on a node that is NotReady
 * or gone (the node controller's grace period has passed: no flap), with what the last status knew.
 */
function lostMembers(o: Observation, spec: ResolvedSpec, retry: ReadonlySet<string>): Lost[] {
  const cluster = o.cluster.metadata!.name!;
  const last = new Map((o.cluster.status?.members ?? []).map((e) => [e.name, e]));
  const out: Lost[] = [];
  for (let shard = 0; shard < spec.shards; shard++) {
    for (let i = 0; i <= spec.replicasPerShard; i++) {
      const name = memberName(cluster, shard, i);
      const view = o.members.find((m) => m.name === name && m.pod);
      if (view && !retry.has(name) && (!view.node || o.nodes.find((n) => n.name === view.node)?.ready)) continue;
      const e = last.get(name);
      out.push({ name, shard, node: e?.node ?? "", nodeId: e?.engineNodeId ?? "", wasPrimary: e?.role === "primary" });
    }
  }
  return out;
}

/**
 * How long a recovery plan may run: a failover or a planned switchover is seconds when it works at all; a replacement waits
 * for a pod to start and a full sync (docs/operations.md#a-member-pod-is-gone). Past it, the step in
 * progress ends failed with its last message, and the plan is made again after RETRY_MS.
 */
export const PLAN_DEADLINE_MS: Readonly<Record<string, number>> = { failover: 60_000, switchover: 60_000, replace: 10 * 60_000 };
export const RETRY_MS = 30_000;

/** A recovery plan past its deadline ends Failed (its step in progress says why). */
export function overdueStep(o: Observation, stored: StoredPlan): Action | undefined {
  const deadline = PLAN_DEADLINE_MS[stored.plan.kind];
  if (stored.phase !== "Running" || deadline === undefined || !stored.startedAt) return undefined;
  const ranMs = o.nowMs - Date.parse(stored.startedAt);
  if (!(ranMs > deadline)) return undefined;
  const step = stored.plan.steps.find((s) => s.state !== "done");
  return { kind: "fail-plan", message: `${step?.id ?? "the plan"} did not finish within ${deadline / 1000} s: ${step?.message ?? "no progress reported"}` };
}

/** After a failed recovery plan, the next one waits RETRY_MS, so a step that cannot succeed is not hammered. */
export function retryWait(o: Observation, stored: StoredPlan): Action | undefined {
  if (stored.phase !== "Failed" || PLAN_DEADLINE_MS[stored.plan.kind] === undefined || !stored.finishedAt) return undefined;
  const left = Date.parse(stored.finishedAt) + RETRY_MS - o.nowMs;
  if (!(left > 0)) return undefined;
  const failed = stored.plan.steps.find((s) => s.state === "failed");
  return { kind: "blocked", reason: "PlanFailed", message: `${stored.plan.kind} plan ${stored.plan.id} failed (${failed?.message ?? "a step failed"}); the operator makes a new plan in ${Math.ceil(left / 1000)} s` };
}

/** How long a member pod made again may take to report before it counts as not coming (it starts, loads its data). */
export const STARTUP_GRACE_MS = 30_000;

/**
 * A member that may still serve: its pod runs (not terminating) and, though no fresh report says
 * so, it reported within the bound (the operator just started, a stream reopens), or it never
 * reported and its pod is younger than STARTUP_GRACE_MS (it is starting).
 */
function undecided(m: MemberView, nowMs: number): boolean {
  if (!m.pod || m.terminating || !m.unknown) return false;
  if (m.reported) return (m.reportAgeMs ?? 0) <= REPORT_STALE_MS;
  const created = Date.parse(String(m.pod.metadata?.creationTimestamp ?? ""));
  return Number.isNaN(created) ? (m.reportAgeMs ?? 0) <= REPORT_STALE_MS : nowMs - created <= STARTUP_GRACE_MS;
}

const alive = (m: MemberView) => !!m.pod && !m.terminating && !m.unknown && m.status?.engineUp === true;

/** The shard's last primary runs again but holds no slot and follows no one: its data did not come back. */
const cameBackEmpty = (m: MemberView | undefined) => !!m && alive(m) && m.status!.slotsOwned === 0 && m.status!.state !== "STANDBY";

/**
 * A primary whose pod is being deleted and whose engine still answers (as the primary, or as the
 * replica it became by handing over), within SHUTDOWN_HANDOVER_MS: its
 * engine is stopping on SIGTERM, pausing writes until a standby caught up, and Valkey then hands its
 * slots over by a coordinated failover; its sidecar keeps reporting meanwhile. A FORCE promotion now
 * would lose the writes it acknowledged after the standby's last offset.
 */
function stoppingPrimary(m: MemberView, nowMs: number): boolean {
  // A replica now: it handed its slots over a moment ago and its standby's report has yet to say so.
  const handedOver = m.status?.role === "REPLICA";
  if (!m.pod || !m.terminating || m.unknown || !m.status?.engineUp || (m.status.slotsOwned === 0 && !handedOver)) return false;
  const since = Date.parse(String(m.pod.metadata?.deletionTimestamp ?? ""));
  const grace = (m.pod.metadata?.deletionGracePeriodSeconds ?? 30) * 1000;
  // deletionTimestamp is when the grace period ends.
  return Number.isNaN(since) || nowMs - (since - grace) <= SHUTDOWN_HANDOVER_MS;
}

/** Whether the running plan already fails the shard over (a planned switchover does not: it needs a serving primary). */
const handles = (plan: StoredPlan | undefined, shard: number) =>
  plan?.phase === "Running" && plan.plan.steps.some((s) => s.kind === "switchover" && s.forced === true && s.shard === shard && s.state !== "done");

/**
 * The standby still replicates from the engine it follows, and that engine's member says nothing
 * against it serving: its sidecar is silent (no report), or its stale report is from before a
 * handover (it follows this standby, which follows it: both cannot be true). That engine serves; a
 * FORCE would be refused while the link is up and could lose writes. A member that reports its engine
 * down, or whose pod is gone or going, is failed over at once (the standby's own report of the link
 * may be a tick old; the promotion looks again). Status names a silent member (MembersNotReady).
 */
function stillServes(o: Observation, standby: MemberView): boolean {
  const r = standby.status!.replication;
  if (!r?.linkUp || !r.primaryNodeId) return false;
  const lastId = new Map((o.cluster.status?.members ?? []).map((e) => [e.name, e.engineNodeId ?? ""]));
  const followed = o.members.find((m) => m !== standby && (m.status?.nodeId || lastId.get(m.name)) === r.primaryNodeId);
  if (!followed?.pod || followed.terminating) return false;
  if (followed.unknown) return true;
  return alive(followed) && followed.status!.role === "REPLICA" && followed.status!.replication?.primaryNodeId === standby.status!.nodeId;
}

/**
 * A planned switchover of the shard is handing over: its standby took over and the old primary already
 * follows it, but the new primary's own report still says replica. Each sidecar reports on its own, so
 * the reports of one handover arrive one by one; this is no lost primary. The switchover's deadline
 * (PLAN_DEADLINE_MS) bounds the wait, and a new primary that dies is no longer alive, so it ends it.
 */
function handingOver(o: Observation, plan: StoredPlan | undefined, shard: number): boolean {
  if (plan?.phase !== "Running") return false;
  const step = plan.plan.steps.find((s) => s.kind === "switchover" && !s.forced && s.shard === shard && s.state !== "done");
  const to = step?.kind === "switchover" ? o.members.find((m) => m.name === step.to) : undefined;
  if (!to || !alive(to) || !to.status!.nodeId) return false;
  return o.members.some((m) => m !== to && m.shard === shard && alive(m) && m.status!.replication?.primaryNodeId === to.status!.nodeId);
}

/**
 * What recovery needs now, or undefined when nothing is lost. `spec` has the shape the members have
 * (a scale not yet done is not a loss). `running` is the plan in progress: a shard without a primary
 * that it does not deal with preempts it (a failover waits for no replacement); `joining` shards (a
 * scale-out's, still without slots) are not failed over.
 */
export function decideRecovery(o: Observation, spec: ResolvedSpec, running: StoredPlan | undefined, joining: ReadonlySet<number> = new Set()): Action | undefined {
  const failovers: SwitchoverStep[] = [];
  const reasons: Reason[] = [];
  const orphaned: string[] = [];
  for (let shard = 0; shard < spec.shards; shard++) {
    if (joining.has(shard) || servingPrimary(o.members, shard) || handles(running, shard) || handingOver(o, running, shard)) continue;
    // A primary that owns no slot yet (a new shard of a scale-out, even after a failover elsewhere
    // replaced that plan) is alive and followed by its standbys: nothing to fail over.
    if (o.members.some((p) => p.shard === shard && alive(p) && p.status!.role === "PRIMARY"
      && o.members.some((s) => s.shard === shard && s.status?.replication?.primaryNodeId === p.status!.nodeId))) continue;
    // A member that may still be the serving primary gets its time before its shard fails over, and so
    // does a primary stopping on its pod's deletion: it hands over without losing a write.
    if (o.members.some((m) => m.shard === shard && (undecided(m, o.nowMs) || stoppingPrimary(m, o.nowMs)))) continue;
    let [best] = promotable(o.members, shard);
    const lastPrimary = (but?: string) => o.cluster.status?.shardDetails?.find((d) => d.index === shard)?.primary
      || o.cluster.status?.members?.find((e) => e.shard === shard && e.role === "primary" && e.name !== but)?.name || "";
    let last = lastPrimary(best?.name);
    // No standby was in sync: each restarted and has not reached the primary since. The primary is
    // waited for (it comes back with its data and they follow it) unless it came back without it.
    const stale = !best && cameBackEmpty(o.members.find((m) => m.name === last));
    if (stale) {
      [best] = promotable(o.members, shard, { stale: true });
      last = lastPrimary(best?.name);
    }
    if (!best) {
      if (o.members.some((m) => m.shard === shard && m.pod && !m.terminating)) continue; // a member is still coming back
      orphaned.push(`shard ${shard}`);
      continue;
    }
    if (!stale && stillServes(o, best)) continue;
    if (!spec.failover.enabled) continue;
    failovers.push({ kind: "switchover", shard, from: last, to: best.name, forced: true, ...(stale ? { stale: true as const } : {}) });
    reasons.push({
      code: "PrimaryLost",
      message: stale
        ? `shard ${shard} has no primary serving its slots and ${last} came back without its data: ${best.name} on ${best.node} takes over with the data it had when it restarted (writes acknowledged after that are lost)`
        : `shard ${shard} has no primary serving its slots (${last || "none"} is down or gone): ${best.name} on ${best.node}, the in-sync standby with the highest replication offset, takes over`,
    });
  }
  if (failovers.length > 0) return startPlan("failover", failovers, reasons, o.nowMs);
  // A failover whose every target is gone (the whole shard went at once) gives way to the replacement.
  const moot = running?.plan.kind === "failover" && running.plan.steps.every((s) => s.state === "done" || (s.kind === "switchover" && !o.members.some((m) => m.name === s.to && m.pod && !m.terminating)));
  if (running?.phase === "Running" && !moot) return undefined;

  // A member a failed replacement could not bring up (its pod never started, its sync never ended) is
  // placed again, on another node than the one it is stuck on.
  const stuck = new Set(running?.phase === "Failed" && running.plan.kind === "replace"
    ? running.plan.steps.filter((s) => s.kind === "place-member" && s.state !== "done").map((s) => (s.kind === "place-member" ? s.member : ""))
      .filter((name) => !o.members.some((m) => m.name === name && (m.status?.state === "STANDBY" || m.status?.state === "ACTIVE") && !m.unknown))
    : []);
  const lost = lostMembers(o, spec, stuck);
  if (lost.length === 0) return undefined;
  const steps: Step[] = [];
  const taken = new Set<string>();
  for (const m of lost) {
    const primary = servingPrimary(o.members, m.shard);
    if (!primary && !spec.persistence.enabled) continue; // nothing to copy from: reported below
    const stuckOn = stuck.has(m.name) ? o.members.find((x) => x.name === m.name)?.node : undefined;
    const node = nodeFor(o, spec, m, stuckOn ? new Set([...taken, stuckOn]) : taken, lost.map((x) => x.name), stuckOn);
    if (typeof node !== "string") return node;
    taken.add(node);
    // With no primary serving its shard, a member that keeps its volume comes back in the role it had,
    // with its data (its engine re-reads its node table and data from the volume); one placed on
    // another node comes back empty, so only ever as a standby.
    const keepsData = spec.persistence.enabled && node === m.node;
    steps.push({ kind: "place-member", member: m.name, shard: m.shard, node, role: !primary && m.wasPrimary && keepsData ? "primary" : "standby" });
    reasons.push({ code: "MemberLost", message: `${m.name}'s pod is gone: it comes back on node ${node}${node === m.node ? " (its own)" : ` (its node ${m.node || "?"} cannot take it)`}` });
  }
  for (const m of lost) {
    const identityKept = spec.persistence.enabled && steps.some((s) => s.kind === "place-member" && s.member === m.name && s.node === m.node);
    if (m.nodeId && !identityKept) steps.push({ kind: "forget-node", member: m.name, shard: m.shard, nodeId: m.nodeId } satisfies ForgetNodeStep);
  }
  const unrecoverable = lost.filter((m) => !steps.some((s) => s.kind === "place-member" && s.member === m.name));
  if (unrecoverable.length === lost.length && !o.members.some((m) => m.pod && !m.terminating)) return rebuild(o, spec);
  if (steps.length === 0 || unrecoverable.length === lost.length) {
    const names = unrecoverable.map((m) => m.name).join(", ");
    return {
      kind: "blocked", reason: "ShardLost",
      message: `${names}: no member of ${orphaned.join(", ") || "the shard"} serves and persistence is off, so no copy of its data is left; restore it from a backup, or delete and recreate the cluster`,
    };
  }
  return startPlan("replace", steps, reasons, o.nowMs);
}

/**
 * The member's own node when it can take the pod again (however many members of this plan go back to
 * it: it held them all), unless the member is stuck there; else the planner's choice among the nodes
 * this plan does not use yet.
 */
function nodeFor(o: Observation, spec: ResolvedSpec, m: Lost, taken: ReadonlySet<string>, lostNames: readonly string[], stuckOn?: string): string | Action {
  const own = o.nodes.find((n) => n.name === m.node && n.name !== stuckOn);
  if (own && own.ready && !own.unschedulable && own.storeState === "enabled") return own.name;
  const existing = o.members.filter((x) => x.pod && !x.terminating && !lostNames.includes(x.name)).map((x) => ({
    name: x.name, shard: x.shard, node: x.node, role: x.status?.role === "PRIMARY" ? "primary" as const : "standby" as const,
  }));
  const placement = solvePlacement({
    nodes: o.nodes.filter((n) => !taken.has(n.name)), policy: placementPolicy(spec), members: existing,
    requests: [{ name: m.name, shard: m.shard, role: "standby" }],
  });
  if (!placement.ok) {
    return { kind: "blocked", reason: "Unplaceable", message: `${m.name} is lost with node ${m.node || "?"} and cannot be placed again: ${placement.failure.message}` };
  }
  return placement.placements[0].node;
}

/**
 * Every member is gone and persistence is off: no copy of any data is left. The cluster is formed
 * again, empty, under the same names, and says so (docs/operations.md#a-member-pod-is-gone).
 */
function rebuild(o: Observation, spec: ResolvedSpec): Action {
  const outcome = planBootstrap({ nodes: o.nodes, policy: placementPolicy(spec), shards: spec.shards, replicasPerShard: spec.replicasPerShard, namePrefix: o.cluster.metadata!.name! });
  if (!outcome.ok) return { kind: "blocked", reason: "Unplaceable", message: `every member is lost and the cluster cannot be formed again: ${outcome.refusal.message}` };
  const lost: Reason = { code: "DataLost", message: "every member was lost with persistence off, so no copy of the data is left: the cluster is formed again, empty" };
  return { kind: "start-plan", plan: { ...outcome.plan, reasons: [lost, ...outcome.plan.reasons] } };
}

function startPlan(kind: "failover" | "replace", steps: Step[], reasons: Reason[], nowMs: number): Action {
  const plannedSteps: PlannedStep[] = steps.map((s) => planned(s));
  // A recovery answers one event: the same steps again later are another plan, with an id of its own.
  return { kind: "start-plan", plan: { id: planId(kind, { steps: steps as unknown as Record<string, unknown>[], at: nowMs }), kind, steps: plannedSteps, reasons } };
}
