import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { TokenBucket, SmoothBucket, MigrationRateLimiter, rateAt, windowContains, SLICE_MS } from "../../src/migration/index.ts";

/** Drives a bucket the way a migration stream does: reserve, wait the answer, reserve again. */
function simulate(bucket: TokenBucket, amountPerCall: number, untilMs: number): { grantedAt: number[] } {
  const grantedAt: number[] = [];
  let now = 0;
  while (now < untilMs) {
    now += bucket.reserve(amountPerCall, now);
    grantedAt.push(now);
  }
  return { grantedAt };
}

describe("TokenBucket", () => {
  test("unlimited (rate 0) never waits", () => {
    const bucket = new TokenBucket(0);
    assert.equal(bucket.reserve(1_000_000, 0), 0);
    assert.equal(bucket.reserve(1_000_000, 0), 0);
  });

  test("holds at most one 10 ms slice of tokens: no burst after idling", () => {
    const bucket = new TokenBucket(1000); // 10 tokens per slice
    assert.equal(bucket.available(0), 10);
    assert.equal(bucket.available(5_000), 10, "five idle seconds still give one slice, not 5000 tokens");
  });

  test("a reservation larger than a slice goes into debt and waits whole slices", () => {
    const bucket = new TokenBucket(1000);
    // 100 keys at 1000 keys/s: 10 from the bucket, 90 of debt = 9 slices = 90 ms
    assert.equal(bucket.reserve(100, 0), 90);
    // The next caller queues behind the debt: 9 more slices of debt, then its own 10 slices.
    assert.equal(bucket.reserve(100, 0), 190);
  });

  test("waits end at slice boundaries", () => {
    const bucket = new TokenBucket(1000);
    bucket.reserve(10, 3); // empties the first slice
    assert.equal(bucket.reserve(5, 3), SLICE_MS - 3 + 0, "waits for the next slice (t=10)");
  });

  const rates = [
    { ratePerSecond: 1000, amount: 100 },  // batches bigger than a slice
    { ratePerSecond: 50_000, amount: 100 }, // 500 per slice, several batches per slice
    { ratePerSecond: 250, amount: 1 },      // 2.5 per slice, fractional
  ];
  for (const { ratePerSecond, amount } of rates) {
    test(`over 10 s at ${ratePerSecond}/s with ${amount} per call, grants ≈ rate × time`, () => {
      const bucket = new TokenBucket(ratePerSecond);
      const { grantedAt } = simulate(bucket, amount, 10_000);
      const granted = grantedAt.filter((t) => t <= 10_000).length * amount;
      // one slice of initial tokens plus at most one call of rounding
      assert.ok(Math.abs(granted - ratePerSecond * 10) <= ratePerSecond * SLICE_MS / 1000 + amount, `granted ${granted}`);
    });
  }

  test("smooth within a second: no 100 ms window gets more than its share plus one slice", () => {
    const bucket = new TokenBucket(10_000);
    const { grantedAt } = simulate(bucket, 10, 2_000);
    for (let start = 0; start < 1_900; start += 100) {
      const inWindow = grantedAt.filter((t) => t >= start && t < start + 100).length * 10;
      assert.ok(inWindow <= 1000 + 100, `window ${start}: ${inWindow} tokens`);
    }
  });

  test("adjust adds debt for an underestimate and a refund cannot exceed one slice", () => {
    const bucket = new TokenBucket(1000);
    bucket.adjust(50, 0);
    assert.equal(bucket.available(0), -40);
    bucket.adjust(-1000, 0);
    assert.equal(bucket.available(0), 10);
  });

  test("a lower rate takes effect at once and clamps the stored tokens", () => {
    const bucket = new TokenBucket(100_000);
    assert.equal(bucket.available(0), 1000);
    bucket.setRate(1000, 0);
    assert.equal(bucket.available(0), 10);
  });
});

describe("schedule windows", () => {
  const at = (hhmm: string): number => Date.UTC(2026, 0, 1, Number(hhmm.slice(0, 2)), Number(hhmm.slice(3)));
  const night = { start: "23:00", end: "07:00", rate: { keysPerSecond: 50_000 } };
  const lunch = { start: "12:00", end: "13:30", rate: { keysPerSecond: 1_000, bytesPerSecond: 1_000_000 } };
  const day = { keysPerSecond: 5_000 };

  const cases: [string, string, unknown][] = [
    ["23:00", "start of a window that wraps midnight is inside", night.rate],
    ["02:30", "after midnight, inside the wrapped window", night.rate],
    ["06:59", "last minute of the wrapped window", night.rate],
    ["07:00", "the end minute is outside", day],
    ["12:00", "a second window", lunch.rate],
    ["13:30", "end of the second window", day],
    ["22:59", "just before the night window", day],
  ];
  for (const [time, why, expected] of cases) {
    test(`${time}: ${why}`, () => assert.deepEqual(rateAt(day, [night, lunch], at(time)), expected));
  }

  test("no schedule and no rate means unlimited", () => assert.deepEqual(rateAt(undefined, undefined, at("10:00")), {}));
  test("windowContains rejects malformed times instead of matching", () => assert.equal(windowContains({ start: "7:00", end: "08:00" }, 7 * 60), false));

  test("the limiter follows the injected clock into a faster window", () => {
    const limiter = new MigrationRateLimiter({ keysPerSecond: 1000 }, [night]);
    const day1 = limiter.reserve(100, 0, at("10:00")).waitMs;
    const limiterAtNight = new MigrationRateLimiter({ keysPerSecond: 1000 }, [night]);
    const night1 = limiterAtNight.reserve(100, 0, at("01:00")).waitMs;
    assert.equal(day1, 90);
    assert.equal(night1, 0, "500 tokens per slice at night cover a 100-key batch");
  });

  test("bytes: estimate from the running average, corrected after each batch", () => {
    const limiter = new MigrationRateLimiter({ bytesPerSecond: 100_000 }, undefined); // 1000 bytes per slice
    const first = limiter.reserve(10, 0, 0);
    assert.deepEqual(first, { waitMs: 0, estimatedBytes: 0 }, "nothing measured yet");
    limiter.settle(10, 0, 5000, 0); // the batch really moved 5000 bytes: 4000 of debt
    const second = limiter.reserve(10, 0, 0);
    assert.equal(second.estimatedBytes, 5000, "500 bytes/key measured");
    assert.equal(second.waitMs, 90, "(4000 debt + 5000) / 1000 per slice = 9 slices");
  });
});

describe("the guard's smooth bucket", () => {
  test("each waiter leaves when its own debt is paid, not at the next slice boundary", () => {
    const bucket = new SmoothBucket();
    bucket.setRate(1000, 0); // 1 key/ms, at most one slice (10 keys) in hand
    assert.equal(bucket.reserve(10, 0), 0, "the first slice is in hand");
    assert.equal(bucket.reserve(10, 0), 10);
    assert.equal(bucket.reserve(5, 3), 12, "3 ms refilled 3 keys: 10 - 3 + 5 in debt, 12 ms, leaving at 15 ms");
  });

  test("idle time refills at most one slice; a refund never exceeds it", () => {
    const bucket = new SmoothBucket();
    bucket.setRate(1000, 0);
    bucket.reserve(10, 0);
    assert.equal(bucket.reserve(30, 1000), 20, "a second idle gave back 10 keys, not 1000");
    bucket.adjust(-100, 1000);
    assert.equal(bucket.reserve(15, 1000), 5);
  });

  test("unlimited (0) never waits", () => {
    const bucket = new SmoothBucket();
    bucket.setRate(0, 0);
    assert.equal(bucket.reserve(1e6, 0), 0);
  });
});
