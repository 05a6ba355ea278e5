// How fast keys arrive at each new shard's primary while a scale-out moves slots to it: its key count
// (DBSIZE) sampled every 100 ms, and the 1 s windows of that curve while the shard was receiving.
// A sidecar runs one migration at a time (the target's), so a target's curve is one stream's pace;
// times the bytes per key the sidecar counts (MEMORY USAGE), it is the stream's bytes per second.
import { Redis } from "ioredis";

export interface Sample { atMs: number; keys: number }

/**
 * Keys per second of every 1 s window that lies inside the receiving period of `samples` (from the
 * last sample before the count first rose to the first sample at its final count), one window per
 * starting sample (pure).
 */
export function windowRates(samples: readonly Sample[], windowMs = 1000): number[] {
  if (samples.length < 2) return [];
  const final = samples[samples.length - 1].keys;
  const firstRise = samples.findIndex((s, i) => i > 0 && s.keys > samples[i - 1].keys);
  if (firstRise < 0) return [];
  const start = firstRise - 1;
  const end = samples.findIndex((s) => s.keys === final);
  const rates: number[] = [];
  for (let i = start, j = start; i < end; i++) {
    while (j <= end && samples[j].atMs - samples[i].atMs < windowMs) j++;
    if (j > end) break;
    rates.push(((samples[j].keys - samples[i].keys) * 1000) / (samples[j].atMs - samples[i].atMs));
  }
  return rates;
}

export interface RateJudgement {
  limitBytesPerSecond: number;
  bytesPerKey: number;
  windows: number;
  /** The fastest 1 s window of any stream (the limit must not be exceeded). */
  worstWindowBytesPerSecond: number;
  /** The slowest and the median window (the pace the limit allows is reached). */
  slowestWindowBytesPerSecond: number;
  medianWindowBytesPerSecond: number;
  /** Fastest and median window within ± 10 % of the limit. */
  held: boolean;
}

export function judgeRate(perTarget: readonly (readonly Sample[])[], bytesPerKey: number, limit: number): RateJudgement {
  const rates = perTarget.flatMap((s) => windowRates(s)).map((k) => k * bytesPerKey).sort((a, b) => a - b);
  const at = (q: number) => (rates.length ? rates[Math.min(rates.length - 1, Math.floor(q * rates.length))] : 0);
  const worst = rates.length ? rates[rates.length - 1] : 0;
  const median = at(0.5);
  return {
    limitBytesPerSecond: limit, bytesPerKey: Math.round(bytesPerKey * 10) / 10, windows: rates.length,
    worstWindowBytesPerSecond: Math.round(worst), slowestWindowBytesPerSecond: Math.round(at(0)), medianWindowBytesPerSecond: Math.round(median),
    held: rates.length > 0 && worst <= 1.1 * limit && median >= 0.9 * limit,
  };
}

/** Mean MEMORY USAGE of up to `count` keys on one engine: the bytes per key the sidecar's pacing counts. */
export async function bytesPerKey(host: string, password: string, count = 1000): Promise<number> {
  const r = new Redis({ host, port: 6379, password, maxRetriesPerRequest: 1 });
  try {
    const [, keys] = (await r.scan("0", "MATCH", "key:*", "COUNT", count)) as [string, string[]];
    const sizes = await Promise.all(keys.map((k) => r.call("MEMORY", "USAGE", k) as Promise<number | null>));
    const known = sizes.filter((n): n is number => typeof n === "number");
    if (known.length === 0) throw new Error(`no key:* found on ${host} to size`);
    return known.reduce((a, b) => a + b, 0) / known.length;
  } finally {
    r.disconnect();
  }
}

/** Samples DBSIZE of the engines `hosts()` names now, every `everyMs`, until stop(). */
export function sampleKeyCounts(hosts: () => string[], password: string, everyMs = 100): { stop(): Promise<Map<string, Sample[]>> } {
  const samples = new Map<string, Sample[]>();
  const conns = new Map<string, Redis>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const t = Date.now();
      for (const host of hosts()) if (!conns.has(host)) {
        const c = new Redis({ host, port: 6379, password, maxRetriesPerRequest: 0, connectTimeout: 500, retryStrategy: () => 200 });
        c.on("error", () => undefined);
        conns.set(host, c);
      }
      await Promise.all([...conns].map(async ([host, c]) => {
        const keys = await c.dbsize().catch(() => undefined);
        if (keys !== undefined) samples.set(host, [...(samples.get(host) ?? []), { atMs: Date.now(), keys }]);
      }));
      await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - t))));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      for (const c of conns.values()) c.disconnect();
      return samples;
    },
  };
}
