// Why a placement does not fit (docs/architecture.md#placement: "the refusal names the binding constraint and the
// reason each candidate was rejected"). The maximum flow is below the demand; the edges that cross
// the minimum cut (residual reach from the source) are the constraints that bind, and their
// capacities add up to the number of members that fit. They are reported per failure domain at the
// isolation level (the host at "none"). Then the first shard left short is taken as the example,
// and every node says, through the filter list, why it cannot take that shard's next member given
// the largest partial assignment.

import { LEVEL_COUNT, levelName } from "./domains.ts";
import { hints, plural, summariseCounts } from "./explain.ts";
import { firstRejection, type ShardContext } from "./filters.ts";
import type { BindingConstraint, Rejection, RejectionCode } from "./plan.ts";
import { nodeContext, type FlowEdges, type PlacementFailure, type PlacementModel, type ShardState } from "./placement-model.ts";

interface DomainCut { oneMember: number; shards: Set<number>; nodes: { pos: number; room: number }[]; hosts: number; hostRoom: number }

export function explainRefusal(model: PlacementModel, flow: FlowEdges, dealt: Map<number, number[]>, shards: Map<number, ShardState>, members: { wanted: number; fit: number }): PlacementFailure {
  const { domains, isolationIndex } = model;
  const { graph } = flow;
  const reach = graph.residualReach(flow.source);
  const groupLevel = Math.min(isolationIndex, LEVEL_COUNT - 1);
  const cuts = new Map<number, DomainCut>();
  const cutOf = (domain: number) => {
    let c = cuts.get(domain);
    if (!c) cuts.set(domain, (c = { oneMember: 0, shards: new Set(), nodes: [], hosts: 0, hostRoom: 0 }));
    return c;
  };
  const firstPosOfHost = new Map<number, number>();
  for (let pos = domains.length - 1; pos >= 0; pos--) firstPosOfHost.set(domains.ids[LEVEL_COUNT - 1][pos], pos);

  for (const c of flow.classes) {
    for (const { level, domain, edge } of c.isolationEdges) {
      if (!graph.crosses(edge, reach)) continue;
      const group = level >= LEVEL_COUNT ? domains.ids[groupLevel][domain] : domain;
      const cut = cutOf(group);
      cut.oneMember += graph.capacityOf(edge);
      for (const s of c.shards) cut.shards.add(s);
    }
  }
  const placedOnNode = new Map<number, number>();
  const placedOnHost = new Map<number, number>();
  for (const [pos, edges] of flow.nodeEdges) {
    let used = 0;
    let room = 0;
    for (const e of edges) {
      used += graph.flowOn(e);
      if (graph.crosses(e, reach)) room += graph.capacityOf(e);
    }
    placedOnNode.set(pos, used);
    const host = domains.ids[LEVEL_COUNT - 1][pos];
    placedOnHost.set(host, (placedOnHost.get(host) ?? 0) + used);
    if (room > 0) cutOf(domains.ids[groupLevel][pos]).nodes.push({ pos, room });
  }
  for (const [host, edge] of flow.hostEdges) {
    if (!graph.crosses(edge, reach)) continue;
    const cut = cutOf(domains.ids[groupLevel][firstPosOfHost.get(host)!]);
    cut.hosts++;
    cut.hostRoom += graph.capacityOf(edge);
  }

  const level = levelName(groupLevel);
  const constraints: BindingConstraint[] = [];
  // Shards left short that have fewer usable domains than members to place: say so first.
  const isolationName = model.policy.isolationLevel === "none" ? "node" : model.policy.isolationLevel;
  for (const c of flow.classes) {
    if (!reach[c.vertex] || c.isolationEdges.length >= c.perShard) continue;
    const who = c.shards.length === 1 ? `shard ${c.shards[0]} needs` : `shards ${c.shards.slice(0, 5).join(", ")}${c.shards.length > 5 ? ", …" : ""} need`;
    const base = `${who} ${plural(c.perShard, "new member")} on different ${isolationName}s`;
    constraints.push(c.domainsAllowed < c.perShard
      ? { level: model.policy.isolationLevel, domain: "*", shards: c.shards, room: c.domainsAllowed, limit: "OneMemberPerShard", message: `${base}; only ${c.domainsAllowed} ${isolationName}s have a node they may use (the others are filtered out, hold the shard's members or share a ${isolationName} with them)` }
      : { level: model.policy.isolationLevel, domain: "*", shards: c.shards, room: c.isolationEdges.length, limit: "NodeRoom", message: `${base}; only ${c.isolationEdges.length} of the ${c.domainsAllowed} ${isolationName}s they may use have room left` });
  }
  for (const domain of [...cuts.keys()].sort((a, b) => a - b)) {
    const cut = cuts.get(domain)!;
    const label = domains.labels[groupLevel][domain];
    const where = `${level} "${label}"`;
    if (cut.oneMember > 0) {
      constraints.push({
        level, domain: label, room: cut.oneMember, limit: "OneMemberPerShard",
        message: `${where} takes ${cut.oneMember}: one member of each of ${plural(cut.shards.size, "shard")} (isolationLevel ${model.policy.isolationLevel})`,
      });
    }
    if (cut.nodes.length > 0) {
      const room = cut.nodes.reduce((sum, x) => sum + x.room, 0);
      const list = cut.nodes.slice(0, 4).map((x) => `${domains.nodes[x.pos].name} ${x.room}`).join(", ");
      constraints.push({ level, domain: label, room, limit: "NodeRoom", message: `${where} takes ${room}: room on its nodes (${list}${cut.nodes.length > 4 ? ", …" : ""})` });
    }
    if (cut.hosts > 0) {
      constraints.push({
        level, domain: label, room: cut.hostRoom, limit: "MaxMembersPerHost",
        message: `${where} takes ${cut.hostRoom}: ${plural(cut.hosts, "host")} at spec.placement.maxMembersPerHost=${model.policy.maxMembersPerHost}`,
      });
    }
  }

  // The first shard left short, and why no node can take its next member.
  let short: ShardState | undefined;
  for (const c of flow.classes) {
    for (const s of c.shards) if (!short && dealt.get(s)!.length < c.perShard) short = shards.get(s);
  }
  if (!short) throw new Error("planner bug: the flow is short but every shard got its members");
  const got = [...dealt.get(short.shard)!].sort((a, b) => a - b);
  const added = got.map((pos, i) => ({ name: short!.requests[i].name, pos }));
  const next = short.requests[got.length];
  const shardCtx: ShardContext = { domains, pos: 0, isolationIndex, holders: [...short.holders, ...added], peers: [...short.peers, ...added] };
  const rejections: Rejection[] = [];
  const counts: Partial<Record<RejectionCode, number>> = {};
  const byName = domains.nodes.map((_, pos) => pos).sort((a, b) => (domains.nodes[a].name < domains.nodes[b].name ? -1 : 1));
  let anyRoom = false;
  for (const pos of byName) {
    const ctx = nodeContext(model, pos, placedOnNode.get(pos) ?? 0, placedOnHost.get(domains.ids[LEVEL_COUNT - 1][pos]) ?? 0);
    if (flow.nodeEdges.has(pos)) anyRoom = true;
    shardCtx.pos = pos;
    const rejection = firstRejection(ctx, shardCtx);
    if (!rejection) throw new Error(`planner bug: node ${ctx.node.name} could take ${next.name}, yet the flow found no room for it`);
    rejections.push(rejection);
    counts[rejection.code] = (counts[rejection.code] ?? 0) + 1;
  }

  // Isolation only when nothing but isolation binds: more room would not help then.
  const code = !anyRoom ? "Unplaceable" : constraints.every((c) => c.limit === "OneMemberPerShard") ? "IsolationUnreachable" : "InsufficientCapacity";
  const todo = hints(Object.keys(counts) as RejectionCode[], constraints.map((c) => c.limit));
  const binding = constraints.length === 0 ? "no node of the pool can take a member" : `binding: ${constraints.slice(0, 6).map((c) => c.message).join("; ")}${constraints.length > 6 ? `; and ${constraints.length - 6} more` : ""}`;
  const message = `cannot place ${plural(members.wanted, "member")} at isolationLevel ${model.policy.isolationLevel}: at most ${members.fit} fit (${binding}); ` +
    `nothing was placed. For ${next.name} of shard ${short.shard}, ${plural(domains.length, "node")}: ${summariseCounts(counts as Record<string, number>)}` +
    (todo.length > 0 ? `; to fix: ${todo.join("; ")}` : "");
  return { code, message, members, constraints, member: { name: next.name, shard: short.shard }, rejections };
}
