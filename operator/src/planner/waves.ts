// Grouping of slot moves into waves: inside one wave no engine takes part in more than
// `maxConcurrent` streams (spec.migration.maxConcurrent), as source or as target (DESIGN §6).

import { PlannerInputError } from "./topology.ts";

export interface WaveItem {
  from: number | string;
  to: number | string;
  /** Work size (e.g. slots); bigger items are packed first so long streams start early. */
  count: number;
}

/**
 * First-fit: items taken biggest first (ties keep input order) go into the first wave where both
 * endpoints still have a free stream. Each wave keeps its items in input order. Deterministic.
 */
export function groupIntoWaves<T extends WaveItem>(items: readonly T[], maxConcurrent: number): T[][] {
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    throw new PlannerInputError(`spec.migration.maxConcurrent must be an integer ≥ 1, got ${maxConcurrent}`);
  }
  for (const item of items) {
    if (item.from === item.to) throw new PlannerInputError(`a move from ${String(item.from)} to itself is not a move; drop it from the plan`);
  }
  const order = [...items.keys()].sort((a, b) => items[b].count - items[a].count || a - b);
  const streams: Map<number | string, number>[] = [];
  const waveOf = new Int32Array(items.length);
  for (const index of order) {
    const { from, to } = items[index];
    let wave = 0;
    for (; wave < streams.length; wave++) {
      const used = streams[wave];
      if ((used.get(from) ?? 0) < maxConcurrent && (used.get(to) ?? 0) < maxConcurrent) break;
    }
    if (wave === streams.length) streams.push(new Map());
    streams[wave].set(from, (streams[wave].get(from) ?? 0) + 1);
    streams[wave].set(to, (streams[wave].get(to) ?? 0) + 1);
    waveOf[index] = wave;
  }
  const waves: T[][] = streams.map(() => []);
  items.forEach((item, index) => waves[waveOf[index]].push(item));
  return waves;
}

/** No grouping can use fewer waves than the busiest engine's stream count / maxConcurrent. */
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
