import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatSlotRanges, placeMembers, planBootstrap, PlannerInputError, type ClusterMember, type MemberRequest, type PlacementPolicy, type TopologyNode } from "../../src/planner/index.ts";
import { grid, makeNode, member, policy } from "./fixtures.ts";

interface Case {
  name: string;
  nodes: TopologyNode[];
  members?: ClusterMember[];
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
    name: "ties: then node name",
    nodes: [makeNode("zeta").zone("z1").obj(), makeNode("beta").zone("z1").obj(), makeNode("alpha").zone("z1").obj()],
    requests: [{ name: "m0", shard: 0, role: "primary" }],
    expect: { m0: "alpha" },
  },
  {
    name: "members placed earlier in the request count for later ones (capacity and isolation)",
    // a has room for one 1Gi member (2Gi − 1Gi used). s0 → a (name order); s1 → b (a is now full);
    // s0's standby must leave zone z1 → c.
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
      const plan = placeMembers({ nodes: c.nodes, policy: policy(c.policy), members: c.members ?? [], requests: c.requests });
      assert.ok(plan.ok, plan.ok ? "" : plan.failure.message);
      assert.deepEqual(Object.fromEntries(plan.placements.map((p) => [p.member, p.node])), c.expect);
      for (const [name, score] of Object.entries(c.scores ?? {})) assert.equal(plan.placements.find((p) => p.member === name)?.score, score);
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
    assert.equal(plan.placements[0].node, "good");
  });

  test("without one, every node says why and nothing is placed", () => {
    const plan = placeMembers({
      ...base, nodes,
      requests: [{ name: "x0", shard: 1, role: "primary" }, standby("m1")],
    });
    assert.equal(plan.ok, false);
    if (plan.ok) return;
    assert.equal(plan.failure.member, "m1");
    assert.deepEqual(Object.fromEntries(plan.failure.rejections.map((r) => [r.node, r.code])), expected);
    assert.equal(plan.failure.counts.IsolationViolated, 1);
    assert.equal(plan.failure.counts.StoreDisabled, 2);
    const odd = plan.failure.rejections.find((r) => r.node === "odd-state")!;
    assert.match(odd.message, /maintenance.*treated as disabled/);
    const isolation = plan.failure.rejections.find((r) => r.node === "same-zone")!;
    assert.match(isolation.message, /shares zone "z0" with member m0.*requires a different zone/);
    assert.match(plan.failure.message, /cannot place standby m1 of shard 0 at isolationLevel zone/);
    assert.match(plan.failure.message, /nothing of this request was placed/);
    assert.match(plan.failure.message, /lower spec\.placement\.isolationLevel/);
    assert.ok(!("placements" in plan), "a failed plan places nothing, not even x0 which fitted");
  });

  test("nodeSelector mismatch is a rejection with the wanted label", () => {
    const plan = placeMembers({ nodes: [makeNode("a").label("pool", "web").obj()], policy: policy({ nodeSelector: { pool: "db" } }), members: [], requests: [standby("m0")] });
    assert.equal(plan.ok, false);
    if (plan.ok) return;
    assert.equal(plan.failure.rejections[0].code, "NodeSelectorMismatch");
    assert.match(plan.failure.rejections[0].message, /wants pool=db, node has pool=web/);
  });

  test("maxMembersPerHost rejection names the limit", () => {
    const plan = placeMembers({ nodes: [makeNode("a").obj()], policy: policy({ maxMembersPerHost: 1 }), members: [member("x", 1, "a")], requests: [standby("m0")] });
    assert.equal(plan.ok, false);
    if (!plan.ok) assert.match(plan.failure.rejections[0].message, /maxMembersPerHost=1/);
  });
});

describe("placeMembers: input errors and plan identity", () => {
  const nodes = [makeNode("a").zone("z1").obj(), makeNode("b").zone("z2").obj()];
  test("an existing member name is refused", () => {
    assert.throws(() => placeMembers({ nodes, policy: policy(), members: [member("m0", 0, "a")], requests: [standby("m0")] }), (e: Error) => e instanceof PlannerInputError && /already exists/.test(e.message));
  });
  test("a bad isolationLevel names the field", () => {
    assert.throws(() => placeMembers({ nodes, policy: policy({ isolationLevel: "building" as never }), members: [], requests: [] }), /spec\.placement\.isolationLevel "building"/);
  });
  test("a duplicated node is refused", () => {
    assert.throws(() => placeMembers({ nodes: [nodes[0], nodes[0]], policy: policy(), members: [], requests: [] }), /appears twice/);
  });
  test("a member on a node missing from the snapshot is reported and ignored for isolation", () => {
    const plan = placeMembers({ nodes, policy: policy({ isolationLevel: "zone" }), members: [member("m0", 0, "gone", "primary")], requests: [standby("m1")] });
    assert.ok(plan.ok);
    assert.ok(plan.reasons.some((r) => r.includes("node gone, which is not in the topology snapshot")));
  });
  test("same input, same plan (byte-equal); other input, other id", () => {
    const input = { nodes, policy: policy(), members: [], requests: [standby("m0"), standby("m1", 1)] };
    const a = placeMembers(input);
    const b = placeMembers(structuredClone(input));
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    const c = placeMembers({ ...input, requests: [standby("m0")] });
    assert.notEqual(a.id, c.id);
    assert.match(a.id, /^placement-[0-9a-f]{16}$/);
  });
  test("reasons explain each placement", () => {
    const plan = placeMembers({ nodes, policy: policy(), members: [member("m0", 0, "a", "primary")], requests: [standby("m1")] });
    assert.ok(plan.ok);
    assert.deepEqual(plan.reasons, ["standby m1 of shard 0 → node b: differs from the shard's other members at least at zone level (isolation score 10000)"]);
  });
});

describe("placeMembers: explanations", () => {
  test("reasons name the nodes filtered out of the pool, by code", () => {
    const nodes = [makeNode("a").obj(), makeNode("b").cordoned().obj(), makeNode("c").store("draining").obj(), makeNode("d").cordoned().obj()];
    const plan = placeMembers({ nodes, policy: policy(), members: [], requests: [standby("m0")] });
    assert.ok(plan.ok);
    assert.equal(plan.reasons[0], "3 of 4 nodes in the pool cannot take members: 2 × Cordoned (b, d), 1 × StoreDraining (c)");
  });
});

describe("planBootstrap", () => {
  test("3 shards × 3 members over 3 zones × 2 hosts: one member per zone, primaries on distinct hosts, balanced slots", () => {
    // zone isolation with 3 members needs 3 zones; 6 hosts for 9 members → every host holds 1 or 2.
    const nodes = grid(1, 3, 1, 2);
    const plan = planBootstrap({ nodes, policy: policy({ isolationLevel: "zone" }), shards: 3, replicasPerShard: 2, namePrefix: "demo" });
    assert.ok(plan.ok, plan.ok ? "" : plan.failure.message);
    const zoneOf = (node: string) => node.split("-")[1];
    for (const shard of [0, 1, 2]) {
      const zones: string[] = plan.placements.filter((p) => p.shard === shard).map((p) => zoneOf(p.node));
      assert.deepEqual([...zones].sort(), ["0", "1", "2"], `shard ${shard} spans every zone`);
    }
    const primaries = plan.placements.filter((p) => p.role === "primary");
    assert.equal(primaries.length, 3);
    assert.equal(new Set(primaries.map((p) => p.node)).size, 3);
    assert.deepEqual(plan.slots.map((s) => formatSlotRanges(s.slots)), ["0-5461", "5462-10922", "10923-16383"]);
    assert.match(plan.id, /^bootstrap-[0-9a-f]{16}$/);
  });

  test("too few zones: the plan says so and places nothing", () => {
    // 2 zones cannot hold 3 members that must differ by zone: the third member of shard 0 fails.
    const plan = planBootstrap({ nodes: grid(1, 2, 1, 2), policy: policy({ isolationLevel: "zone" }), shards: 1, replicasPerShard: 2, namePrefix: "demo" });
    assert.equal(plan.ok, false);
    if (plan.ok) return;
    assert.equal(plan.failure.member, "demo-0-2");
    assert.deepEqual(plan.failure.counts, { HoldsShardMember: 2, IsolationViolated: 2 });
  });
});
