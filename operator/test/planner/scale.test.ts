// planScale: the plan a change of shape gets — new members then slot moves, slot moves then removals,
// standbys added or removed (a primary among the leaving first switches over).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { bootstrapSlots, countSlots, planScale, type ExistingMember, type ScaleInput } from "../../src/planner/index.ts";
import { grid, member, policy } from "./fixtures.ts";

const nodes = grid(1, 3, 2, 2);
const zoneNodes = (z: number) => nodes.filter((n) => n.name.startsWith(`n0-${z}-`)).map((n) => n.name);

/** A formed cluster of `shards` × (replicas + 1) members, shard s's member i in zone (s + i) mod 3. */
function cluster(shards: number, replicas: number): { members: ExistingMember[]; ownership: ScaleInput["ownership"] } {
  const used = new Map<number, number>();
  const members: ExistingMember[] = [];
  for (let s = 0; s < shards; s++) for (let i = 0; i <= replicas; i++) {
    const z = (s + i) % 3;
    const k = used.get(z) ?? 0;
    used.set(z, k + 1);
    members.push(member(`c-${s}-${i}`, s, zoneNodes(z)[k % 4], i === 0 ? "primary" : "standby"));
  }
  return { members, ownership: bootstrapSlots(shards).map((b) => ({ shard: b.shard, slots: b.slots })) };
}

const input = (shards: number, replicas: number, to: { shards: number; replicas: number }): ScaleInput => ({
  namePrefix: "c", nodes, policy: policy({ isolationLevel: "zone" }), ...cluster(shards, replicas), shards: to.shards, replicasPerShard: to.replicas, maxConcurrent: 2,
});

describe("planScale", () => {
  test("3 → 5 shards: the new shards' members are placed (zone isolation kept), then slots move only to them, balanced", () => {
    const out = planScale(input(3, 1, { shards: 5, replicas: 1 }));
    assert.ok(out.ok, out.ok ? "" : out.refusal.message);
    assert.equal(out.plan.kind, "scale-out");
    const places = out.plan.steps.filter((s) => s.kind === "place-member");
    assert.deepEqual(places.map((s) => s.kind === "place-member" && `${s.member} ${s.role}`), ["c-3-0 primary", "c-3-1 standby", "c-4-0 primary", "c-4-1 standby"]);
    for (const shard of [3, 4]) {
      const zones = places.filter((s) => s.kind === "place-member" && s.shard === shard).map((s) => s.kind === "place-member" && s.node.split("-")[1]);
      assert.equal(new Set(zones).size, 2, `shard ${shard}'s members in different zones`);
    }
    const moves = out.plan.steps.filter((s) => s.kind === "move-slots");
    assert.ok(moves.every((s) => s.kind === "move-slots" && (s.to === 3 || s.to === 4)));
    assert.equal(moves.reduce((n, s) => n + (s.kind === "move-slots" ? countSlots(s.slots) : 0), 0), 16384 - 3 * 3277, "each old shard keeps 3277 slots (the extra slots stay with the biggest owners)");
    assert.ok(out.plan.steps.findIndex((s) => s.kind === "move-slots") > out.plan.steps.filter((s) => s.kind === "place-member").length - 1, "members first, then moves");
  });

  test("5 → 4 shards: shard 4 hands every slot to the others, then its standby leaves before its primary", () => {
    const out = planScale(input(5, 1, { shards: 4, replicas: 1 }));
    assert.ok(out.ok);
    assert.equal(out.plan.kind, "scale-in");
    const moves = out.plan.steps.filter((s) => s.kind === "move-slots");
    assert.ok(moves.length > 0 && moves.every((s) => s.kind === "move-slots" && s.from === 4));
    assert.deepEqual(out.plan.steps.filter((s) => s.kind === "remove-member").map((s) => s.kind === "remove-member" && s.member), ["c-4-1", "c-4-0"]);
  });

  test("1 → 2 standbys: one new standby per shard, in a zone its shard does not use", () => {
    const out = planScale(input(3, 1, { shards: 3, replicas: 2 }));
    assert.ok(out.ok);
    const c = cluster(3, 1);
    for (const s of out.plan.steps) {
      assert.equal(s.kind, "place-member");
      if (s.kind !== "place-member") continue;
      assert.equal(s.role, "standby");
      const zones = c.members.filter((m) => m.shard === s.shard).map((m) => m.node.split("-")[1]);
      assert.ok(!zones.includes(s.node.split("-")[1]), `${s.member} in a third zone`);
    }
  });

  test("2 → 1 standbys: each shard's highest-numbered standby leaves; a primary among them switches over first", () => {
    const i = input(3, 2, { shards: 3, replicas: 1 });
    const members = i.members.map((m) => (m.shard === 1 ? { ...m, role: m.name === "c-1-2" ? "primary" as const : "standby" as const } : m));
    const out = planScale({ ...i, members });
    assert.ok(out.ok);
    assert.deepEqual(out.plan.steps.map((s) => `${s.kind} ${s.kind === "remove-member" ? s.member : s.kind === "switchover" ? `${s.from}→${s.to}` : ""}`),
      ["remove-member c-0-2", "switchover c-1-2→c-1-0", "remove-member c-1-2", "remove-member c-2-2"]);
  });

  test("a shape the cluster has: nothing to do", () => {
    const out = planScale(input(3, 1, { shards: 3, replicas: 1 }));
    assert.equal(out.ok, false);
    assert.equal(!out.ok && out.refusal.code, "NothingToDo");
  });
});
