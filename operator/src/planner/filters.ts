// The node filters of placement, written once (docs/architecture.md#placement, the filter step; Kubernetes scheduler framework
// Filter plugins). The same list decides — which nodes enter the placement flow, how many members a
// node can take, which nodes a shard may use — and explains, in the same order, why a node was
// rejected. Three stages:
//   node:  depends on the node and the policy only;
//   room:  how many more members fit (resources, maxMembersPerHost), given what the plan placed;
//   shard: the shard's own members (one per node, one per failure domain at isolationLevel).

import type { DomainIndex } from "./domains.ts";
import { formatBytes } from "./explain.ts";
import { PlannerInputError } from "./input.ts";
import type { Rejection, RejectionCode } from "./plan.ts";
import { firstUntoleratedTaint, resolveTopologyKeys, TOPOLOGY_LEVELS, type IsolationLevel, type Resources, type Toleration, type TopologyKeys, type TopologyNode } from "./topology.ts";

export interface PlacementPolicy {
  /** spec.placement.nodeSelector: the pool of nodes that may hold members. */
  nodeSelector?: Readonly<Record<string, string>>;
  tolerations?: readonly Toleration[];
  topologyKeys?: Partial<TopologyKeys>;
  /** Members of one shard MUST differ at this level. */
  isolationLevel: IsolationLevel;
  /** 0 or absent = no limit. */
  maxMembersPerHost?: number;
  /** What one member pod requests. */
  memberResources: { memoryBytes: number; milliCpu: number };
}

const ISOLATION_LEVELS: readonly IsolationLevel[] = [...TOPOLOGY_LEVELS, "none"];

export function validatePolicy(policy: PlacementPolicy): void {
  if (policy === null || typeof policy !== "object") throw new PlannerInputError("spec.placement", "is missing");
  if (!ISOLATION_LEVELS.includes(policy.isolationLevel)) {
    throw new PlannerInputError("spec.placement.isolationLevel", `"${String(policy.isolationLevel)}" is not one of region|zone|rack|host|none`);
  }
  const max = policy.maxMembersPerHost ?? 0;
  if (!Number.isInteger(max) || max < 0) throw new PlannerInputError("spec.placement.maxMembersPerHost", `must be an integer ≥ 0 (0 = no limit), got ${max}`);
  for (const key of ["memoryBytes", "milliCpu"] as const) {
    const value = policy.memberResources?.[key];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new PlannerInputError(`spec.resources.requests (${key})`, `must be a finite number ≥ 0, got ${String(value)}`);
    }
  }
  if (policy.tolerations !== undefined && !Array.isArray(policy.tolerations)) throw new PlannerInputError("spec.placement.tolerations", "must be a list");
}

/** What the filters see of one node at one point of the plan. */
export interface NodeContext {
  node: TopologyNode;
  policy: PlacementPolicy;
  /** Set when the plan must not put members on this node (e.g. the node being drained), with why. */
  excludedBecause?: string;
  /** Resources still free after what the plan placed so far. */
  free: Resources;
  /** Members of this cluster on the node's host (maxMembersPerHost counts per host domain). */
  hostMembers: number;
}

/** The shard a member is placed for: its members, by node position in the domain index. */
export interface ShardContext {
  domains: DomainIndex;
  pos: number;
  isolationIndex: number;
  /** Every member of the shard on a node of the snapshot (leaving ones too: they still hold the node). */
  holders: readonly { name: string; pos: number }[];
  /** Members that count for isolation (not leaving). */
  peers: readonly { name: string; pos: number }[];
}

interface NodeFilter { stage: "node"; code: RejectionCode; reject(ctx: NodeContext): string | null }
interface RoomFilter { stage: "room"; code: RejectionCode; room(ctx: NodeContext): number; reject(ctx: NodeContext): string }
interface ShardFilter { stage: "shard"; code: RejectionCode; reject(ctx: ShardContext): string | null }
type Filter = NodeFilter | RoomFilter | ShardFilter;

const fits = (free: number, need: number) => (need <= 0 ? Infinity : Math.floor(free / need + 1e-9));
const hostLabel = (ctx: NodeContext) => ctx.node.labels[resolveTopologyKeys(ctx.policy.topologyKeys).host] ?? "<no host label>";

/** In the order they are reported: the first that rejects a node is its reason. */
export const FILTERS: readonly Filter[] = [
  {
    stage: "node", code: "NodeSelectorMismatch", reject: ({ node, policy }) => {
      for (const [key, value] of Object.entries(policy.nodeSelector ?? {})) {
        const actual = node.labels[key];
        if (actual !== value) return `spec.placement.nodeSelector wants ${key}=${value}, node has ${actual === undefined ? "no such label" : `${key}=${actual}`}`;
      }
      return null;
    },
  },
  { stage: "node", code: "Excluded", reject: (ctx) => ctx.excludedBecause ?? null },
  { stage: "node", code: "NotReady", reject: ({ node }) => (node.ready ? null : "Ready condition is not True") },
  { stage: "node", code: "Cordoned", reject: ({ node }) => (node.unschedulable ? "node is cordoned (spec.unschedulable); it keeps its members but gets no new ones until uncordoned" : null) },
  { stage: "node", code: "StoreDraining", reject: ({ node }) => (node.storeState === "draining" ? "store-state is draining: members are being moved away" : null) },
  {
    stage: "node", code: "StoreDisabled", reject: ({ node }) => node.storeState !== "disabled" ? null
      : node.problems.find((p) => p.includes("store-state")) ?? "store-state is disabled: it keeps its members but gets no new ones",
  },
  {
    stage: "node", code: "UntoleratedTaint", reject: ({ node, policy }) => {
      const taint = firstUntoleratedTaint(node.taints, policy.tolerations ?? []);
      return taint ? `taint ${taint.key}${taint.value ? `=${taint.value}` : ""}:${taint.effect} is not tolerated by spec.placement.tolerations` : null;
    },
  },
  {
    stage: "shard", code: "HoldsShardMember", reject: ({ holders, pos }) => {
      const holder = holders.find((h) => h.pos === pos);
      return holder ? `already holds member ${holder.name} of this shard` : null;
    },
  },
  {
    stage: "room", code: "MaxMembersPerHost",
    room: (ctx) => ((ctx.policy.maxMembersPerHost ?? 0) > 0 ? Math.max(0, ctx.policy.maxMembersPerHost! - ctx.hostMembers) : Infinity),
    reject: (ctx) => `host "${hostLabel(ctx)}" already holds ${ctx.hostMembers} members (spec.placement.maxMembersPerHost=${ctx.policy.maxMembersPerHost})`,
  },
  {
    stage: "room", code: "InsufficientMemory", room: (ctx) => fits(ctx.free.memoryBytes, ctx.policy.memberResources.memoryBytes),
    reject: ({ node, free, policy }) => `needs ${formatBytes(policy.memberResources.memoryBytes)} memory, ${formatBytes(Math.max(0, free.memoryBytes))} free of ${formatBytes(node.allocatable.memoryBytes)} allocatable`,
  },
  {
    stage: "room", code: "InsufficientCpu", room: (ctx) => fits(ctx.free.milliCpu, ctx.policy.memberResources.milliCpu),
    reject: ({ node, free, policy }) => `needs ${policy.memberResources.milliCpu}m cpu, ${Math.max(0, free.milliCpu)}m free of ${node.allocatable.milliCpu}m allocatable`,
  },
  {
    stage: "room", code: "TooManyPods", room: (ctx) => Math.max(0, Math.floor(ctx.free.pods)),
    reject: ({ node, free }) => `already runs ${node.allocatable.pods - free.pods} of ${node.allocatable.pods} allowed pods`,
  },
  {
    stage: "shard", code: "IsolationViolated", reject: ({ domains, pos, peers, isolationIndex }) => {
      const peer = peers.find((p) => p.pos !== pos && domains.firstDifferentLevel(pos, p.pos) > isolationIndex);
      if (!peer || isolationIndex >= TOPOLOGY_LEVELS.length) return null;
      const level = TOPOLOGY_LEVELS[isolationIndex];
      return `shares ${level} "${domains.labelAt(peer.pos, isolationIndex)}" with member ${peer.name} (node ${domains.nodes[peer.pos].name}); isolationLevel ${level} requires a different ${level}`;
    },
  },
];

const NODE_FILTERS = FILTERS.filter((f): f is NodeFilter => f.stage === "node");
const ROOM_FILTERS = FILTERS.filter((f): f is RoomFilter => f.stage === "room");
const SHARD_FILTERS = FILTERS.filter((f): f is ShardFilter => f.stage === "shard");

/** The node-stage rejection of a node, or null when it may take members of this cluster. */
export function nodeRejection(ctx: NodeContext): Rejection | null {
  for (const f of NODE_FILTERS) {
    const message = f.reject(ctx);
    if (message !== null) return { node: ctx.node.name, code: f.code, message };
  }
  return null;
}

/** How many more members of this plan the node can take (room stage), node filters aside. */
export function nodeRoom(ctx: NodeContext): number {
  let room = Infinity;
  for (const f of ROOM_FILTERS) room = Math.min(room, f.room(ctx));
  return room;
}

/** Whether the shard's existing members allow a new member on the node (shard stage). */
export function shardAllows(ctx: ShardContext): boolean {
  return SHARD_FILTERS.every((f) => f.reject(ctx) === null);
}

/** The first filter, in list order, that keeps one more member of the shard off the node. */
export function firstRejection(node: NodeContext, shard: ShardContext): Rejection | null {
  for (const f of FILTERS) {
    const message = f.stage === "node" ? f.reject(node) : f.stage === "shard" ? f.reject(shard) : f.room(node) < 1 ? f.reject(node) : null;
    if (message !== null) return { node: node.node.name, code: f.code, message };
  }
  return null;
}
