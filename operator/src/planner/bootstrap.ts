// Bootstrap of a new cluster: place every member at once (placement.ts: exact, best spread), then
// choose each shard's primary for the best primary spread (primaries.ts), then give each shard a
// balanced contiguous slot range. Steps: every primary's pod, then every standby's, then one
// assign-slots per shard (CLUSTER ADDSLOTS once the members have joined).

import { plural, reason } from "./explain.ts";
import { canonicalNodes, canonicalTolerations, planId } from "./identity.ts";
import { memberName } from "./member-names.ts";
import { PlannerInputError, requireIndex, requireName } from "./input.ts";
import { planned, type AssignSlotsStep, type PlaceMemberStep, type Plan, type PlanOutcome } from "./plan.ts";
import { solvePlacement, type MemberRequest, type PlacementPolicy } from "./placement.ts";
import { choosePrimaries } from "./primaries.ts";
import { bootstrapSlots, formatSlotRanges, SLOT_COUNT } from "./slots.ts";
import type { TopologyNode } from "./topology.ts";

export interface BootstrapInput {
  nodes: readonly TopologyNode[];
  policy: PlacementPolicy;
  shards: number;
  replicasPerShard: number;
  /** Member names are `<namePrefix>-<shard>-<i>`; i = 0 is the shard's primary. */
  namePrefix: string;
}

export type BootstrapPlan = Plan<PlaceMemberStep | AssignSlotsStep>;

export function planBootstrap(input: BootstrapInput): PlanOutcome<BootstrapPlan> {
  const shards = requireIndex(input.shards, "spec.shards", `an integer between 1 and ${SLOT_COUNT}`);
  if (shards < 1 || shards > SLOT_COUNT) throw new PlannerInputError("spec.shards", `must be an integer between 1 and ${SLOT_COUNT}, got ${shards}`);
  const replicas = requireIndex(input.replicasPerShard, "spec.replicasPerShard");
  const prefix = requireName(input.namePrefix, "namePrefix");
  // Names are provisional until the primary is known: members of a shard are interchangeable here.
  const requests: MemberRequest[] = [];
  for (let shard = 0; shard < shards; shard++) for (let i = 0; i <= replicas; i++) requests.push({ name: memberName(prefix, shard, i), shard, role: "standby" });
  const placement = solvePlacement({ nodes: input.nodes, policy: input.policy, members: [], requests });
  const id = planId("bootstrap", {
    nodes: canonicalNodes(input.nodes), policy: { ...input.policy, tolerations: canonicalTolerations(input.policy.tolerations) }, shards, replicas, prefix,
  });
  if (!placement.ok) return { ok: false, refusal: { id, kind: "bootstrap", ...placement.failure, reasons: placement.reasons } };

  const placed = placement.placements.map((p) => ({ name: p.member, shard: p.shard, node: p.node, role: "standby" as const }));
  const primaries = choosePrimaries({ nodes: input.nodes, topologyKeys: input.policy.topologyKeys, members: placed }, placement.domains);
  const primaryNode = new Map(primaries.primaries.map((p) => [p.shard, p.node]));
  const byShard = new Map<number, string[]>();
  for (const p of placement.placements) byShard.set(p.shard, [...(byShard.get(p.shard) ?? []), p.node]);
  const first: PlaceMemberStep[] = [];
  const rest: PlaceMemberStep[] = [];
  for (let shard = 0; shard < shards; shard++) {
    const primary = primaryNode.get(shard)!;
    first.push({ kind: "place-member", member: memberName(prefix, shard, 0), shard, role: "primary", node: primary });
    const standbys = byShard.get(shard)!.filter((n) => n !== primary);
    standbys.forEach((node, i) => rest.push({ kind: "place-member", member: memberName(prefix, shard, i + 1), shard, role: "standby", node }));
  }
  const slots = bootstrapSlots(shards);
  const assign: AssignSlotsStep[] = slots.map((s) => ({ kind: "assign-slots", shard: s.shard, slots: s.slots }));
  const reasons = [
    reason("Bootstrap", `bootstrap ${plural(shards, "shard")} × ${replicas + 1} members at isolationLevel ${input.policy.isolationLevel}`),
    ...placement.reasons,
    ...[...first, ...rest].map((s) => reason("Placement", `${s.role} ${s.member} of shard ${s.shard} → node ${s.node}`)),
    reason("PrimarySpread", `primary spread: pairs of primaries sharing a host ${primaries.after.host}, a rack ${primaries.after.rack}, a zone ${primaries.after.zone}`),
    ...slots.map((s) => reason("SlotsOwned", `shard ${s.shard} owns slots ${formatSlotRanges(s.slots)}`)),
  ];
  const steps = [...first, ...rest, ...assign].map((s) => planned<PlaceMemberStep | AssignSlotsStep>(s));
  return { ok: true, plan: { id, kind: "bootstrap", steps, reasons } };
}
