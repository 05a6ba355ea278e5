// Primary counts per failure domain (docs/architecture.md#placement): who may be primary, how many primaries share each
// host, rack, zone and region, and which standby takes over so they stay spread (drain, replace).

import { DomainIndex } from "./domains.ts";
import type { ExistingMember } from "./placement-model.ts";
import { TOPOLOGY_LEVELS, type TopologyKeys, type TopologyLevel, type TopologyNode } from "./topology.ts";

/** The order primaries spread in: losing a region costs the most, a host the least. */
export const LEVELS_BY_PRIORITY: TopologyLevel[] = ["region", "zone", "rack", "host"];

export interface PrimaryInput {
  nodes: readonly TopologyNode[];
  topologyKeys?: Partial<TopologyKeys>;
  members: readonly ExistingMember[];
  /** Members that must not become primary now (e.g. a standby not yet in sync). */
  notCandidates?: readonly string[];
}

/** Pairs of primaries sharing a domain, per level. */
export type PrimaryCollisions = Record<TopologyLevel, number>;

export interface Candidate {
  member: string;
  node: string;
  /** domain id per level, in LEVELS_BY_PRIORITY order (region first) */
  domains: number[];
}

/** A node's domain ids in LEVELS_BY_PRIORITY order (region first), from the shared index. */
export class PriorityDomains {
  readonly index: DomainIndex;
  readonly sizes: number[];

  constructor(nodes: readonly TopologyNode[], keys?: Partial<TopologyKeys>, index?: DomainIndex) {
    this.index = index ?? new DomainIndex(nodes, keys);
    this.sizes = LEVELS_BY_PRIORITY.map((l) => this.index.sizes[TOPOLOGY_LEVELS.indexOf(l)]);
  }

  of(node: string): number[] | undefined {
    const ids = this.index.domainsOf(node);
    return ids && LEVELS_BY_PRIORITY.map((l) => ids[TOPOLOGY_LEVELS.indexOf(l)]);
  }
}

/** Who may be primary: members on Ready nodes in the snapshot, not draining, not excluded. */
export function primaryCandidates(input: PrimaryInput, index = new PriorityDomains(input.nodes, input.topologyKeys)): Map<number, Candidate[]> {
  const nodes = new Map(input.nodes.map((n) => [n.name, n]));
  const excluded = new Set(input.notCandidates ?? []);
  const byShard = new Map<number, Candidate[]>();
  for (const m of [...input.members].sort((a, b) => a.shard - b.shard || (a.name < b.name ? -1 : 1))) {
    if (!byShard.has(m.shard)) byShard.set(m.shard, []);
    const node = nodes.get(m.node);
    if (!node || !node.ready || node.storeState === "draining" || excluded.has(m.name)) continue;
    byShard.get(m.shard)!.push({ member: m.name, node: m.node, domains: index.of(m.node)! });
  }
  return byShard;
}

export class SpreadCounts {
  readonly counts: Int32Array[];

  constructor(sizes: number[]) {
    this.counts = sizes.map((size) => new Int32Array(size));
  }

  add(c: Candidate, delta: number): void {
    for (let i = 0; i < c.domains.length; i++) this.counts[i][c.domains[i]] += delta;
  }

  count(level: number, domain: number): number {
    return this.counts[level][domain];
  }

  /** Change of the cost vector when one primary moves from `from` to `to`. */
  delta(from: Candidate, to: Candidate): number[] {
    return LEVELS_BY_PRIORITY.map((_, i) => (from.domains[i] === to.domains[i] ? 0 : this.count(i, to.domains[i]) - this.count(i, from.domains[i]) + 1));
  }

  collisions(): PrimaryCollisions {
    const result = {} as PrimaryCollisions;
    LEVELS_BY_PRIORITY.forEach((level, i) => {
      let pairs = 0;
      for (const c of this.counts[i]) pairs += (c * (c - 1)) / 2;
      result[level] = pairs;
    });
    return result;
  }
}

export function lexNegative(delta: number[]): boolean {
  for (const d of delta) if (d !== 0) return d < 0;
  return false;
}

export function collisionsOf(primaries: readonly { node: string }[], nodes: readonly TopologyNode[], topologyKeys?: Partial<TopologyKeys>): PrimaryCollisions {
  const index = new PriorityDomains(nodes, topologyKeys);
  const counts = new SpreadCounts(index.sizes);
  for (const p of primaries) {
    const domains = index.of(p.node);
    if (domains) counts.add({ member: "", node: p.node, domains }, +1);
  }
  return counts.collisions();
}

export function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/**
 * Primary counts per host/rack/zone/region for choosing which standby takes over (drain, failover
 * after a lost node): the candidate whose region, then zone, rack, host holds the fewest primaries,
 * then by member name. Records each decision so the next choice sees it.
 */
export class PrimarySpread {
  private readonly index: PriorityDomains;
  private readonly counts: SpreadCounts;
  private readonly candidates: Map<number, Candidate[]>;

  constructor(input: PrimaryInput) {
    this.index = new PriorityDomains(input.nodes, input.topologyKeys);
    this.candidates = primaryCandidates(input, this.index);
    this.counts = new SpreadCounts(this.index.sizes);
    for (const m of input.members) {
      const domains = m.role === "primary" ? this.index.of(m.node) : undefined;
      if (domains) this.counts.add({ member: m.name, node: m.node, domains }, +1);
    }
  }

  chooseStandby(shard: number, avoidNodes: ReadonlySet<string>): { member: string; node: string } | undefined {
    let best: Candidate | undefined;
    for (const c of this.candidates.get(shard) ?? []) {
      if (avoidNodes.has(c.node)) continue;
      if (!best || lexLess(this.load(c), this.load(best)) || (!lexLess(this.load(best), this.load(c)) && c.member < best.member)) best = c;
    }
    return best && { member: best.member, node: best.node };
  }

  /** Record that the primary on `fromNode` (if it is in the snapshot) moved to `to`. */
  recordSwitchover(fromNode: string, to: { member: string; node: string }): void {
    const from = this.index.of(fromNode);
    if (from) this.counts.add({ member: "", node: fromNode, domains: from }, -1);
    const domains = this.index.of(to.node);
    if (domains) this.counts.add({ member: to.member, node: to.node, domains }, +1);
  }

  private load(c: Candidate): number[] {
    return c.domains.map((d, level) => this.counts.count(level, d));
  }
}
