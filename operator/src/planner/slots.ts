// Slot plans over the engine's 16384 hash slots (DESIGN §6; seed 000's ClusterManager migration plan).
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

import { planId, plural } from "./explain.ts";
import { PlannerInputError } from "./topology.ts";
import { groupIntoWaves, wavesLowerBound } from "./waves.ts";
import { compactSlots, countSlots, formatSlotRanges, isSlotRange, parseSlotRanges as parseRanges, SLOT_COUNT, SlotRangeError, type SlotRange } from "../../../common/slots.ts";

export { compactSlots, countSlots, formatSlotRanges, SLOT_COUNT, type SlotRange };

export interface ShardSlots {
  shard: number;
  /** Ranges, or their text form "0-5460,5462". */
  slots: readonly SlotRange[] | string;
}

export interface SlotMove {
  slots: SlotRange[];
  count: number;
  from: number;
  to: number;
}

export interface ShardTarget {
  shard: number;
  owned: number;
  target: number;
}

export interface SlotPlan {
  id: string;
  kind: "scale-out" | "scale-in" | "rebalance";
  shardsBefore: number;
  shardsAfter: number;
  added: number[];
  removed: number[];
  targets: ShardTarget[];
  moves: SlotMove[];
  /** moves grouped so no shard's primary takes part in more than maxConcurrent streams per wave */
  waves: SlotMove[][];
  movedSlots: number;
  /** Σ max(0, owned − target): no balanced end state moves fewer slots */
  lowerBound: number;
  /** max − min slots per shard after the plan */
  imbalance: number;
  reasons: string[];
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
    if (err instanceof SlotRangeError) throw new PlannerInputError(err.message);
    throw err;
  }
}

/** Balanced contiguous ranges: shard i of n gets ⌊16384/n⌋ slots, the first 16384 mod n one more. */
export function bootstrapSlots(shards: number): { shard: number; slots: SlotRange[] }[] {
  if (!Number.isInteger(shards) || shards < 1 || shards > SLOT_COUNT) {
    throw new PlannerInputError(`spec.shards must be an integer between 1 and ${SLOT_COUNT}, got ${shards}`);
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
export function ownershipTable(current: readonly ShardSlots[]): Int32Array {
  const owner = new Int32Array(SLOT_COUNT).fill(-1);
  const seen = new Set<number>();
  for (const entry of current) {
    if (!Number.isInteger(entry.shard) || entry.shard < 0) throw new PlannerInputError(`shard id must be an integer ≥ 0, got ${entry.shard}`);
    if (seen.has(entry.shard)) throw new PlannerInputError(`shard ${entry.shard} is listed twice in the current slot ownership`);
    seen.add(entry.shard);
    const field = `shard ${entry.shard} slots`;
    const ranges = typeof entry.slots === "string" ? parseSlotRanges(entry.slots, field) : entry.slots;
    for (const r of ranges) {
      if (!isSlotRange(r)) throw new PlannerInputError(`${field}: ${r.start}-${r.end} is not a slot range within 0-${SLOT_COUNT - 1} with start ≤ end`);
      for (let s = r.start; s <= r.end; s++) {
        if (owner[s] >= 0 && owner[s] !== entry.shard) throw new PlannerInputError(`slot ${s} is owned by both shard ${owner[s]} and shard ${entry.shard}; every slot must have exactly one owner — fix the cluster before planning`);
        if (owner[s] === entry.shard) throw new PlannerInputError(`${field} list slot ${s} twice`);
        owner[s] = entry.shard;
      }
    }
  }
  const unowned: number[] = [];
  for (let s = 0; s < SLOT_COUNT; s++) if (owner[s] < 0) unowned.push(s);
  if (unowned.length > 0) {
    throw new PlannerInputError(`slots ${formatSlotRanges(compactSlots(unowned)).slice(0, 200)} are owned by no shard; assign them (bootstrap or fix the cluster) before planning a scale`);
  }
  return owner;
}

/** Ownership after the moves, as compact ranges per shard (shards owning nothing are omitted). */
export function applyMoves(current: readonly ShardSlots[], moves: readonly SlotMove[]): { shard: number; slots: SlotRange[] }[] {
  const owner = ownershipTable(current);
  for (const move of moves) {
    for (const r of move.slots) {
      for (let s = r.start; s <= r.end; s++) {
        if (owner[s] !== move.from) throw new PlannerInputError(`move ${formatSlotRanges(move.slots)} ${move.from}→${move.to}: slot ${s} is owned by shard ${owner[s]}, not ${move.from}`);
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

export function planSlotScale(input: SlotScaleInput): SlotPlan {
  const { targetShards, maxConcurrent } = input;
  if (!Number.isInteger(targetShards) || targetShards < 1 || targetShards > SLOT_COUNT) {
    throw new PlannerInputError(`spec.shards must be an integer between 1 and ${SLOT_COUNT}, got ${targetShards}`);
  }
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
  const moves: SlotMove[] = [];
  let r = 0;
  for (const donor of giving) {
    let offset = 0;
    while (offset < donor.slots.length) {
      const receiver = receiving[r];
      const take = Math.min(receiver.need, donor.slots.length - offset);
      const slots = compactSlots(donor.slots.slice(offset, offset + take));
      moves.push({ slots, count: take, from: donor.from, to: receiver.to });
      offset += take;
      receiver.need -= take;
      if (receiver.need === 0) r++;
    }
  }
  const movedSlots = moves.reduce((sum, m) => sum + m.count, 0);
  const lowerBound = targets.reduce((sum, t) => sum + Math.max(0, t.owned - t.target), 0);
  const finalCounts = survivors.map((id) => target.get(id)!);
  const imbalance = Math.max(...finalCounts) - Math.min(...finalCounts);
  const waves = groupIntoWaves(moves, maxConcurrent);
  const kind = targetShards > before ? "scale-out" : targetShards < before ? "scale-in" : "rebalance";

  const reasons = [
    `${kind} ${before} → ${targetShards} shards: ${plural(movedSlots, "slot")} move in ${plural(moves.length, "move")} (the minimum for a balanced end state is ${lowerBound}), ` +
      `grouped in ${plural(waves.length, "wave")} with at most ${maxConcurrent} streams per engine (no grouping needs fewer than ${wavesLowerBound(moves, maxConcurrent)})`,
    `each shard ends with ${base}${extra > 0 ? ` or ${base + 1}` : ""} slots (imbalance ${imbalance})`,
  ];
  if (added.length > 0) reasons.push(`new shards ${added.join(", ")} take slots from ${plural(giving.length, "shard")} over target`);
  if (removed.length > 0) {
    reasons.push(input.remove
      ? `removing shards ${removed.join(", ")} as requested; their slots spread over ${plural(receiving.length, "surviving shard")}`
      : `removing shards ${removed.join(", ")}: they own the fewest slots (ties: highest id), so the fewest slots move; their slots spread over ${plural(receiving.length, "surviving shard")}`);
  }
  for (const m of moves) reasons.push(`move ${plural(m.count, "slot")} ${formatSlotRanges(m.slots)} from shard ${m.from} to shard ${m.to}`);

  const id = planId(kind, { current: targets.map((t) => ({ shard: t.shard, slots: formatSlotRanges(compactSlots(slotsOf.get(t.shard) ?? [])) })), targetShards, remove: input.remove, maxConcurrent });
  return { id, kind, shardsBefore: before, shardsAfter: targetShards, added, removed, targets, moves, waves, movedSlots, lowerBound, imbalance, reasons };
}

function chooseRemovals(ids: readonly number[], owned: (id: number) => number, count: number, requested?: readonly number[]): number[] {
  if (requested !== undefined) {
    const expected = Math.max(0, count);
    const unique = new Set(requested);
    if (unique.size !== requested.length) throw new PlannerInputError(`remove lists a shard twice: ${requested.join(", ")}`);
    for (const id of requested) if (!ids.includes(id)) throw new PlannerInputError(`remove names shard ${id}, which does not exist (shards: ${ids.join(", ")})`);
    if (requested.length !== expected) throw new PlannerInputError(`remove names ${requested.length} shards but scaling ${ids.length} → ${ids.length - count} removes ${expected}`);
    return [...requested].sort((a, b) => a - b);
  }
  if (count <= 0) return [];
  return [...ids].sort((a, b) => owned(a) - owned(b) || b - a).slice(0, count).sort((a, b) => a - b);
}
