import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { applySteps, planDrain, planReplacement, replacementName, type MaintenanceStep } from "../../src/planner/index.ts";
import { grid, makeNode, member, policy } from "./fixtures.ts";

const show = (s: MaintenanceStep) => `${s.kind} ${s.kind === "switchover" ? `${s.from}→${s.to}` : `${s.member}${s.kind === "place-member" ? `@${s.node}` : ""}`}`;

describe("planDrain", () => {
  // 2 zones × 2 racks × 2 hosts = 8 nodes, names n0-<zone>-<rack>-<host>.
  const nodes = grid(1, 2, 2, 2);
  const members = [
    member("s0-0", 0, "n0-0-0-0", "primary"), member("s0-1", 0, "n0-1-0-0"),
    member("s1-0", 1, "n0-1-1-1", "primary"), member("s1-1", 1, "n0-0-0-0"),
    member("s2-0", 2, "n0-0-0-0", "primary"), // shard 2 has no standby
  ];

  test("switchover first where a standby exists, then replacements, late switchover, removals", () => {
    const out = planDrain({ nodes, policy: policy({ isolationLevel: "zone" }), members, node: "n0-0-0-0" });
    assert.ok(out.ok, out.ok ? "" : out.refusal.message);
    const { plan } = out;
    assert.equal(plan.kind, "drain");
    assert.deepEqual(plan.steps.map(show), [
      "switchover s0-0→s0-1",
      // s0's and s1's other members are in zone 1 → their replacements must be in zone 0, not on the
      // drained node. s2 has no member left off the node, so any node does. n0-0-0-1, n0-0-1-0 and
      // n0-0-1-1 hold no member: all three cost the same, one replacement each (node balance).
      "place-member s0-0-r1@n0-0-1-0",
      "place-member s1-1-r1@n0-0-1-1",
      "place-member s2-0-r1@n0-0-0-1",
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
    const out = planDrain({ nodes, policy: policy({ isolationLevel: "host" }), members: m, node: "n0-0-0-0" });
    assert.ok(out.ok);
    assert.deepEqual(out.plan.steps[0], { kind: "switchover", shard: 0, from: "s0-0", to: "s0-2", id: "switchover/0/s0-2", state: "pending" });
    assert.ok(out.plan.reasons.some((r) => r.message === "primary s0-0 leaves draining node n0-0-0-0; standby s0-2 on node n0-1-1-0 takes over first"));
    // with s0-2 excluded from promotion (e.g. not in sync), s0-1 is the only choice
    const pinned = planDrain({ nodes, policy: policy({ isolationLevel: "host" }), members: m, node: "n0-0-0-0", notCandidates: ["s0-2"] });
    assert.ok(pinned.ok);
    assert.equal(pinned.plan.steps[0].kind === "switchover" && pinned.plan.steps[0].to, "s0-1");
  });

  test("a node without members: nothing to do", () => {
    const out = planDrain({ nodes, policy: policy(), members, node: "n0-1-1-0" });
    assert.equal(out.ok, false);
    if (!out.ok) assert.equal(out.refusal.code, "NothingToDo");
  });

  test("when no replacement fits, nothing is planned and every node says why", () => {
    const small = [makeNode("a").zone("z1").obj(), makeNode("b").zone("z2").obj()];
    const out = planDrain({ nodes: small, policy: policy({ isolationLevel: "zone" }), members: [member("s0-0", 0, "a", "primary"), member("s0-1", 0, "b")], node: "a" });
    assert.equal(out.ok, false);
    if (out.ok) return;
    assert.deepEqual(out.refusal.rejections!.map((r) => `${r.node}:${r.code}`), ["a:Excluded", "b:HoldsShardMember"]);
    assert.match(out.refusal.message, /^cannot drain node a: /);
  });

  test("an unknown node is refused", () => assert.throws(() => planDrain({ nodes, policy: policy(), members, node: "nope" }), /node: "nope" is not in the topology/));
});

describe("planReplacement", () => {
  const nodes = [makeNode("a").zone("z1").obj(), makeNode("b").zone("z2").obj(), makeNode("c").zone("z3").obj(), makeNode("d").zone("z1").obj()];

  test("a lost primary is failed over to a survivor, then replaced with isolation from the survivors", () => {
    // node a is gone from the snapshot; s0's survivor is on b (z2) → replacement in z1 or z3 → c (0 members) … d is also free:
    // c and d both score 10 000 vs b; d holds nothing, c holds s1-c → d.
    const live = nodes.filter((n) => n.name !== "a");
    // d and c both share nothing with b (z2) at zone level; d holds nothing, c holds s1-c → d.
    const members = [member("s0-a", 0, "a", "primary"), member("s0-b", 0, "b"), member("s1-c", 1, "c", "primary")];
    const out = planReplacement({ nodes: live, policy: policy({ isolationLevel: "zone" }), members, lost: ["s0-a"] });
    assert.ok(out.ok, out.ok ? "" : out.refusal.message);
    const { plan } = out;
    assert.deepEqual(plan.steps.map(show), ["switchover s0-a→s0-b", "place-member s0-a-r1@d", "remove-member s0-a"]);
    assert.equal(plan.steps[0].kind === "switchover" && plan.steps[0].forced, true);
    const after = applySteps(members, plan.steps);
    assert.deepEqual(after.filter((m) => m.shard === 0).map((m) => `${m.name}:${m.role}`).sort(), ["s0-a-r1:standby", "s0-b:primary"]);
  });

  test("a shard that lost every member is refused: its data is gone", () => {
    const out = planReplacement({ nodes, policy: policy(), members: [member("s0-a", 0, "a", "primary")], lost: ["s0-a"] });
    assert.equal(out.ok, false);
    if (out.ok) return;
    assert.equal(out.refusal.code, "ShardLost");
    assert.match(out.refusal.message, /lost every member.*restore the shard from a backup/);
  });

  test("a lost primary whose survivors cannot be promoted is refused", () => {
    const out = planReplacement({ nodes, policy: policy(), members: [member("s0-a", 0, "a", "primary"), member("s0-b", 0, "b")], lost: ["s0-a"], notCandidates: ["s0-b"] });
    assert.equal(!out.ok && out.refusal.code, "NoPromotableMember");
  });

  test("unknown lost member is an input error naming the entry", () => {
    assert.throws(() => planReplacement({ nodes, policy: policy(), members: [], lost: ["x"] }), /lost\[0\]: "x" is not a member/);
  });

  test("replacement names bump a previous suffix", () => {
    assert.equal(replacementName("s0-1", new Set()), "s0-1-r1");
    assert.equal(replacementName("s0-1-r1", new Set()), "s0-1-r2");
    assert.equal(replacementName("s0-1", new Set(["s0-1-r1"])), "s0-1-r2");
  });
});
