// Slot moves grouped into waves: inside one wave no engine takes part in more than
// `maxConcurrent` streams (spec.migration.maxConcurrent), as source or as target (docs/architecture.md#slots-and-migration).
//
// In a minimal slot plan every shard either gives or receives, so the moves form a bipartite
// multigraph, and the fewest waves is the lower bound W = ⌈(most moves of one engine) / maxConcurrent⌉.
// It is reached by splitting each engine into ⌈degree / W⌉ ≤ maxConcurrent parts of at most W moves
// each, and colouring the edges of that bipartite graph of degree ≤ W with W colours (König; each
// conflict is resolved by swapping the two colours along an alternating path). A colour is a wave:
// within it each part has one move, so each engine at most maxConcurrent.

import { PlannerInputError } from "./input.ts";

export interface WaveItem {
  from: number | string;
  to: number | string;
  /** Work size (e.g. slots): bigger items are coloured first, which keeps waves deterministic and input-order free. */
  count: number;
}

/** No grouping can use fewer waves than the busiest engine's move count / maxConcurrent. */
export function wavesLowerBound(items: readonly WaveItem[], maxConcurrent: number): number {
  const degree = new Map<number | string, number>();
  for (const { from, to } of items) {
    degree.set(from, (degree.get(from) ?? 0) + 1);
    degree.set(to, (degree.get(to) ?? 0) + 1);
  }
  let most = 0;
  for (const d of degree.values()) most = Math.max(most, d);
  return Math.ceil(most / maxConcurrent);
}

/** The wave (0-based) of each item; uses exactly wavesLowerBound waves. */
export function assignWaves(items: readonly WaveItem[], maxConcurrent: number, field = "spec.migration.maxConcurrent"): number[] {
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new PlannerInputError(field, `must be an integer ≥ 1, got ${maxConcurrent}`);
  const sources = new Set(items.map((i) => i.from));
  for (const item of items) {
    if (item.from === item.to) throw new PlannerInputError("moves", `a move from ${String(item.from)} to itself is not a move; drop it from the plan`);
    if (sources.has(item.to)) throw new PlannerInputError("moves", `engine ${String(item.to)} both gives and receives slots; a minimal plan never does, so merge those moves`);
  }
  const waves = wavesLowerBound(items, maxConcurrent);
  const order = [...items.keys()].sort((a, b) => items[b].count - items[a].count || compareText(key(items[a]), key(items[b])) || a - b);

  // Split every engine into parts of at most `waves` moves: part = (engine, ⌊j / waves⌋) for its j-th move.
  const partIds = new Map<string, number>();
  const seen = new Map<string, number>();
  const part = (side: string, engine: number | string): number => {
    const k = `${side}:${String(engine)}`;
    const j = seen.get(k) ?? 0;
    seen.set(k, j + 1);
    const id = `${k}#${Math.floor(j / waves)}`;
    let p = partIds.get(id);
    if (p === undefined) partIds.set(id, (p = partIds.size));
    return p;
  };
  const ends = new Map<number, [number, number]>();
  for (const i of order) ends.set(i, [part("from", items[i].from), part("to", items[i].to)]);
  const colourAt: Int32Array[] = Array.from({ length: partIds.size }, () => new Int32Array(waves).fill(-1));
  const colour = new Int32Array(items.length).fill(-1);
  const free = (p: number) => colourAt[p].indexOf(-1);
  const other = (edge: number, p: number) => (ends.get(edge)![0] === p ? ends.get(edge)![1] : ends.get(edge)![0]);

  for (const i of order) {
    const [u, v] = ends.get(i)!;
    const a = free(u);
    const b = free(v);
    if (colourAt[v][a] !== -1) {
      // Swap a and b along the path from v that alternates a, b, a, …; bipartite, so it never reaches u.
      const path: number[] = [];
      for (let at = v, c = a; colourAt[at][c] !== -1; c = c === a ? b : a) {
        const edge = colourAt[at][c];
        path.push(edge);
        at = other(edge, at);
      }
      for (const edge of path) for (const p of ends.get(edge)!) colourAt[p][colour[edge]] = -1;
      for (const edge of path) {
        colour[edge] = colour[edge] === a ? b : a;
        for (const p of ends.get(edge)!) colourAt[p][colour[edge]] = edge;
      }
    }
    colour[i] = a;
    colourAt[u][a] = i;
    colourAt[v][a] = i;
  }
  return [...colour];
}

const key = (item: WaveItem) => `${String(item.from)}>${String(item.to)}`;
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
