// Primary spread (docs/architecture.md#placement): choose which member of each shard is primary so that
// no region (then zone, rack, host) holds two primaries when that is avoidable — losing one zone then
// costs as few primaries as possible — and, given the roles observed after a failover, the fewest
// switchovers that restore the spread.
//
// Cost at a level = Σ over its domains C(primaries in domain, 2), i.e. pairs of primaries sharing a
// domain; it is 0 exactly when no domain holds two, and otherwise smallest when they are spread evenly.
// 1. Level by level (region, zone, rack, host), exactly for that level among the moves that keep every
//    primary in its domain of the levels above: from the current primaries, follow augmenting paths
//    (domain A → shard with its primary in A → that shard's member in domain B → …) to a domain
//    holding at least two fewer primaries than A; each path lowers the cost by moving one primary. No
//    path left means that level's cost is optimal (min-cost flow with convex costs).
// 2. Then single switchovers that lower the cost vector (region, zone, rack, host) lexicographically
//    until none is left.
// Only shards whose primary changed get a switchover, so a spread cluster gets a plan without steps.
// A shard with no primary at all gets no step here: promoting a member of a shard whose primary is
// gone is a forced failover, which planReplacement plans; `primaries` still names the best member.

import type { DomainIndex } from "./domains.ts";
import { plural, reason } from "./explain.ts";
import { canonicalNodes, planId, sortedByName, sortedNames } from "./identity.ts";
import { PlannerInputError, requireMembers, requireNames } from "./input.ts";
import { planned, type Plan, type Reason, type SwitchoverStep } from "./plan.ts";
import type { ExistingMember } from "./placement-model.ts";
import {
  lexLess, lexNegative, LEVELS_BY_PRIORITY, primaryCandidates, PriorityDomains, SpreadCounts, type Candidate, type PrimaryCollisions, type PrimaryInput,
} from "./primary-spread.ts";
import { checkNodes, resolveTopologyKeys } from "./topology.ts";

export { collisionsOf, PrimarySpread, type PrimaryCollisions, type PrimaryInput } from "./primary-spread.ts";

export interface PrimaryPlan {
  /** Kind "switchover": one step per shard whose primary should move; no steps when spread. */
  plan: Plan<SwitchoverStep>;
  /** The chosen primary of every shard that has a member able to be primary (or keeps one). */
  primaries: { shard: number; member: string; node: string }[];
  before: PrimaryCollisions;
  after: PrimaryCollisions;
}

export function planPrimaries(input: PrimaryInput): PrimaryPlan {
  checkNodes(input.nodes);
  requireMembers(input.members, "members");
  if (input.notCandidates !== undefined) requireNames(input.notCandidates, "notCandidates");
  const keys = resolveTopologyKeys(input.topologyKeys);
  const { steps, reasons, primaries, before, after } = choosePrimaries(input);
  const id = planId("switchover", { nodes: canonicalNodes(input.nodes), keys, members: sortedByName(input.members), notCandidates: sortedNames(input.notCandidates) });
  return { plan: { id, kind: "switchover", steps: steps.map((s) => planned(s)), reasons }, primaries, before, after };
}

/**
 * planPrimaries without the plan id, for planners that use the choice (bootstrap); input already
 * checked; `domains`, when given, is the index of these nodes and keys.
 */
export function choosePrimaries(input: PrimaryInput, domains?: DomainIndex): Omit<PrimaryPlan, "plan"> & { steps: SwitchoverStep[]; reasons: Reason[] } {
  const keys = resolveTopologyKeys(input.topologyKeys);
  const index = new PriorityDomains(input.nodes, keys, domains);
  const candidates = primaryCandidates(input, index);
  const reasons: Reason[] = [];
  const current = new Map<number, ExistingMember>();
  for (const m of sortedByName(input.members)) {
    if (m.role !== "primary") continue;
    const other = current.get(m.shard);
    if (other) throw new PlannerInputError("members", `shard ${m.shard} has two members with role primary (${other.name}, ${m.name}); resolve the split before planning primaries`);
    current.set(m.shard, m);
  }

  // chosen[shard] = index into candidates, or -1 when the shard keeps a primary we cannot move
  const shards = [...candidates.keys()].sort((a, b) => a - b);
  const chosen = new Map<number, Candidate>();
  const fixed = new Map<number, Candidate>(); // current primary that has no alternative; counts but never moves
  const counts = new SpreadCounts(index.sizes);
  const currentAsCandidate = (shard: number): Candidate | undefined => {
    const m = current.get(shard);
    const domains = m ? index.of(m.node) : undefined;
    return m && domains ? { member: m.name, node: m.node, domains } : undefined;
  };
  for (const shard of shards) {
    const list = candidates.get(shard)!;
    const now = current.get(shard);
    const keep = now ? list.find((c) => c.member === now.name) : undefined;
    if (keep) {
      chosen.set(shard, keep);
      counts.add(keep, +1);
    } else if (list.length === 0) {
      const stuck = currentAsCandidate(shard);
      if (stuck) {
        fixed.set(shard, stuck);
        counts.add(stuck, +1);
      }
      reasons.push(reason("PrimaryLost", `shard ${shard} has no member that can be primary (Ready node, not draining, in sync); it keeps ${now ? now.name : "no primary"}`));
    }
  }
  // Shards without a usable primary get the candidate that adds the least cost, in shard order.
  for (const shard of shards) {
    const list = candidates.get(shard)!;
    if (chosen.has(shard) || list.length === 0) continue;
    let best = list[0];
    for (const c of list.slice(1)) if (lexNegative(compareAdd(counts, c, best))) best = c;
    chosen.set(shard, best);
    counts.add(best, +1);
  }
  const beforeCounts = new SpreadCounts(index.sizes);
  for (const m of current.values()) {
    const domains = index.of(m.node);
    if (domains) beforeCounts.add({ member: m.name, node: m.node, domains }, +1);
  }

  for (let level = 0; level < LEVELS_BY_PRIORITY.length; level++) improveSpread(level, shards, candidates, chosen, counts);
  // Local search on the full vector; each accepted switch strictly lowers it, so this ends.
  for (let improved = true; improved;) {
    improved = false;
    for (const shard of shards) {
      const from = chosen.get(shard);
      if (!from) continue;
      let best: Candidate | undefined;
      let bestDelta: number[] | undefined;
      for (const c of candidates.get(shard)!) {
        if (c === from) continue;
        const delta = counts.delta(from, c);
        if (lexNegative(delta) && (!bestDelta || lexLess(delta, bestDelta))) {
          best = c;
          bestDelta = delta;
        }
      }
      if (best) {
        counts.add(from, -1);
        counts.add(best, +1);
        chosen.set(shard, best);
        improved = true;
      }
    }
  }

  const primaries = shards.flatMap((shard) => {
    const c = chosen.get(shard) ?? fixed.get(shard);
    return c ? [{ shard, member: c.member, node: c.node }] : [];
  });
  const steps: SwitchoverStep[] = [];
  const moves: Reason[] = [];
  for (const p of primaries) {
    const now = current.get(p.shard);
    if (!now) {
      reasons.push(reason("PrimaryLost", `shard ${p.shard} has no primary: ${p.member} on node ${p.node} is the best member to promote (a forced failover: planReplacement)`));
    } else if (now.name !== p.member) {
      steps.push({ kind: "switchover", shard: p.shard, from: now.name, to: p.member });
      moves.push(reason("PrimarySpread", `shard ${p.shard}: switch over from ${now.name} (node ${now.node}) to ${p.member} (node ${p.node})`));
    }
  }
  const after = counts.collisions();
  const before = beforeCounts.collisions();
  const summary = steps.length === 0
    ? `primaries are spread: pairs of primaries sharing a host ${after.host}, a rack ${after.rack}, a zone ${after.zone}`
    : `${plural(steps.length, "switchover")} restore the primary spread: pairs sharing a host ${before.host} → ${after.host}, a rack ${before.rack} → ${after.rack}, a zone ${before.zone} → ${after.zone}`;
  return { steps, reasons: [reason("PrimarySpread", summary), ...reasons, ...moves], primaries, before, after };
}

function compareAdd(counts: SpreadCounts, a: Candidate, b: Candidate): number[] {
  // cost of adding a minus cost of adding b, per level
  return a.domains.map((d, i) => counts.count(i, d) - counts.count(i, b.domains[i]));
}

/**
 * Augmenting paths at one level of the cost vector, moving primaries only between domains of that
 * level inside the same domains of the levels above (whose costs stay as they are).
 */
function improveSpread(level: number, shards: number[], candidates: Map<number, Candidate[]>, chosen: Map<number, Candidate>, counts: SpreadCounts): void {
  const sameAbove = (a: Candidate, b: Candidate) => a.domains.slice(0, level).every((d, i) => d === b.domains[i]);
  for (let improved = true; improved;) {
    improved = false;
    // primaries per domain, to walk from a crowded domain to the shards it holds
    const shardsIn = new Map<number, number[]>();
    for (const shard of shards) {
      const c = chosen.get(shard);
      if (!c) continue;
      const list = shardsIn.get(c.domains[level]);
      if (list) list.push(shard);
      else shardsIn.set(c.domains[level], [shard]);
    }
    // fixed primaries (no alternative) count in `counts` but never move
    const crowded = [...shardsIn.keys()].filter((d) => counts.count(level, d) >= 2).sort((a, b) => counts.count(level, b) - counts.count(level, a) || a - b);
    for (const start of crowded) {
      const startCount = counts.count(level, start);
      // BFS over domains; parent records (shard, candidate) that moves a primary into the domain
      const parent = new Map<number, { from: number; shard: number; to: Candidate }>();
      const visited = new Set([start]);
      const queue = [start];
      let end: number | undefined;
      while (queue.length > 0 && end === undefined) {
        const domain = queue.shift()!;
        for (const shard of shardsIn.get(domain) ?? []) {
          const now = chosen.get(shard)!;
          for (const c of candidates.get(shard)!) {
            const d = c.domains[level];
            if (visited.has(d) || !sameAbove(c, now)) continue;
            visited.add(d);
            parent.set(d, { from: domain, shard, to: c });
            if (counts.count(level, d) <= startCount - 2) {
              end = d;
              break;
            }
            queue.push(d);
          }
          if (end !== undefined) break;
        }
      }
      if (end === undefined) continue;
      for (let d = end; d !== start;) {
        const step = parent.get(d)!;
        const from = chosen.get(step.shard)!;
        counts.add(from, -1);
        counts.add(step.to, +1);
        chosen.set(step.shard, step.to);
        d = step.from;
      }
      improved = true;
      break; // recompute the index after each path
    }
  }
}
