// npm run bench:planner — planner speed and plan quality at n and 10n (docs/benchmarks.md#targets: growth ≤ 15×).
//   large: 1000 shards × 3 members over 3000 nodes (3 regions × 5 zones × 20 racks × 10 hosts),
//          isolationLevel zone; slot plan 100 → 150 shards
//   small: the same at 1/10: 100 shards × 3 over 300 nodes (3 × 5 × 4 × 5); slot plan 10 → 15
// Each timing is the median of 11 rounds after a JIT warm-up, the two sizes interleaved; growth is
// judged on the process's CPU time, wall time is reported beside it (see Timings). Quality is checked independently of
// the planner's own counters: isolation from the placed nodes' labels, moved slots by diffing slot
// ownership before and after applying the moves.
// Issue 10, on generated families (support/planner-family.ts):
//   refusedFeasible — heterogeneous topologies with a planted valid assignment that the planner refused (must be 0;
//                     the greedy placement that issue 10 replaced refused 5 of these 500);
//   invalidPlans    — plans for them that break isolation, room, maxMembersPerHost or a node filter (must be 0);
//   extraWaves      — Σ (waves − ⌈busiest engine's moves / maxConcurrent⌉) over random scale plans (must be 0).
// The last line is one JSON object.
import { performance } from "node:perf_hooks";
import {
  applyMoves, bootstrapSlots, DEFAULT_TOPOLOGY_KEYS, ownershipTable, planBootstrap, planSlotScale, SLOT_COUNT, TOPOLOGY_LEVELS,
  type PlacementPolicy, type TopologyNode,
} from "../../operator/src/planner/index.ts";
import { memberCount } from "../../operator/src/api/types.ts";
import { plantedInstance, Random, randomOwnership, type PlantedInstance } from "./support/planner-family.ts";

const GiB = 2 ** 30;

function topology(regions: number, zones: number, racks: number, hosts: number): TopologyNode[] {
  const nodes: TopologyNode[] = [];
  for (let r = 0; r < regions; r++) for (let z = 0; z < zones; z++) for (let k = 0; k < racks; k++) for (let h = 0; h < hosts; h++) {
    const name = `node-${r}-${z}-${k}-${h}`;
    nodes.push({
      name,
      labels: {
        [DEFAULT_TOPOLOGY_KEYS.region]: `region-${r}`, [DEFAULT_TOPOLOGY_KEYS.zone]: `zone-${r}-${z}`,
        [DEFAULT_TOPOLOGY_KEYS.rack]: `rack-${k}`, [DEFAULT_TOPOLOGY_KEYS.host]: name,
      },
      taints: [], unschedulable: false, ready: true, storeState: "enabled", problems: [],
      allocatable: { memoryBytes: 64 * GiB, milliCpu: 32_000, pods: 110 },
      // a little existing load that differs per node, so capacity is not uniform
      requested: { memoryBytes: ((r * 7 + z * 5 + k * 3 + h) % 8) * GiB, milliCpu: 0, pods: 3 },
    });
  }
  return nodes;
}

const policy: PlacementPolicy = { isolationLevel: "zone", maxMembersPerHost: 2, memberResources: { memoryBytes: 8 * GiB, milliCpu: 1000 } };

interface Size { label: string; nodes: TopologyNode[]; shards: number; scaleFrom: number; scaleTo: number }

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Wall time and the process's CPU time (user + system, GC threads included). The growth target is
 * judged on CPU time: on this shared, oversubscribed 2-core machine a 100 ms run waits for the CPU
 * far more often than a 10 ms one, so wall-time growth measures the other tenants as much as the
 * planner (the greedy planner this replaced showed 11.8× wall growth under the same load). Wall
 * times are reported beside it.
 */
interface Timings { placement: number[]; placementCpu: number[]; slotPlan: number[]; slotPlanCpu: number[] }

function timed<T>(wall: number[], cpuTimes: number[], run: () => T): T {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const result = run();
  wall.push(performance.now() - start);
  const used = process.cpuUsage(cpu);
  cpuTimes.push((used.user + used.system) / 1000);
  return result;
}

function runOnce(size: Size, timings: Timings) {
  const placement = timed(timings.placement, timings.placementCpu, () => planBootstrap({ nodes: size.nodes, policy, shards: size.shards, replicasPerShard: 2, namePrefix: "bench" }));
  const current = bootstrapSlots(size.scaleFrom);
  const slots = timed(timings.slotPlan, timings.slotPlanCpu, () => planSlotScale({ current, targetShards: size.scaleTo, maxConcurrent: 4 }));
  return { placement, current, slots };
}

function quality(size: Size, { placement, current, slots }: ReturnType<typeof runOnce>) {
  if (!placement.ok) throw new Error(`placement failed: ${placement.refusal.message}`);
  const placements = placement.plan.steps.filter((s) => s.kind === "place-member");
  const nodeByName = new Map(size.nodes.map((n) => [n.name, n]));
  const zoneOf = (node: string) => {
    const labels = nodeByName.get(node)!.labels;
    return `${labels[DEFAULT_TOPOLOGY_KEYS.region]}/${labels[DEFAULT_TOPOLOGY_KEYS.zone]}`;
  };
  const zonesByShard = new Map<number, string[]>();
  for (const p of placements) zonesByShard.set(p.shard, [...(zonesByShard.get(p.shard) ?? []), zoneOf(p.node)]);
  let isolationViolations = 0;
  for (const zones of zonesByShard.values()) isolationViolations += zones.length - new Set(zones).size;
  const placedMembers = placements.length;

  const before = ownershipTable(current);
  const after = ownershipTable(applyMoves(current, slots.plan.steps));
  let movedSlots = 0;
  const counts = new Map<number, number>();
  for (let s = 0; s < SLOT_COUNT; s++) {
    if (before[s] !== after[s]) movedSlots++;
    counts.set(after[s], (counts.get(after[s]) ?? 0) + 1);
  }
  // lower bound from first principles: a balanced end state gives ⌊16384/M⌋ or ⌈16384/M⌉ to each of M
  // shards; the existing shards own ⌊16384/N⌋/⌈…⌉ and must keep at most their target.
  const owned = [...new Map([...before].reduce((m, o) => m.set(o, (m.get(o) ?? 0) + 1), new Map<number, number>())).values()].sort((a, b) => b - a);
  const base = Math.floor(SLOT_COUNT / size.scaleTo);
  const extra = SLOT_COUNT % size.scaleTo;
  const movedLowerBound = owned.reduce((sum, o, i) => sum + Math.max(0, o - (base + (i < extra ? 1 : 0))), 0);
  const finalCounts = [...counts.values()];
  const imbalance = Math.max(...finalCounts) - Math.min(...finalCounts);
  return { placedMembers, isolationViolations, movedSlots, movedLowerBound, imbalance, shardsAfter: counts.size, waves: slots.waves };
}

/** Interleave the two sizes so a change in machine load hits both; report medians. */
function measure(sizes: Size[], rounds: number, smallRepeats: number) {
  const timings = sizes.map((): Timings => ({ placement: [], placementCpu: [], slotPlan: [], slotPlanCpu: [] }));
  const last: ReturnType<typeof runOnce>[] = [];
  for (let round = 0; round < rounds; round++) {
    sizes.forEach((size, i) => {
      for (let k = 0; k < (i === 0 ? smallRepeats : 1); k++) last[i] = runOnce(size, timings[i]);
    });
  }
  return sizes.map((size, i) => {
    const placementMs = median(timings[i].placement);
    const slotPlanMs = median(timings[i].slotPlan);
    const placementCpuMs = median(timings[i].placementCpu);
    const slotPlanCpuMs = median(timings[i].slotPlanCpu);
    return { placementMs, slotPlanMs, totalMs: placementMs + slotPlanMs, placementCpuMs, slotPlanCpuMs, totalCpuMs: placementCpuMs + slotPlanCpuMs, ...quality(size, last[i]) };
  });
}

const small: Size = { label: "1/10", nodes: topology(3, 5, 4, 5), shards: 100, scaleFrom: 10, scaleTo: 15 };
const large: Size = { label: "full", nodes: topology(3, 5, 20, 10), shards: 1000, scaleFrom: 100, scaleTo: 150 };

// warm-up: let the JIT see both sizes before timing
measure([small, large], 2, 3);
const [baseline, ours] = measure([small, large], 11, 3);

/** Check a bootstrap plan from the labels and sizes alone; returns what is wrong, or null. */
function planProblem(instance: PlantedInstance, steps: { kind: string; shard?: number; node?: string }[]): string | null {
  const byName = new Map(instance.nodes.map((n) => [n.name, n]));
  const { policy } = instance;
  const level = policy.isolationLevel === "none" ? TOPOLOGY_LEVELS.length : TOPOLOGY_LEVELS.indexOf(policy.isolationLevel);
  const path = (n: TopologyNode) => TOPOLOGY_LEVELS.map((l) => n.labels[DEFAULT_TOPOLOGY_KEYS[l]] ?? null);
  const perNode = new Map<string, number>();
  const perHost = new Map<string, number>();
  const domainsOfShard = new Map<number, Set<string>>();
  const places = steps.filter((s) => s.kind === "place-member");
  if (places.length !== memberCount(instance)) return `placed ${places.length} members`;
  for (const step of places) {
    const node = byName.get(step.node!)!;
    if (node.unschedulable || node.storeState !== "enabled" || node.taints.length > 0) return `member on unusable node ${node.name}`;
    perNode.set(node.name, (perNode.get(node.name) ?? 0) + 1);
    const host = JSON.stringify(path(node));
    perHost.set(host, (perHost.get(host) ?? 0) + 1);
    const domain = level >= TOPOLOGY_LEVELS.length ? node.name : JSON.stringify(path(node).slice(0, level + 1));
    const seen = domainsOfShard.get(step.shard!) ?? new Set<string>();
    if (seen.has(domain)) return `shard ${step.shard} twice in ${policy.isolationLevel} ${domain}`;
    domainsOfShard.set(step.shard!, seen.add(domain));
  }
  for (const [name, count] of perNode) {
    const n = byName.get(name)!;
    if (count * policy.memberResources.memoryBytes > n.allocatable.memoryBytes - n.requested.memoryBytes) return `node ${name} over its memory`;
  }
  const max = policy.maxMembersPerHost ?? 0;
  if (max > 0) for (const [host, count] of perHost) if (count > max) return `host ${host} holds ${count} > maxMembersPerHost ${max}`;
  return null;
}

function familyQuality() {
  let refusedFeasible = 0;
  let invalidPlans = 0;
  let members = 0;
  const family = Array.from({ length: 500 }, (_, i) => plantedInstance(20261130 + i));
  for (const instance of family) {
    const out = planBootstrap({ ...instance, namePrefix: "f" });
    if (!out.ok) {
      refusedFeasible++;
      console.log(`refused a feasible instance (${instance.nodes.length} nodes, ${instance.shards} shards): ${out.refusal.message.slice(0, 300)}`);
      continue;
    }
    members += out.plan.steps.filter((s) => s.kind === "place-member").length;
    const problem = planProblem(instance, out.plan.steps);
    if (problem) {
      invalidPlans++;
      console.log(`invalid plan: ${problem}`);
    }
  }
  let extraWaves = 0;
  let scalePlans = 0;
  const rnd = new Random(4242);
  for (let i = 0; i < 300; i++) {
    const maxConcurrent = rnd.int(1, 4);
    const plan = planSlotScale({ current: randomOwnership(rnd, rnd.int(1, 40)), targetShards: rnd.int(1, 64), maxConcurrent });
    const degree = new Map<number, number>();
    for (const m of plan.plan.steps) for (const e of [m.from, m.to]) degree.set(e, (degree.get(e) ?? 0) + 1);
    const bound = Math.ceil(Math.max(0, ...degree.values()) / maxConcurrent);
    extraWaves += plan.waves - bound;
    for (let w = 0; w < plan.waves; w++) {
      const streams = new Map<number, number>();
      for (const m of plan.plan.steps.filter((x) => x.wave === w)) for (const e of [m.from, m.to]) streams.set(e, (streams.get(e) ?? 0) + 1);
      if ([...streams.values()].some((n) => n > maxConcurrent)) invalidPlans++;
    }
    scalePlans++;
  }
  return { refusedFeasible, invalidPlans, extraWaves, instances: family.length, members, scalePlans };
}

const family = familyQuality();
const round = (x: number) => Math.round(x * 100) / 100;
const ratio = round(ours.totalMs / baseline.totalMs);
const placementGrowth = round(ours.placementMs / baseline.placementMs);
const slotPlanGrowth = round(ours.slotPlanMs / baseline.slotPlanMs);
const cpuRatio = round(ours.totalCpuMs / baseline.totalCpuMs);
const cpuPlacementGrowth = round(ours.placementCpuMs / baseline.placementCpuMs);
const meetsQuality = (q: typeof ours) => q.isolationViolations === 0 && q.movedSlots === q.movedLowerBound && q.imbalance <= 1;
const pass = cpuRatio <= 15 && cpuPlacementGrowth <= 15 && meetsQuality(ours) && meetsQuality(baseline) && ours.placedMembers === 3000 && baseline.placedMembers === 300 &&
  family.refusedFeasible === 0 && family.invalidPlans === 0 && family.extraWaves === 0;

for (const [label, size, q] of [["1/10", small, baseline], ["full", large, ours]] as const) {
  console.log(`${label}: place ${size.shards} shards × 3 over ${size.nodes.length} nodes in ${q.placementMs.toFixed(1)} ms (${q.isolationViolations} zone isolation violations); ` +
    `slot plan ${size.scaleFrom} → ${size.scaleTo} in ${q.slotPlanMs.toFixed(2)} ms: ${q.movedSlots} slots moved (lower bound ${q.movedLowerBound}), imbalance ${q.imbalance}, ${q.waves} waves`);
}
console.log(`family: ${family.instances} heterogeneous feasible topologies (${family.members} members placed): ${family.refusedFeasible} refused, ${family.invalidPlans} invalid plans; ` +
  `${family.scalePlans} random scale plans: ${family.extraWaves} waves above the bound`);
console.log(`growth t(10n)/t(n) in CPU time: total ${cpuRatio}×, placement ${cpuPlacementGrowth}× (target ≤ 15×) — ${pass ? "PASS" : "FAIL"}; ` +
  `in wall time: total ${ratio}×, placement ${placementGrowth}×, slot plan ${slotPlanGrowth}×`);
console.log(JSON.stringify({
  bench: "planner",
  ours: { placementMs: round(ours.placementMs), slotPlanMs: round(ours.slotPlanMs), totalMs: round(ours.totalMs), nodes: large.nodes.length, shards: large.shards, members: ours.placedMembers },
  baseline: { placementMs: round(baseline.placementMs), slotPlanMs: round(baseline.slotPlanMs), totalMs: round(baseline.totalMs), nodes: small.nodes.length, shards: small.shards, members: baseline.placedMembers },
  ratio, placementGrowth, slotPlanGrowth, units: "ms",
  cpu: { ours: { placementMs: round(ours.placementCpuMs), totalMs: round(ours.totalCpuMs) }, baseline: { placementMs: round(baseline.placementCpuMs), totalMs: round(baseline.totalCpuMs) } },
  cpuRatio, cpuPlacementGrowth, growthJudgedOn: "cpu",
  isolationViolations: ours.isolationViolations + baseline.isolationViolations,
  movedSlots: ours.movedSlots, movedLowerBound: ours.movedLowerBound, imbalance: ours.imbalance,
  baselineQuality: { movedSlots: baseline.movedSlots, movedLowerBound: baseline.movedLowerBound, imbalance: baseline.imbalance },
  refusedFeasible: family.refusedFeasible, extraWaves: family.extraWaves, invalidPlans: family.invalidPlans,
  family: { instances: family.instances, members: family.members, scalePlans: family.scalePlans },
  target: { cpuGrowth: 15, isolationViolations: 0, moved: "= lower bound", imbalance: 1, refusedFeasible: 0, extraWaves: 0 },
  pass,
}));
if (!pass) process.exitCode = 1;
