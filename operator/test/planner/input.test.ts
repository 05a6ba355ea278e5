// Strict inputs (issue 10): every malformed input to every entry point is a PlannerInputError that
// names the field — never a TypeError from deep inside, never a refusal.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  bootstrapSlots, placeMembers, planBootstrap, planDrain, PlannerInputError, planPrimaries, planReplacement, planSlotScale, type TopologyNode,
} from "../../src/planner/index.ts";
import { makeNode, member, policy } from "./fixtures.ts";

const nodes = [makeNode("a").zone("z1").obj(), makeNode("b").zone("z2").obj()];
const members = [member("s0-0", 0, "a", "primary"), member("s0-1", 0, "b")];
const dupNodes = [nodes[0], nodes[1], nodes[0]];
const dupMembers = [...members, member("s0-0", 1, "b")];
const negative = [member("s0-0", -1, "a", "primary")];
const nullish = null as unknown as never;

const cases: [string, () => unknown, RegExp][] = [
  ["bootstrap: nodes missing", () => planBootstrap({ nodes: nullish, policy: policy(), shards: 1, replicasPerShard: 0, namePrefix: "x" }), /^nodes: must be a list, got null/],
  ["bootstrap: a node listed twice", () => planBootstrap({ nodes: dupNodes, policy: policy(), shards: 1, replicasPerShard: 0, namePrefix: "x" }), /^nodes\[2\]\.name: "a" appears twice/],
  ["bootstrap: shards 0", () => planBootstrap({ nodes, policy: policy(), shards: 0, replicasPerShard: 0, namePrefix: "x" }), /^spec\.shards: must be an integer between 1 and 16384/],
  ["bootstrap: replicas -1", () => planBootstrap({ nodes, policy: policy(), shards: 1, replicasPerShard: -1, namePrefix: "x" }), /^spec\.replicasPerShard: must be an integer ≥ 0/],
  ["bootstrap: empty name prefix", () => planBootstrap({ nodes, policy: policy(), shards: 1, replicasPerShard: 0, namePrefix: "" }), /^namePrefix: must be a non-empty name/],
  ["bootstrap: policy missing", () => planBootstrap({ nodes, policy: nullish, shards: 1, replicasPerShard: 0, namePrefix: "x" }), /^spec\.placement: is missing/],
  ["bootstrap: a node without allocatable numbers", () => planBootstrap({ nodes: [{ ...nodes[0], allocatable: nullish } as TopologyNode], policy: policy(), shards: 1, replicasPerShard: 0, namePrefix: "x" }), /^nodes\[0\] \(a\)\.allocatable\.memoryBytes: must be a finite number/],
  ["placeMembers: members missing", () => placeMembers({ nodes, policy: policy(), members: nullish, requests: [] }), /^members: must be a list/],
  ["placeMembers: a member listed twice", () => placeMembers({ nodes, policy: policy(), members: dupMembers, requests: [] }), /^members\[2\]\.name: "s0-0" appears twice/],
  ["placeMembers: a member with a negative shard", () => placeMembers({ nodes, policy: policy(), members: negative, requests: [] }), /^members\[0\]\.shard: must be a shard index/],
  ["placeMembers: a request with a negative shard", () => placeMembers({ nodes, policy: policy(), members: [], requests: [{ name: "q", shard: -2, role: "standby" }] }), /^requests\[0\]\.shard: must be a shard index/],
  ["placeMembers: a request named twice", () => placeMembers({ nodes, policy: policy(), members: [], requests: [{ name: "q", shard: 0, role: "standby" }, { name: "q", shard: 1, role: "standby" }] }), /^requests\[1\]\.name: member "q" already exists or is requested twice/],
  ["placeMembers: a role that is neither", () => placeMembers({ nodes, policy: policy(), members: [{ ...members[0], role: "leader" as never }], requests: [] }), /^members\[0\]\.role: must be primary or standby/],
  ["drain: a node listed twice", () => planDrain({ nodes: dupNodes, policy: policy(), members, node: "a" }), /^nodes\[2\]\.name/],
  ["drain: a member listed twice", () => planDrain({ nodes, policy: policy(), members: dupMembers, node: "a" }), /^members\[2\]\.name/],
  ["drain: a member with a negative shard", () => planDrain({ nodes, policy: policy(), members: negative, node: "a" }), /^members\[0\]\.shard/],
  ["drain: node missing", () => planDrain({ nodes, policy: policy(), members, node: nullish }), /^node: must be a non-empty name/],
  ["replace: lost missing", () => planReplacement({ nodes, policy: policy(), members, lost: nullish }), /^lost: must be a list/],
  ["replace: a member listed twice", () => planReplacement({ nodes, policy: policy(), members: dupMembers, lost: ["s0-0"] }), /^members\[2\]\.name/],
  ["replace: a node listed twice", () => planReplacement({ nodes: dupNodes, policy: policy(), members, lost: ["s0-0"] }), /^nodes\[2\]\.name/],
  ["primaries: a member listed twice", () => planPrimaries({ nodes, members: dupMembers }), /^members\[2\]\.name/],
  ["primaries: a member with a negative shard", () => planPrimaries({ nodes, members: negative }), /^members\[0\]\.shard/],
  ["primaries: a node listed twice", () => planPrimaries({ nodes: dupNodes, members }), /^nodes\[2\]\.name/],
  ["primaries: notCandidates with a non-name", () => planPrimaries({ nodes, members, notCandidates: [7 as never] }), /^notCandidates\[0\]: must be a non-empty name/],
  ["slot scale: current missing", () => planSlotScale({ current: nullish, targetShards: 2, maxConcurrent: 1 }), /^current: must be a list/],
  ["slot scale: a shard's slots null", () => planSlotScale({ current: [{ shard: 0, slots: nullish }], targetShards: 2, maxConcurrent: 1 }), /^current\[0\]\.slots: must be a list, got null/],
  ["slot scale: a slot range that is not one", () => planSlotScale({ current: [{ shard: 0, slots: [{ start: 5, end: 2 }] }], targetShards: 2, maxConcurrent: 1 }), /^current\[0\]\.slots: \{"start":5,"end":2\} is not a slot range/],
  ["slot scale: a negative shard index", () => planSlotScale({ current: [{ shard: -1, slots: "0-16383" }], targetShards: 2, maxConcurrent: 1 }), /^current\[0\]\.shard: must be a shard index/],
  ["slot scale: a shard listed twice", () => planSlotScale({ current: [...bootstrapSlots(2), { shard: 1, slots: [] }], targetShards: 2, maxConcurrent: 1 }), /^current\[2\]\.shard: shard 1 is listed twice/],
  ["slot scale: bad slot text", () => planSlotScale({ current: [{ shard: 0, slots: "0-x" }], targetShards: 2, maxConcurrent: 1 }), /^current\[0\]\.slots: "0-x" is not a slot/],
  ["slot scale: maxConcurrent 0", () => planSlotScale({ current: bootstrapSlots(2), targetShards: 3, maxConcurrent: 0 }), /^spec\.migration\.maxConcurrent: must be an integer ≥ 1/],
  ["slot scale: remove not a list", () => planSlotScale({ current: bootstrapSlots(2), targetShards: 1, remove: nullish, maxConcurrent: 1 }), /^remove: must be a list/],
];

describe("malformed input is a PlannerInputError naming the field", () => {
  for (const [name, run, message] of cases) {
    test(name, () => {
      assert.throws(run, (e: unknown) => {
        assert.ok(e instanceof PlannerInputError, `expected a PlannerInputError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
        assert.match(e.message, message);
        assert.ok(e.message.startsWith(`${e.field}: `));
        return true;
      });
    });
  }
});
