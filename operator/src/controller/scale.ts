// Scaling (pure; docs/operations.md#scaling): when spec.shards or spec.replicasPerShard differs from
// the shape the members have, or the slots are not balanced over the shards, the plan that gets there
// (planner/scale.ts, planner/slots.ts) — but only from a whole cluster that serves every slot, and a
// scale-in only when the surviving primaries have room for the data.
import { placementPolicy } from "../api/planner-inputs.ts";
import type { ResolvedSpec } from "../api/types.ts";
import type { Action } from "../model/actions.ts";
import { servingPrimary } from "../model/members.ts";
import type { MemberView, Observation } from "../model/observation.ts";
import { parseMemberName, planScale, planSlotScale, SLOT_COUNT, type ExistingMember, type ShardSlots } from "../planner/index.ts";

/** Annotation that pauses a running scale plan after its moves in flight; removing it resumes. */
export const PAUSE_MIGRATION_ANNOTATION = "mdbcluster.io/pause-migration";

export const migrationPaused = (o: Observation) => o.cluster.metadata?.annotations?.[PAUSE_MIGRATION_ANNOTATION] === "true";

/** The shape the members have (their pods and the members status still lists), not what the spec asks. */
export function clusterShape(o: Observation): { shards: number; replicas: number } {
  const cluster = o.cluster.metadata!.name!;
  const known = [...o.members.filter((m) => m.pod).map((m) => ({ shard: m.shard, index: m.index })),
    ...(o.cluster.status?.members ?? []).flatMap((e) => parseMemberName(cluster, e.name ?? "") ?? [])];
  return { shards: Math.max(0, ...known.map((m) => m.shard + 1)), replicas: Math.max(0, ...known.map((m) => m.index)) };
}

/** Serving its role now: a primary, or a standby in sync with its link up; fresh report. */
export function servesItsRole(m: MemberView): boolean {
  const s = m.status;
  if (!m.pod || m.terminating || m.unknown || !s?.engineUp) return false;
  if (s.role === "PRIMARY") return s.state === "ACTIVE" || s.state === "ONLINE" || s.state === "MIGRATING";
  return s.role === "REPLICA" && s.state === "STANDBY" && s.replication?.linkUp === true && !s.replication.syncInProgress;
}

const GiB = 1024 ** 3;
const gib = (bytes: number) => `${(bytes / GiB).toFixed(2)} GiB`;

/** The scale (or rebalance) plan the spec asks for now, a refusal, or undefined when the shape is right and balanced. */
export function decideScale(o: Observation, spec: ResolvedSpec): Action | undefined {
  const now = clusterShape(o);
  const cluster = o.cluster.metadata!.name!;
  const wantsShape = now.shards !== spec.shards || now.replicas !== spec.replicasPerShard;
  const primaries = Array.from({ length: now.shards }, (_, shard) => servingPrimary(o.members, shard));
  const ownership: ShardSlots[] = primaries.map((p, shard) => ({ shard, slots: p?.status?.slots ?? [] }));
  const served = primaries.reduce((n, p) => n + (p?.status?.slotsOwned ?? 0), 0);
  const counts = primaries.map((p) => p?.status?.slotsOwned ?? 0);
  const balanced = Math.max(...counts) - Math.min(...counts) <= 1;
  // Unserved slots with the right shape are recovery's business, not a rebalance.
  if (!wantsShape && (balanced || served !== SLOT_COUNT)) return undefined;

  const what = wantsShape ? `scaling to ${spec.shards} shards × ${spec.replicasPerShard + 1} members (now ${now.shards} × ${now.replicas + 1})` : "rebalancing the slots";
  const waiting = o.members.filter((m) => m.pod && !servesItsRole(m));
  if (served !== SLOT_COUNT || waiting.length > 0) {
    const why = served !== SLOT_COUNT ? `${SLOT_COUNT - served} slots are not served` : `${waiting.map((m) => `${m.name} (${m.status?.state ?? "no report"})`).join(", ")} do not serve their role`;
    return { kind: "blocked", reason: "ScalingWaits", message: `${what} waits for a whole cluster: ${why}; it starts by itself once every member serves` };
  }
  if (spec.shards < now.shards) {
    const used = primaries.reduce((n, p) => n + (p?.status?.memoryUsedBytes ?? 0), 0);
    const room = primaries.slice(0, spec.shards).reduce((n, p) => n + (p?.status?.memoryMaxBytes ?? 0), 0);
    if (room > 0 && used > 0.9 * room) {
      return {
        kind: "blocked", reason: "ScaleInRefused",
        message: `spec.shards ${spec.shards}: the data (${gib(used)}) does not fit in 90 % of the ${spec.shards} surviving primaries' memory (${gib(room)}); raise spec.engine.maxMemory or keep spec.shards at ${now.shards} or more`,
      };
    }
  }
  const members: ExistingMember[] = o.members.filter((m) => m.pod).map((m) => ({ name: m.name, shard: m.shard, node: m.node, role: m.status?.role === "PRIMARY" ? "primary" : "standby" }));
  if (!wantsShape) {
    const slots = planSlotScale({ current: ownership, targetShards: now.shards, maxConcurrent: spec.migration.maxConcurrent });
    return slots.plan.steps.length > 0 ? { kind: "start-plan", plan: slots.plan } : undefined;
  }
  const outcome = planScale({
    namePrefix: cluster, nodes: o.nodes, policy: placementPolicy(spec), members, ownership,
    shards: spec.shards, replicasPerShard: spec.replicasPerShard, maxConcurrent: spec.migration.maxConcurrent,
  });
  if (!outcome.ok) {
    if (outcome.refusal.code === "NothingToDo") return undefined;
    return { kind: "blocked", reason: "Unplaceable", message: `${what}: ${outcome.refusal.message}` };
  }
  return { kind: "start-plan", plan: outcome.plan };
}
