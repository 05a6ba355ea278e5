// The latency guard's control law (pure: samples and time are passed in).
//
// While a move runs, the target's sidecar probes the source and the target about every 10 ms from a
// thread of its own (probe.ts) — a PING waits behind whatever the engine is doing, so its round trip
// is what a client feels. Every 100 ms the guard compares the p99 of the probes since the last cut (at
// most the last second) with the budget (a factor of the idle p99 measured just before the move and
// lowered by any quieter second seen since, or an absolute ceiling) and moves one number, the pace
// level (1 = the configured pace, "fastest"), AIMD as TCP does with its window:
//   above 80 % of budget  → the level is halved, and the sample window restarts, so one spike costs
//                           one halving, not one per decision;
//   above 60 % of budget  → hold;
//   below                 → grow: doubling (slow start, from 1/4) up to half the level the last
//                           overload began at, then +ADDITIVE_STEP per decision, up to 1.
// The level paces by rate: below 1 a keys/s bucket (pace.ts) holds the move to level × its estimated
// full-pace rate, so efficient batches are spread in time; parallel slot streams and batches in
// flight per stream follow the level (fewer in flight queue less in front of clients); batches keep
// their size down to FULL_BATCH_LEVEL and shrink only below it. A slot's SETSLOT round trips on every
// engine cost work too: each slot is charged SLOT_WORK_KEYS keys, so a move of many small slots is
// paced as well. The rate never goes below the floor, so the move always progresses.
import { SLICE_MS } from "./rate.ts";
import { DEFAULTS, type GuardStatus, type LatencyGuardSettings } from "./request.ts";
import type { PaceSetting } from "./pace.ts";

export const PROBE_INTERVAL_MS = SLICE_MS;
export const DECISION_INTERVAL_MS = 100;
export const SAMPLE_WINDOW_MS = 1000;
/** Fewer samples than this say nothing about a p99: hold. */
const MIN_SAMPLES = 20;
/** Samples one stalled tick yields: one PING per engine, source and target. */
const STALL_SAMPLES = 2;
const DECREASE_FACTOR = 0.5;
/**
 * AIMD oscillates around the level where it starts to cut; cutting at 80 % of the budget (and holding
 * from 60 %) puts that oscillation under the budget, so the p99 over a whole move lands below the budget
 * rather than on it (measured: cutting at 100 % left the clients' p99 at ≈ the budget).
 */
const DECREASE_ABOVE = 0.8;
const HOLD_ABOVE = 0.6;
const START_LEVEL = 1 / 4;
/**
 * Growth above the last overload's half-level. Measured on the 1M-key benchmark (guard only, same
 * code otherwise): 1/16 moved in 8.3–11 s with the client's p99 at 2.5–3.5 × idle, 1/64 in 16 s at
 * 2.06 ×; 1/32 took 20.9 s at 2.6 × on a disturbed machine. Neither holds both targets here (docs/benchmarks/migration-latency-guard.md).
 */
const ADDITIVE_STEP = 1 / 16;
const MIN_LEVEL = 1 / 64;
const MIN_BATCH_KEYS = 10;
/**
 * Batches keep their configured size down to this level and shrink below it: a smaller batch costs
 * the engines more CPU per key (a script run, a GETKEYSINSLOT and a MIGRATE connection turn per batch;
 * measured: 6.9 engine-CPU s for a guarded 1M-key rebalance against 5.2 at full batches), and on a
 * shared machine the clients' latency follows how busy the cores are. Down to here the rate spreads
 * efficient batches in time; below it (an engine blocked by something else) a batch blocks the
 * source for less time.
 */
const FULL_BATCH_LEVEL = 1 / 16;
/** A second's p99 lowers the baseline only when it has at least this many samples (half a second of probes of two engines). */
const BASELINE_MIN_SAMPLES = 100;
/**
 * A budget below this reacts to noise, not to the move. A PING from a thread of its own idles at a
 * p99 of 0.35–0.6 ms here, an application's client (ioredis, its own event loop) at 0.9–1.5 ms: a
 * factor of the PING's baseline alone would allow the engines to add a fraction of what the client
 * already has, and one move whose budget came out at 1 ms crawled at its floor for 20 s (run 7 of the
 * benchmark before the probe moved to its own thread). 2 ms lets the move add about the client's own
 * idle p99, which is what "client p99 ≤ 2 × idle" allows.
 */
export const MIN_BUDGET_MS = 2;

export interface GuardLimits { batchKeys: number; window: number; parallelSlots: number }

export interface GuardDecision extends PaceSetting { action: GuardStatus["lastAction"]; observedP99Ms: number; level: number }

/** p-th percentile (0..100) of `values` by nearest rank; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * The p99 of a window of probes, but never above its third-highest sample. A stall of the whole
 * machine (or of the probe's thread) delays both engines' PINGs of one tick: two samples. Of fewer
 * than 200 samples a nearest-rank p99 would be that one stall (of 20, the highest sample), and one
 * stall decided a halving or a baseline; measured here, one pair's idle p99 over a second ranged
 * 0.4–5.7 ms between seconds for that reason alone.
 */
export function probeP99(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.min(percentile(sorted, 99), sorted[Math.max(0, sorted.length - 1 - STALL_SAMPLES)]);
}

/** The budget in ms for an idle p99 of `baselineP99Ms` (no factor nor budgetMs given: the default factor). */
export function budgetFor(settings: LatencyGuardSettings, baselineP99Ms: number): number {
  const factor = settings.budgetFactor || (settings.budgetMs > 0 ? 0 : DEFAULTS.guard.budgetFactor);
  const byFactor = factor > 0 ? Math.max(MIN_BUDGET_MS, factor * baselineP99Ms) : Infinity;
  return Math.min(byFactor, settings.budgetMs > 0 ? settings.budgetMs : Infinity);
}

export class LatencyGuard {
  private baselineMs: number;
  private budget: number;
  private level = START_LEVEL;
  /** Half the level an overload began at (Infinity before the first): below it growth doubles, above it adds. */
  private threshold = Infinity;
  /** Halved since the last increase: the same overload. */
  private overloaded = false;
  /** The move's rate at full pace (keys/s, slots charged SLOT_WORK_KEYS), estimated as achieved ÷ level: what level × scales below 1. */
  private fullPaceKeysPerSecond = 0;
  /** Samples before this time are ignored (the window restarts at each decrease). */
  private windowStart = -Infinity;
  private samples: { at: number; ms: number }[] = [];
  private firstSampleAt = Infinity;
  private current: GuardDecision;
  private increases = 0;
  private decreases = 0;

  constructor(private readonly settings: LatencyGuardSettings, baselineP99Ms: number, private readonly limits: GuardLimits) {
    this.baselineMs = baselineP99Ms;
    this.budget = budgetFor(settings, baselineP99Ms);
    this.current = { ...this.knobs(), action: "start", observedP99Ms: 0, level: this.level };
  }

  /** The idle p99 the budget is a factor of: the one measured before the move, or a lower one seen since. */
  get baselineP99Ms(): number {
    return this.baselineMs;
  }

  get budgetMs(): number {
    return this.budget;
  }

  record(atMs: number, latencyMs: number): void {
    this.samples.push({ at: atMs, ms: latencyMs });
    this.firstSampleAt = Math.min(this.firstSampleAt, atMs);
  }

  /**
   * One decision at `nowMs`. `achievedKeysPerSecond`: what the move really did lately (slots charged SLOT_WORK_KEYS);
   * `pendingAgesMs`: probes still unanswered (a probe stuck behind a long command counts with its age so far).
   */
  decide(nowMs: number, achievedKeysPerSecond: number, pendingAgesMs: readonly number[] = []): GuardDecision {
    // Below 1/4 the minimum knobs, not the level, bound what moves: no estimate from there.
    if (this.level >= START_LEVEL) this.fullPaceKeysPerSecond = Math.max(this.fullPaceKeysPerSecond, achievedKeysPerSecond / this.level);
    const since = Math.max(nowMs - SAMPLE_WINDOW_MS, this.windowStart);
    this.samples = this.samples.filter((s) => s.at >= nowMs - SAMPLE_WINDOW_MS);
    this.lowerBaseline(nowMs);
    const recent = this.samples.filter((s) => s.at >= since).map((s) => s.ms);
    // A PING unanswered at a decision (reported after a whole probe interval) is an engine stuck now: it counts in full.
    const p99 = Math.max(probeP99(recent), ...pendingAgesMs);
    let action: GuardStatus["lastAction"];
    if (recent.length + pendingAgesMs.length < MIN_SAMPLES) {
      action = "hold";
    } else if (p99 > DECREASE_ABOVE * this.budgetMs) {
      // The first halving of an overload sets where recovery turns from doubling to additive; the
      // further halvings of the same overload do not lower it, so recovery is quick once it is over.
      if (!this.overloaded) this.threshold = Math.max(MIN_LEVEL, this.level * DECREASE_FACTOR);
      this.overloaded = true;
      this.level = Math.max(MIN_LEVEL, this.level * DECREASE_FACTOR);
      this.windowStart = nowMs;
      this.decreases++;
      action = this.level === MIN_LEVEL ? "floor" : "decrease";
    } else if (p99 > HOLD_ABOVE * this.budgetMs || this.level >= 1) {
      action = "hold";
    } else {
      this.level = Math.min(1, this.level < this.threshold ? Math.min(this.level * 2, this.threshold) : this.level + ADDITIVE_STEP);
      this.overloaded = false;
      this.increases++;
      action = "increase";
    }
    this.current = { ...this.knobs(), action, observedP99Ms: p99, level: this.level };
    return this.current;
  }

  /**
   * Idle latency is at most what is seen while the move runs, so a second of probes (all of them,
   * also across a restarted window) whose p99 is below the baseline means the baseline was measured
   * high (another move already running, a busy moment): the baseline follows it down, never up.
   */
  private lowerBaseline(nowMs: number): void {
    if (this.firstSampleAt > nowMs - SAMPLE_WINDOW_MS || this.samples.length < BASELINE_MIN_SAMPLES) return;
    const p99 = probeP99(this.samples.map((s) => s.ms));
    if (p99 >= this.baselineMs) return;
    this.baselineMs = p99;
    this.budget = budgetFor(this.settings, p99);
  }

  /** The configured knobs scaled by the level; below 1, a keys/s rate scaled from the estimated full pace. */
  private knobs(): PaceSetting {
    const { level, limits } = this;
    const scaled = (max: number, min: number, full = 1) => Math.max(Math.min(min, max), Math.min(max, Math.ceil((max * level) / full)));
    const keysPerSecond = level >= 1 || this.fullPaceKeysPerSecond === 0
      ? 0
      : Math.round(Math.max(this.settings.floorKeysPerSecond, level * this.fullPaceKeysPerSecond));
    return {
      keysPerSecond, batchKeys: scaled(limits.batchKeys, MIN_BATCH_KEYS, FULL_BATCH_LEVEL), window: scaled(limits.window, 1), parallelSlots: scaled(limits.parallelSlots, 1),
    };
  }

  status(): GuardStatus {
    const c = this.current;
    const r2 = (n: number) => Math.round(n * 100) / 100;
    return {
      enabled: true, baselineP99Ms: r2(this.baselineMs), budgetMs: r2(this.budget), observedP99Ms: r2(c.observedP99Ms),
      level: r2(c.level), keysPerSecond: c.keysPerSecond, batchKeys: c.batchKeys, window: c.window, parallelSlots: c.parallelSlots,
      lastAction: c.action, increases: this.increases, decreases: this.decreases,
    };
  }
}
