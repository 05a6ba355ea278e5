// bench:failover's arithmetic (pure): write unavailability from the writer's acknowledgement times,
// and the rows of the report.

/** One fault's outcome, for one cluster. */
export interface KillResult {
  mode: CycleKind;
  side: Side;
  /** The writer's label for the writes of this fault's cycle. */
  cycle: string;
  shard: number;
  victim: string;
  node: string;
  /** The longest gap between two acknowledged writes of the victim's shard around the fault (ms). */
  unavailableMs: number;
  /** From the fault to the first write of that shard acknowledged after the longest gap (ms). */
  faultToFirstAckMs: number;
  /** The longest such gap of the other shards in the same window (a cluster that stops serving altogether shows here). */
  otherShardsMaxGapMs: number;
  /** The primary of the shard once it serves again: the victim (restarted in place) or its standby. */
  primaryAfter: string;
  /** Writes of the victim's shard that failed (an error reply or a refused connection) in the window. */
  failedWrites: number;
  /** Acknowledged writes of the fault's cycle that did not read back once the cluster was whole again. */
  lostAcked: number;
  /** Acknowledged writes of the fault's cycle that were read back (lost or not). */
  ackedChecked: number;
  /** Set when the shard did not serve again within the bench's bound: unavailableMs is then a lower bound. */
  timedOut?: true;
  /** Ours only, from the status polled every 100 ms (ms after the fault): the victim first shown not serving, the failover plan's start and end. */
  operator?: { noticedMs?: number; planStartedMs?: number; planFinishedMs?: number };
  /** A switchover: from the Promote call that took to its answer (ms). */
  promoteMs?: number;
  /** A switchover: how long the standby was refused first for an election it won moments before (ms). */
  refusedMs?: number;
}

export const FAULT_MODES = ["engine-kill", "pod-delete", "node-stop"] as const;
export type FaultMode = (typeof FAULT_MODES)[number];
export type Side = "ours" | "native";
/** A fault, or a planned switchover (the sidecar's Promote GRACEFUL on the standby). */
export type CycleKind = FaultMode | "switchover";

export interface GapReport {
  longestMs: number;
  /** When the longest gap ended: the first acknowledgement after it (epoch ms). */
  endMs: number;
  acks: number;
}

/**
 * The longest gap between consecutive acknowledgements in [fromMs, toMs], counting the edges of the
 * window as acknowledgements only when `closed` (the writer was writing from `fromMs`, and what is left
 * at the end is still unavailable time). `ackTimes` need not be sorted.
 */
export function longestGap(ackTimes: readonly number[], fromMs: number, toMs: number, closed = true): GapReport {
  const inside = ackTimes.filter((t) => t >= fromMs && t <= toMs).sort((a, b) => a - b);
  const points = closed ? [fromMs, ...inside, toMs] : inside;
  let longestMs = 0;
  let endMs = points[0] ?? fromMs;
  for (let i = 1; i < points.length; i++) {
    const gap = points[i] - points[i - 1];
    if (gap > longestMs) {
      longestMs = gap;
      endMs = points[i];
    }
  }
  return { longestMs, endMs, acks: inside.length };
}

/** True when the acknowledgements after `sinceMs` cover the last `spanMs` before `nowMs` with no gap over `maxGapMs`. */
export function flowingSince(ackTimes: readonly number[], sinceMs: number, nowMs: number, spanMs: number, maxGapMs: number): boolean {
  const from = nowMs - spanMs;
  if (from < sinceMs) return false;
  const inside = ackTimes.filter((t) => t >= from && t <= nowMs).sort((a, b) => a - b);
  if (inside.length === 0) return false;
  const points = [from, ...inside, nowMs];
  for (let i = 1; i < points.length; i++) if (points[i] - points[i - 1] > maxGapMs) return false;
  return true;
}

/** The p-th percentile (nearest rank) of `values`; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface RowSide {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Median of fault → first acknowledgement after the longest gap. */
  faultToFirstAckP50Ms: number;
  /** Kills after which the victim was still the primary (restarted in place before any failover). */
  restartedInPlace: number;
  timedOut: number;
  lostAcked: number;
  /** Acknowledged writes read back over these faults' cycles. */
  ackedChecked: number;
  failedWrites: number;
  otherShardsMaxGapMs: number;
  /** Ours: medians over the kills of when the status showed the victim not serving and the failover plan's start and end (ms after the fault). */
  operatorP50?: { noticedMs: number | null; planStartedMs: number | null; planFinishedMs: number | null };
  samplesMs: number[];
}

const ms = (n: number) => Math.round(n);

export function summarize(results: readonly KillResult[]): RowSide {
  const u = results.map((r) => r.unavailableMs);
  return {
    count: results.length,
    p50Ms: ms(percentile(u, 50)),
    p99Ms: ms(percentile(u, 99)),
    maxMs: ms(Math.max(0, ...u)),
    faultToFirstAckP50Ms: ms(percentile(results.map((r) => r.faultToFirstAckMs), 50)),
    restartedInPlace: results.filter((r) => r.primaryAfter === r.victim).length,
    timedOut: results.filter((r) => r.timedOut).length,
    lostAcked: results.reduce((n, r) => n + r.lostAcked, 0),
    ackedChecked: results.reduce((n, r) => n + r.ackedChecked, 0),
    failedWrites: results.reduce((n, r) => n + r.failedWrites, 0),
    otherShardsMaxGapMs: ms(Math.max(0, ...results.map((r) => r.otherShardsMaxGapMs))),
    ...(results.some((r) => r.operator) ? { operatorP50: {
      noticedMs: medianOf(results.map((r) => r.operator?.noticedMs)),
      planStartedMs: medianOf(results.map((r) => r.operator?.planStartedMs)),
      planFinishedMs: medianOf(results.map((r) => r.operator?.planFinishedMs)),
    } } : {}),
    samplesMs: u.map(ms),
  };
}

function medianOf(values: readonly (number | undefined)[]): number | null {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length ? ms(percentile(known, 50)) : null;
}

export interface Row { mode: FaultMode; ours: RowSide; native: RowSide; ratioP99: number | null }

export function rowOf(mode: FaultMode, results: readonly KillResult[]): Row {
  const ours = summarize(results.filter((r) => r.mode === mode && r.side === "ours"));
  const native = summarize(results.filter((r) => r.mode === mode && r.side === "native"));
  return { mode, ours, native, ratioP99: native.p99Ms > 0 && ours.count > 0 ? Math.round((ours.p99Ms / native.p99Ms) * 1000) / 1000 : null };
}
