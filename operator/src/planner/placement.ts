// Member placement: select → filter → score → compare (DESIGN §5; seed 003's bin-packing).
//
// Score of a candidate node for a member of shard S = Σ over S's other members m of
// 100^(levels − i − 1), i = the first topology level (region 0, zone 1, rack 2, host 3) at which the
// candidate's domain differs from m's (0 when it differs at none). isolationLevel is a hard filter;
// above it the score makes isolation best effort. Ties: fewest members of this cluster on the node,
// then fewest primaries, then node name.
//
// Efficiency: nodes are sorted by (region, zone, rack, host, name), so every failure domain is one
// contiguous index range. A shard's members cut that order into O(members × levels) segments inside
// which the score is constant; a min-segment-tree over the tie-break keys (∞ for nodes that fail a
// filter) finds the best node of a segment in O(log n). Placing one member is therefore
// O(members × levels × log n), not a rescan of every node.

import { MinSegmentTree } from "./segment-tree.ts";
import {
  firstUntoleratedTaint, PlannerInputError, resolveTopologyKeys, TOPOLOGY_LEVELS,
  type IsolationLevel, type TopologyKeys, type TopologyNode, type Toleration,
} from "./topology.ts";
import { explainFailure, explainPlacement, formatBytes, planId } from "./explain.ts";

export const LEVEL_COUNT = TOPOLOGY_LEVELS.length;

export type MemberRole = "primary" | "standby";

export interface ClusterMember {
  name: string;
  shard: number;
  node: string;
  role: MemberRole;
}

export interface MemberRequest {
  name: string;
  shard: number;
  role: MemberRole;
}

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

export type RejectionCode =
  | "NodeSelectorMismatch" | "NotReady" | "Cordoned" | "StoreDisabled" | "StoreDraining" | "UntoleratedTaint"
  | "Excluded" | "HoldsShardMember" | "MaxMembersPerHost" | "InsufficientMemory" | "InsufficientCpu" | "TooManyPods"
  | "IsolationViolated";

export interface Rejection {
  node: string;
  code: RejectionCode;
  message: string;
}

export interface Placement {
  member: string;
  shard: number;
  role: MemberRole;
  node: string;
  /** Σ 100^(levels−i−1) over the shard's other members. */
  score: number;
  /** Deepest level at which the node differs from every other member of the shard; null for the first member. */
  isolation: IsolationLevel | null;
}

export interface PlacementFailure {
  member: string;
  shard: number;
  role: MemberRole;
  /** One entry per node (name order): the first reason it could not take the member. */
  rejections: Rejection[];
  counts: Partial<Record<RejectionCode, number>>;
  message: string;
}

export interface PlacementInput {
  nodes: readonly TopologyNode[];
  policy: PlacementPolicy;
  /** Members that exist now (they use capacity and count for isolation and tie-breaks). */
  members: readonly ClusterMember[];
  requests: readonly MemberRequest[];
  /** Members about to be removed: they do not count for the isolation of their shard. */
  leaving?: readonly string[];
  /** Nodes that must not receive members in this plan (e.g. the node being drained), with why. */
  excludedNodes?: Readonly<Record<string, string>>;
}

export type PlacementPlan =
  | { ok: true; id: string; kind: "placement"; placements: Placement[]; reasons: string[] }
  | { ok: false; id: string; kind: "placement"; failure: PlacementFailure; reasons: string[] };

const ISOLATION_INDEX: Record<IsolationLevel, number> = { region: 0, zone: 1, rack: 2, host: 3, none: LEVEL_COUNT };

export function isolationWeight(firstDifferentLevel: number): number {
  return firstDifferentLevel >= LEVEL_COUNT ? 0 : 100 ** (LEVEL_COUNT - firstDifferentLevel - 1);
}

export function levelName(index: number): IsolationLevel {
  return index >= LEVEL_COUNT ? "none" : TOPOLOGY_LEVELS[index];
}

// Tie-break key: members on node (16 bits) | primaries on node (15 bits) | name rank (22 bits) — < 2^53.
const MEMBER_UNIT = 2 ** 37;
const PRIMARY_UNIT = 2 ** 22;
const MAX_NODES = 2 ** 22;

interface ShardMemberRef {
  name: string;
  pos: number; // -1 when its node is not in the topology
  leaving: boolean;
}

export function validatePolicy(policy: PlacementPolicy): void {
  if (!(policy.isolationLevel in ISOLATION_INDEX)) {
    throw new PlannerInputError(`spec.placement.isolationLevel "${String(policy.isolationLevel)}" is not one of region|zone|rack|host|none`);
  }
  const max = policy.maxMembersPerHost ?? 0;
  if (!Number.isInteger(max) || max < 0) {
    throw new PlannerInputError(`spec.placement.maxMembersPerHost must be an integer ≥ 0 (0 = no limit), got ${max}`);
  }
  for (const key of ["memoryBytes", "milliCpu"] as const) {
    const value = policy.memberResources?.[key];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new PlannerInputError(`member resources ${key} must be a finite number ≥ 0, got ${String(value)}; set spec.resources.requests`);
    }
  }
}

/**
 * The placement state of one cluster over one topology snapshot. `place` decides one member at a
 * time and records it, so later members see earlier ones. Used by placeMembers, drain and replace.
 */
export class PlacementEngine {
  readonly keys: TopologyKeys;
  readonly isolationIndex: number;
  private readonly maxPerHost: number;
  private readonly n: number;
  /** nodes in domain order */
  readonly sorted: TopologyNode[];
  readonly paths: (string | null)[][];
  private readonly posByName = new Map<string, number>();
  private readonly nameRank: Int32Array;
  private readonly posByRank: Int32Array;
  /** domainId[level][pos] and the [start, end) range of each domain id */
  private readonly domainId: Int32Array[] = [];
  private readonly domainStart: number[][] = [];
  private readonly domainEnd: number[][] = [];
  private readonly staticRejection: (Rejection | null)[];
  private readonly freeMemory: Float64Array;
  private readonly freeCpu: Float64Array;
  private readonly freePods: Float64Array;
  private readonly membersOnNode: Int32Array;
  private readonly primariesOnNode: Int32Array;
  /** maxMembersPerHost counts per host label value (a missing label is one shared "unknown" host) */
  private readonly hostGroup: Int32Array;
  private readonly hostGroupPositions: number[][] = [];
  private readonly membersOnHost: Int32Array;
  private readonly tree: MinSegmentTree;
  private readonly shards = new Map<number, ShardMemberRef[]>();
  private readonly memberNames = new Set<string>();
  readonly notes: string[] = [];

  constructor(nodes: readonly TopologyNode[], readonly policy: PlacementPolicy, members: readonly ClusterMember[],
    leaving: readonly string[] = [], excludedNodes: Readonly<Record<string, string>> = {}) {
    validatePolicy(policy);
    this.keys = resolveTopologyKeys(policy.topologyKeys);
    this.isolationIndex = ISOLATION_INDEX[policy.isolationLevel];
    this.maxPerHost = policy.maxMembersPerHost ?? 0;
    const n = (this.n = nodes.length);
    if (n >= MAX_NODES) throw new PlannerInputError(`topology has ${n} nodes; the planner supports fewer than ${MAX_NODES}`);

    const seen = new Set<string>();
    for (const node of nodes) {
      if (seen.has(node.name)) throw new PlannerInputError(`node "${node.name}" appears twice in the topology snapshot; pass each Node once`);
      seen.add(node.name);
    }
    // Sort key per level: "0" for a missing label sorts before every present value ("1" + value),
    // keeping each domain contiguous.
    const withPath = nodes.map((node) => {
      const path = TOPOLOGY_LEVELS.map((l) => node.labels[this.keys[l]] ?? null);
      return { node, path, key: path.map((v) => (v === null ? "0" : `1${v}`)) };
    });
    withPath.sort((a, b) => {
      for (let i = 0; i < LEVEL_COUNT; i++) if (a.key[i] !== b.key[i]) return a.key[i] < b.key[i] ? -1 : 1;
      return a.node.name < b.node.name ? -1 : a.node.name > b.node.name ? 1 : 0;
    });
    this.sorted = withPath.map((x) => x.node);
    this.paths = withPath.map((x) => x.path);
    this.sorted.forEach((node, pos) => this.posByName.set(node.name, pos));

    const byName = [...this.sorted.keys()].sort((a, b) => (this.sorted[a].name < this.sorted[b].name ? -1 : 1));
    this.nameRank = new Int32Array(n);
    this.posByRank = new Int32Array(n);
    byName.forEach((pos, rank) => {
      this.nameRank[pos] = rank;
      this.posByRank[rank] = pos;
    });

    // A domain at level k is a maximal run of nodes with the same path prefix of length k+1
    // (a missing label equals the other missing labels of the same parent domain).
    for (let level = 0; level < LEVEL_COUNT; level++) {
      const ids = new Int32Array(n);
      const starts: number[] = [];
      const ends: number[] = [];
      for (let pos = 0; pos < n; pos++) {
        const same = pos > 0 && ids[pos - 1] >= 0 && samePrefix(this.paths[pos - 1], this.paths[pos], level);
        if (!same) {
          if (starts.length > 0) ends.push(pos);
          starts.push(pos);
        }
        ids[pos] = starts.length - 1;
      }
      if (starts.length > 0) ends.push(n);
      this.domainId.push(ids);
      this.domainStart.push(starts);
      this.domainEnd.push(ends);
    }

    this.staticRejection = this.sorted.map((node) => staticFilter(node, policy, excludedNodes[node.name]));
    for (const node of this.sorted) for (const problem of node.problems) this.notes.push(problem);
    this.freeMemory = Float64Array.from(this.sorted, (x) => x.allocatable.memoryBytes - x.requested.memoryBytes);
    this.freeCpu = Float64Array.from(this.sorted, (x) => x.allocatable.milliCpu - x.requested.milliCpu);
    this.freePods = Float64Array.from(this.sorted, (x) => x.allocatable.pods - x.requested.pods);
    this.membersOnNode = new Int32Array(n);
    this.primariesOnNode = new Int32Array(n);
    this.hostGroup = new Int32Array(n);
    const groupByHost = new Map<string | null, number>();
    for (let pos = 0; pos < n; pos++) {
      const host = this.paths[pos][LEVEL_COUNT - 1];
      let group = groupByHost.get(host);
      if (group === undefined) {
        group = this.hostGroupPositions.length;
        groupByHost.set(host, group);
        this.hostGroupPositions.push([]);
      }
      this.hostGroup[pos] = group;
      this.hostGroupPositions[group].push(pos);
    }
    this.membersOnHost = new Int32Array(this.hostGroupPositions.length);

    const leavingSet = new Set(leaving);
    for (const member of members) {
      if (this.memberNames.has(member.name)) throw new PlannerInputError(`member "${member.name}" is listed twice in the cluster's members`);
      this.memberNames.add(member.name);
      const pos = this.posByName.get(member.node) ?? -1;
      if (pos < 0) this.notes.push(`member ${member.name} of shard ${member.shard} is on node ${member.node}, which is not in the topology snapshot; it is ignored for isolation`);
      this.addShardMember(member.shard, { name: member.name, pos, leaving: leavingSet.has(member.name) });
      if (pos >= 0) this.count(pos, member.role, +1);
    }
    this.tree = new MinSegmentTree(n);
    for (let pos = 0; pos < n; pos++) this.refresh(pos);
  }

  /** "3 of 40 nodes cannot take members: 2 × Cordoned (n3, n7), 1 × StoreDraining (n9)", or null when all can. */
  filterSummary(): string | null {
    const byCode = new Map<RejectionCode, string[]>();
    for (let rank = 0; rank < this.n; rank++) {
      const rejection = this.staticRejection[this.posByRank[rank]];
      if (!rejection || rejection.code === "NodeSelectorMismatch") continue;
      const list = byCode.get(rejection.code);
      if (list) list.push(rejection.node);
      else byCode.set(rejection.code, [rejection.node]);
    }
    if (byCode.size === 0) return null;
    const total = [...byCode.values()].reduce((sum, l) => sum + l.length, 0);
    const parts = [...byCode.entries()].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))
      .map(([code, nodes]) => `${nodes.length} × ${code} (${nodes.slice(0, 5).join(", ")}${nodes.length > 5 ? ", …" : ""})`);
    return `${total} of ${this.n} nodes in the pool cannot take members: ${parts.join(", ")}`;
  }

  private addShardMember(shard: number, ref: ShardMemberRef): void {
    const list = this.shards.get(shard);
    if (list) list.push(ref);
    else this.shards.set(shard, [ref]);
  }

  private count(pos: number, role: MemberRole, delta: number): void {
    this.membersOnNode[pos] += delta;
    if (role === "primary") this.primariesOnNode[pos] += delta;
    this.membersOnHost[this.hostGroup[pos]] += delta;
  }

  private fits(pos: number): boolean {
    const need = this.policy.memberResources;
    return this.freeMemory[pos] >= need.memoryBytes && this.freeCpu[pos] >= need.milliCpu && this.freePods[pos] >= 1;
  }

  private hostFull(pos: number): boolean {
    return this.maxPerHost > 0 && this.membersOnHost[this.hostGroup[pos]] >= this.maxPerHost;
  }

  private refresh(pos: number): void {
    const eligible = this.staticRejection[pos] === null && this.fits(pos) && !this.hostFull(pos);
    if (!eligible) {
      this.tree.set(pos, Infinity);
      return;
    }
    const members = this.membersOnNode[pos];
    const primaries = this.primariesOnNode[pos];
    if (members >= 2 ** 16 || primaries >= 2 ** 15) throw new PlannerInputError(`node ${this.sorted[pos].name} holds ${members} members; the planner supports at most 65535 per node`);
    this.tree.set(pos, members * MEMBER_UNIT + primaries * PRIMARY_UNIT + this.nameRank[pos]);
  }

  /** First level (0 = region … 3 = host) at which the nodes at a and b differ; LEVEL_COUNT when at none. */
  firstDifferentLevel(a: number, b: number): number {
    for (let level = 0; level < LEVEL_COUNT; level++) if (this.domainId[level][a] !== this.domainId[level][b]) return level;
    return LEVEL_COUNT;
  }

  position(nodeName: string): number {
    return this.posByName.get(nodeName) ?? -1;
  }

  shardMembers(shard: number): readonly ShardMemberRef[] {
    return this.shards.get(shard) ?? [];
  }

  /** Place one member and record it; a failure explains every node's rejection and changes nothing. */
  place(request: MemberRequest): { placement: Placement } | { failure: PlacementFailure } {
    if (this.memberNames.has(request.name)) {
      throw new PlannerInputError(`member "${request.name}" already exists (shard ${request.shard}); choose a new member name`);
    }
    if (!Number.isInteger(request.shard) || request.shard < 0) {
      throw new PlannerInputError(`member "${request.name}": shard must be an integer ≥ 0, got ${request.shard}`);
    }
    const refs = this.shardMembers(request.shard);
    const peers = refs.filter((r) => !r.leaving && r.pos >= 0).map((r) => r.pos);
    const occupied = refs.filter((r) => r.pos >= 0).map((r) => r.pos);

    // Cut points: every domain boundary of every peer, and each occupied node on its own.
    const cuts = [0, this.n];
    for (const p of peers) {
      for (let level = 0; level < LEVEL_COUNT; level++) {
        const id = this.domainId[level][p];
        cuts.push(this.domainStart[level][id], this.domainEnd[level][id]);
      }
    }
    for (const p of occupied) cuts.push(p, p + 1);
    cuts.sort((a, b) => a - b);
    const occupiedSet = new Set(occupied);
    const segments: { from: number; to: number; score: number; isolation: number }[] = [];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const from = cuts[i];
      const to = cuts[i + 1];
      if (from === to || occupiedSet.has(from)) continue;
      let score = 0;
      let isolation = -1;
      for (const p of peers) {
        const level = this.firstDifferentLevel(from, p);
        score += isolationWeight(level);
        if (level > isolation) isolation = level;
      }
      if (isolation > this.isolationIndex) continue; // hard requirement
      segments.push({ from, to, score, isolation });
    }
    segments.sort((a, b) => b.score - a.score || a.from - b.from);

    for (let i = 0; i < segments.length;) {
      let j = i;
      let best = Infinity;
      let bestIsolation = -1;
      while (j < segments.length && segments[j].score === segments[i].score) {
        const key = this.tree.min(segments[j].from, segments[j].to);
        if (key < best) {
          best = key;
          bestIsolation = segments[j].isolation;
        }
        j++;
      }
      if (best < Infinity) {
        const pos = this.posByRank[best % PRIMARY_UNIT];
        this.commit(request, pos);
        return {
          placement: {
            member: request.name, shard: request.shard, role: request.role, node: this.sorted[pos].name,
            score: segments[i].score, isolation: peers.length === 0 ? null : levelName(bestIsolation),
          },
        };
      }
      i = j;
    }
    return { failure: this.explainRejections(request, peers, occupiedSet) };
  }

  private commit(request: MemberRequest, pos: number): void {
    this.memberNames.add(request.name);
    this.addShardMember(request.shard, { name: request.name, pos, leaving: false });
    this.count(pos, request.role, +1);
    this.freeMemory[pos] -= this.policy.memberResources.memoryBytes;
    this.freeCpu[pos] -= this.policy.memberResources.milliCpu;
    this.freePods[pos] -= 1;
    if (this.maxPerHost > 0) {
      for (const p of this.hostGroupPositions[this.hostGroup[pos]]) this.refresh(p);
    } else {
      this.refresh(pos);
    }
  }

  /** Why each node (in name order) cannot take `request`: O(nodes), only on the failure path. */
  private explainRejections(request: MemberRequest, peers: number[], occupied: Set<number>): PlacementFailure {
    const rejections: Rejection[] = [];
    const counts: Partial<Record<RejectionCode, number>> = {};
    const refs = this.shardMembers(request.shard);
    const need = this.policy.memberResources;
    for (let rank = 0; rank < this.n; rank++) {
      const pos = this.posByRank[rank];
      const node = this.sorted[pos];
      let rejection = this.staticRejection[pos];
      if (!rejection && occupied.has(pos)) {
        const holder = refs.find((r) => r.pos === pos);
        rejection = { node: node.name, code: "HoldsShardMember", message: `already holds member ${holder?.name} of shard ${request.shard}` };
      }
      if (!rejection && this.hostFull(pos)) {
        rejection = { node: node.name, code: "MaxMembersPerHost", message: `host "${this.paths[pos][LEVEL_COUNT - 1] ?? "<no host label>"}" already holds ${this.maxPerHost} members (spec.placement.maxMembersPerHost=${this.maxPerHost})` };
      }
      if (!rejection && this.freeMemory[pos] < need.memoryBytes) {
        rejection = { node: node.name, code: "InsufficientMemory", message: `needs ${formatBytes(need.memoryBytes)} memory, ${formatBytes(Math.max(0, this.freeMemory[pos]))} free of ${formatBytes(node.allocatable.memoryBytes)} allocatable` };
      }
      if (!rejection && this.freeCpu[pos] < need.milliCpu) {
        rejection = { node: node.name, code: "InsufficientCpu", message: `needs ${need.milliCpu}m cpu, ${Math.max(0, this.freeCpu[pos])}m free of ${node.allocatable.milliCpu}m allocatable` };
      }
      if (!rejection && this.freePods[pos] < 1) {
        rejection = { node: node.name, code: "TooManyPods", message: `already runs ${node.allocatable.pods - this.freePods[pos]} of ${node.allocatable.pods} allowed pods` };
      }
      if (!rejection) {
        for (const p of peers) {
          if (this.firstDifferentLevel(pos, p) > this.isolationIndex) {
            const level = TOPOLOGY_LEVELS[this.isolationIndex];
            const holder = refs.find((r) => r.pos === p);
            const value = this.paths[p][this.isolationIndex];
            rejection = {
              node: node.name, code: "IsolationViolated",
              message: `shares ${level} "${value ?? "<unlabelled>"}" with member ${holder?.name} (node ${this.sorted[p].name}); isolationLevel ${level} requires a different ${level}`,
            };
            break;
          }
        }
      }
      if (!rejection) throw new Error(`planner bug: node ${node.name} passes every filter but was not chosen for ${request.name}`);
      rejections.push(rejection);
      counts[rejection.code] = (counts[rejection.code] ?? 0) + 1;
    }
    return {
      member: request.name, shard: request.shard, role: request.role, rejections, counts,
      message: explainFailure(request, this.policy.isolationLevel, this.n, counts),
    };
  }
}

function samePrefix(a: (string | null)[], b: (string | null)[], level: number): boolean {
  for (let i = 0; i <= level; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Filters that depend only on the node and the policy (not on what this plan places). */
export function staticFilter(node: TopologyNode, policy: PlacementPolicy, excludedBecause?: string): Rejection | null {
  for (const [key, value] of Object.entries(policy.nodeSelector ?? {})) {
    if (node.labels[key] !== value) {
      const actual = node.labels[key];
      return { node: node.name, code: "NodeSelectorMismatch", message: `spec.placement.nodeSelector wants ${key}=${value}, node has ${actual === undefined ? "no such label" : `${key}=${actual}`}` };
    }
  }
  if (excludedBecause !== undefined) return { node: node.name, code: "Excluded", message: excludedBecause };
  if (!node.ready) return { node: node.name, code: "NotReady", message: "Ready condition is not True" };
  if (node.unschedulable) return { node: node.name, code: "Cordoned", message: "node is cordoned (spec.unschedulable); it keeps its members but gets no new ones until uncordoned" };
  if (node.storeState === "draining") return { node: node.name, code: "StoreDraining", message: "store-state is draining: members are being moved away" };
  if (node.storeState === "disabled") {
    const problem = node.problems.find((p) => p.includes("store-state"));
    return { node: node.name, code: "StoreDisabled", message: problem ?? "store-state is disabled: it keeps its members but gets no new ones" };
  }
  const taint = firstUntoleratedTaint(node.taints, policy.tolerations ?? []);
  if (taint) {
    return { node: node.name, code: "UntoleratedTaint", message: `taint ${taint.key}${taint.value ? `=${taint.value}` : ""}:${taint.effect} is not tolerated by spec.placement.tolerations` };
  }
  return null;
}

/**
 * Place every request in the given order, all or nothing: if one member cannot be placed the plan
 * says why (per node) and places none of them.
 */
export function placeMembers(input: PlacementInput): PlacementPlan {
  const id = planId("placement", input);
  const engine = new PlacementEngine(input.nodes, input.policy, input.members, input.leaving, input.excludedNodes);
  const placements: Placement[] = [];
  for (const request of input.requests) {
    const outcome = engine.place(request);
    if ("failure" in outcome) {
      return { ok: false, id, kind: "placement", failure: outcome.failure, reasons: [...engine.notes, outcome.failure.message] };
    }
    placements.push(outcome.placement);
  }
  const filtered = engine.filterSummary();
  return { ok: true, id, kind: "placement", placements, reasons: [...engine.notes, ...(filtered ? [filtered] : []), ...placements.map((p) => explainPlacement(p))] };
}

/**
 * Requests for a new cluster: member 0 of every shard (the intended primary) first, then member 1 of
 * every shard, …, so primaries spread before standbys fill in. Names are `<prefix>-<shard>-<i>`.
 */
export function bootstrapRequests(shards: number, replicasPerShard: number, namePrefix: string): MemberRequest[] {
  if (!Number.isInteger(shards) || shards < 1) throw new PlannerInputError(`spec.shards must be an integer ≥ 1, got ${shards}`);
  if (!Number.isInteger(replicasPerShard) || replicasPerShard < 0) throw new PlannerInputError(`spec.replicasPerShard must be an integer ≥ 0, got ${replicasPerShard}`);
  const requests: MemberRequest[] = [];
  for (let i = 0; i <= replicasPerShard; i++) {
    for (let shard = 0; shard < shards; shard++) requests.push({ name: `${namePrefix}-${shard}-${i}`, shard, role: i === 0 ? "primary" : "standby" });
  }
  return requests;
}
