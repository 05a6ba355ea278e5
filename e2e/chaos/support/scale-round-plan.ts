// A chaos:scale round as a pure function of its seed (docs/operations.md#scaling): which way the
// cluster scales, to how many shards, which fault, and where in the plan it strikes. Replaying a seed
// gives the same round.

export const FAULT_KINDS = ["kill-operator-leader", "kill-source-engine", "kill-target-sidecar", "partition-source", "partition-target"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface RoundPlan {
  seed: number;
  from: number;
  to: number;
  fault: FaultKind;
  /** The fault strikes once this many move-slots steps are done and one is running (mid-move). */
  afterMovesDone: number;
  /** … and this much later. */
  delayMs: number;
  /** How long a partition lasts before it heals. */
  partitionMs: number;
  /** The mixed client's seed. */
  clientSeed: number;
}

/** A small, fast PRNG (mulberry32): the same seed gives the same numbers on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of round `i` of a run started with `seed`. */
export const roundSeed = (seed: number, i: number): number => (Math.imul(seed >>> 0, 2654435761) + i * 40503 + 1) >>> 0;

/**
 * The round for `seed` from a cluster of `from` shards, staying within [min, max]: out or in (forced at
 * the bounds), by 1 or 2 shards, a fault of `kinds` (all by default).
 */
export function planRound(seed: number, from: number, bounds: { min: number; max: number }, kinds: readonly FaultKind[] = FAULT_KINDS): RoundPlan {
  const r = rng(seed);
  const out = from <= bounds.min ? true : from >= bounds.max ? false : r() < 0.5;
  const room = out ? bounds.max - from : from - bounds.min;
  const by = Math.max(1, Math.min(room, 1 + Math.floor(r() * 2)));
  const fault = kinds[Math.floor(r() * kinds.length)];
  return {
    seed, from, to: out ? from + by : from - by, fault,
    afterMovesDone: Math.floor(r() * 3),
    delayMs: Math.floor(r() * 1500),
    partitionMs: 2000 + Math.floor(r() * 10_000),
    clientSeed: 1 + Math.floor(r() * 1e9),
  };
}
