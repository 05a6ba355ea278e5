// Member placement as a min-cost flow (docs/architecture.md#placement, issue 10). Whether the members fit is decided
// exactly; the seed's score and compare only choose among the assignments that fit.
//
// Shards that look alike to the placement (same number of new members, same existing members)
// form one class, so a bootstrap is one class however many shards it has. The network, with its
// costs (isolation first, then spread over every domain, then node balance), is placement-flow.ts.
// A class's flow is dealt to its shards in domain order, round robin, so every shard gets k nodes
// and every domain's units split as evenly as possible over the shards: the class cost is exactly
// the sum of its shards' costs and at most one member of a shard lands in an isolation domain.
// A maximum flow below m·k for some class means no assignment exists: placement-refusal.ts reads
// the binding constraints off the minimum cut.

import { DomainIndex, ISOLATION_INDEX, isolationWeight, LEVEL_COUNT, levelName } from "./domains.ts";
import { plural, reason } from "./explain.ts";
import { nodeRejection, nodeRoom, validatePolicy, type PlacementPolicy } from "./filters.ts";
import { buildFlow } from "./placement-flow.ts";
import { canonicalNodes, canonicalTolerations, planId, sortedByName, sortedNames } from "./identity.ts";
import { PlannerInputError, requireArray, requireIndex, requireMembers, requireName, requireNames } from "./input.ts";
import { planned, type PlaceMemberStep, type Plan, type PlanKind, type PlanOutcome, type Reason, type RejectionCode } from "./plan.ts";
import {
  nodeContext, PRIMARY_SPAN, type ExistingMember, type FlowEdges, type MemberRequest, type PlacementFailure, type PlacementModel, type ShardState,
} from "./placement-model.ts";
import type { MemberRole } from "./plan.ts";
import { explainRefusal } from "./placement-refusal.ts";
import { checkNodes, type IsolationLevel, type TopologyNode } from "./topology.ts";


export type { ExistingMember, MemberRequest, PlacementFailure, PlacementPolicy };

export interface PlacementInput {
  nodes: readonly TopologyNode[];
  policy: PlacementPolicy;
  /** Members that exist now (they use room and count for isolation and tie-breaks). */
  members: readonly ExistingMember[];
  requests: readonly MemberRequest[];
  /** Members about to be removed: they do not count for the isolation of their shard. */
  leaving?: readonly string[];
  /** Nodes that must not receive members in this plan (e.g. the node being drained), with why. */
  excludedNodes?: Readonly<Record<string, string>>;
}

export interface Placement {
  member: string;
  shard: number;
  role: MemberRole;
  node: string;
  /** The seed's score against the shard's other members once placed: Σ 100^(levels−i−1). */
  score: number;
  /** Deepest level at which the node differs from every other member of the shard; null for a lone member. */
  isolation: IsolationLevel | null;
}

/** `reasons` say what was filtered or odd in the snapshot; each placement explains itself (explainPlacement). */
export type PlacementResult =
  | { ok: true; placements: Placement[]; reasons: Reason[]; domains: DomainIndex }
  | { ok: false; failure: PlacementFailure; reasons: Reason[] };

function checkInput(input: PlacementInput): void {
  checkNodes(input.nodes);
  validatePolicy(input.policy);
  requireMembers(input.members, "members");
  requireArray(input.requests, "requests").forEach((r, i) => {
    requireName(r?.name, `requests[${i}].name`);
    requireIndex(r.shard, `requests[${i}].shard`, "a shard index (an integer ≥ 0)");
    if (r.role !== "primary" && r.role !== "standby") throw new PlannerInputError(`requests[${i}].role`, `must be primary or standby, got ${JSON.stringify(r.role)}`);
  });
  const taken = new Set(input.members.map((m) => m.name));
  input.requests.forEach((r, i) => {
    if (taken.has(r.name)) throw new PlannerInputError(`requests[${i}].name`, `member "${r.name}" already exists or is requested twice; choose a new member name`);
    taken.add(r.name);
  });
  if (input.leaving !== undefined) requireNames(input.leaving, "leaving");
  if (input.excludedNodes !== undefined && (input.excludedNodes === null || typeof input.excludedNodes !== "object")) throw new PlannerInputError("excludedNodes", "must be a map of node name to reason");
}

/** Place every request, all or nothing: the least-cost assignment, or why none exists. */
export function solvePlacement(input: PlacementInput): PlacementResult {
  checkInput(input);
  const { policy } = input;
  const domains = new DomainIndex(input.nodes, policy.topologyKeys);
  const n = domains.length;
  const reasons: Reason[] = [];
  for (const node of domains.nodes) for (const problem of node.problems) reasons.push(reason("TopologyProblem", problem));
  const model: PlacementModel = {
    domains, policy, isolationIndex: ISOLATION_INDEX[policy.isolationLevel], excluded: input.excludedNodes ?? {}, rejections: [],
    free: domains.nodes.map((x) => ({ memoryBytes: x.allocatable.memoryBytes - x.requested.memoryBytes, milliCpu: x.allocatable.milliCpu - x.requested.milliCpu, pods: x.allocatable.pods - x.requested.pods })),
    membersOnNode: new Int32Array(n), primariesOnNode: new Int32Array(n), hostMembers: new Int32Array(domains.sizes[LEVEL_COUNT - 1]),
    membersInDomain: domains.sizes.map((size) => new Int32Array(size)),
  };
  const leaving = new Set(input.leaving ?? []);
  const shards = new Map<number, ShardState>();
  const shardOf = (shard: number) => {
    let s = shards.get(shard);
    if (!s) shards.set(shard, (s = { shard, requests: [], holders: [], peers: [] }));
    return s;
  };
  for (const m of sortedByName(input.members)) {
    const pos = domains.position(m.node);
    if (pos < 0) {
      reasons.push(reason("TopologyProblem", `member ${m.name} of shard ${m.shard} is on node ${m.node || "<none>"}, which is not in the topology snapshot; it is ignored for isolation`));
      continue;
    }
    model.membersOnNode[pos]++;
    if (m.role === "primary") model.primariesOnNode[pos]++;
    model.hostMembers[domains.ids[LEVEL_COUNT - 1][pos]]++;
    if (model.membersOnNode[pos] >= PRIMARY_SPAN) throw new PlannerInputError("members", `node ${m.node} holds ${model.membersOnNode[pos]} members; the planner supports fewer than ${PRIMARY_SPAN} per node`);
    const s = shardOf(m.shard);
    s.holders.push({ name: m.name, pos });
    if (leaving.has(m.name)) continue;
    s.peers.push({ name: m.name, pos });
    for (let level = 0; level < LEVEL_COUNT; level++) model.membersInDomain[level][domains.ids[level][pos]]++;
  }
  for (const r of sortedByName(input.requests)) shardOf(r.shard).requests.push(r);

  const rooms = domains.nodes.map((_, pos) => {
    const ctx = nodeContext(model, pos);
    const rejection = nodeRejection(ctx);
    model.rejections.push(rejection);
    return rejection ? 0 : nodeRoom(ctx);
  });
  const filtered = filterSummary(model);
  if (filtered) reasons.push(reason("NodesFiltered", filtered));
  const wanted = input.requests.length;
  if (wanted === 0) return { ok: true, placements: [], reasons, domains };

  const flow = buildFlow(model, [...shards.values()].filter((s) => s.requests.length > 0).sort((a, b) => a.shard - b.shard), rooms, wanted);
  const fit = flow.graph.solve(flow.source, flow.sink, wanted);
  const dealt = deal(flow);
  if (fit < wanted) {
    const failure = explainRefusal(model, flow, dealt, shards, { wanted, fit });
    return { ok: false, failure, reasons: [...reasons, ...(failure.constraints ?? []).map((c) => reason("Binding", c.message))] };
  }
  const placements = assign(model, dealt, shards);
  const byName = new Map(placements.map((p) => [p.member, p]));
  return { ok: true, placements: input.requests.map((r) => byName.get(r.name)!), reasons, domains };
}

/** Each class's flow dealt round robin, in domain order, to its shards: shard → node positions. */
function deal(flow: FlowEdges): Map<number, number[]> {
  const dealt = new Map<number, number[]>();
  for (const c of flow.classes) {
    for (const shard of c.shards) dealt.set(shard, []);
    let j = 0;
    for (const { pos, edge } of c.leaves) {
      for (let u = flow.graph.flowOn(edge); u > 0; u--) dealt.get(c.shards[j++ % c.shards.length])!.push(pos);
    }
  }
  return dealt;
}

/** Requests of a shard meet its nodes: primaries first, onto the nodes holding the fewest primaries. */
function assign(model: PlacementModel, dealt: Map<number, number[]>, shards: Map<number, ShardState>): Placement[] {
  const { domains } = model;
  const placements: Placement[] = [];
  for (const [shard, positions] of dealt) {
    const state = shards.get(shard)!;
    const requests = [...state.requests].sort((a, b) => (a.role === b.role ? (a.name < b.name ? -1 : 1) : a.role === "primary" ? -1 : 1));
    const nodes = [...positions].sort((a, b) => model.primariesOnNode[a] - model.primariesOnNode[b] || a - b);
    const all = [...state.peers.map((p) => p.pos), ...nodes];
    requests.forEach((r, i) => {
      const pos = nodes[i];
      let score = 0;
      let deepest = -1;
      let seen = false;
      for (const other of all) {
        if (other === pos && !seen) {
          seen = true;
          continue;
        }
        const level = domains.firstDifferentLevel(pos, other);
        score += isolationWeight(level);
        deepest = Math.max(deepest, level);
      }
      placements.push({ member: r.name, shard, role: r.role, node: domains.nodes[pos].name, score, isolation: deepest < 0 ? null : levelName(deepest) });
    });
  }
  return placements;
}

export function explainPlacement(p: Placement): string {
  const where = p.isolation === null ? "the shard's only member" : `differs from the shard's other members at least at ${p.isolation} level (isolation score ${p.score})`;
  return `${p.role} ${p.member} of shard ${p.shard} → node ${p.node}: ${where}`;
}

/** "3 of 40 nodes in the pool cannot take members: 2 × Cordoned (n3, n7), 1 × StoreDraining (n9)", or null. */
function filterSummary(model: PlacementModel): string | null {
  const byCode = new Map<RejectionCode, string[]>();
  const names = model.domains.nodes.map((_, pos) => pos).sort((a, b) => (model.domains.nodes[a].name < model.domains.nodes[b].name ? -1 : 1));
  for (const pos of names) {
    const rejection = model.rejections[pos];
    if (!rejection || rejection.code === "NodeSelectorMismatch") continue;
    byCode.set(rejection.code, [...(byCode.get(rejection.code) ?? []), rejection.node]);
  }
  if (byCode.size === 0) return null;
  const total = [...byCode.values()].reduce((sum, l) => sum + l.length, 0);
  const parts = [...byCode.entries()].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))
    .map(([code, nodes]) => `${nodes.length} × ${code} (${nodes.slice(0, 5).join(", ")}${nodes.length > 5 ? ", …" : ""})`);
  return `${total} of ${plural(model.domains.length, "node")} in the pool cannot take members: ${parts.join(", ")}`;
}

/** The canonical inputs of a placement, for plan ids: order-free. */
export function placementIdentity(input: PlacementInput): unknown {
  return {
    nodes: canonicalNodes(input.nodes), policy: { ...input.policy, tolerations: canonicalTolerations(input.policy.tolerations) },
    members: sortedByName(input.members), requests: sortedByName(input.requests), leaving: sortedNames(input.leaving), excludedNodes: input.excludedNodes,
  };
}

/**
 * Place new members into an existing cluster (more replicas, new shards' members): one place-member
 * step per request, or a refusal that says which constraint binds.
 */
export function placeMembers(input: PlacementInput, kind: PlanKind = "scale-out"): PlanOutcome<Plan<PlaceMemberStep>> {
  const result = solvePlacement(input);
  const id = planId(kind, placementIdentity(input));
  if (!result.ok) return { ok: false, refusal: { id, kind, ...result.failure, reasons: result.reasons } };
  if (result.placements.length === 0) return { ok: false, refusal: { id, kind, code: "NothingToDo", message: "no member to place", reasons: result.reasons } };
  const steps = result.placements.map((p) => planned<PlaceMemberStep>({ kind: "place-member", member: p.member, shard: p.shard, role: p.role, node: p.node }));
  return { ok: true, plan: { id, kind, steps, reasons: [...result.reasons, ...result.placements.map((p) => reason("Placement", explainPlacement(p)))] } };
}

