// Property tests (fast-check, fixed seed) for the planner invariants of issue 4 over random
// topologies, sizes and store states. The placement oracle below is a deliberately naive O(nodes)
// filter → score → compare written from the rules, against which the indexed planner is checked.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  applyMoves, applySteps, bootstrapSlots, collisionsOf, DEFAULT_TOPOLOGY_KEYS, firstUntoleratedTaint, groupIntoWaves, ownershipTable,
  placeMembers, planDrain, PlannerInputError, planPrimaries, planReplacement, planSlotScale, SLOT_COUNT, TOPOLOGY_LEVELS,
  type ClusterMember, type IsolationLevel, type MemberRequest, type PlacementPolicy, type ShardSlots, type TopologyNode,
} from "../../src/planner/index.ts";
import { makeNode } from "./fixtures.ts";

const SEED = 20261121;
const GiB = 2 ** 30;

/** fc.assert, but the failure shows the assertion that failed and the shrunk counterexample. */
function check<Ts extends [unknown, ...unknown[]]>(property: fc.IProperty<Ts>, params: fc.Parameters<Ts>): void {
  const out = fc.check(property, params);
  if (!out.failed) return;
  const error = out.errorInstance instanceof Error ? out.errorInstance : new Error(String(out.errorInstance));
  error.message = `${error.message}\n  counterexample (seed ${out.seed}, path ${out.counterexamplePath}): ${JSON.stringify(out.counterexample).slice(0, 4000)}`;
  throw error;
}

// ---- generators --------------------------------------------------------------------------------

const labelValue = (values: string[]) => fc.option(fc.constantFrom(...values), { nil: null, freq: 5 });

const nodeArb = (index: number) => fc.record({
  region: labelValue(["r1", "r2"]),
  zone: labelValue(["z1", "z2", "z3", ""]),
  rack: labelValue(["k1", "k2"]),
  sharedHost: fc.option(fc.constantFrom("h1", "h2", "h3"), { nil: null, freq: 3 }),
  notReady: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
  cordoned: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
  store: fc.constantFrom(undefined, undefined, undefined, "enabled", "disabled", "draining", "weird"),
  tainted: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
  memoryGi: fc.integer({ min: 2, max: 8 }),
  usedGi: fc.integer({ min: 0, max: 3 }),
  pods: fc.integer({ min: 2, max: 8 }),
}).map((r) => {
  const b = makeNode(`n${String(index).padStart(2, "0")}`).memory(`${r.memoryGi}Gi`).pods(r.pods).using(`${r.usedGi}Gi`);
  if (r.region !== null) b.region(r.region);
  if (r.zone !== null) b.zone(r.zone);
  if (r.rack !== null) b.rack(r.rack);
  if (r.sharedHost !== null) b.host(r.sharedHost);
  if (r.notReady) b.notReady();
  if (r.cordoned) b.cordoned();
  if (r.store !== undefined) b.store(r.store);
  if (r.tainted) b.taint("dedicated", "NoSchedule", "other");
  return b.obj();
});

const nodesArb = (min: number, max: number) => fc.integer({ min, max }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => nodeArb(i))));

const policyArb: fc.Arbitrary<PlacementPolicy> = fc.record({
  isolationLevel: fc.constantFrom<IsolationLevel>("region", "zone", "rack", "host", "none"),
  maxMembersPerHost: fc.constantFrom(0, 0, 1, 2, 3),
  memGi: fc.constantFrom(1, 2),
}).map((p) => ({ isolationLevel: p.isolationLevel, maxMembersPerHost: p.maxMembersPerHost, memberResources: { memoryBytes: p.memGi * GiB, milliCpu: 100 } }));

const scenarioArb = nodesArb(1, 24).chain((nodes) => fc.record({
  nodes: fc.constant(nodes as TopologyNode[]),
  policy: policyArb,
  existing: fc.array(fc.record({ shard: fc.integer({ min: 0, max: 4 }), node: fc.integer({ min: 0, max: nodes.length - 1 }), primary: fc.boolean() }), { maxLength: 8 }),
  requests: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 10 }),
})).map(({ nodes, policy, existing, requests }) => {
  const members: ClusterMember[] = existing.map((e, i) => ({ name: `e${i}`, shard: e.shard, node: nodes[e.node].name, role: e.primary ? "primary" : "standby" }));
  const reqs: MemberRequest[] = requests.map((shard, i) => ({ name: `q${i}`, shard, role: i % 3 === 0 ? "primary" : "standby" }));
  return { nodes, policy, members, requests: reqs };
});

// ---- the naive oracle --------------------------------------------------------------------------

const LEVELS = TOPOLOGY_LEVELS.length;
const pathOf = (n: TopologyNode) => TOPOLOGY_LEVELS.map((l) => n.labels[DEFAULT_TOPOLOGY_KEYS[l]] ?? null);
const firstDiff = (a: TopologyNode, b: TopologyNode) => {
  const pa = pathOf(a);
  const pb = pathOf(b);
  for (let i = 0; i < LEVELS; i++) if (pa[i] !== pb[i]) return i;
  return LEVELS;
};
const ISO: Record<IsolationLevel, number> = { region: 0, zone: 1, rack: 2, host: 3, none: 4 };

interface OracleState { members: ClusterMember[]; used: Map<string, { mem: number; cpu: number; pods: number }> }

/** Every node's verdict for one request: a rejection code, or a score. */
function oracleVerdicts(nodes: TopologyNode[], policy: PlacementPolicy, state: OracleState, req: MemberRequest) {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const shardMembers = state.members.filter((m) => m.shard === req.shard);
  const peers = shardMembers.map((m) => byName.get(m.node)).filter((n): n is TopologyNode => n !== undefined);
  const hostOf = (n: TopologyNode) => n.labels[DEFAULT_TOPOLOGY_KEYS.host] ?? null;
  return nodes.map((node) => {
    const used = state.used.get(node.name) ?? { mem: 0, cpu: 0, pods: 0 };
    const onHost = state.members.filter((m) => { const n = byName.get(m.node); return n !== undefined && hostOf(n) === hostOf(node); }).length;
    let code: string | undefined;
    if (!node.ready) code = "NotReady";
    else if (node.unschedulable) code = "Cordoned";
    else if (node.storeState === "draining") code = "StoreDraining";
    else if (node.storeState === "disabled") code = "StoreDisabled";
    else if (firstUntoleratedTaint(node.taints, policy.tolerations ?? [])) code = "UntoleratedTaint";
    else if (shardMembers.some((m) => m.node === node.name)) code = "HoldsShardMember";
    else if ((policy.maxMembersPerHost ?? 0) > 0 && onHost >= policy.maxMembersPerHost!) code = "MaxMembersPerHost";
    else if (node.allocatable.memoryBytes - node.requested.memoryBytes - used.mem < policy.memberResources.memoryBytes) code = "InsufficientMemory";
    else if (node.allocatable.milliCpu - node.requested.milliCpu - used.cpu < policy.memberResources.milliCpu) code = "InsufficientCpu";
    else if (node.allocatable.pods - node.requested.pods - used.pods < 1) code = "TooManyPods";
    else if (peers.some((p) => firstDiff(node, p) > ISO[policy.isolationLevel])) code = "IsolationViolated";
    const score = peers.reduce((s, p) => s + (firstDiff(node, p) >= LEVELS ? 0 : 100 ** (LEVELS - firstDiff(node, p) - 1)), 0);
    const members = state.members.filter((m) => m.node === node.name);
    return { node: node.name, code, score, members: members.length, primaries: members.filter((m) => m.role === "primary").length };
  });
}

function oracleChoose(verdicts: ReturnType<typeof oracleVerdicts>) {
  const ok = verdicts.filter((v) => v.code === undefined);
  ok.sort((a, b) => b.score - a.score || a.members - b.members || a.primaries - b.primaries || (a.node < b.node ? -1 : 1));
  return ok[0];
}

function oracleCommit(state: OracleState, policy: PlacementPolicy, req: MemberRequest, node: string) {
  state.members.push({ name: req.name, shard: req.shard, node, role: req.role });
  const used = state.used.get(node) ?? { mem: 0, cpu: 0, pods: 0 };
  state.used.set(node, { mem: used.mem + policy.memberResources.memoryBytes, cpu: used.cpu + policy.memberResources.milliCpu, pods: used.pods + 1 });
}

const runs = { seed: SEED, numRuns: 150 };

// ---- properties ----------------------------------------------------------------------------------

describe("placement properties", () => {
  test("the indexed planner makes exactly the naive filter → score → compare choice, or fails exactly when it has none", () => {
    check(fc.property(scenarioArb, ({ nodes, policy, members, requests }) => {
      const plan = placeMembers({ nodes, policy, members, requests });
      const state: OracleState = { members: members.map((m) => ({ ...m })), used: new Map() };
      const oracleNodes: string[] = [];
      const oracleScores: number[] = [];
      for (const req of requests) {
        const verdicts = oracleVerdicts(nodes, policy, state, req);
        const choice = oracleChoose(verdicts);
        if (!choice) {
          // the oracle gets stuck here: the plan must fail on this member, with the oracle's code per node,
          // and place nothing at all (all or nothing)
          assert.equal(plan.ok, false, `the oracle finds no node for ${req.name}, the planner placed everything`);
          if (plan.ok) return;
          assert.equal(plan.failure.member, req.name);
          assert.deepEqual(plan.failure.rejections.map((r) => [r.node, r.code]), verdicts.map((v) => [v.node, v.code]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
          assert.ok(!("placements" in plan));
          return;
        }
        oracleNodes.push(choice.node);
        oracleScores.push(choice.score);
        oracleCommit(state, policy, req, choice.node);
      }
      assert.ok(plan.ok, `the oracle places every request; the planner failed: ${plan.ok ? "" : plan.failure.message}`);
      if (!plan.ok) return;
      assert.deepEqual(plan.placements.map((p) => p.node), oracleNodes);
      assert.deepEqual(plan.placements.map((p) => p.score), oracleScores);
    }), runs);
  });

  test("no placed member shares a failure domain with its shard at a level where a feasible node sharing less existed; isolationLevel always holds", () => {
    check(fc.property(scenarioArb, ({ nodes, policy, members, requests }) => {
      const plan = placeMembers({ nodes, policy, members, requests });
      if (!plan.ok) return;
      const byName = new Map(nodes.map((n) => [n.name, n]));
      const state: OracleState = { members: members.map((m) => ({ ...m })), used: new Map() };
      for (const p of plan.placements) {
        const req = requests.find((r) => r.name === p.member)!;
        const chosen = byName.get(p.node)!;
        const peers = state.members.filter((m) => m.shard === p.shard).map((m) => byName.get(m.node)).filter((n): n is TopologyNode => !!n);
        // hard requirement
        for (const peer of peers) assert.ok(firstDiff(chosen, peer) <= ISO[policy.isolationLevel], `${p.member} violates isolationLevel ${policy.isolationLevel}`);
        // best effort above it: for each peer, no feasible node separates from the shard at a higher level
        // while being at least as good for every other peer (i.e. with a strictly higher total score)
        // Stated without the 100^k arithmetic: shared[ℓ] = how many shard members share the node's domain
        // at level ℓ. The chosen node's vector is lexicographically minimal among feasible nodes: no
        // feasible node shares its region with fewer members; among those, none shares its zone with fewer; …
        const shared = (n: TopologyNode) => TOPOLOGY_LEVELS.map((_, level) => peers.filter((peer) => firstDiff(n, peer) > level).length);
        const mine = shared(chosen);
        const feasible = oracleVerdicts(nodes, policy, state, req).filter((v) => v.code === undefined);
        for (const v of feasible) {
          const theirs = shared(byName.get(v.node)!);
          const better = theirs.findIndex((x, level) => x !== mine[level]);
          assert.ok(better < 0 || theirs[better] > mine[better],
            `${v.node} shares its ${TOPOLOGY_LEVELS[better]} with ${theirs[better]} members of shard ${p.shard}, ${p.node} (chosen) with ${mine[better]}`);
        }
        oracleCommit(state, policy, req, p.node);
      }
    }), runs);
  });

  test("the generated scenarios are not vacuous: many plans place members next to peers, many fail", () => {
    let placedWithPeers = 0;
    let failed = 0;
    const samples = fc.sample(scenarioArb, { seed: SEED, numRuns: 150 });
    for (const input of samples) {
      const plan = placeMembers(input);
      if (!plan.ok) failed++;
      else if (plan.placements.some((p) => p.isolation !== null)) placedWithPeers++;
    }
    assert.ok(placedWithPeers >= 30, `only ${placedWithPeers} of 150 scenarios placed a member next to a peer`);
    assert.ok(failed >= 15, `only ${failed} of 150 scenarios exercised the failure path`);
  });

  test("same input, same plan (byte-equal JSON)", () => {
    check(fc.property(scenarioArb, (input) => {
      assert.equal(JSON.stringify(placeMembers(input)), JSON.stringify(placeMembers(structuredClone(input))));
    }), { seed: SEED, numRuns: 50 });
  });
});

// ---- slots -------------------------------------------------------------------------------------

/** Random ownership: N shards (ids with gaps), each slot to a random shard (non-contiguous), then made to cover. */
const ownershipArb = fc.record({
  shards: fc.integer({ min: 1, max: 12 }),
  gaps: fc.boolean(),
  layout: fc.constantFrom("balanced", "random-runs"),
  runs: fc.array(fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.nat()), { minLength: 1, maxLength: 40 }),
}).map(({ shards, gaps, layout, runs }): ShardSlots[] => {
  const ids = Array.from({ length: shards }, (_, i) => (gaps ? i * 2 + 1 : i));
  if (layout === "balanced") return bootstrapSlots(shards).map((s, i) => ({ shard: ids[i], slots: s.slots }));
  const owner = new Int32Array(SLOT_COUNT);
  let slot = 0;
  for (let k = 0; slot < SLOT_COUNT; k++) {
    const [len, who] = runs[k % runs.length];
    for (let s = slot; s < Math.min(SLOT_COUNT, slot + len); s++) owner[s] = ids[(who + k) % shards];
    slot += len;
  }
  const bySh = new Map<number, { start: number; end: number }[]>(ids.map((id) => [id, []]));
  for (let s = 0; s < SLOT_COUNT; s++) {
    const list = bySh.get(owner[s])!;
    const last = list[list.length - 1];
    if (last && last.end === s - 1) last.end = s;
    else list.push({ start: s, end: s });
  }
  return ids.map((id) => ({ shard: id, slots: bySh.get(id)! }));
});

describe("slot plan properties", () => {
  test("every slot owned exactly once, moved = lower bound = Σ max(0, owned − target), imbalance ≤ 1, waves respect maxConcurrent", () => {
    check(fc.property(ownershipArb, fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 4 }), (current, target, maxConcurrent) => {
      const plan = planSlotScale({ current, targetShards: target, maxConcurrent });
      const before = ownershipTable(current);
      const afterRanges = applyMoves(current, plan.moves); // throws if a move's slot is not owned by its source
      const after = ownershipTable(afterRanges); // throws unless every slot has exactly one owner
      let moved = 0;
      for (let s = 0; s < SLOT_COUNT; s++) if (before[s] !== after[s]) moved++;
      // independent lower bound: survivors are the min(N, M) largest owners; the extra slots go to the largest
      const counts = current.map((c) => ownershipTable(current).filter((o) => o === c.shard).length).sort((a, b) => b - a);
      const base = Math.floor(SLOT_COUNT / target);
      const extra = SLOT_COUNT % target;
      const lowerBound = counts.reduce((sum, o, i) => sum + (i < target ? Math.max(0, o - (base + (i < extra ? 1 : 0))) : o), 0);
      assert.equal(moved, lowerBound);
      assert.equal(plan.movedSlots, lowerBound);
      assert.equal(plan.lowerBound, lowerBound);
      const finalCounts = afterRanges.map((s) => s.slots.reduce((n, r) => n + r.end - r.start + 1, 0));
      assert.equal(afterRanges.length, target, "every surviving shard owns slots, removed ones none");
      assert.ok(Math.max(...finalCounts) - Math.min(...finalCounts) <= 1);
      // waves: every move exactly once, no engine over maxConcurrent streams in a wave
      assert.equal(plan.waves.flat().length, plan.moves.length);
      for (const wave of plan.waves) {
        const streams = new Map<number, number>();
        for (const m of wave) for (const e of [m.from, m.to]) streams.set(e, (streams.get(e) ?? 0) + 1);
        for (const n of streams.values()) assert.ok(n <= maxConcurrent);
      }
      assert.equal(JSON.stringify(plan), JSON.stringify(planSlotScale({ current: structuredClone(current), targetShards: target, maxConcurrent })));
    }), { seed: SEED, numRuns: 60 });
  });

  test("scale-in from a balanced cluster spreads the drained slots over every survivor", () => {
    check(fc.property(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 39 }), (n, m) => {
      fc.pre(m < n);
      const plan = planSlotScale({ current: bootstrapSlots(n), targetShards: m, maxConcurrent: 4 });
      assert.equal(plan.removed.length, n - m);
      const receivers = new Set(plan.moves.map((mv) => mv.to));
      const survivors = plan.targets.filter((t) => t.target > 0).map((t) => t.shard);
      // a survivor already at its target (possible only when its old share rounds to the new one) needs nothing
      for (const s of survivors) if (plan.targets.find((t) => t.shard === s)!.owned < plan.targets.find((t) => t.shard === s)!.target) assert.ok(receivers.has(s), `survivor ${s} receives`);
      assert.equal(survivors.length, m);
    }), { seed: SEED, numRuns: 60 });
  });

  test("waves: arbitrary move lists never put an engine in more than maxConcurrent streams", () => {
    const movesArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 100 })), { maxLength: 40 })
      .map((xs) => xs.filter(([a, b]) => a !== b).map(([from, to, count]) => ({ from, to, count })));
    check(fc.property(movesArb, fc.integer({ min: 1, max: 5 }), (moves, max) => {
      const waves = groupIntoWaves(moves, max);
      assert.equal(waves.flat().length, moves.length);
      for (const wave of waves) {
        assert.ok(wave.length > 0);
        const streams = new Map<number | string, number>();
        for (const m of wave) for (const e of [m.from, m.to]) streams.set(e, (streams.get(e) ?? 0) + 1);
        for (const n of streams.values()) assert.ok(n <= max);
      }
    }), { seed: SEED, numRuns: 100 });
  });
});

// ---- primaries and drain ------------------------------------------------------------------------

const clusterArb = nodesArb(2, 10).chain((nodes) => fc.record({
  nodes: fc.constant(nodes as TopologyNode[]),
  shards: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: nodes.length - 1 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 }),
  primaryIndex: fc.array(fc.nat(), { minLength: 5, maxLength: 5 }),
})).map(({ nodes, shards, primaryIndex }) => {
  const members: ClusterMember[] = shards.flatMap((nodeIdx, shard) => nodeIdx.map((ni, k) => ({
    name: `s${shard}-${k}`, shard, node: nodes[ni].name, role: k === primaryIndex[shard] % nodeIdx.length ? "primary" as const : "standby" as const,
  })));
  return { nodes, members };
});

describe("primary and drain properties", () => {
  test("no host holds two primaries when avoidable: the host pair count is the brute-force optimum", () => {
    check(fc.property(clusterArb, ({ nodes, members }) => {
      const plan = planPrimaries({ nodes, members });
      const usable = (m: ClusterMember) => { const n = nodes.find((x) => x.name === m.node)!; return n.ready && n.storeState !== "draining"; };
      const shards = [...new Set(members.map((m) => m.shard))].sort((a, b) => a - b);
      const options = shards.map((s) => {
        const c = members.filter((m) => m.shard === s && usable(m));
        return c.length > 0 ? c : members.filter((m) => m.shard === s && m.role === "primary"); // stuck: keeps its primary
      });
      let best = Infinity;
      const pick: ClusterMember[] = [];
      const walk = (i: number) => {
        if (i === options.length) {
          best = Math.min(best, collisionsOf(pick, nodes).host);
          return;
        }
        if (options[i].length === 0) return walk(i + 1);
        for (const o of options[i]) { pick.push(o); walk(i + 1); pick.pop(); }
      };
      walk(0);
      assert.equal(plan.after.host, best);
      // switchovers never make the host spread worse, unless a primary had to leave an unusable node
      if (members.every((m) => m.role !== "primary" || usable(m))) assert.ok(plan.after.host <= plan.before.host);
      // after applying the switchovers each shard has one primary, and it is a member of that shard
      const after = applySteps(members, plan.switchovers.filter((s) => s.from !== "").map((s) => ({ action: "switchover" as const, ...s, reason: "" })));
      for (const p of plan.primaries) assert.equal(after.find((m) => m.name === p.member)?.shard, p.shard);
      assert.equal(JSON.stringify(plan), JSON.stringify(planPrimaries({ nodes: structuredClone(nodes), members: structuredClone(members) })));
    }), { seed: SEED, numRuns: 120 });
  });

  test("drain empties the node, keeps each shard's size and one primary, and honours isolation — or says why not", () => {
    check(fc.property(clusterArb, policyArb, fc.nat(), ({ nodes, members }, policy, pick) => {
      const node = nodes[pick % nodes.length].name;
      const plan = planDrain({ nodes, policy, members, node });
      if (!plan.ok) {
        assert.equal(plan.failure.rejections.length, nodes.length);
        assert.equal(plan.failure.rejections.find((r) => r.node === node)?.code, "Excluded", "the drained node never takes the replacement");
        assert.equal(plan.failure.rejections.filter((r) => r.code === "Excluded").length, 1);
        return;
      }
      // step by step: a member is never removed while it is primary (no downtime)
      let state = members;
      for (const step of plan.steps) {
        if (step.action === "remove-member") assert.notEqual(state.find((m) => m.name === step.member)?.role, "primary", `${step.member} removed while primary`);
        state = applySteps(state, [step]);
      }
      const after = applySteps(members, plan.steps);
      assert.equal(after.filter((m) => m.node === node).length, 0, "drain empties the node");
      const byName = new Map(nodes.map((n) => [n.name, n]));
      for (const shard of new Set(members.map((m) => m.shard))) {
        const before = members.filter((m) => m.shard === shard);
        const now = after.filter((m) => m.shard === shard);
        assert.equal(now.length, before.length);
        if (before.some((m) => m.role === "primary")) assert.equal(now.filter((m) => m.role === "primary").length, 1);
      }
      for (const p of plan.placements) {
        const peers = after.filter((m) => m.shard === p.shard && m.name !== p.member).map((m) => byName.get(m.node)!);
        for (const peer of peers) assert.ok(firstDiff(byName.get(p.node)!, peer) <= ISO[policy.isolationLevel], `replacement ${p.member} on ${p.node} violates isolationLevel ${policy.isolationLevel} with ${peer.name}`);
      }
      assert.equal(JSON.stringify(plan), JSON.stringify(planDrain({ nodes: structuredClone(nodes), policy, members: structuredClone(members), node })));
    }), { seed: SEED, numRuns: 120 });
  });

  test("replacement of lost members keeps each shard's size and one primary, or refuses with the reason", () => {
    check(fc.property(clusterArb, policyArb, fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), ({ nodes, members }, policy, picks) => {
      const lost = [...new Set(picks.map((i) => members[i % members.length].name))];
      let plan;
      try {
        plan = planReplacement({ nodes, policy, members, lost });
      } catch (error) {
        // only refusal: a shard whose primary is lost and has no promotable survivor
        assert.ok(error instanceof PlannerInputError);
        assert.match(error.message, /lost every member|no surviving member can be promoted/);
        const shard = Number(/shard (\d+)/.exec(error.message)![1]);
        assert.ok(members.some((m) => m.shard === shard && m.role === "primary" && lost.includes(m.name)));
        return;
      }
      if (!plan.ok) {
        assert.equal(plan.failure.rejections.length, nodes.length);
        return;
      }
      const after = applySteps(members, plan.steps);
      for (const name of lost) assert.ok(!after.some((m) => m.name === name));
      for (const shard of new Set(members.map((m) => m.shard))) {
        assert.equal(after.filter((m) => m.shard === shard).length, members.filter((m) => m.shard === shard).length);
        if (members.some((m) => m.shard === shard && m.role === "primary")) {
          const primary = after.filter((m) => m.shard === shard && m.role === "primary");
          assert.equal(primary.length, 1);
          assert.ok(!plan.placements.some((p) => p.member === primary[0].name), "a new, unsynced member is never made primary");
        }
      }
    }), { seed: SEED, numRuns: 120 });
  });
});
