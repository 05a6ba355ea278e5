// The flow network of a placement (docs/architecture.md#placement). Per class c of m look-alike shards
// with k new members each:
//   source → c (m·k) → its region → zone → rack → host → each node the shard filters allow → node → host → sink
//   · into every domain, first a spread edge group: its u-th unit costs spreadCost(level, members of
//     any shard already in the domain + u) — members spread over every eligible region, then zone,
//     rack, host, so losing one domain costs as few members (and so primaries) as possible;
//   · above the isolation level, then k blocks of m units costing sharingCost(level) × (existing
//     members of a shard in the domain + block): the seed's score as a convex cost (domains.ts);
//   · at the isolation level, then m units (one member per shard per domain);
//   · node → host: unit edges costing (members on the node + j, then primaries on it) — the compare
//     step (fewest members, then fewest primaries) — up to the node's room (filters.ts; beyond
//     BALANCED_UNITS new members on one node the cost stops rising); host → sink: the host's room
//     under maxMembersPerHost.
// Costs are pairs (flow.ts): isolation (the seed's score) first, then spread and node balance. A
// spread group carries m·k units in all, as much as its class sends, so it never binds: refusals
// are read off the isolation, node and host edges (placement-refusal.ts).

import { LEVEL_COUNT, sharingCost, spreadCost } from "./domains.ts";
import { shardAllows, type ShardContext } from "./filters.ts";
import { MinCostFlow } from "./flow.ts";
import { PRIMARY_SPAN, type FlowEdges, type PlacementModel, type ShardState } from "./placement-model.ts";

/**
 * New members per node whose balance cost rises one by one; any further member costs the same as the
 * last. So the plan puts a 9th member of this plan on a node only when every other choice is worse
 * on isolation or full, and then does not mind which such node.
 */
const BALANCED_UNITS = 8;

/** Units of a spread group whose cost rises one by one; the rest cost as much as the last. */
const SPREAD_UNITS = 16;

export function buildFlow(model: PlacementModel, shards: ShardState[], rooms: number[], wanted: number): FlowEdges {
  const { domains, isolationIndex } = model;
  const graph = new MinCostFlow();
  const source = graph.addVertex();
  const sink = graph.addVertex();
  const classes = new Map<string, ShardState[]>();
  for (const s of shards) {
    const key = `${s.requests.length}|${s.peers.map((p) => p.pos).sort((a, b) => a - b)}|${s.holders.map((p) => p.pos).sort((a, b) => a - b)}`;
    const list = classes.get(key);
    if (list) list.push(s);
    else classes.set(key, [s]);
  }
  const edges: FlowEdges = { graph, source, sink, classes: [], nodeEdges: new Map(), hostEdges: new Map() };
  const lastLevel = LEVEL_COUNT - 1;
  const hostVertex = new Map<number, number>();
  const nodeVertex = new Map<number, number>();
  const maxPerHost = model.policy.maxMembersPerHost ?? 0;
  const nodeIn = (pos: number): number => {
    let v = nodeVertex.get(pos);
    if (v !== undefined) return v;
    v = graph.addVertex();
    nodeVertex.set(pos, v);
    const host = domains.ids[LEVEL_COUNT - 1][pos];
    let h = hostVertex.get(host);
    if (h === undefined) {
      h = maxPerHost > 0 ? graph.addVertex() : sink;
      hostVertex.set(host, h);
      if (maxPerHost > 0) edges.hostEdges.set(host, graph.addEdge(h, sink, Math.max(0, maxPerHost - model.hostMembers[host])));
    }
    // One unit edge per member up to BALANCED_UNITS, then one edge for the rest of the room: the
    // compare step stays exact where it matters and a roomy node does not cost a hundred edges.
    const units = Math.min(rooms[pos], wanted);
    const ids: number[] = [];
    const cost = (j: number) => (model.membersOnNode[pos] + j) * PRIMARY_SPAN + model.primariesOnNode[pos];
    for (let j = 0; j < Math.min(units, BALANCED_UNITS); j++) ids.push(graph.addEdge(v, h, 1, 0, cost(j)));
    if (units > BALANCED_UNITS) ids.push(graph.addEdge(v, h, units - BALANCED_UNITS, 0, cost(BALANCED_UNITS)));
    edges.nodeEdges.set(pos, ids);
    return v;
  };
  /** parent → a new vertex through the spread group of `level`'s domain; returns the vertex. */
  const spread = (parent: number, level: number, domain: number, units: number): number => {
    const w = graph.addVertex();
    const base = model.membersInDomain[level][domain];
    const rising = Math.min(units, SPREAD_UNITS);
    for (let u = 0; u < rising; u++) graph.addEdge(parent, w, 1, 0, spreadCost(level, base + u));
    if (units > rising) graph.addEdge(parent, w, units - rising, 0, spreadCost(level, base + rising));
    return w;
  };
  for (const members of classes.values()) {
    const m = members.length;
    const k = members[0].requests.length;
    const v = graph.addVertex();
    graph.addEdge(source, v, m * k);
    const peerCount = Array.from({ length: LEVEL_COUNT }, () => new Map<number, number>());
    for (const p of members[0].peers) for (let l = 0; l < LEVEL_COUNT; l++) peerCount[l].set(domains.ids[l][p.pos], (peerCount[l].get(domains.ids[l][p.pos]) ?? 0) + 1);
    const entry = { vertex: v, shards: members.map((s) => s.shard), perShard: k, domainsAllowed: 0, leaves: [] as { pos: number; edge: number }[], isolationEdges: [] as { level: number; domain: number; edge: number }[] };
    const ctx: ShardContext = { domains, pos: 0, isolationIndex, holders: members[0].holders, peers: members[0].peers };
    const path: number[] = []; // path[l] = vertex of the current domain at level l
    let previous = -1;
    let lastAllowed = -1;
    for (let pos = 0; pos < domains.length; pos++) {
      if (model.rejections[pos]) continue;
      ctx.pos = pos;
      if (!shardAllows(ctx)) continue;
      const isolationDomain = isolationIndex >= LEVEL_COUNT ? pos : domains.ids[isolationIndex][pos];
      if (isolationDomain !== lastAllowed) entry.domainsAllowed++;
      lastAllowed = isolationDomain;
      if (rooms[pos] < 1) continue;
      // first level whose domain differs from the previous eligible node's: new vertices from there down
      let from = 0;
      if (previous >= 0) while (from <= lastLevel && domains.ids[from][pos] === domains.ids[from][previous]) from++;
      for (let l = from; l <= lastLevel; l++) {
        const domain = domains.ids[l][pos];
        const spreadOut = spread(l === 0 ? v : path[l - 1], l, domain, m * k);
        if (l < isolationIndex) {
          const w = graph.addVertex();
          const e = peerCount[l].get(domain) ?? 0;
          for (let block = 0; block < k; block++) graph.addEdge(spreadOut, w, m, sharingCost(l) * (e + block), 0);
          path[l] = w;
        } else if (l === isolationIndex) {
          const w = graph.addVertex();
          entry.isolationEdges.push({ level: l, domain, edge: graph.addEdge(spreadOut, w, m) });
          path[l] = w;
        } else {
          path[l] = spreadOut;
        }
      }
      previous = pos;
      const leaf = graph.addEdge(path[lastLevel], nodeIn(pos), m);
      entry.leaves.push({ pos, edge: leaf });
      if (isolationIndex >= LEVEL_COUNT) entry.isolationEdges.push({ level: LEVEL_COUNT, domain: pos, edge: leaf });
    }
    edges.classes.push(entry);
  }
  return edges;
}
