// Property tests (fast-check, fixed seed) for the planner invariants of issues 4 and 10 over random
// topologies, sizes and store states: placement against an exhaustive search, slot plans against
// their lower bounds, waves against theirs, primaries against brute force.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  applyMoves, applySteps, assignWaves, bootstrapSlots, collisionsOf, DEFAULT_TOPOLOGY_KEYS, firstUntoleratedTaint, ownershipTable,
  placeMembers, planDrain, planPrimaries, planReplacement, planSlotScale, SLOT_COUNT, solvePlacement, TOPOLOGY_LEVELS, wavesLowerBound,
  type ExistingMember, type IsolationLevel, type MemberRequest, type PlacementPolicy, type ShardSlots, type TopologyNode,
} from "../../src/planner/index.ts";
import { makeNode, shuffled } from "./fixtures.ts";

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

// ---- the exhaustive oracle ----------------------------------------------------------------------
// Written from the rules (docs/architecture.md#placement), not from the planner: every assignment of the requests to nodes
// (or to nowhere) is tried; an assignment is valid when every node filter holds, room and
// maxMembersPerHost (per host domain) suffice, no node holds two members of a shard, and members of a
// shard differ at isolationLevel. Its score is the seed's Σ 100^(levels−i−1) over the pairs of a shard
// that involve a new member (leaving members count for neither isolation nor score).

const LEVELS = TOPOLOGY_LEVELS.length;
const pathOf = (n: TopologyNode) => TOPOLOGY_LEVELS.map((l) => n.labels[DEFAULT_TOPOLOGY_KEYS[l]] ?? null);
const firstDiff = (a: TopologyNode, b: TopologyNode) => {
  const pa = pathOf(a);
  const pb = pathOf(b);
  for (let i = 0; i < LEVELS; i++) if (pa[i] !== pb[i]) return i;
  return LEVELS;
};
const hostKey = (n: TopologyNode) => JSON.stringify(pathOf(n));
const ISO: Record<IsolationLevel, number> = { region: 0, zone: 1, rack: 2, host: 3, none: 4 };
const weight = (level: number) => (level >= LEVELS ? 0 : 100 ** (LEVELS - level - 1));

interface Instance { nodes: TopologyNode[]; policy: PlacementPolicy; members: ExistingMember[]; requests: MemberRequest[]; leaving: string[] }

function usable(node: TopologyNode, policy: PlacementPolicy): boolean {
  return node.ready && !node.unschedulable && node.storeState === "enabled" && !firstUntoleratedTaint(node.taints, policy.tolerations ?? []);
}

/** The best score over valid complete assignments (null when none), and the most requests any valid partial assignment places. */
function exhaustive({ nodes, policy, members, requests, leaving }: Instance): { best: number | null; most: number } {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const need = policy.memberResources;
  const room = nodes.map((n) => usable(n, policy) ? Math.min(
    need.memoryBytes > 0 ? Math.floor((n.allocatable.memoryBytes - n.requested.memoryBytes) / need.memoryBytes) : Infinity,
    need.milliCpu > 0 ? Math.floor((n.allocatable.milliCpu - n.requested.milliCpu) / need.milliCpu) : Infinity,
    n.allocatable.pods - n.requested.pods) : 0);
  const onHost = new Map<string, number>();
  for (const m of members) { const n = byName.get(m.node); if (n) onHost.set(hostKey(n), (onHost.get(hostKey(n)) ?? 0) + 1); }
  const max = policy.maxMembersPerHost ?? 0;
  const held = (shard: number) => members.filter((m) => m.shard === shard && byName.has(m.node));
  const peersOf = (shard: number) => held(shard).filter((m) => !leaving.includes(m.name)).map((m) => byName.get(m.node)!);
  let best: number | null = null;
  let most = 0;
  const choice: (number | -1)[] = [];
  const walk = (i: number) => {
    if (i === requests.length) {
      const used = new Map<number, number>();
      const hosts = new Map(onHost);
      for (const c of choice) if (c >= 0) { used.set(c, (used.get(c) ?? 0) + 1); hosts.set(hostKey(nodes[c]), (hosts.get(hostKey(nodes[c])) ?? 0) + 1); }
      for (const [c, u] of used) if (u > room[c]) return;
      if (max > 0) for (const [h, u] of hosts) if (u > max && u > (onHost.get(h) ?? 0)) return;
      let score = 0;
      for (let a = 0; a < requests.length; a++) {
        if (choice[a] < 0) continue;
        const node = nodes[choice[a]];
        const shard = requests[a].shard;
        if (held(shard).some((m) => m.node === node.name)) return;
        for (const peer of peersOf(shard)) {
          if (firstDiff(node, peer) > ISO[policy.isolationLevel]) return;
          score += weight(firstDiff(node, peer));
        }
        for (let b = a + 1; b < requests.length; b++) {
          if (choice[b] < 0 || requests[b].shard !== shard) continue;
          const other = nodes[choice[b]];
          if (other === node || firstDiff(node, other) > ISO[policy.isolationLevel]) return;
          score += weight(firstDiff(node, other));
        }
      }
      const placed = choice.filter((c) => c >= 0).length;
      most = Math.max(most, placed);
      if (placed === requests.length && (best === null || score > best)) best = score;
      return;
    }
    for (let c = -1; c < nodes.length; c++) {
      choice[i] = c;
      walk(i + 1);
    }
  };
  walk(0);
  return { best, most };
}

/** The planner's score of its placements, counted the oracle's way. */
function scoreOf(instance: Instance, placements: { member: string; node: string }[]): number {
  const byName = new Map(instance.nodes.map((n) => [n.name, n]));
  const shardOf = new Map(instance.requests.map((r) => [r.name, r.shard]));
  let score = 0;
  placements.forEach((p, i) => {
    const node = byName.get(p.node)!;
    const shard = shardOf.get(p.member)!;
    for (const m of instance.members) if (m.shard === shard && !instance.leaving.includes(m.name) && byName.has(m.node)) score += weight(firstDiff(node, byName.get(m.node)!));
    for (const q of placements.slice(i + 1)) if (shardOf.get(q.member) === shard) score += weight(firstDiff(node, byName.get(q.node)!));
  });
  return score;
}

// Small instances with uneven room: a few nodes, some shared hosts, 1..4 requests.
const smallNodeArb = (index: number) => fc.record({
  region: labelValue(["r1", "r2"]),
  zone: labelValue(["z1", "z2", "z3"]),
  rack: labelValue(["k1", "k2"]),
  sharedHost: fc.option(fc.constantFrom("h1", "h2"), { nil: null, freq: 2 }),
  broken: fc.integer({ min: 0, max: 11 }),
  memoryGi: fc.integer({ min: 1, max: 5 }),
  usedGi: fc.integer({ min: 0, max: 1 }),
  pods: fc.integer({ min: 1, max: 4 }),
}).map((r) => {
  const b = makeNode(`n${index}`).memory(`${r.memoryGi}Gi`).pods(r.pods).using(`${r.usedGi}Gi`);
  if (r.region !== null) b.region(r.region);
  if (r.zone !== null) b.zone(r.zone);
  if (r.rack !== null) b.rack(r.rack);
  if (r.sharedHost !== null) b.host(r.sharedHost);
  if (r.broken === 0) b.cordoned();
  if (r.broken === 1) b.store("draining");
  if (r.broken === 2) b.taint("dedicated", "NoSchedule", "other");
  return b.obj();
});

const instanceArb: fc.Arbitrary<Instance> = fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => smallNodeArb(i)))).chain((nodes) => fc.record({
  nodes: fc.constant(nodes as TopologyNode[]),
  policy: policyArb,
  existing: fc.array(fc.record({ shard: fc.integer({ min: 0, max: 2 }), node: fc.integer({ min: 0, max: nodes.length - 1 }), primary: fc.boolean(), leaving: fc.integer({ min: 0, max: 4 }) }), { maxLength: 4 }),
  requests: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
})).map(({ nodes, policy, existing, requests }) => ({
  nodes, policy,
  members: existing.map((e, i) => ({ name: `e${i}`, shard: e.shard, node: nodes[e.node].name, role: e.primary ? "primary" as const : "standby" as const })),
  leaving: existing.flatMap((e, i) => (e.leaving === 0 ? [`e${i}`] : [])),
  requests: requests.map((shard, i) => ({ name: `q${i}`, shard, role: i === 0 ? "primary" as const : "standby" as const })),
}));

const runs = { seed: SEED, numRuns: 300 };

// ---- properties ----------------------------------------------------------------------------------

describe("placement properties (issue 10: exact feasibility, best spread)", () => {
  test("every instance with a valid assignment is placed, at the best score; every refusal is truly infeasible, with the most that fit", () => {
    let placed = 0;
    let refused = 0;
    check(fc.property(instanceArb, (instance) => {
      const truth = exhaustive(instance);
      const result = solvePlacement({ nodes: instance.nodes, policy: instance.policy, members: instance.members, requests: instance.requests, leaving: instance.leaving });
      if (truth.best === null) {
        refused++;
        assert.equal(result.ok, false, "the planner placed an instance that has no valid assignment");
        if (result.ok) return;
        const f = result.failure;
        assert.deepEqual(f.members, { wanted: instance.requests.length, fit: truth.most }, "the refusal counts the most members any assignment places");
        assert.equal(f.rejections!.length, instance.nodes.length, "every node says why");
        assert.ok(instance.requests.some((r) => r.name === f.member!.name));
        assert.ok(f.constraints!.length > 0 || f.code === "Unplaceable", "a refusal names what binds");
        return;
      }
      placed++;
      assert.ok(result.ok, `a valid assignment exists (score ${truth.best}); the planner refused: ${result.ok ? "" : result.failure.message}`);
      if (!result.ok) return;
      const nodes = result.placements.map((p) => instance.nodes.findIndex((n) => n.name === p.node));
      // the planner's assignment is one the oracle accepts, and it is the best
      assert.equal(scoreOf(instance, result.placements), truth.best);
      assert.equal(new Set(result.placements.map((p) => p.member)).size, instance.requests.length);
      assert.ok(nodes.every((i) => i >= 0));
    }), runs);
    assert.ok(placed >= 60 && refused >= 40, `the instances exercise both outcomes: ${placed} placed, ${refused} refused`);
  });

  test("a plan does not depend on the order of nodes, members and requests", () => {
    check(fc.property(instanceArb, fc.integer({ min: 1, max: 1000 }), (instance, seed) => {
      const a = placeMembers({ nodes: instance.nodes, policy: instance.policy, members: instance.members, requests: instance.requests, leaving: instance.leaving });
      const b = placeMembers({
        nodes: shuffled(instance.nodes, seed), policy: instance.policy, members: shuffled(instance.members, seed + 1),
        requests: shuffled(instance.requests, seed + 2), leaving: shuffled(instance.leaving, seed + 3),
      });
      const steps = (o: typeof a) => (o.ok ? [...o.plan.steps].sort((x, y) => (x.member < y.member ? -1 : 1)) : o.refusal);
      assert.equal(a.ok ? a.plan.id : a.refusal.id, b.ok ? b.plan.id : b.refusal.id);
      assert.equal(JSON.stringify(steps(a)), JSON.stringify(steps(b)));
    }), { seed: SEED, numRuns: 150 });
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
      const afterRanges = applyMoves(current, plan.plan.steps); // throws if a move's slot is not owned by its source
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
      // waves: exactly the lower bound ⌈busiest engine's moves / maxConcurrent⌉, counted here from the
      // moves; no engine over maxConcurrent streams in a wave; no wave empty
      const degree = new Map<number, number>();
      for (const m of plan.plan.steps) for (const e of [m.from, m.to]) degree.set(e, (degree.get(e) ?? 0) + 1);
      const bound = Math.ceil(Math.max(0, ...degree.values()) / maxConcurrent);
      assert.equal(plan.waves, bound);
      assert.equal(plan.wavesLowerBound, bound);
      for (let w = 0; w < plan.waves; w++) {
        const wave = plan.plan.steps.filter((m) => m.wave === w);
        assert.ok(wave.length > 0, `wave ${w} is empty`);
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
      const receivers = new Set(plan.plan.steps.map((mv) => mv.to));
      const survivors = plan.targets.filter((t) => t.target > 0).map((t) => t.shard);
      // a survivor already at its target (possible only when its old share rounds to the new one) needs nothing
      for (const s of survivors) if (plan.targets.find((t) => t.shard === s)!.owned < plan.targets.find((t) => t.shard === s)!.target) assert.ok(receivers.has(s), `survivor ${s} receives`);
      assert.equal(survivors.length, m);
    }), { seed: SEED, numRuns: 60 });
  });

  test("waves: any bipartite multigraph of moves is grouped in exactly the lower bound, no engine over maxConcurrent", () => {
    // sources 0..5 give to targets 10..15, with repeated pairs (a multigraph)
    const movesArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 10, max: 15 }), fc.integer({ min: 1, max: 100 })), { maxLength: 60 })
      .map((xs) => xs.map(([from, to, count]) => ({ from, to, count })));
    check(fc.property(movesArb, fc.integer({ min: 1, max: 5 }), (moves, max) => {
      const wave = assignWaves(moves, max);
      const waves = moves.length === 0 ? 0 : Math.max(...wave) + 1;
      assert.equal(waves, wavesLowerBound(moves, max));
      for (let w = 0; w < waves; w++) {
        const streams = new Map<number | string, number>();
        moves.forEach((m, i) => { if (wave[i] === w) for (const e of [m.from, m.to]) streams.set(e, (streams.get(e) ?? 0) + 1); });
        assert.ok(streams.size > 0);
        for (const n of streams.values()) assert.ok(n <= max);
      }
    }), { seed: SEED, numRuns: 200 });
  });
});

// ---- primaries and drain ------------------------------------------------------------------------

const clusterArb = nodesArb(2, 10).chain((nodes) => fc.record({
  nodes: fc.constant(nodes as TopologyNode[]),
  shards: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: nodes.length - 1 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 5 }),
  primaryIndex: fc.array(fc.nat(), { minLength: 5, maxLength: 5 }),
})).map(({ nodes, shards, primaryIndex }) => {
  const members: ExistingMember[] = shards.flatMap((nodeIdx, shard) => nodeIdx.map((ni, k) => ({
    name: `s${shard}-${k}`, shard, node: nodes[ni].name, role: k === primaryIndex[shard] % nodeIdx.length ? "primary" as const : "standby" as const,
  })));
  return { nodes, members };
});

describe("primary and drain properties", () => {
  test("primaries spread region first, then zone: the brute-force optimum of each (zone within one region), never worse than before", () => {
    check(fc.property(clusterArb, ({ nodes, members }) => {
      const plan = planPrimaries({ nodes, members });
      const usable = (m: ExistingMember) => { const n = nodes.find((x) => x.name === m.node)!; return n.ready && n.storeState !== "draining"; };
      const shards = [...new Set(members.map((m) => m.shard))].sort((a, b) => a - b);
      const options = shards.map((s) => {
        const c = members.filter((m) => m.shard === s && usable(m));
        return c.length > 0 ? c : members.filter((m) => m.shard === s && m.role === "primary"); // stuck: keeps its primary
      });
      const vector = (c: ReturnType<typeof collisionsOf>) => [c.region, c.zone, c.rack, c.host];
      const lexLess = (a: number[], b: number[]) => { const i = a.findIndex((x, j) => x !== b[j]); return i >= 0 && a[i] < b[i]; };
      let best = [Infinity, Infinity, Infinity, Infinity];
      const pick: ExistingMember[] = [];
      const walk = (i: number) => {
        if (i === options.length) {
          const v = vector(collisionsOf(pick, nodes));
          if (lexLess(v, best)) best = v;
          return;
        }
        if (options[i].length === 0) return walk(i + 1);
        for (const o of options[i]) { pick.push(o); walk(i + 1); pick.pop(); }
      };
      walk(0);
      assert.equal(plan.after.region, best[0]);
      const regions = new Set(nodes.map((n) => n.labels[DEFAULT_TOPOLOGY_KEYS.region]));
      if (regions.size === 1) assert.equal(plan.after.zone, best[1]);
      // switchovers never make the spread worse, unless a primary had to leave an unusable node
      if (members.every((m) => m.role !== "primary" || usable(m))) assert.ok(!lexLess(vector(plan.before), vector(plan.after)));
      // after applying the switchovers each shard has one primary, and it is a member of that shard
      const after = applySteps(members, plan.plan.steps);
      for (const p of plan.primaries) assert.equal(after.find((m) => m.name === p.member)?.shard, p.shard);
      assert.equal(JSON.stringify(plan), JSON.stringify(planPrimaries({ nodes: structuredClone(nodes), members: structuredClone(members) })));
    }), { seed: SEED, numRuns: 120 });
  });

  test("drain empties the node, keeps each shard's size and one primary, and honours isolation — or says why not", () => {
    check(fc.property(clusterArb, policyArb, fc.nat(), ({ nodes, members }, policy, pick) => {
      const node = nodes[pick % nodes.length].name;
      const out = planDrain({ nodes, policy, members, node });
      if (!out.ok) {
        if (out.refusal.code === "NothingToDo") return assert.ok(!members.some((m) => m.node === node));
        assert.equal(out.refusal.rejections!.length, nodes.length);
        assert.equal(out.refusal.rejections!.find((r) => r.node === node)?.code, "Excluded", "the drained node never takes the replacement");
        assert.equal(out.refusal.rejections!.filter((r) => r.code === "Excluded").length, 1);
        return;
      }
      const plan = { ...out.plan, placements: out.plan.steps.filter((s) => s.kind === "place-member") };
      // step by step: a member is never removed while it is primary (no downtime)
      let state = members;
      for (const step of plan.steps) {
        if (step.kind === "remove-member") assert.notEqual(state.find((m) => m.name === step.member)?.role, "primary", `${step.member} removed while primary`);
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
      assert.equal(JSON.stringify(out), JSON.stringify(planDrain({ nodes: shuffled(nodes, pick), policy, members: shuffled(members, pick + 1), node })));
    }), { seed: SEED, numRuns: 120 });
  });

  test("replacement of lost members keeps each shard's size and one primary, or refuses with the reason", () => {
    check(fc.property(clusterArb, policyArb, fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), ({ nodes, members }, policy, picks) => {
      const lost = [...new Set(picks.map((i) => members[i % members.length].name))];
      const out = planReplacement({ nodes, policy, members, lost });
      if (!out.ok) {
        if (out.refusal.code === "ShardLost" || out.refusal.code === "NoPromotableMember") {
          // a shard whose primary is lost and that has no promotable survivor
          const shard = Number(/shard (\d+)/.exec(out.refusal.message)![1]);
          assert.ok(members.some((m) => m.shard === shard && m.role === "primary" && lost.includes(m.name)));
        } else {
          assert.equal(out.refusal.rejections!.length, nodes.length);
        }
        return;
      }
      const plan = { ...out.plan, placements: out.plan.steps.filter((s) => s.kind === "place-member") };
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
