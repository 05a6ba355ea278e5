import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  applyMoves, assignWaves, bootstrapSlots, compactSlots, countSlots, formatSlotRanges, parseSlotRanges, planSlotScale,
  PlannerInputError, wavesLowerBound, type ShardSlots,
} from "../../src/planner/index.ts";

describe("slot range text", () => {
  const cases: [number[], string][] = [
    [[0, 1, 2, 3, 4, 5, 5460, 5462], "0-5,5460,5462"],
    [[5, 3, 4, 4], "3-5"],
    [[], ""],
    [[16383], "16383"],
  ];
  for (const [slots, text] of cases) {
    test(`[${slots.join(",")}] ⇄ "${text}"`, () => {
      assert.equal(formatSlotRanges(compactSlots(slots)), text);
      assert.equal(formatSlotRanges(parseSlotRanges(text)), text);
    });
  }
  test("spaces are allowed", () => assert.deepEqual(parseSlotRanges(" 0 - 10 , 12"), [{ start: 0, end: 10 }, { start: 12, end: 12 }]));
  for (const bad of ["0-", "a", "5-3", "16384", "1,,2"]) {
    test(`"${bad}" is refused with the field named`, () => assert.throws(() => parseSlotRanges(bad, "status.shards[0].slots"), /status\.shards\[0\]\.slots/));
  }
});

describe("bootstrapSlots", () => {
  test("3 shards: 16384 = 5462 + 5461 + 5461, contiguous", () => {
    assert.deepEqual(bootstrapSlots(3).map((s) => formatSlotRanges(s.slots)), ["0-5461", "5462-10922", "10923-16383"]);
  });
  test("1 shard owns everything", () => assert.equal(formatSlotRanges(bootstrapSlots(1)[0].slots), "0-16383"));
  test("0 shards is refused naming spec.shards", () => assert.throws(() => bootstrapSlots(0), /spec\.shards/));
});

const owned = (plan: ReturnType<typeof planSlotScale>) => Object.fromEntries(plan.targets.map((t) => [t.shard, t.target]));
const moves = (plan: ReturnType<typeof planSlotScale>) => plan.plan.steps;

describe("planSlotScale", () => {
  test("scale-out 3 → 4 from bootstrap", () => {
    // targets 16384/4 = 4096 each. Owned 5462, 5461, 5461 → surplus 1366 + 1365 + 1365 = 4096 → shard 3.
    const plan = planSlotScale({ current: bootstrapSlots(3), targetShards: 4, maxConcurrent: 4 });
    assert.equal(plan.plan.kind, "scale-out");
    assert.deepEqual(plan.added, [3]);
    assert.deepEqual(owned(plan), { 0: 4096, 1: 4096, 2: 4096, 3: 4096 });
    assert.equal(plan.movedSlots, 4096);
    assert.equal(plan.lowerBound, 4096);
    assert.deepEqual(moves(plan).map((m) => `${m.from}→${m.to} ${formatSlotRanges(m.slots)} wave ${m.wave}`), [
      "0→3 4096-5461 wave 0", // shard 0 keeps its lowest 4096 slots 0-4095
      "1→3 9558-10922 wave 0",
      "2→3 15019-16383 wave 0",
    ]);
    assert.equal(moves(plan)[0].id, "move-slots/0-3/4096-5461");
    // shard 3's engine takes 3 streams; with maxConcurrent 2 that needs ⌈3/2⌉ = 2 waves
    const two = planSlotScale({ current: bootstrapSlots(3), targetShards: 4, maxConcurrent: 2 });
    assert.deepEqual([two.waves, two.wavesLowerBound], [2, 2]);
  });

  test("scale-in 4 → 3 removes the least loaded shard (ties: highest id) and spreads its slots over all survivors", () => {
    // 4096 each → remove shard 3. Targets 5462 (extra slot to the lowest id among equals), 5461, 5461.
    // Receivers need 1366 + 1365 + 1365 = 4096 = shard 3's slots: every survivor receives some.
    const plan = planSlotScale({ current: bootstrapSlots(4), targetShards: 3, maxConcurrent: 4 });
    assert.equal(plan.plan.kind, "scale-in");
    assert.deepEqual(plan.removed, [3]);
    assert.deepEqual(owned(plan), { 0: 5462, 1: 5461, 2: 5461, 3: 0 });
    assert.equal(plan.movedSlots, 4096);
    assert.deepEqual(new Set(moves(plan).map((m) => m.to)), new Set([0, 1, 2]));
    assert.ok(plan.plan.reasons.some((r) => r.message.includes("removing shards 3: they own the fewest slots")));
  });

  test("scale-in removes the least loaded shards from an unbalanced start", () => {
    // owned: 0 → 8000, 1 → 384, 2 → 8000. Removing 1 moves 384 + (8000 − 8192 < 0 → 0) …
    // targets for 2 shards: 8192 each; lower bound = 384 (shard 1's slots).
    const current: ShardSlots[] = [{ shard: 0, slots: "0-7999" }, { shard: 1, slots: "8000-8383" }, { shard: 2, slots: "8384-16383" }];
    const plan = planSlotScale({ current, targetShards: 2, maxConcurrent: 4 });
    assert.deepEqual(plan.removed, [1]);
    assert.equal(plan.movedSlots, 384);
    assert.equal(plan.lowerBound, 384);
    assert.equal(plan.imbalance, 0);
  });

  test("explicit removal list is honoured and checked", () => {
    const plan = planSlotScale({ current: bootstrapSlots(4), targetShards: 3, remove: [0], maxConcurrent: 4 });
    assert.deepEqual(plan.removed, [0]);
    assert.equal(plan.movedSlots, 4096);
    assert.throws(() => planSlotScale({ current: bootstrapSlots(4), targetShards: 3, remove: [7], maxConcurrent: 4 }), /remove: names shard 7, which does not exist/);
    assert.throws(() => planSlotScale({ current: bootstrapSlots(4), targetShards: 2, remove: [0], maxConcurrent: 4 }), /removes 2/);
  });

  test("rebalance N → N from non-contiguous ownership", () => {
    // shard 0 owns 0-9999 and 12000-12099 (10100), shard 1 owns 10000-11999 and 12100-16383 (6284).
    // targets 8192 each → shard 0 gives its highest 1908 slots: 12000-12099 and 8192-9999 (100 + 1808).
    const current: ShardSlots[] = [{ shard: 0, slots: "0-9999,12000-12099" }, { shard: 1, slots: "10000-11999,12100-16383" }];
    const plan = planSlotScale({ current, targetShards: 2, maxConcurrent: 1 });
    assert.equal(plan.plan.kind, "rebalance");
    assert.equal(plan.movedSlots, 1908);
    assert.deepEqual(moves(plan).map(({ from, to, slots, wave }) => ({ from, to, slots, wave })), [{ from: 0, to: 1, wave: 0, slots: [{ start: 8192, end: 9999 }, { start: 12000, end: 12099 }] }]);
    const after = applyMoves(current, moves(plan));
    assert.deepEqual(after.map((s) => [s.shard, countSlots(s.slots)]), [[0, 8192], [1, 8192]]);
  });

  test("the extra slots go to the shards that already own the most, so fewer move", () => {
    // 16384 over 3 = 5461 r 1. Shard 2 owns the most → it keeps 5462; moving it there would cost one more slot.
    const current: ShardSlots[] = [{ shard: 0, slots: "0-5460" }, { shard: 1, slots: "5461-10921" }, { shard: 2, slots: "10922-16383" }];
    const plan = planSlotScale({ current, targetShards: 3, maxConcurrent: 1 });
    assert.equal(plan.movedSlots, 0);
    assert.deepEqual(plan.plan.steps, []);
    assert.deepEqual(owned(plan), { 0: 5461, 1: 5461, 2: 5462 });
  });

  test("scale-out fills gaps in shard ids first", () => {
    const current: ShardSlots[] = [{ shard: 0, slots: "0-8191" }, { shard: 2, slots: "8192-16383" }];
    assert.deepEqual(planSlotScale({ current, targetShards: 4, maxConcurrent: 4 }).added, [1, 3]);
  });

  test("ownership must cover every slot exactly once", () => {
    assert.throws(() => planSlotScale({ current: [{ shard: 0, slots: "0-100" }, { shard: 1, slots: "100-16383" }], targetShards: 2, maxConcurrent: 1 }),
      (e: Error) => e instanceof PlannerInputError && /current\[1\]\.slots: slot 100 is owned by both shard 0 and shard 1/.test(e.message));
    assert.throws(() => planSlotScale({ current: [{ shard: 0, slots: "0-100,200-16383" }], targetShards: 2, maxConcurrent: 1 }), /slots 101-199 are owned by no shard/);
  });

  test("same input, same plan (byte-equal)", () => {
    const a = planSlotScale({ current: bootstrapSlots(5), targetShards: 9, maxConcurrent: 2 });
    const b = planSlotScale({ current: bootstrapSlots(5), targetShards: 9, maxConcurrent: 2 });
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    assert.notEqual(a.plan.id, planSlotScale({ current: bootstrapSlots(5), targetShards: 8, maxConcurrent: 2 }).plan.id);
  });
});

describe("assignWaves", () => {
  test("3 → 7 with maxConcurrent 1 takes 2 waves, not 3 (issue 10)", () => {
    // 3 donors give to 4 new shards: donor 0 gives to 3 and 4, donor 1 to 4 and 5, donor 2 to 5 and 6 —
    // every engine takes part in at most 2 moves, so 2 waves suffice; first-fit by size needed 3.
    const plan = planSlotScale({ current: bootstrapSlots(3), targetShards: 7, maxConcurrent: 1 });
    assert.deepEqual([plan.waves, plan.wavesLowerBound], [2, 2]);
    for (const wave of [0, 1]) {
      const engines = moves(plan).filter((m) => m.wave === wave).flatMap((m) => [m.from, m.to]);
      assert.equal(new Set(engines).size, engines.length, `wave ${wave}: each engine in one stream`);
    }
    assert.ok(plan.plan.reasons.some((r) => r.code === "Waves" && /2 waves with at most 1 streams per engine; no grouping needs fewer than 2/.test(r.message)));
  });
  test("no engine in more than maxConcurrent streams per wave, in exactly ⌈degree / maxConcurrent⌉ waves", () => {
    // engine A is in 3 moves; maxConcurrent 2 → ⌈3/2⌉ = 2 waves.
    const items = [{ from: "A", to: "D", count: 10 }, { from: "A", to: "B", count: 30 }, { from: "A", to: "C", count: 20 }, { from: "E", to: "F", count: 5 }];
    const wave = assignWaves(items, 2);
    assert.equal(Math.max(...wave) + 1, 2);
    assert.equal(wavesLowerBound(items, 2), 2);
    assert.ok(wave.filter((w, i) => w === wave[0] && items[i].from === "A").length <= 2);
  });
  test("maxConcurrent < 1 is refused naming the field", () => assert.throws(() => assignWaves([], 0), /spec\.migration\.maxConcurrent/));
  test("an engine that both gives and receives is refused: a minimal plan never does that", () => {
    assert.throws(() => assignWaves([{ from: 1, to: 2, count: 1 }, { from: 2, to: 3, count: 1 }], 1), (e: Error) => e instanceof PlannerInputError && /engine 2 both gives and receives/.test(e.message));
  });
});
