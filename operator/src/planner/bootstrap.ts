// Bootstrap of a new cluster: place every member (all intended primaries first, so they spread
// before standbys fill in), then choose each shard's primary for the best primary spread (which may
// differ from member 0 when shards share their domains), then give each shard a balanced contiguous
// slot range.

import { planId, plural } from "./explain.ts";
import { planPrimaries } from "./primaries.ts";
import { bootstrapRequests, placeMembers, type Placement, type PlacementFailure, type PlacementPolicy } from "./placement.ts";
import { bootstrapSlots, formatSlotRanges, type SlotRange } from "./slots.ts";
import type { TopologyNode } from "./topology.ts";

export interface BootstrapInput {
  nodes: readonly TopologyNode[];
  policy: PlacementPolicy;
  shards: number;
  replicasPerShard: number;
  /** Member names are `<namePrefix>-<shard>-<i>`; i = 0 is the intended primary. */
  namePrefix: string;
}

export type BootstrapPlan =
  | { ok: true; id: string; kind: "bootstrap"; placements: Placement[]; slots: { shard: number; slots: SlotRange[] }[]; reasons: string[] }
  | { ok: false; id: string; kind: "bootstrap"; failure: PlacementFailure; reasons: string[] };

export function planBootstrap(input: BootstrapInput): BootstrapPlan {
  const id = planId("bootstrap", input);
  const requests = bootstrapRequests(input.shards, input.replicasPerShard, input.namePrefix);
  const slots = bootstrapSlots(input.shards);
  const placement = placeMembers({ nodes: input.nodes, policy: input.policy, members: [], requests });
  if (!placement.ok) return { ok: false, id, kind: "bootstrap", failure: placement.failure, reasons: placement.reasons };
  const members = placement.placements.map((p) => ({ name: p.member, shard: p.shard, node: p.node, role: p.role }));
  const primaries = planPrimaries({ nodes: input.nodes, topologyKeys: input.policy.topologyKeys, members });
  const primaryOf = new Map(primaries.primaries.map((p) => [p.shard, p.member]));
  const placements = placement.placements.map((p): Placement => ({ ...p, role: primaryOf.get(p.shard) === p.member ? "primary" : "standby" }));
  const reasons = [
    `bootstrap ${plural(input.shards, "shard")} × ${input.replicasPerShard + 1} members at isolationLevel ${input.policy.isolationLevel}`,
    ...slots.map((s) => `shard ${s.shard} owns slots ${formatSlotRanges(s.slots)}`),
    ...placement.reasons,
    `primary spread after placement: pairs of primaries sharing a host ${primaries.after.host}, a rack ${primaries.after.rack}, a zone ${primaries.after.zone}` +
      (primaries.switchovers.length > 0 ? ` (${plural(primaries.switchovers.length, "shard")} start with another member than member 0 as primary)` : ""),
  ];
  return { ok: true, id, kind: "bootstrap", placements, slots, reasons };
}
