import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bootstrapSlots, digestValue, planBootstrap, planDrain, planId, planPrimaries, planReplacement, planSlotScale, type TopologyNode } from "../../src/planner/index.ts";
import { grid, makeNode, member, policy, shuffled } from "./fixtures.ts";

describe("plan identity", () => {
  test("key order does not change the id; values do", () => {
    assert.equal(planId("drain", { a: 1, b: [1, 2], c: { x: "y" } }), planId("drain", { c: { x: "y" }, b: [1, 2], a: 1 }));
    assert.notEqual(planId("drain", { a: 1 }), planId("drain", { a: 2 }));
    assert.notEqual(planId("drain", { a: 1 }), planId("replace", { a: 1 }));
    assert.notEqual(planId("drain", { a: [1, 2] }), planId("drain", { a: [2, 1] }), "lists are ordered: the planners sort those whose order means nothing");
    assert.match(planId("drain", {}), /^drain-[0-9a-f]{16}$/);
  });
  test("undefined fields are dropped, so an absent optional field and an undefined one agree", () => {
    assert.equal(digestValue({ a: 1, b: undefined }), digestValue({ a: 1 }));
  });
  test("strings are length-prefixed: a value cannot imitate structure", () => {
    assert.notEqual(digestValue(["ab", "c"]), digestValue(["a", "bc"]));
    assert.notEqual(digestValue({ a: "1" }), digestValue({ a: 1 }));
  });
});

describe("plans do not depend on the order of input lists (status.plan is matched by id on resume)", () => {
  // Every node carries two taints and the policy two tolerations, so their order is shuffled too.
  const nodes = grid(1, 3, 2, 2, (b) => b.taint("a", "PreferNoSchedule").taint("b", "PreferNoSchedule"));
  const tolerations = [{ key: "x", operator: "Exists" as const }, { key: "y", operator: "Exists" as const }];
  const members = [
    member("s0-0", 0, "n0-0-0-0", "primary"), member("s0-1", 0, "n0-1-0-0"),
    member("s1-0", 1, "n0-0-0-0", "primary"), member("s1-1", 1, "n0-2-1-1"),
  ];
  const reorder = (list: readonly TopologyNode[], seed: number) => shuffled(list, seed).map((n) => ({ ...n, taints: [...n.taints].reverse() }));
  for (const seed of [1, 2, 3]) {
    test(`shuffle ${seed}: bootstrap, drain, replacement, primaries and slot scale give byte-equal plans`, () => {
      const p = policy({ isolationLevel: "zone", tolerations });
      const q = policy({ isolationLevel: "zone", tolerations: [...tolerations].reverse() });
      const same = (a: unknown, b: unknown) => assert.equal(JSON.stringify(a), JSON.stringify(b));
      same(planBootstrap({ nodes, policy: p, shards: 3, replicasPerShard: 1, namePrefix: "x" }), planBootstrap({ nodes: reorder(nodes, seed), policy: q, shards: 3, replicasPerShard: 1, namePrefix: "x" }));
      same(planDrain({ nodes, policy: p, members, node: "n0-0-0-0" }), planDrain({ nodes: reorder(nodes, seed), policy: q, members: shuffled(members, seed), node: "n0-0-0-0" }));
      same(planReplacement({ nodes, policy: p, members, lost: ["s0-0", "s1-1"] }), planReplacement({ nodes: reorder(nodes, seed), policy: q, members: shuffled(members, seed), lost: ["s1-1", "s0-0"] }));
      same(planPrimaries({ nodes, members }), planPrimaries({ nodes: reorder(nodes, seed), members: shuffled(members, seed) }));
      const current = bootstrapSlots(5);
      same(planSlotScale({ current, targetShards: 3, remove: [1, 3], maxConcurrent: 1 }), planSlotScale({ current: shuffled(current, seed), targetShards: 3, remove: [3, 1], maxConcurrent: 1 }));
    });
  }
  test("a different input gives a different id", () => {
    const a = planBootstrap({ nodes, policy: policy(), shards: 3, replicasPerShard: 1, namePrefix: "x" });
    const b = planBootstrap({ nodes: [...nodes, makeNode("extra").obj()], policy: policy(), shards: 3, replicasPerShard: 1, namePrefix: "x" });
    assert.ok(a.ok && b.ok);
    assert.notEqual(a.plan.id, b.plan.id);
  });
});
