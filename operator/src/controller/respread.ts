// Primary re-spread (pure; docs/operations.md#primaries-move-back-after-a-failover): a failover puts a
// shard's primary wherever its best standby was, so after recovery two primaries may share a zone.
// Once the cluster is whole again and has been quiet for RESPREAD_SETTLE_MS, a `switchover` plan of
// planned (GRACEFUL) switchovers, one shard at a time, puts the primaries where the planner spreads
// them; the engine's manual failover waits until the standby has every write, so none is lost.
import { placementPolicy } from "../api/planner-inputs.ts";
import type { ResolvedSpec } from "../api/types.ts";
import type { Action } from "../model/actions.ts";
import type { MemberView, Observation } from "../model/observation.ts";
import type { StoredPlan } from "../model/stored-plan.ts";
import { memberName, planPrimaries, type ExistingMember } from "../planner/index.ts";
import { RETRY_MS } from "./recovery.ts";

/** How long a formed cluster stays whole and quiet (after its last plan, and since Available and Degraded last flipped) before primaries move back. */
export const RESPREAD_SETTLE_MS = 10_000;

/** Serving its role now: a primary owning slots, or a standby in sync with its link up; fresh report. */
function whole(m: MemberView | undefined): boolean {
  const s = m?.status;
  if (!m?.pod || m.terminating || m.unknown || !s?.engineUp) return false;
  if (s.role === "PRIMARY") return s.state === "ACTIVE" && s.slotsOwned > 0;
  return s.role === "REPLICA" && s.state === "STANDBY" && s.replication?.linkUp === true && !s.replication.syncInProgress;
}

/**
 * A planned switchover plan when the primaries are not where the planner spreads them; `waitMs` while
 * the cluster has not been quiet long enough to tell (the reconciler looks again then); else undefined.
 */
export function decideRespread(o: Observation, spec: ResolvedSpec, last: StoredPlan | undefined): Action | { waitMs: number } | undefined {
  if (!spec.failover.enabled || !last || last.phase === "Running" || !last.finishedAt) return undefined;
  // Quiet also means no disturbance without a plan of ours (the engines' own failover in a partition,
  // a member gone Unknown): Available and Degraded must have held their good values that long too.
  const conditions = o.cluster.status?.conditions ?? [];
  const available = conditions.find((c) => c.type === "Available");
  const degraded = conditions.find((c) => c.type === "Degraded");
  if (available?.status === "False" || degraded?.status === "True") return { waitMs: RESPREAD_SETTLE_MS };
  const calmSince = Math.max(...[available, degraded].map((c) => Date.parse(c?.lastTransitionTime ?? "")).filter(Number.isFinite), Number.NEGATIVE_INFINITY);
  const left = Math.max(Date.parse(last.finishedAt) + (last.phase === "Failed" ? RETRY_MS : RESPREAD_SETTLE_MS), calmSince + RESPREAD_SETTLE_MS) - o.nowMs;
  if (left > 0) return { waitMs: left };
  const cluster = o.cluster.metadata!.name!;
  const members: ExistingMember[] = [];
  for (let shard = 0; shard < spec.shards; shard++) {
    let primaries = 0;
    for (let i = 0; i <= spec.replicasPerShard; i++) {
      const m = o.members.find((x) => x.name === memberName(cluster, shard, i));
      if (!whole(m)) return undefined;
      const role = m!.status!.role === "PRIMARY" ? "primary" : "standby";
      if (role === "primary") primaries++;
      members.push({ name: m!.name, shard, node: m!.node, role });
    }
    if (primaries !== 1) return undefined;
  }
  const { plan } = planPrimaries({ nodes: o.nodes, topologyKeys: placementPolicy(spec).topologyKeys, members });
  if (plan.steps.length === 0) return undefined;
  return { kind: "start-plan", plan };
}
