// Failure domains of one topology snapshot, the one index the planner uses (placement, primaries).
// Domains are hierarchical: rack "k1" of zone "a" is not rack "k1" of zone "b"; a missing label is
// one shared "unknown" value under its parent domain (docs/architecture.md#placement). Nodes are ordered by
// (region, zone, rack, host, name), so every domain at every level is one contiguous run of
// positions, and domain ids at a level increase along that order.

import { resolveTopologyKeys, TOPOLOGY_LEVELS, type IsolationLevel, type TopologyKeys, type TopologyNode } from "./topology.ts";

export const LEVEL_COUNT = TOPOLOGY_LEVELS.length;

/** region 0, zone 1, rack 2, host 3; "none" = 4: members of a shard only need distinct nodes. */
export const ISOLATION_INDEX: Readonly<Record<IsolationLevel, number>> = { region: 0, zone: 1, rack: 2, host: 3, none: LEVEL_COUNT };

export function levelName(index: number): IsolationLevel {
  return index >= LEVEL_COUNT ? "none" : TOPOLOGY_LEVELS[index];
}

/** The seed's isolation score of a pair whose first differing level is `level`: 100^(levels − level − 1), 0 at none. */
export function isolationWeight(level: number): number {
  return level >= LEVEL_COUNT ? 0 : 100 ** (LEVEL_COUNT - level - 1);
}

/**
 * Score lost when a pair of a shard's members shares a domain at `level`: a pair's score is
 * Σ over the levels it shares of −sharingCost(level), plus isolationWeight(0) — so maximising the
 * seed's score is minimising Σ sharingCost × (pairs sharing a domain), a convex cost per domain.
 */
export function sharingCost(level: number): number {
  return isolationWeight(level) - isolationWeight(level + 1);
}

/** Loads above this cost as much as it (keeps every spread cost an exact integer below 2^53). */
const SPREAD_LOAD_CAP = 1023;

/**
 * Cost of one more member in a domain at `level` that already holds `load` members of any shard:
 * rising with the load, so members spread over every eligible domain; a region's spread outweighs a
 * zone's, a zone's a rack's, a rack's a host's, and a host's the node balance (< 2^24 while a node
 * holds under 256 members: placement-flow.ts).
 */
export function spreadCost(level: number, load: number): number {
  return Math.min(load, SPREAD_LOAD_CAP) * 2 ** (24 + 6 * (LEVEL_COUNT - 1 - level));
}

const UNLABELLED = "<unlabelled>";

export class DomainIndex {
  readonly keys: TopologyKeys;
  /** The nodes in domain order. */
  readonly nodes: readonly TopologyNode[];
  /** ids[level][position]: the node's domain at that level. */
  readonly ids: Int32Array[] = [];
  /** Number of domains per level. */
  readonly sizes: number[] = [];
  /** labels[level][domain]: "region/zone/…" down to that level, for messages. */
  readonly labels: string[][] = [];
  private readonly positions = new Map<string, number>();

  constructor(nodes: readonly TopologyNode[], topologyKeys?: Partial<TopologyKeys>) {
    this.keys = resolveTopologyKeys(topologyKeys);
    // A missing label sorts before every present value, keeping each domain contiguous.
    const withPath = nodes.map((node) => ({ node, path: TOPOLOGY_LEVELS.map((l) => node.labels[this.keys[l]] ?? null) }));
    withPath.sort((a, b) => {
      for (let i = 0; i < LEVEL_COUNT; i++) {
        const x = a.path[i];
        const y = b.path[i];
        if (x !== y) return x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
      }
      return a.node.name < b.node.name ? -1 : a.node.name > b.node.name ? 1 : 0;
    });
    this.nodes = withPath.map((x) => x.node);
    this.nodes.forEach((node, pos) => this.positions.set(node.name, pos));
    for (let level = 0; level < LEVEL_COUNT; level++) {
      const ids = new Int32Array(withPath.length);
      const labels: string[] = [];
      for (let pos = 0; pos < withPath.length; pos++) {
        const same = pos > 0 && (level === 0 || this.ids[level - 1][pos] === this.ids[level - 1][pos - 1]) && withPath[pos].path[level] === withPath[pos - 1].path[level];
        if (!same) labels.push(withPath[pos].path.slice(0, level + 1).map((v) => v ?? UNLABELLED).join("/"));
        ids[pos] = labels.length - 1;
      }
      this.ids.push(ids);
      this.sizes.push(labels.length);
      this.labels.push(labels);
    }
  }

  get length(): number {
    return this.nodes.length;
  }

  /** Position of a node in domain order, -1 when it is not in the snapshot. */
  position(name: string): number {
    return this.positions.get(name) ?? -1;
  }

  /** Domain ids of a node at each level (region … host), undefined when it is not in the snapshot. */
  domainsOf(name: string): number[] | undefined {
    const pos = this.position(name);
    return pos < 0 ? undefined : this.ids.map((ids) => ids[pos]);
  }

  /** First level at which the nodes at positions a and b differ; LEVEL_COUNT when at none. */
  firstDifferentLevel(a: number, b: number): number {
    for (let level = 0; level < LEVEL_COUNT; level++) if (this.ids[level][a] !== this.ids[level][b]) return level;
    return LEVEL_COUNT;
  }

  /** The label value of the node at `pos` at `level`, for messages. */
  labelAt(pos: number, level: number): string {
    return this.nodes[pos].labels[this.keys[TOPOLOGY_LEVELS[level]]] ?? UNLABELLED;
  }
}
