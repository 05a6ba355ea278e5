// Slot plans over the engine's 16384 hash slots (docs/architecture.md#slots-and-migration; seed 000's ClusterManager migration plan).
//
// Scale N → M (or rebalance at N = M) from ANY current ownership, contiguous or not:
// - scale-in removes, unless told which, the shards that own the fewest slots (ties: the highest
//   shard id), because every slot of a removed shard must move;
// - scale-out adds the smallest unused shard ids;
// - targets: ⌊16384/M⌋ each, and the 16384 mod M extra slots go to the survivors that own the most
//   now (ties: lowest id), which makes Σ max(0, owned − target) as small as a balanced end state allows;
// - each donor gives exactly owned − target slots (a removed shard gives all, a kept shard gives its
//   highest slots so what it keeps stays contiguous where it was), and donors' slots fill the
//   receivers' deficits in id order. Moved slots = Σ max(0, owned − target); final imbalance ≤ 1.

import { plural, reason } from "./explain.ts";
import { planId } from "./identity.ts";
import { PlannerInputError, requireArray, requireIndex } from "./input.ts";
import { planned, type MoveSlotsStep, type Plan, type Reason } from "./plan.ts";
import { assignWaves, wavesLowerBound } from "./waves.ts";
import { compactSlots, countSlots, formatSlotRanges, isSlotRange, parseSlotRanges as parseRanges, SLOT_COUNT, SlotRangeError, type SlotRange } from "../../../common/slots.ts";

export { compactSlots, countSlots, formatSlotRanges, SLOT_COUNT, type SlotRange };

export interface ShardSlots {
  shard: number;
  /** Ranges, or their text form "0-5460,5462". */
  slots: readonly SlotRange[] | string;
}

export interface ShardTarget {
  shard: number;
  owned: number;
  target: number;
}

/** A slot plan and the numbers that show it is minimal (result of planSlotScale). */
export interface SlotScalePlan {
  /** Kind scale-out | scale-in | rebalance; one move-slots step per (donor, receiver), each with its wave. No steps: nothing moves. */
  plan: Plan<MoveSlotsStep>;
  shardsBefore: number;
  shardsAfter: number;
  added: number[];
  removed: number[];
  targets: ShardTarget[];
  movedSlots: number;
  /** Σ max(0, owned − target): no balanced end state moves fewer slots */
  lowerBound: number;
  /** max − min slots per shard after the plan */
  imbalance: number;
  /** Waves used; no engine takes part in more than maxConcurrent streams per wave. */
  waves: number;
  /** ⌈most moves of one engine / maxConcurrent⌉: no grouping uses fewer waves (waves equals it). */
  wavesLowerBound: number;
}

export interface SlotScaleInput {
  current: readonly ShardSlots[];
  targetShards: number;
  /** Shards to remove on scale-in; default: the least loaded (ties: highest id). */
  remove?: readonly number[];
  maxConcurrent: number;
}

/** Parse "0-5460,5462" from planner input; a bad text is a PlannerInputError naming `field`. */
export function parseSlotRanges(text: string, field = "slots"): SlotRange[] {
  try {
    return parseRanges(text, field);
  } catch (err) {
    if (err instanceof SlotRangeError) throw new PlannerInputError(err.field, err.message.slice(err.field.length + 2));
    throw err;
  }
}

/** Balanced contiguous ranges: shard i of n gets ⌊16384/n⌋ slots, the first 16384 mod n one more. */
export function bootstrapSlots(shards: number): { shard: number; slots: SlotRange[] }[] {
  if (!Number.isInteger(shards) || shards < 1 || shards > SLOT_COUNT) {
    throw new PlannerInputError("spec.shards", `must be an integer between 1 and ${SLOT_COUNT}, got ${shards}`);
  }
  const base = Math.floor(SLOT_COUNT / shards);
  const extra = SLOT_COUNT % shards;
  const result: { shard: number; slots: SlotRange[] }[] = [];
  let next = 0;
  for (let shard = 0; shard < shards; shard++) {
    const size = base + (shard < extra ? 1 : 0);
    result.push({ shard, slots: [{ start: next, end: next + size - 1 }] });
    next += size;
  }
  return result;
}

/** owner[slot] = shard id; refuses double-owned and unowned slots, naming them. */
export function ownershipTable(current: readonly ShardSlots[], field = "current"): Int32Array {
  const owner = new Int32Array(SLOT_COUNT).fill(-1);
  const seen = new Set<number>();
  requireArray(current, field).forEach((entry, i) => {
    const shard = requireIndex(entry?.shard, `${field}[${i}].shard`, "a shard index (an integer ≥ 0)");
    if (seen.has(shard)) throw new PlannerInputError(`${field}[${i}].shard`, `shard ${shard} is listed twice in the current slot ownership`);
    seen.add(shard);
    const at = `${field}[${i}].slots`;
    const ranges = typeof entry.slots === "string" ? parseSlotRanges(entry.slots, at) : requireArray(entry.slots, at);
    for (const r of ranges) {
      if (r === null || typeof r !== "object" || !isSlotRange(r)) throw new PlannerInputError(at, `${JSON.stringify(r)} is not a slot range within 0-${SLOT_COUNT - 1} with start ≤ end`);
      for (let s = r.start; s <= r.end; s++) {
        if (owner[s] >= 0 && owner[s] !== shard) throw new PlannerInputError(at, `slot ${s} is owned by both shard ${owner[s]} and shard ${shard}; every slot must have exactly one owner — fix the cluster before planning`);
        if (owner[s] === shard) throw new PlannerInputError(at, `shard ${shard} lists slot ${s} twice`);
        owner[s] = shard;
      }
    }
  });
  const unowned: number[] = [];
  for (let s = 0; s < SLOT_COUNT; s++) if (owner[s] < 0) unowned.push(s);
  if (unowned.length > 0) {
    throw new PlannerInputError(field, `slots ${formatSlotRanges(compactSlots(unowned)).slice(0, 200)} are owned by no shard; assign them (bootstrap or fix the cluster) before planning a scale`);
  }
  return owner;
}

/** Ownership after the moves, as compact ranges per shard (shards owning nothing are omitted). */
export function applyMoves(current: readonly ShardSlots[], moves: readonly Pick<MoveSlotsStep, "slots" | "from" | "to">[]): { shard: number; slots: SlotRange[] }[] {
  const owner = ownershipTable(current);
  for (const move of moves) {
    for (const r of move.slots) {
      for (let s = r.start; s <= r.end; s++) {
        if (owner[s] !== move.from) throw new PlannerInputError("moves", `move ${formatSlotRanges(move.slots)} ${move.from}→${move.to}: slot ${s} is owned by shard ${owner[s]}, not ${move.from}`);
        owner[s] = move.to;
      }
    }
  }
  const byShard = new Map<number, number[]>();
  for (let s = 0; s < SLOT_COUNT; s++) {
    const list = byShard.get(owner[s]);
    if (list) list.push(s);
    else byShard.set(owner[s], [s]);
  }
  return [...byShard.entries()].sort(([a], [b]) => a - b).map(([shard, slots]) => ({ shard, slots: compactSlots(slots) }));
}

export function planSlotScale(input: SlotScaleInput): SlotScalePlan {
  const { targetShards, maxConcurrent } = input;
  if (!Number.isInteger(targetShards) || targetShards < 1 || targetShards > SLOT_COUNT) {
    throw new PlannerInputError("spec.shards", `must be an integer between 1 and ${SLOT_COUNT}, got ${targetShards}`);
  }
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new PlannerInputError("spec.migration.maxConcurrent", `must be an integer ≥ 1, got ${maxConcurrent}`);
  const owner = ownershipTable(input.current);
  const ids = input.current.map((c) => c.shard).sort((a, b) => a - b);
  const slotsOf = new Map<number, number[]>(ids.map((id) => [id, []]));
  for (let s = 0; s < SLOT_COUNT; s++) slotsOf.get(owner[s])!.push(s);
  const owned = (id: number) => slotsOf.get(id)?.length ?? 0;

  const before = ids.length;
  const removed = chooseRemovals(ids, owned, before - targetShards, input.remove);
  const removedSet = new Set(removed);
  const added: number[] = [];
  const existing = new Set(ids);
  for (let id = 0; added.length < targetShards - before; id++) if (!existing.has(id)) added.push(id);
  const survivors = [...ids.filter((id) => !removedSet.has(id)), ...added];

  const base = Math.floor(SLOT_COUNT / targetShards);
  const extra = SLOT_COUNT % targetShards;
  const byLoad = [...survivors].sort((a, b) => owned(b) - owned(a) || a - b);
  const target = new Map<number, number>();
  byLoad.forEach((id, i) => target.set(id, base + (i < extra ? 1 : 0)));
  for (const id of removed) target.set(id, 0);

  const targets: ShardTarget[] = [...ids, ...added].sort((a, b) => a - b).map((shard) => ({ shard, owned: owned(shard), target: target.get(shard)! }));

  // Donors hand over their surplus (highest slots first for kept shards); receivers fill in id order.
  const giving: { from: number; slots: number[] }[] = [];
  for (const t of targets) {
    if (t.owned > t.target) giving.push({ from: t.shard, slots: slotsOf.get(t.shard)!.slice(t.target) });
  }
  const receiving = targets.filter((t) => t.target > t.owned).map((t) => ({ to: t.shard, need: t.target - t.owned }));
  const moves: (Omit<MoveSlotsStep, "wave"> & { count: number })[] = [];
  let r = 0;
  for (const donor of giving) {
    let offset = 0;
    while (offset < donor.slots.length) {
      const receiver = receiving[r];
      const take = Math.min(receiver.need, donor.slots.length - offset);
      const slots = compactSlots(donor.slots.slice(offset, offset + take));
      moves.push({ kind: "move-slots", slots, count: take, from: donor.from, to: receiver.to });
      offset += take;
      receiver.need -= take;
      if (receiver.need === 0) r++;
    }
  }
  const movedSlots = moves.reduce((sum, m) => sum + m.count, 0);
  const lowerBound = targets.reduce((sum, t) => sum + Math.max(0, t.owned - t.target), 0);
  const finalCounts = survivors.map((id) => target.get(id)!);
  const imbalance = Math.max(...finalCounts) - Math.min(...finalCounts);
  const wave = assignWaves(moves, maxConcurrent);
  const waves = moves.length === 0 ? 0 : Math.max(...wave) + 1;
  const bound = wavesLowerBound(moves, maxConcurrent);
  const kind = targetShards > before ? "scale-out" : targetShards < before ? "scale-in" : "rebalance";

  const reasons: Reason[] = [
    reason("ShardsChanged", `${kind} ${before} → ${targetShards} shards: ${plural(movedSlots, "slot")} move in ${plural(moves.length, "move")} (the minimum for a balanced end state is ${lowerBound})`),
    reason("Waves", `${plural(waves, "wave")} with at most ${maxConcurrent} streams per engine; no grouping needs fewer than ${bound}`),
    reason("Imbalanced", `each shard ends with ${base}${extra > 0 ? ` or ${base + 1}` : ""} slots (imbalance ${imbalance})`),
  ];
  if (added.length > 0) reasons.push(reason("ShardsChanged", `new shards ${added.join(", ")} take slots from ${plural(giving.length, "shard")} over target`));
  if (removed.length > 0) {
    reasons.push(reason("ShardsChanged", input.remove
      ? `removing shards ${removed.join(", ")} as requested; their slots spread over ${plural(receiving.length, "surviving shard")}`
      : `removing shards ${removed.join(", ")}: they own the fewest slots (ties: highest id), so the fewest slots move; their slots spread over ${plural(receiving.length, "surviving shard")}`));
  }
  moves.forEach((m, i) => reasons.push(reason("SlotsOwned", `wave ${wave[i]}: move ${plural(m.count, "slot")} ${formatSlotRanges(m.slots)} from shard ${m.from} to shard ${m.to}`)));

  // Sorted by wave, then as planned: the executor runs a wave's steps together.
  const steps = moves.map((m, i) => planned<MoveSlotsStep>({ kind: "move-slots", slots: m.slots, from: m.from, to: m.to, wave: wave[i] }))
    .sort((a, b) => a.wave - b.wave);
  const id = planId(kind, {
    current: targets.map((t) => ({ shard: t.shard, slots: formatSlotRanges(compactSlots(slotsOf.get(t.shard) ?? [])) })),
    targetShards, remove: input.remove === undefined ? undefined : [...input.remove].sort((a, b) => a - b), maxConcurrent,
  });
  return {
    plan: { id, kind, steps, reasons }, shardsBefore: before, shardsAfter: targetShards, added, removed, targets,
    movedSlots, lowerBound, imbalance, waves, wavesLowerBound: bound,
  };
}

function chooseRemovals(ids: readonly number[], owned: (id: number) => number, count: number, requested?: readonly number[]): number[] {
  if (requested !== undefined) {
    const expected = Math.max(0, count);
    const unique = new Set(requested);
    requireArray(requested, "remove");
    if (unique.size !== requested.length) throw new PlannerInputError("remove", `lists a shard twice: ${requested.join(", ")}`);
    for (const id of requested) if (!ids.includes(id)) throw new PlannerInputError("remove", `names shard ${id}, which does not exist (shards: ${ids.join(", ")})`);
    if (requested.length !== expected) throw new PlannerInputError("remove", `names ${requested.length} shards but scaling ${ids.length} → ${ids.length - count} removes ${expected}`);
    return [...requested].sort((a, b) => a - b);
  }
  if (count <= 0) return [];
  return [...ids].sort((a, b) => owned(a) - owned(b) || b - a).slice(0, count).sort((a, b) => a - b);
}
