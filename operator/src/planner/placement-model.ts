// The state a placement is computed in, shared by the solver (placement.ts) and the explanation of
// a refusal (placement-refusal.ts).

import { LEVEL_COUNT, type DomainIndex } from "./domains.ts";
import type { NodeContext, PlacementPolicy } from "./filters.ts";
import type { MinCostFlow } from "./flow.ts";
import type { MemberRole, Refusal, Rejection } from "./plan.ts";
import type { Resources } from "./topology.ts";

/** A member that exists now, as the planner sees it (status.members): where it is and its role. */
export interface ExistingMember { name: string; shard: number; node: string; role: MemberRole }

/** A member to place. */
export interface MemberRequest { name: string; shard: number; role: MemberRole }

export type PlacementFailure = Omit<Refusal, "id" | "kind" | "reasons">;

/** Node balance cost: members on the node × PRIMARY_SPAN + primaries on it (< 2^16 members per node, checked). */
export const PRIMARY_SPAN = 2 ** 16;

export interface ShardState {
  shard: number;
  /** In name order. */
  requests: MemberRequest[];
  /** Every member of the shard on a snapshot node (leaving ones too: they still hold their node). */
  holders: { name: string; pos: number }[];
  /** Members that count for isolation (not leaving). */
  peers: { name: string; pos: number }[];
}

export interface PlacementModel {
  domains: DomainIndex;
  policy: PlacementPolicy;
  isolationIndex: number;
  excluded: Readonly<Record<string, string>>;
  /** The node-stage rejection of each node position, null when it may take members. */
  rejections: (Rejection | null)[];
  /** Free resources per node position before this plan. */
  free: Resources[];
  membersOnNode: Int32Array;
  primariesOnNode: Int32Array;
  /** Members per host domain. */
  hostMembers: Int32Array;
  /** membersInDomain[level][domain]: members of any shard there, leaving ones not counted. */
  membersInDomain: Int32Array[];
}

/** The flow network of a placement and the edges that carry meaning. */
export interface FlowEdges {
  graph: MinCostFlow;
  source: number;
  sink: number;
  classes: {
    vertex: number;
    shards: number[];
    perShard: number;
    /** Isolation domains (nodes at "none") the shards may use by the node and shard filters, room aside. */
    domainsAllowed: number;
    /** One edge per node the class may use, in domain order. */
    leaves: { pos: number; edge: number }[];
    /** One member per shard per domain at the isolation level (per node at "none"). */
    isolationEdges: { level: number; domain: number; edge: number }[];
  }[];
  /** Edges node → host whose capacities add up to the members the node can take. */
  nodeEdges: Map<number, number[]>;
  /** Host domain → sink, capacity = room under maxMembersPerHost. */
  hostEdges: Map<number, number>;
}

/** The filters' view of a node after `placedOnNode` / `placedOnHost` members of this plan. */
export function nodeContext(model: PlacementModel, pos: number, placedOnNode = 0, placedOnHost = 0): NodeContext {
  const need = model.policy.memberResources;
  const f = model.free[pos];
  return {
    node: model.domains.nodes[pos], policy: model.policy, excludedBecause: model.excluded[model.domains.nodes[pos].name],
    free: { memoryBytes: f.memoryBytes - placedOnNode * need.memoryBytes, milliCpu: f.milliCpu - placedOnNode * need.milliCpu, pods: f.pods - placedOnNode },
    hostMembers: model.hostMembers[model.domains.ids[LEVEL_COUNT - 1][pos]] + placedOnHost,
  };
}
