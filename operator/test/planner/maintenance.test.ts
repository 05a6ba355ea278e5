import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { applySteps, planDrain, planReplacement, replacementName } from "../../src/planner/index.ts";
import { grid, makeNode, member, policy } from "./fixtures.ts";

describe("planDrain", () => {
  // 2 zones × 2 racks × 2 hosts = 8 nodes, names n0-<zone>-<rack>-<host>.
  const nodes = grid(1, 2, 2, 2);
  const members = [
    member("s0-0", 0, "n0-0-0-0", "primary"), member("s0-1", 0, "n0-1-0-0"),
    member("s1-0", 1, "n0-1-1-1", "primary"), member("s1-1", 1, "n0-0-0-0"),
    member("s2-0", 2, "n0-0-0-0", "primary"), // shard 2 has no standby
  ];

  test("switchover first where a standby exists, then replacements, late switchover, removals", () => {
    const plan = planDrain({ nodes, policy: policy({ isolationLevel: "zone" }), members, node: "n0-0-0-0" });
    assert.ok(plan.ok, plan.ok ? "" : plan.failure.message);
    assert.deepEqual(plan.steps.map((s) => `${s.action} ${"member" in s ? `${s.member}${s.action === "add-member" ? `@${s.node}` : ""}` : `${s.from}→${s.to}`}`), [
      "switchover s0-0→s0-1",
      // s0's other member is in zone 1 → replacement must be in zone 0, not on the drained node;
      // zone-0 nodes by tie-break: n0-0-0-1 (0 members) first.
      "add-member s0-0-r1@n0-0-0-1",
      // s1's other member s1-0 is in zone 1 → zone 0 again; n0-0-0-1 now holds one member, n0-0-1-0 none.
      "add-member s1-1-r1@n0-0-1-0",
      // s2 has no other member: any node but the drained one; fewest members → n0-0-1-1 (name order).
      "add-member s2-0-r1@n0-0-1-1",
      "switchover s2-0→s2-0-r1",
      "remove-member s0-0", "remove-member s1-1", "remove-member s2-0",
    ]);
    const after = applySteps(members, plan.steps);
    assert.equal(after.filter((m) => m.node === "n0-0-0-0").length, 0, "drain empties the node");
    for (const shard of [0, 1, 2]) assert.equal(after.filter((m) => m.shard === shard && m.role === "primary").length, 1);
  });

  test("the standby that takes over is the one whose host, then rack, holds the fewest primaries", () => {
    // s0's primary on n0-0-0-0 leaves. Standbys: s0-1 on n0-1-0-0 (host already holds s1's primary)
    // and s0-2 on n0-1-1-0 (no primary on host; rack k1 of z1 holds none either) → s0-2.
    const m = [
      member("s0-0", 0, "n0-0-0-0", "primary"), member("s0-1", 0, "n0-1-0-0"), member("s0-2", 0, "n0-1-1-0"),
      member("s1-0", 1, "n0-1-0-0", "primary"), member("s1-1", 1, "n0-0-1-1"),
    ];
    const plan = planDrain({ nodes, policy: policy({ isolationLevel: "host" }), members: m, node: "n0-0-0-0" });
    assert.ok(plan.ok);
    assert.deepEqual(plan.steps[0], { action: "switchover", shard: 0, from: "s0-0", to: "s0-2", reason: "primary s0-0 leaves draining node n0-0-0-0; standby s0-2 on node n0-1-1-0 takes over first" });
    // with s0-2 excluded from promotion (e.g. not in sync), s0-1 is the only choice
    const pinned = planDrain({ nodes, policy: policy({ isolationLevel: "host" }), members: m, node: "n0-0-0-0", notCandidates: ["s0-2"] });
    assert.ok(pinned.ok);
    assert.equal(pinned.steps[0].action === "switchover" && pinned.steps[0].to, "s0-1");
  });

  test("a node without members gives an empty plan", () => {
    const plan = planDrain({ nodes, policy: policy(), members, node: "n0-1-1-0" });
    assert.ok(plan.ok);
    assert.deepEqual(plan.steps, []);
  });

  test("when no replacement fits, nothing is planned and every node says why", () => {
    const small = [makeNode("a").zone("z1").obj(), makeNode("b").zone("z2").obj()];
    const plan = planDrain({ nodes: small, policy: policy({ isolationLevel: "zone" }), members: [member("s0-0", 0, "a", "primary"), member("s0-1", 0, "b")], node: "a" });
    assert.equal(plan.ok, false);
    if (plan.ok) return;
    assert.deepEqual(plan.failure.rejections.map((r) => `${r.node}:${r.code}`), ["a:Excluded", "b:HoldsShardMember"]);
    assert.match(plan.reasons.at(-1)!, /cannot drain node a/);
  });

  test("an unknown node is refused", () => assert.throws(() => planDrain({ nodes, policy: policy(), members, node: "nope" }), /node "nope" is not in the topology/));
});

describe("planReplacement", () => {
  const nodes = [makeNode("a").zone("z1").obj(), makeNode("b").zone("z2").obj(), makeNode("c").zone("z3").obj(), makeNode("d").zone("z1").obj()];

  test("a lost primary is failed over to a survivor, then replaced with isolation from the survivors", () => {
    // node a is gone from the snapshot; s0's survivor is on b (z2) → replacement in z1 or z3 → c (0 members) … d is also free:
    // c and d both score 10 000 vs b; d holds nothing, c holds s1-c → d.
    const live = nodes.filter((n) => n.name !== "a");
    const members = [member("s0-a", 0, "a", "primary"), member("s0-b", 0, "b"), member("s1-c", 1, "c", "primary")];
    const plan = planReplacement({ nodes: live, policy: policy({ isolationLevel: "zone" }), members, lost: ["s0-a"] });
    assert.ok(plan.ok, plan.ok ? "" : plan.failure.message);
    assert.deepEqual(plan.steps.map((s) => s.action), ["failover", "add-member", "remove-member"]);
    assert.deepEqual(plan.placements.map((p) => [p.member, p.node]), [["s0-a-r1", "d"]]);
    const after = applySteps(members, plan.steps);
    assert.deepEqual(after.filter((m) => m.shard === 0).map((m) => `${m.name}:${m.role}`).sort(), ["s0-a-r1:standby", "s0-b:primary"]);
  });

  test("a shard that lost every member is refused: its data is gone", () => {
    assert.throws(() => planReplacement({ nodes, policy: policy(), members: [member("s0-a", 0, "a", "primary")], lost: ["s0-a"] }), /lost every member.*restore the shard from a backup/);
  });

  test("unknown lost member is refused", () => {
    assert.throws(() => planReplacement({ nodes, policy: policy(), members: [], lost: ["x"] }), /lost member "x" is not a member/);
  });

  test("replacement names bump a previous suffix", () => {
    assert.equal(replacementName("s0-1", new Set()), "s0-1-r1");
    assert.equal(replacementName("s0-1-r1", new Set()), "s0-1-r2");
    assert.equal(replacementName("s0-1", new Set(["s0-1-r1"])), "s0-1-r2");
  });
});
