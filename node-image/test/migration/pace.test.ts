// The pace in force during a move: the guard's keys/s and the explicit limits both charge a batch and
// the tighter one decides the wait; windows of batches in flight follow the guard's setting.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../../common/clock.ts";
import { Pace, Permits } from "../../src/migration/pace.ts";
import { validateMigrateSlotsRequest, type MigrateSlotsInput } from "../../src/migration/index.ts";

const base: MigrateSlotsInput = { source: { host: "127.0.1.1", port: 6379 }, target: { host: "127.0.1.4", port: 6379 }, slots: [1] };
const guardAt = (keysPerSecond: number) => ({ keysPerSecond, batchKeys: 100, window: 2, parallelSlots: 4 });

function paceWith(extra: Partial<MigrateSlotsInput>, clock = new ManualClock()) {
  return new Pace(validateMigrateSlotsRequest({ ...base, ...extra }), clock);
}

describe("the tighter of the guard and the explicit limits wins", () => {
  // A bucket starts with one 10 ms slice; 100 keys at 1000 keys/s (10 per slice) leave a debt of 90:
  // nine more slices, 90 ms.
  const cases: [string, Partial<MigrateSlotsInput>, number, number][] = [
    ["explicit 1000 keys/s under a guard at 100000", { rate: { keysPerSecond: 1000 } }, 100_000, 90],
    ["guard at 1000 keys/s under an explicit 100000", { rate: { keysPerSecond: 100_000 } }, 1000, 90],
    ["no explicit limit: the guard alone", {}, 1000, 90],
    ["guard unlimited (0) and no explicit limit: no wait", {}, 0, 0],
  ];
  for (const [why, extra, guardRate, waitMs] of cases) {
    test(why, () => {
      const pace = paceWith(extra);
      pace.set(guardAt(guardRate));
      assert.equal(pace.charge(100).waitMs, waitMs);
    });
  }

  test("a schedule window in force (23:00–07:00 UTC at 500 keys/s) caps a faster guard", () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 23, 30));
    const pace = paceWith({ schedule: [{ start: "23:00", end: "07:00", rate: { keysPerSecond: 500 } }] }, clock);
    pace.set(guardAt(50_000));
    // 5 keys per slice: 100 keys leave a debt of 95 → 19 more slices.
    assert.equal(pace.charge(100).waitMs, 190);
  });

  test("a round's slots are charged to the guard's bucket as SETSLOT work (10 keys each)", () => {
    const pace = paceWith({});
    pace.set(guardAt(1000));
    // 3 slots = 30 keys of work; the slice holds 10 → 20 of debt → 2 slices.
    assert.equal(pace.chargeSlots(3), 20);
  });

  test("the guard's knobs never exceed the configured ones", () => {
    const pace = paceWith({ batchKeys: 50, window: 1, parallelSlots: 2 });
    pace.set({ keysPerSecond: 0, batchKeys: 100, window: 2, parallelSlots: 4 });
    assert.deepEqual(pace.setting, { keysPerSecond: 0, batchKeys: 50, window: 1, parallelSlots: 2 });
  });

  test("the guard's level is kept for the atomic move's job size; 1 before the guard decides", () => {
    const pace = paceWith({});
    assert.equal(pace.level, 1);
    pace.set({ keysPerSecond: 5000, batchKeys: 100, window: 2, parallelSlots: 4, level: 0.25 });
    assert.equal(pace.level, 0.25);
  });
});

describe("permits follow a capacity that may change", () => {
  test("a narrower window holds new batches until enough finish; a wider one lets the waiting in", async () => {
    let capacity = 2;
    const permits = new Permits(() => capacity);
    await permits.acquire();
    await permits.acquire();
    capacity = 1;
    let third = false;
    void permits.acquire().then(() => { third = true; });
    permits.release(); // 1 in use, capacity 1: still full
    await Promise.resolve();
    assert.equal(third, false);
    capacity = 3;
    permits.wake();
    await Promise.resolve();
    assert.equal(third, true);
  });
});
