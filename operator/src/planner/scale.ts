// A change of shape of a formed cluster (docs/architecture.md#scaling): shards first, then standbys,
// one plan at a time.
// - More shards: the new shards' members placed (placement.ts), then the slot moves that balance all
//   shards (slots.ts), in waves.
// - Fewer shards: the highest shard ids go (member names stay <cluster>-<shard>-<i> with shards
//   0..n−1); their slots spread over the survivors in waves, then their members leave (standbys first).
// - More standbys per shard: each shard's new standbys placed, keeping isolation.
// - Fewer: each shard's highest-index standbys leave; a shard whose primary is one of them first
//   switches over (planned) to a member that stays.
import { plural, reason } from "./explain.ts";
import { planId } from "./identity.ts";
import { PlannerInputError } from "./input.ts";
import { memberName } from "./member-names.ts";
import { planned, type Plan, type PlanOutcome, type Reason, type Step } from "./plan.ts";
import { placeMembers, type ExistingMember, type MemberRequest, type PlacementPolicy } from "./placement.ts";
import { planSlotScale, type ShardSlots } from "./slots.ts";
import type { TopologyNode } from "./topology.ts";

export interface ScaleInput {
  /** Member names are `<namePrefix>-<shard>-<i>`. */
  namePrefix: string;
  nodes: readonly TopologyNode[];
  policy: PlacementPolicy;
  /** Every member of the cluster now, with its node and role. */
  members: readonly ExistingMember[];
  /** What each shard's primary owns now. */
  ownership: readonly ShardSlots[];
  shards: number;
  replicasPerShard: number;
  maxConcurrent: number;
}

/** The shape the members have: shards 0..shards−1, members 0..replicas of each. */
export function shapeOf(members: readonly ExistingMember[], prefix: string): { shards: number; replicas: number } {
  let shards = 0;
  let replicas = 0;
  for (const m of members) {
    shards = Math.max(shards, m.shard + 1);
    const index = Number(m.name.slice(`${prefix}-${m.shard}-`.length));
    if (Number.isInteger(index)) replicas = Math.max(replicas, index);
  }
  return { shards, replicas };
}

export function planScale(input: ScaleInput): PlanOutcome<Plan> {
  const now = shapeOf(input.members, input.namePrefix);
  if (input.shards !== now.shards) return input.shards > now.shards ? scaleOutShards(input, now) : scaleInShards(input, now);
  if (input.replicasPerShard !== now.replicas) return input.replicasPerShard > now.replicas ? addStandbys(input, now) : removeStandbys(input, now);
  return { ok: false, refusal: { id: planId("rebalance", { shards: input.shards }), kind: "rebalance", code: "NothingToDo", message: "the cluster has the asked shape", reasons: [] } };
}

function scaleOutShards(input: ScaleInput, now: { shards: number; replicas: number }): PlanOutcome<Plan> {
  const requests: MemberRequest[] = [];
  for (let shard = now.shards; shard < input.shards; shard++) {
    for (let i = 0; i <= now.replicas; i++) requests.push({ name: memberName(input.namePrefix, shard, i), shard, role: i === 0 ? "primary" : "standby" });
  }
  const placed = placeMembers({ nodes: input.nodes, policy: input.policy, members: input.members, requests }, "scale-out");
  if (!placed.ok) return placed;
  const slots = planSlotScale({ current: input.ownership, targetShards: input.shards, maxConcurrent: input.maxConcurrent });
  const steps: Step[] = [...placed.plan.steps, ...slots.plan.steps];
  const reasons = [reason("ShardsChanged", `scale out ${now.shards} → ${input.shards} shards: ${plural(requests.length, "new member")}, then ${plural(slots.movedSlots, "slot")} move in ${plural(slots.waves, "wave")}`), ...placed.plan.reasons, ...slots.plan.reasons];
  return { ok: true, plan: assemble("scale-out", input, steps, reasons) };
}

function scaleInShards(input: ScaleInput, now: { shards: number; replicas: number }): PlanOutcome<Plan> {
  const remove = Array.from({ length: now.shards - input.shards }, (_, i) => input.shards + i);
  const slots = planSlotScale({ current: input.ownership, targetShards: input.shards, remove, maxConcurrent: input.maxConcurrent });
  const leaving = input.members.filter((m) => m.shard >= input.shards)
    .sort((a, b) => (a.role === b.role ? a.name.localeCompare(b.name) : a.role === "standby" ? -1 : 1));
  const steps: Step[] = [...slots.plan.steps, ...leaving.map((m): Step => ({ kind: "remove-member", member: m.name, shard: m.shard }))];
  const reasons = [reason("ShardsChanged", `scale in ${now.shards} → ${input.shards} shards: shards ${remove.join(", ")} hand ${plural(slots.movedSlots, "slot")} to the others in ${plural(slots.waves, "wave")}, then ${plural(leaving.length, "member")} leave`), ...slots.plan.reasons];
  return { ok: true, plan: assemble("scale-in", input, steps, reasons) };
}

function addStandbys(input: ScaleInput, now: { shards: number; replicas: number }): PlanOutcome<Plan> {
  const requests: MemberRequest[] = [];
  for (let shard = 0; shard < now.shards; shard++) {
    for (let i = now.replicas + 1; i <= input.replicasPerShard; i++) requests.push({ name: memberName(input.namePrefix, shard, i), shard, role: "standby" });
  }
  const placed = placeMembers({ nodes: input.nodes, policy: input.policy, members: input.members, requests }, "scale-out");
  if (!placed.ok) return placed;
  const reasons = [reason("ShardsChanged", `${now.replicas} → ${input.replicasPerShard} standbys per shard: ${plural(requests.length, "new standby")}`), ...placed.plan.reasons];
  return { ok: true, plan: assemble("scale-out", input, placed.plan.steps, reasons) };
}

function removeStandbys(input: ScaleInput, now: { shards: number; replicas: number }): PlanOutcome<Plan> {
  if (input.replicasPerShard < 0) throw new PlannerInputError("spec.replicasPerShard", `must be ≥ 0, got ${input.replicasPerShard}`);
  const steps: Step[] = [];
  const reasons: Reason[] = [reason("ShardsChanged", `${now.replicas} → ${input.replicasPerShard} standbys per shard`)];
  for (let shard = 0; shard < now.shards; shard++) {
    const leaving = input.members.filter((m) => m.shard === shard && indexOf(m, input.namePrefix) > input.replicasPerShard);
    const primary = leaving.find((m) => m.role === "primary");
    if (primary) {
      const stays = input.members.find((m) => m.shard === shard && indexOf(m, input.namePrefix) <= input.replicasPerShard)!;
      steps.push({ kind: "switchover", shard, from: primary.name, to: stays.name });
      reasons.push(reason("PrimarySpread", `shard ${shard}: ${primary.name} is primary and leaves, so ${stays.name} takes over first (planned switchover)`));
    }
    for (const m of leaving) steps.push({ kind: "remove-member", member: m.name, shard });
  }
  return { ok: true, plan: assemble("scale-in", input, steps, reasons) };
}

const indexOf = (m: ExistingMember, prefix: string) => Number(m.name.slice(`${prefix}-${m.shard}-`.length));

function assemble(kind: "scale-out" | "scale-in", input: ScaleInput, steps: Step[], reasons: Reason[]): Plan {
  const id = planId(kind, {
    members: [...input.members].sort((a, b) => a.name.localeCompare(b.name)), ownership: input.ownership.map((o) => ({ shard: o.shard, slots: o.slots })),
    shards: input.shards, replicas: input.replicasPerShard, maxConcurrent: input.maxConcurrent,
  });
  return { id, kind, steps: steps.map((s) => planned(s)), reasons, target: { shards: input.shards, replicasPerShard: input.replicasPerShard } };
}
