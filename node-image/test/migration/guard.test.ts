// The latency guard's control law (pure): budget, AIMD on the probes' p99, the floor, and the knobs
// derived from the rate. Times are plain numbers; each case feeds samples and reads the decision.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LatencyGuard, budgetFor, MIN_BUDGET_MS, type LatencyGuardSettings } from "../../src/migration/index.ts";

const LIMITS = { batchKeys: 100, window: 2, parallelSlots: 4 };
const settings = (s: Partial<LatencyGuardSettings> = {}): LatencyGuardSettings => ({ enabled: true, budgetFactor: 0, budgetMs: 0, floorKeysPerSecond: 1000, ...s });

/** A guard with budget 2 ms (baseline 1 ms × 2 by default); each step is 100 ms of 20 probes and one decision. */
class GuardDriver {
  readonly guard: LatencyGuard;
  now = 0;
  constructor(s: Partial<LatencyGuardSettings> = {}, baseline = 1) {
    this.guard = new LatencyGuard(settings(s), baseline, LIMITS);
  }

  step(ms: number, achieved = 10_000) {
    for (let i = 0; i < 20; i++) this.guard.record(this.now + i * 5, ms);
    this.now += 100;
    return this.guard.decide(this.now, achieved);
  }

  levels(ms: number, n: number, achieved = 10_000): number[] {
    return Array.from({ length: n }, () => this.step(ms, achieved).level);
  }
}

describe("budget", () => {
  const cases: [string, Partial<LatencyGuardSettings>, number, number][] = [
    ["default: 2 × the idle p99", {}, 1.5, 3],
    ["a factor given", { budgetFactor: 3 }, 1, 3],
    ["absolute only: the factor does not apply", { budgetMs: 10 }, 1, 10],
    ["both: the smaller wins (factor)", { budgetFactor: 2, budgetMs: 10 }, 1, 2],
    ["both: the smaller wins (absolute)", { budgetFactor: 4, budgetMs: 3 }, 1, 3],
    ["a very quiet engine: never below the noise floor", {}, 0.05, MIN_BUDGET_MS],
  ];
  for (const [why, s, baseline, expected] of cases) test(why, () => assert.equal(budgetFor(settings(s), baseline), expected));
});

describe("AIMD on the probes' p99", () => {
  test("starts at 1/4 of the configured pace and doubles each quiet decision up to full pace", () => {
    const d = new GuardDriver();
    assert.equal(d.guard.status().level, 0.25);
    assert.deepEqual(d.levels(0.5, 3), [0.5, 1, 1]);
    assert.equal(d.guard.status().lastAction, "hold", "at full pace there is nothing to add");
  });

  test("above the budget the level halves; one spike costs one halving (the sample window restarts)", () => {
    const d = new GuardDriver();
    d.levels(0.5, 2); // 1
    const cut = d.step(5);
    assert.equal(cut.action, "decrease");
    assert.equal(cut.level, 0.5);
    // The spike's samples are still within 500 ms, but older than the decrease: they no longer count.
    assert.notEqual(d.step(0.5).action, "decrease");
  });

  test("a sustained overload halves every decision down to 1/64, never below", () => {
    const d = new GuardDriver();
    d.levels(0.5, 2); // 1
    assert.deepEqual(d.levels(8, 8), [0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.015625, 0.015625]);
    assert.equal(d.guard.status().lastAction, "floor");
  });

  test("once the overload is over it doubles back up to half the level the overload began at, then adds 1/16", () => {
    const d = new GuardDriver();
    d.levels(0.5, 2); // 1: the overload begins at 1 → threshold 0.5
    d.levels(8, 7); // 1/64
    assert.deepEqual(d.levels(0.5, 8), [1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 9 / 16, 10 / 16, 11 / 16]);
  });

  test("between 60 % and 80 % of the budget it holds; above 80 % it cuts", () => {
    const d = new GuardDriver();
    assert.equal(d.step(1.7).action, "decrease", "budget 2 ms: 1.7 ms is above 80 %");
    const held = d.step(1.4); // 1.4 ms is in the hold band (1.2..1.6)
    assert.equal(held.action, "hold");
    assert.equal(held.level, 0.125);
  });

  test("one stalled tick (both engines' PINGs) is not a p99 of its own: a third slow sample is", () => {
    const guard = new LatencyGuard(settings(), 1, LIMITS);
    for (let i = 0; i < 18; i++) guard.record(i * 5, 0.5);
    guard.record(90, 9);
    guard.record(90, 9);
    assert.notEqual(guard.decide(100, 1000).action, "decrease", "20 samples, two of one tick at 9 ms: observed 0.5 ms");
    guard.record(95, 9);
    assert.equal(guard.decide(100, 1000).action, "decrease");
  });

  test("too few samples say nothing: hold", () => {
    const guard = new LatencyGuard(settings(), 1, LIMITS);
    guard.record(1, 50);
    assert.equal(guard.decide(100, 1000).action, "hold");
  });

  test("a probe stuck behind a long command counts with its age", () => {
    const guard = new LatencyGuard(settings(), 1, LIMITS);
    for (let i = 0; i < 20; i++) guard.record(i * 5, 0.5);
    assert.equal(guard.decide(100, 1000, [30, 30]).action, "decrease");
  });
});

describe("the baseline only goes down", () => {
  test("a whole second whose p99 is below the baseline lowers it, and the budget with it", () => {
    const d = new GuardDriver({ budgetFactor: 2 }, 3); // measured high: budget 6 ms
    assert.equal(d.guard.budgetMs, 6);
    d.levels(2.5, 9); // 900 ms of probes: not yet a whole window
    assert.equal(d.guard.baselineP99Ms, 3);
    d.step(2.5); // 1 s, 200 samples, p99 2.5 ms
    assert.equal(d.guard.baselineP99Ms, 2.5);
    assert.equal(d.guard.budgetMs, 5);
    d.levels(4, 12);
    assert.equal(d.guard.baselineP99Ms, 2.5, "higher latency never raises it");
  });

  test("a window restarted by a decrease does not lower it until it spans a whole second again", () => {
    const d = new GuardDriver({ budgetFactor: 2 }, 3);
    d.levels(2.5, 2);
    assert.equal(d.step(5.5).action, "decrease", "5.5 ms is above 80 % of 6 ms");
    d.levels(1, 9); // 900 ms since the decrease
    assert.equal(d.guard.baselineP99Ms, 3);
    d.step(1);
    assert.equal(d.guard.baselineP99Ms, 1);
    assert.equal(d.guard.budgetMs, MIN_BUDGET_MS, "2 × 1 ms, never below the minimum budget");
  });

  test("too few samples in the second do not lower it", () => {
    const guard = new LatencyGuard(settings(), 3, LIMITS);
    for (let t = 0; t < 1000; t += 20) guard.record(t, 0.5); // 50 samples
    guard.decide(1000, 1000);
    assert.equal(guard.baselineP99Ms, 3);
  });
});

describe("knobs follow the level", () => {
  test("streams and window scale with the level; batches keep their 100 keys down to 1/16 and shrink below, window 1, 1 stream", () => {
    const d = new GuardDriver();
    const knobs = (probeMs: number) => {
      const { batchKeys, window, parallelSlots, level } = d.step(probeMs);
      return { level, batchKeys, window, parallelSlots };
    };
    assert.deepEqual(knobs(0.5), { level: 0.5, batchKeys: 100, window: 1, parallelSlots: 2 });
    assert.deepEqual(knobs(0.5), { level: 1, batchKeys: 100, window: 2, parallelSlots: 4 });
    assert.deepEqual(knobs(8), { level: 0.5, batchKeys: 100, window: 1, parallelSlots: 2 });
    assert.deepEqual(knobs(8), { level: 0.25, batchKeys: 100, window: 1, parallelSlots: 1 });
    d.levels(8, 2);
    assert.deepEqual(knobs(8), { level: 1 / 32, batchKeys: 50, window: 1, parallelSlots: 1 }, "100 × 1/32 ÷ 1/16");
    assert.deepEqual(knobs(8), { level: 1 / 64, batchKeys: 25, window: 1, parallelSlots: 1 }, "100 × 1/64 ÷ 1/16");
  });

  test("never below 10 keys a batch", () => {
    const guard = new LatencyGuard(settings(), 1, { batchKeys: 20, window: 1, parallelSlots: 1 });
    let last = guard.decide(0, 1000);
    for (let t = 100; t <= 1000; t += 100) {
      for (let i = 0; i < 20; i++) guard.record(t - 100 + i * 5, 8);
      last = guard.decide(t, 1000);
    }
    assert.equal(last.level, 1 / 64);
    assert.equal(last.batchKeys, 10, "20 × 1/64 ÷ 1/16 = 5: the minimum, 10");
  });

  test("no guard rate at full pace", () => {
    const d = new GuardDriver();
    d.step(0.5, 5000); // 1/2
    assert.equal(d.step(0.5, 9000).keysPerSecond, 0, "level 1: unlimited");
  });

  test("below full pace: level × the estimated full-pace rate (achieved ÷ level), never below the floor", () => {
    const d = new GuardDriver({ floorKeysPerSecond: 1000 });
    d.step(0.5, 5000); // at 1/4, 5000 keys/s: an estimated 20000 at full pace; level 1/2
    d.step(0.5, 9000); // at 1/2: 18000 estimated, the 20000 stays; level 1
    d.step(0.5, 40_000); // at full pace the move did 40000
    assert.equal(d.step(8, 40_000).keysPerSecond, 20_000, "level 1/2 → 20000 keys/s");
    d.levels(8, 6, 1000);
    assert.equal(d.guard.status().keysPerSecond, 1000, "1/64 × 40000 = 625 is below the floor: 1000");
  });
});
