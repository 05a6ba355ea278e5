import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { planPrimaries, PlannerInputError } from "../../src/planner/index.ts";
import { makeNode, member } from "./fixtures.ts";

// Three hosts in three zones; each shard has a member on two or three of them.
const nodes = [
  makeNode("a").zone("z1").rack("k1").obj(),
  makeNode("b").zone("z2").rack("k1").obj(),
  makeNode("c").zone("z3").rack("k1").obj(),
];

describe("planPrimaries", () => {
  test("spread primaries need no switchover", () => {
    const members = [member("s0-a", 0, "a", "primary"), member("s0-b", 0, "b"), member("s1-b", 1, "b", "primary"), member("s1-c", 1, "c")];
    const plan = planPrimaries({ nodes, members });
    assert.deepEqual(plan.plan.steps, []);
    // racks are hierarchical (rack k1 of z1 ≠ rack k1 of z2) → 0 pairs; every region label is missing,
    // so both primaries are in the one "unknown" region → 1 pair.
    assert.deepEqual(plan.after, { host: 0, rack: 0, zone: 0, region: 1 });
    assert.match(plan.plan.reasons[0].message, /primaries are spread/);
    assert.equal(plan.plan.kind, "switchover");
  });

  test("after a failover put two primaries on host b, one switchover restores the spread", () => {
    // s0 failed over a → b: b now holds s0 and s1 primaries (1 host pair). s1 can move to c (free),
    // s0 could move back to a: the planner moves exactly one (the first improving switch in shard order).
    const members = [member("s0-a", 0, "a"), member("s0-b", 0, "b", "primary"), member("s1-b", 1, "b", "primary"), member("s1-c", 1, "c")];
    const plan = planPrimaries({ nodes, members });
    assert.equal(plan.before.host, 1);
    assert.equal(plan.after.host, 0);
    assert.deepEqual(plan.plan.steps, [{ kind: "switchover", shard: 0, from: "s0-b", to: "s0-a", id: "switchover/0/s0-a", state: "pending" }]);
  });

  test("an augmenting path: moving a primary off the crowded host needs another shard to move first", () => {
    // s0 and s1 primaries on a. s0 can only go to b; b holds s2's primary, and s2 can go to c.
    // Single switchovers cannot help (s0 → b just makes b crowded); the path a →(s0) b →(s2) c does.
    const members = [
      member("s0-a", 0, "a", "primary"), member("s0-b", 0, "b"),
      member("s1-a", 1, "a", "primary"),
      member("s2-b", 2, "b", "primary"), member("s2-c", 2, "c"),
    ];
    const plan = planPrimaries({ nodes, members });
    assert.equal(plan.before.host, 1);
    assert.equal(plan.after.host, 0);
    assert.deepEqual(plan.plan.steps.map((s) => `${s.from}→${s.to}`).sort(), ["s0-a→s0-b", "s2-b→s2-c"]);
  });

  test("when two primaries per host are unavoidable, they are spread as evenly as possible", () => {
    // 4 shards, every member on a or b: best is 2 + 2 (1 + 1 = 2 pairs), not 3 + 1 (3 pairs).
    const members = [0, 1, 2, 3].flatMap((s) => [member(`s${s}-a`, s, "a", "primary"), member(`s${s}-b`, s, "b")]);
    const plan = planPrimaries({ nodes, members });
    assert.equal(plan.before.host, 6); // C(4,2)
    assert.equal(plan.after.host, 2);
    assert.equal(plan.plan.steps.length, 2);
  });

  test("zones first: two primaries on one host in different zones is not possible, but two in one zone is avoided before two on one host", () => {
    // Shard 0: a1 (zone z1) or b1 (z2). Shard 1: a1 (z1) or a2 (z1). Shard 2: b1 (z2) or c1 (z3).
    // Host first would keep a1/a2/b1 apart by host (0 host pairs, 1 zone pair); zone first puts one primary per zone.
    const zoned = [makeNode("a1").zone("z1").obj(), makeNode("a2").zone("z1").obj(), makeNode("b1").zone("z2").obj(), makeNode("c1").zone("z3").obj()];
    const members = [
      member("s0-a1", 0, "a1", "primary"), member("s0-b1", 0, "b1"),
      member("s1-a2", 1, "a2", "primary"), member("s1-a1", 1, "a1"),
      member("s2-b1", 2, "b1", "primary"), member("s2-c1", 2, "c1"),
    ];
    const plan = planPrimaries({ nodes: zoned, members });
    assert.equal(plan.before.zone, 1);
    assert.equal(plan.after.zone, 0);
    assert.deepEqual(plan.plan.steps.map((s) => s.to).sort(), ["s0-b1", "s2-c1"]);
  });

  test("within a zone, racks are spread", () => {
    // Hosts all distinct; a1, a2 share rack k1, b1 is in rack k2. Shard 1 can use a2 or b1 → b1.
    const racked = [makeNode("a1").zone("z1").rack("k1").obj(), makeNode("a2").zone("z1").rack("k1").obj(), makeNode("b1").zone("z1").rack("k2").obj()];
    const members = [member("s0-a1", 0, "a1", "primary"), member("s1-a2", 1, "a2", "primary"), member("s1-b1", 1, "b1")];
    const plan = planPrimaries({ nodes: racked, members });
    assert.equal(plan.before.rack, 1);
    assert.equal(plan.after.rack, 0);
    assert.deepEqual(plan.plan.steps.map((s) => s.to), ["s1-b1"]);
  });

  test("members on NotReady or draining nodes, and listed non-candidates, are never promoted", () => {
    const odd = [makeNode("a").obj(), makeNode("b").notReady().obj(), makeNode("c").store("draining").obj(), makeNode("d").obj()];
    const members = [
      member("s0-a", 0, "a", "primary"), member("s1-a", 1, "a", "primary"),
      member("s1-b", 1, "b"), member("s1-c", 1, "c"), member("s1-d", 1, "d"),
    ];
    assert.deepEqual(planPrimaries({ nodes: odd, members }).plan.steps.map((s) => s.to), ["s1-d"]);
    assert.deepEqual(planPrimaries({ nodes: odd, members, notCandidates: ["s1-d"] }).plan.steps, []);
  });

  test("a shard without a primary: no switchover (that is a forced failover), but the best member is named", () => {
    const members = [member("s0-a", 0, "a"), member("s0-b", 0, "b")];
    const plan = planPrimaries({ nodes, members });
    assert.deepEqual(plan.plan.steps, []);
    assert.deepEqual(plan.primaries, [{ shard: 0, member: "s0-a", node: "a" }]);
    assert.ok(plan.plan.reasons.some((r) => r.code === "PrimaryLost" && r.message.includes("shard 0 has no primary: s0-a on node a is the best member to promote")));
  });

  test("two primaries in one shard is refused naming both", () => {
    assert.throws(() => planPrimaries({ nodes, members: [member("x", 0, "a", "primary"), member("y", 0, "b", "primary")] }),
      (e: Error) => e instanceof PlannerInputError && /members: shard 0 has two members with role primary \(x, y\)/.test(e.message));
  });
});
