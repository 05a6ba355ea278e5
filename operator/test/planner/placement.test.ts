import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  formatSlotRanges, placeMembers, planBootstrap, PlannerInputError, solvePlacement, type ExistingMember, type MemberRequest, type PlacementPolicy, type TopologyNode,
} from "../../src/planner/index.ts";
import { grid, makeNode, member, policy } from "./fixtures.ts";

interface Case {
  name: string;
  nodes: TopologyNode[];
  members?: ExistingMember[];
  requests: MemberRequest[];
  policy?: Partial<PlacementPolicy>;
  /** member → node */
  expect: Record<string, string>;
  scores?: Record<string, number>;
}

const standby = (name: string, shard = 0): MemberRequest => ({ name, shard, role: "standby" });

const cases: Case[] = [
  {
    name: "score: a different region beats a different zone, rack or host",
    // m0 on a (r1/z1/k1/h-a). Scores Σ 100^(4−i−1): b differs at host i=3 → 1; c at rack i=2 → 100;
    // d at zone i=1 → 10 000; e at region i=0 → 1 000 000.
    nodes: [
      makeNode("a").region("r1").zone("z1").rack("k1").obj(),
      makeNode("b").region("r1").zone("z1").rack("k1").obj(),
      makeNode("c").region("r1").zone("z1").rack("k2").obj(),
      makeNode("d").region("r1").zone("z2").rack("k1").obj(),
      makeNode("e").region("r2").zone("z1").rack("k1").obj(),
    ],
    members: [member("m0", 0, "a", "primary")],
    requests: [standby("m1")],
    expect: { m1: "e" },
    scores: { m1: 1_000_000 },
  },
  {
    name: "score sums over the shard's members",
    // m0 on r1/z1, m1 on r2/z1. x (r1/z2): 10 000 (zone vs m0) + 1 000 000 (region vs m1) = 1 010 000;
    // y (r3/z1): 1 000 000 + 1 000 000 = 2 000 000 → y.
    nodes: [
      makeNode("a").region("r1").zone("z1").obj(),
      makeNode("b").region("r2").zone("z1").obj(),
      makeNode("x").region("r1").zone("z2").obj(),
      makeNode("y").region("r3").zone("z1").obj(),
    ],
    members: [member("m0", 0, "a", "primary"), member("m1", 0, "b")],
    requests: [standby("m2")],
    expect: { m2: "y" },
    scores: { m2: 2_000_000 },
  },
  {
    name: "a missing label equals the other missing labels",
    // m0 on a: r1, no zone. p: r1, no zone → same zone ("unknown" = "unknown"), differs at rack → 100;
    // q: r1/z1 → differs at zone → 10 000 → q.
    nodes: [
      makeNode("a").region("r1").rack("k1").obj(),
      makeNode("p").region("r1").rack("k2").obj(),
      makeNode("q").region("r1").zone("z1").rack("k1").obj(),
    ],
    members: [member("m0", 0, "a", "primary")],
    requests: [standby("m1")],
    expect: { m1: "q" },
    scores: { m1: 10_000 },
  },
  {
    name: "above isolationLevel the score is best effort: a different zone is preferred, a different rack accepted",
    // isolationLevel rack. m0 on a (z1/k1). z2 node "c" is full (needs 1Gi, 0.5Gi free), so the
    // best feasible is b (z1/k2, score 100), not c (score 10 000).
    nodes: [
      makeNode("a").zone("z1").rack("k1").obj(),
      makeNode("b").zone("z1").rack("k2").obj(),
      makeNode("c").zone("z2").rack("k1").memory("2Gi").using("1536Mi").obj(),
    ],
    members: [member("m0", 0, "a", "primary")],
    requests: [standby("m1")],
    policy: { isolationLevel: "rack" },
    expect: { m1: "b" },
    scores: { m1: 100 },
  },
  {
    name: "ties: fewest members of this cluster on the node first",
    // b and c both score 10 000 vs m0; b already holds x0 (shard 1) → c.
    nodes: [makeNode("a").zone("z1").obj(), makeNode("b").zone("z2").obj(), makeNode("c").zone("z2").obj()],
    members: [member("m0", 0, "a", "primary"), member("x0", 1, "b")],
    requests: [standby("m1")],
    expect: { m1: "c" },
  },
  {
    name: "ties: then fewest primaries",
    // b and c both hold one member and score 10 000; b's is a primary → c.
    nodes: [makeNode("a").zone("z1").obj(), makeNode("b").zone("z2").obj(), makeNode("c").zone("z2").obj()],
    members: [member("m0", 0, "a", "primary"), member("x0", 1, "b", "primary"), member("y0", 2, "c", "standby")],
    requests: [standby("m1")],
    expect: { m1: "c" },
  },
  {
    name: "ties: then domain order (here the host label, which the fixture sets to the node name)",
    nodes: [makeNode("zeta").zone("z1").obj(), makeNode("beta").zone("z1").obj(), makeNode("alpha").zone("z1").obj()],
    requests: [{ name: "m0", shard: 0, role: "primary" }],
    expect: { m0: "alpha" },
  },
  {
    name: "members of one plan share the room (capacity and isolation): the assignment that fits is found",
    // a has room for one 1Gi member (2Gi − 1Gi used), b and c plenty. Shard 0 needs zones z1 and z2:
    // one member on c (the only z2 node), one on a or b; shard 1's member goes to the z1 node left.
    // Node balance (fewest members per node) puts one member on each node.
    nodes: [
      makeNode("a").zone("z1").memory("2Gi").using("1Gi").obj(),
      makeNode("b").zone("z1").obj(),
      makeNode("c").zone("z2").obj(),
    ],
    requests: [{ name: "s0-0", shard: 0, role: "primary" }, { name: "s1-0", shard: 1, role: "primary" }, standby("s0-1", 0)],
    policy: { isolationLevel: "zone" },
    expect: { "s0-0": "a", "s1-0": "b", "s0-1": "c" },
  },
  {
    name: "a large node beside small ones at host isolation (issue 10: the greedy refused this)",
    // 2 shards × 3 members, host isolation. big has room for 2, s1..s4 for 1 each (memory).
    // Capacity per host for this cluster: big 2 (one per shard), each small 1 → 6 = what is needed,
    // so big holds one member of each shard and the four small nodes the rest.
    nodes: [
      makeNode("big").memory("2Gi").obj(),
      makeNode("s1").memory("1Gi").obj(), makeNode("s2").memory("1Gi").obj(), makeNode("s3").memory("1Gi").obj(), makeNode("s4").memory("1Gi").obj(),
    ],
    requests: [0, 1].flatMap((s) => [0, 1, 2].map((i) => standby(`m${s}-${i}`, s))),
    expect: { "m0-0": "big", "m0-1": "s1", "m0-2": "s3", "m1-0": "big", "m1-1": "s2", "m1-2": "s4" },
  },
  {
    name: "maxMembersPerHost counts per host label, across nodes",
    // a1 and a2 share host label "h"; with max 1, after s0 → a1 the host is full, s1 → b.
    nodes: [makeNode("a1").host("h").obj(), makeNode("a2").host("h").obj(), makeNode("b").host("hb").obj()],
    requests: [{ name: "s0", shard: 0, role: "primary" }, { name: "s1", shard: 1, role: "primary" }],
    policy: { maxMembersPerHost: 1 },
    expect: { s0: "a1", s1: "b" },
  },
  {
    name: "topology keys are configurable",
    // with zone read from example.com/room, a and b differ at zone → b; under the default keys both
    // would be in the same (unlabelled) zone.
    nodes: [makeNode("a").label("example.com/room", "r1").obj(), makeNode("b").label("example.com/room", "r2").obj(), makeNode("c").label("example.com/room", "r1").obj()],
    members: [member("m0", 0, "a", "primary")],
    requests: [standby("m1")],
    policy: { isolationLevel: "zone", topologyKeys: { zone: "example.com/room" } },
    expect: { m1: "b" },
  },
  {
    name: "nodeSelector selects the pool",
    nodes: [makeNode("a").obj(), makeNode("b").label("pool", "db").obj()],
    requests: [{ name: "m0", shard: 0, role: "primary" }],
    policy: { nodeSelector: { pool: "db" } },
    expect: { m0: "b" },
  },
];

describe("placeMembers: filter, score, compare", () => {
  for (const c of cases) {
    test(c.name, () => {
      const result = solvePlacement({ nodes: c.nodes, policy: policy(c.policy), members: c.members ?? [], requests: c.requests });
      assert.ok(result.ok, result.ok ? "" : result.failure.message);
      assert.deepEqual(Object.fromEntries(result.placements.map((p) => [p.member, p.node])), c.expect);
      for (const [name, score] of Object.entries(c.scores ?? {})) assert.equal(result.placements.find((p) => p.member === name)?.score, score);
      const plan = placeMembers({ nodes: c.nodes, policy: policy(c.policy), members: c.members ?? [], requests: c.requests });
      assert.ok(plan.ok);
      assert.deepEqual(plan.plan.steps.map((s) => [s.kind, s.member, s.node, s.state]), result.placements.map((p) => ["place-member", p.member, p.node, "pending"]));
    });
  }
});

describe("placeMembers: rejections", () => {
  // One node per filter; "good" passes them all.
  const nodes = [
    makeNode("holder").zone("z0").obj(),
    makeNode("not-ready").zone("z1").notReady().obj(),
    makeNode("cordoned").zone("z1").cordoned().obj(),
    makeNode("disabled").zone("z1").store("disabled").obj(),
    makeNode("draining").zone("z1").store("draining").obj(),
    makeNode("odd-state").zone("z1").store("maintenance").obj(),
    makeNode("tainted").zone("z1").taint("dedicated", "NoSchedule", "gpu").obj(),
    makeNode("tolerated").zone("z1").taint("dedicated", "NoSchedule", "db").memory("1Gi").using("512Mi").obj(),
    makeNode("no-cpu").zone("z1").cpu("1").using("0", "800m").obj(),
    makeNode("no-pods").zone("z1").pods(3).using("0", "0", 3).obj(),
    makeNode("same-zone").zone("z0").obj(),
  ];
  const base = { policy: policy({ isolationLevel: "zone", nodeSelector: {}, tolerations: [{ key: "dedicated", operator: "Equal", value: "db" }] }), members: [member("m0", 0, "holder", "primary")] };
  const expected: Record<string, string> = {
    holder: "HoldsShardMember",
    "not-ready": "NotReady",
    cordoned: "Cordoned",
    disabled: "StoreDisabled",
    draining: "StoreDraining",
    "odd-state": "StoreDisabled",
    tainted: "UntoleratedTaint",
    tolerated: "InsufficientMemory", // toleration matches; 512Mi free < 1Gi
    "no-cpu": "InsufficientCpu", // 200m free < 500m
    "no-pods": "TooManyPods",
    "same-zone": "IsolationViolated", // shares z0 with m0 at isolationLevel zone
  };

  test("with one good node, it is chosen", () => {
    const plan = placeMembers({ ...base, nodes: [...nodes, makeNode("good").zone("z1").obj()], requests: [standby("m1")] });
    assert.ok(plan.ok);
    assert.equal(plan.plan.steps[0].node, "good");
  });

  test("without one, every node says why and nothing is placed", () => {
    const plan = placeMembers({
      ...base, nodes,
      requests: [{ name: "x0", shard: 1, role: "primary" }, standby("m1")],
    });
    assert.equal(plan.ok, false);
    if (plan.ok) return;
    const { refusal } = plan;
    assert.deepEqual(refusal.member, { name: "m1", shard: 0 });
    assert.deepEqual(Object.fromEntries(refusal.rejections!.map((r) => [r.node, r.code])), expected);
    assert.equal(refusal.rejections!.filter((r) => r.code === "StoreDisabled").length, 2);
    const odd = refusal.rejections!.find((r) => r.node === "odd-state")!;
    assert.match(odd.message, /maintenance.*treated as disabled/);
    const isolation = refusal.rejections!.find((r) => r.node === "same-zone")!;
    assert.match(isolation.message, /shares zone "z0" with member m0.*requires a different zone/);
    // x0 fits on holder or same-zone; m1 cannot go anywhere: 2 wanted, 1 fits.
    assert.deepEqual(refusal.members, { wanted: 2, fit: 1 });
    // zone z1 is allowed by isolation but its nodes have no room: capacity binds, not isolation
    assert.equal(refusal.code, "InsufficientCapacity");
    assert.deepEqual(refusal.constraints!.map((c) => [c.domain, c.limit, c.room, c.shards]), [["*", "NodeRoom", 0, [0]]]);
    assert.match(refusal.message, /cannot place 2 members at isolationLevel zone: at most 1 fit/);
    assert.match(refusal.message, /nothing was placed/);
    assert.match(refusal.message, /For m1 of shard 0/);
    assert.match(refusal.message, /lower spec\.placement\.isolationLevel/);
    assert.ok(!("plan" in plan), "a refusal places nothing, not even x0 which fitted");
  });

  test("nodeSelector mismatch is a rejection with the wanted label", () => {
    const plan = placeMembers({ nodes: [makeNode("a").label("pool", "web").obj()], policy: policy({ nodeSelector: { pool: "db" } }), members: [], requests: [standby("m0")] });
    assert.equal(plan.ok, false);
    if (plan.ok) return;
    assert.equal(plan.refusal.code, "Unplaceable");
    assert.equal(plan.refusal.rejections![0].code, "NodeSelectorMismatch");
    assert.match(plan.refusal.rejections![0].message, /wants pool=db, node has pool=web/);
  });

  test("maxMembersPerHost rejection names the limit", () => {
    const plan = placeMembers({ nodes: [makeNode("a").obj()], policy: policy({ maxMembersPerHost: 1 }), members: [member("x", 1, "a")], requests: [standby("m0")] });
    assert.equal(plan.ok, false);
    if (!plan.ok) assert.match(plan.refusal.rejections![0].message, /maxMembersPerHost=1/);
  });
});

describe("placeMembers: input errors and plan identity", () => {
  const nodes = [makeNode("a").zone("z1").obj(), makeNode("b").zone("z2").obj()];
  test("an existing member name is refused", () => {
    assert.throws(() => placeMembers({ nodes, policy: policy(), members: [member("m0", 0, "a")], requests: [standby("m0")] }), (e: Error) => e instanceof PlannerInputError && /requests\[0\]\.name: member "m0" already exists/.test(e.message));
  });
  test("a bad isolationLevel names the field", () => {
    assert.throws(() => placeMembers({ nodes, policy: policy({ isolationLevel: "building" as never }), members: [], requests: [] }), /spec\.placement\.isolationLevel: "building"/);
  });
  test("a duplicated node is refused", () => {
    assert.throws(() => placeMembers({ nodes: [nodes[0], nodes[0]], policy: policy(), members: [], requests: [] }), /nodes\[1\]\.name: "a" appears twice/);
  });
  test("a member on a node missing from the snapshot is reported and ignored for isolation", () => {
    const plan = placeMembers({ nodes, policy: policy({ isolationLevel: "zone" }), members: [member("m0", 0, "gone", "primary")], requests: [standby("m1")] });
    assert.ok(plan.ok);
    assert.ok(plan.plan.reasons.some((r) => r.code === "TopologyProblem" && r.message.includes("node gone, which is not in the topology snapshot")));
  });
  test("same input, same plan (byte-equal); other input, other id", () => {
    const input = { nodes, policy: policy(), members: [], requests: [standby("m0"), standby("m1", 1)] };
    const a = placeMembers(input);
    const b = placeMembers(structuredClone(input));
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    const c = placeMembers({ ...input, requests: [standby("m0")] });
    assert.ok(a.ok && c.ok);
    assert.notEqual(a.plan.id, c.plan.id);
    assert.match(a.plan.id, /^scale-out-[0-9a-f]{16}$/);
  });
  test("reasons explain each placement", () => {
    const plan = placeMembers({ nodes, policy: policy(), members: [member("m0", 0, "a", "primary")], requests: [standby("m1")] });
    assert.ok(plan.ok);
    assert.deepEqual(plan.plan.reasons, [{ code: "Placement", message: "standby m1 of shard 0 → node b: differs from the shard's other members at least at zone level (isolation score 10000)" }]);
  });
});

describe("placeMembers: explanations", () => {
  test("reasons name the nodes filtered out of the pool, by code", () => {
    const nodes = [makeNode("a").obj(), makeNode("b").cordoned().obj(), makeNode("c").store("draining").obj(), makeNode("d").cordoned().obj()];
    const plan = placeMembers({ nodes, policy: policy(), members: [], requests: [standby("m0")] });
    assert.ok(plan.ok);
    assert.deepEqual(plan.plan.reasons[0], { code: "NodesFiltered", message: "3 of 4 nodes in the pool cannot take members: 2 × Cordoned (b, d), 1 × StoreDraining (c)" });
  });
});

describe("planBootstrap", () => {
  test("3 shards × 3 members over 3 zones × 2 hosts: one member per zone, primaries on distinct hosts, primaries first, balanced slots", () => {
    // zone isolation with 3 members needs 3 zones; 6 hosts for 9 members → every host holds 1 or 2.
    const nodes = grid(1, 3, 1, 2);
    const out = planBootstrap({ nodes, policy: policy({ isolationLevel: "zone" }), shards: 3, replicasPerShard: 2, namePrefix: "demo" });
    assert.ok(out.ok, out.ok ? "" : out.refusal.message);
    const { plan } = out;
    assert.equal(plan.kind, "bootstrap");
    const places = plan.steps.filter((s) => s.kind === "place-member");
    const zoneOf = (node: string) => node.split("-")[1];
    for (const shard of [0, 1, 2]) {
      const zones = places.filter((p) => p.shard === shard).map((p) => zoneOf(p.node));
      assert.deepEqual([...zones].sort(), ["0", "1", "2"], `shard ${shard} spans every zone`);
    }
    assert.deepEqual(places.slice(0, 3).map((p) => [p.member, p.role]), [["demo-0-0", "primary"], ["demo-1-0", "primary"], ["demo-2-0", "primary"]]);
    assert.ok(places.slice(3).every((p) => p.role === "standby"));
    assert.equal(new Set(places.slice(0, 3).map((p) => p.node)).size, 3, "primaries on distinct hosts");
    const assigns = plan.steps.filter((s) => s.kind === "assign-slots");
    assert.deepEqual(assigns.map((s) => `${s.shard}:${formatSlotRanges(s.slots)}`), ["0:0-5461", "1:5462-10922", "2:10923-16383"]);
    assert.deepEqual(plan.steps.map((s) => s.kind).slice(-3), ["assign-slots", "assign-slots", "assign-slots"]);
    assert.ok(plan.steps.every((s) => s.state === "pending"));
    assert.equal(new Set(plan.steps.map((s) => s.id)).size, plan.steps.length, "step ids are unique");
    assert.match(plan.id, /^bootstrap-[0-9a-f]{16}$/);
  });

  test("too few zones: a refusal that names the binding zones, and nothing placed", () => {
    // 2 zones cannot hold 3 members that must differ by zone: each zone takes one member of the shard.
    const out = planBootstrap({ nodes: grid(1, 2, 1, 2), policy: policy({ isolationLevel: "zone" }), shards: 1, replicasPerShard: 2, namePrefix: "demo" });
    assert.equal(out.ok, false);
    if (out.ok) return;
    const { refusal } = out;
    assert.equal(refusal.code, "IsolationUnreachable");
    assert.deepEqual(refusal.members, { wanted: 3, fit: 2 });
    assert.deepEqual(refusal.constraints!.map((c) => [c.domain, c.limit, c.room]), [["*", "OneMemberPerShard", 2], ["r0/z0", "OneMemberPerShard", 1], ["r0/z1", "OneMemberPerShard", 1]]);
    assert.match(refusal.constraints![0].message, /shard 0 needs 3 new members on different zones; only 2 zones have a node they may use/);
    assert.deepEqual(refusal.member, { name: "demo-0-2", shard: 0 });
    assert.deepEqual(refusal.rejections!.map((r) => r.code).sort(), ["HoldsShardMember", "HoldsShardMember", "IsolationViolated", "IsolationViolated"]);
  });

  test("the demo's 3 shards × 2 members over 3 zones × 2 racks × 2 hosts: every zone, rack and host used evenly, one primary per zone", () => {
    const out = planBootstrap({ nodes: grid(1, 3, 2, 2), policy: policy({ isolationLevel: "zone" }), shards: 3, replicasPerShard: 1, namePrefix: "demo" });
    assert.ok(out.ok, out.ok ? "" : out.refusal.message);
    const places = out.plan.steps.filter((s) => s.kind === "place-member");
    const count = (keyOf: (node: string) => string, list = places) => {
      const counts = new Map<string, number>();
      for (const p of list) counts.set(keyOf(p.node), (counts.get(keyOf(p.node)) ?? 0) + 1);
      return [...counts.values()].sort();
    };
    const zone = (node: string) => node.split("-")[1];
    const rack = (node: string) => node.split("-").slice(1, 3).join("-");
    assert.deepEqual(count(zone), [2, 2, 2], "2 members in each of the 3 zones");
    assert.deepEqual(count(rack), [1, 1, 1, 1, 1, 1], "1 member in each of the 6 racks");
    assert.deepEqual(count(zone, places.filter((p) => p.role === "primary")), [1, 1, 1], "1 primary per zone: losing a zone costs one primary");
  });

  test("a scale-out's new members go to the zones that hold the fewest members", () => {
    const nodes = grid(1, 3, 1, 4);
    const members = [member("c-0-0", 0, "n0-0-0-0", "primary"), member("c-0-1", 0, "n0-1-0-0"), member("c-1-0", 1, "n0-1-0-1", "primary"), member("c-1-1", 1, "n0-0-0-1")];
    const out = solvePlacement({ nodes, policy: policy({ isolationLevel: "zone" }), members, requests: [{ name: "c-2-0", shard: 2, role: "primary" }, { name: "c-2-1", shard: 2, role: "standby" }] });
    assert.ok(out.ok, out.ok ? "" : out.failure.message);
    assert.ok(out.placements.some((p) => p.node.split("-")[1] === "2"), "the empty zone z2 gets a member");
  });

  test("node room binds: the refusal counts the room per zone", () => {
    // 2 shards × 2 members at zone isolation over 2 zones; zone z1 has room for one member only (2Gi node, 1Gi used).
    const nodes = [makeNode("a").zone("z0").obj(), makeNode("b").zone("z1").memory("2Gi").using("1Gi").obj()];
    const out = planBootstrap({ nodes, policy: policy({ isolationLevel: "zone" }), shards: 2, replicasPerShard: 1, namePrefix: "c" });
    assert.equal(out.ok, false);
    if (out.ok) return;
    assert.equal(out.refusal.code, "InsufficientCapacity");
    assert.deepEqual(out.refusal.members, { wanted: 4, fit: 3 });
    // the cut: z0 takes one member of each shard (2), z1 the one member its node has room for (1)
    assert.deepEqual(out.refusal.constraints!.map((c) => [c.domain, c.limit, c.room]), [["<unlabelled>/z0", "OneMemberPerShard", 2], ["<unlabelled>/z1", "NodeRoom", 1]]);
    const room = out.refusal.constraints![1];
    assert.match(room.message, /zone "<unlabelled>\/z1" takes 1: room on its nodes \(b 1\)/);
    assert.match(out.refusal.message, /add capacity or lower the member memory request/);
  });
});
