// The latency guard's control law (pure: samples and time are passed in).
//
// While a move runs, the target's sidecar probes the source and the target every 10 ms (probe.ts) —
// a PING waits behind whatever the engine is doing, so its round trip is what a client feels. Every
// 100 ms the guard compares the p99 of the probes of the last 500 ms with the budget (a factor of the
// idle p99 measured just before the move, or an absolute ceiling) and sets the pace, AIMD as TCP does:
//   above the budget      → the keys/s rate is halved (never below the floor), and the sample window
//                           restarts, so one spike costs one halving, not one per decision;
//   above 80 % of budget  → hold;
//   below                 → grow: doubling until the first halving (slow start), then +10 % of the
//                           rate that halving left per decision; never beyond twice what really moved
//                           (a rate the move cannot use would take many halvings to bite).
// The other knobs follow the rate: a batch holds one 10 ms slice of it (seed 002: "spread each
// second's quota over 100 slices of 10 ms"), so the source never blocks longer than a slice's worth
// of keys, and batches in flight (parallel slot streams × window) are what Little's law needs for
// the rate given the measured batch time, with 2× headroom.
import { SLICE_MS } from "./rate.ts";
import type { GuardStatus, LatencyGuardSettings } from "./request.ts";
import type { PaceSetting } from "./pace.ts";

export const PROBE_INTERVAL_MS = SLICE_MS;
export const DECISION_INTERVAL_MS = 100;
export const SAMPLE_WINDOW_MS = 500;
/** Fewer samples than this say nothing about a p99: hold. */
const MIN_SAMPLES = 10;
const DECREASE_FACTOR = 0.5;
const HOLD_ABOVE = 0.8;
const ADDITIVE_SHARE = 0.1;
const MIN_BATCH_KEYS = 10;
/**
 * A budget below this is below what a PING's round trip varies by on a loaded machine when nothing
 * moves (timer and scheduler noise): such a budget would pin the move to its floor.
 */
export const MIN_BUDGET_MS = 0.5;
export const DEFAULT_BUDGET_FACTOR = 2;

export interface GuardLimits { batchKeys: number; window: number; parallelSlots: number }

export interface GuardDecision extends PaceSetting { action: GuardStatus["lastAction"]; observedP99Ms: number }

/** p-th percentile (0..100) of `values` by nearest rank; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The budget in ms for an idle p99 of `baselineP99Ms`. */
export function budgetFor(settings: LatencyGuardSettings, baselineP99Ms: number): number {
  const factor = settings.budgetFactor || (settings.budgetMs > 0 ? 0 : DEFAULT_BUDGET_FACTOR);
  const byFactor = factor > 0 ? Math.max(MIN_BUDGET_MS, factor * baselineP99Ms) : Infinity;
  return Math.min(byFactor, settings.budgetMs > 0 ? settings.budgetMs : Infinity);
}

export class LatencyGuard {
  readonly budgetMs: number;
  private keysPerSecond: number;
  /** The rate the last halving left (Infinity before the first: slow start). */
  private threshold = Infinity;
  /** Samples before this time are ignored (the window restarts at each decrease). */
  private windowStart = -Infinity;
  private samples: { at: number; ms: number }[] = [];
  private current: GuardDecision;
  private increases = 0;
  private decreases = 0;

  constructor(private readonly settings: LatencyGuardSettings, readonly baselineP99Ms: number, private readonly limits: GuardLimits) {
    this.budgetMs = budgetFor(settings, baselineP99Ms);
    this.keysPerSecond = settings.floorKeysPerSecond;
    this.current = { ...this.knobs(0), action: "start", observedP99Ms: 0 };
  }

  record(atMs: number, latencyMs: number): void {
    this.samples.push({ at: atMs, ms: latencyMs });
  }

  /**
   * One decision at `nowMs`. `achievedKeysPerSecond`: what the move really did lately; `batchMs`: the
   * smoothed time of a batch; `pendingAgesMs`: probes still unanswered (a probe stuck behind a long
   * command counts with its age so far).
   */
  decide(nowMs: number, achievedKeysPerSecond: number, batchMs: number, pendingAgesMs: readonly number[] = []): GuardDecision {
    const since = Math.max(nowMs - SAMPLE_WINDOW_MS, this.windowStart);
    this.samples = this.samples.filter((s) => s.at >= nowMs - SAMPLE_WINDOW_MS);
    const recent = [...this.samples.filter((s) => s.at >= since).map((s) => s.ms), ...pendingAgesMs];
    const p99 = percentile(recent, 99);
    const floor = this.settings.floorKeysPerSecond;
    let action: GuardStatus["lastAction"];
    if (recent.length < MIN_SAMPLES) {
      action = "hold";
    } else if (p99 > this.budgetMs) {
      // Halve what the move really does when that is lower than the allowance (app-limited).
      const basis = achievedKeysPerSecond > 0 ? Math.min(this.keysPerSecond, achievedKeysPerSecond) : this.keysPerSecond;
      this.keysPerSecond = Math.max(floor, basis * DECREASE_FACTOR);
      this.threshold = this.keysPerSecond;
      this.windowStart = nowMs;
      this.decreases++;
      action = this.keysPerSecond === floor ? "floor" : "decrease";
    } else if (p99 > HOLD_ABOVE * this.budgetMs) {
      action = "hold";
    } else {
      const grown = this.threshold === Infinity
        ? this.keysPerSecond * 2
        : this.keysPerSecond + ADDITIVE_SHARE * Math.max(floor, this.threshold);
      const cap = Math.max(2 * achievedKeysPerSecond, 2 * floor);
      const next = Math.max(this.keysPerSecond, Math.min(grown, cap));
      action = next > this.keysPerSecond ? "increase" : "hold";
      if (action === "increase") this.increases++;
      this.keysPerSecond = next;
    }
    this.current = { ...this.knobs(batchMs), action, observedP99Ms: p99 };
    return this.current;
  }

  /** Batch size, window and streams that let `keysPerSecond` through without queueing more at the source. */
  private knobs(batchMs: number): PaceSetting {
    const rate = this.keysPerSecond;
    const batchKeys = Math.max(1, Math.min(this.limits.batchKeys, Math.max(MIN_BATCH_KEYS, Math.round((rate * SLICE_MS) / 1000))));
    const maxInFlight = this.limits.parallelSlots * this.limits.window;
    const inFlight = batchMs > 0 ? Math.min(maxInFlight, Math.max(1, Math.ceil((2 * rate * batchMs) / 1000 / batchKeys))) : 1;
    const parallelSlots = Math.min(this.limits.parallelSlots, inFlight);
    const window = Math.min(this.limits.window, Math.ceil(inFlight / parallelSlots));
    return { keysPerSecond: Math.round(rate), batchKeys, window, parallelSlots };
  }

  status(): GuardStatus {
    const c = this.current;
    const r2 = (n: number) => Math.round(n * 100) / 100;
    return {
      enabled: true, baselineP99Ms: r2(this.baselineP99Ms), budgetMs: r2(this.budgetMs), observedP99Ms: r2(c.observedP99Ms),
      keysPerSecond: c.keysPerSecond, batchKeys: c.batchKeys, window: c.window, parallelSlots: c.parallelSlots,
      lastAction: c.action, increases: this.increases, decreases: this.decreases,
    };
  }
}
