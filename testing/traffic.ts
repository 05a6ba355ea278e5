// Client traffic during a migration: an ioredis Cluster client doing mixed reads and writes at a fixed
// (open-loop) rate, recording every latency and checking every answer.
import { performance } from "node:perf_hooks";
import type { Cluster } from "ioredis";
import { keyForIndex, keySlot, valueForKey } from "./cluster.ts";

export interface TrafficOptions {
  opsPerSecond: number;
  /** share of reads (the rest are writes), default 0.5 */
  readFraction?: number;
  /** reads pick key:0 … key:{loadedKeys-1} and expect valueForKey(key, valueBytes) */
  loadedKeys: number;
  valueBytes: number;
  loadedPrefix?: string;
  /** writes cycle over `${writePrefix}0 … ${writePrefix}{writeKeys-1}` (default "w:", 10000) */
  writePrefix?: string;
  writeKeys?: number;
}

export interface TrafficReport {
  ops: number;
  errors: number;
  errorSamples: string[];
  /** reads whose answer differed from the loaded value (null counts: a lost key) */
  readMismatches: number;
  latenciesMs: number[];
  /** write key → last acknowledged value */
  acknowledged: Map<string, string>;
}

export interface Traffic {
  /** Latencies recorded from now on go to a new phase; returns the previous phase's latencies. */
  nextPhase(): number[];
  /** The key slot of each latency of the phase nextPhase() just returned (same order). */
  lastPhaseSlots(): number[];
  stop(): Promise<TrafficReport>;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function startTraffic(cluster: Cluster, opts: TrafficOptions): Traffic {
  const readFraction = opts.readFraction ?? 0.5;
  const writePrefix = opts.writePrefix ?? "w:";
  const writeKeys = opts.writeKeys ?? 10_000;
  const report: TrafficReport = { ops: 0, errors: 0, errorSamples: [], readMismatches: 0, latenciesMs: [], acknowledged: new Map() };
  let phase: number[] = [];
  let phaseSlots: number[] = [];
  let previousSlots: number[] = [];
  const inflight = new Set<Promise<void>>();
  const startedAt = performance.now();
  let issued = 0;
  let writeSeq = 0;
  let readSeq = 0;
  let stopped = false;

  const fail = (err: unknown): void => {
    report.errors++;
    if (report.errorSamples.length < 10) report.errorSamples.push(err instanceof Error ? err.message : String(err));
  };

  const issueOne = (): void => {
    const t0 = performance.now();
    let op: Promise<void>;
    let slot = 0;
    if ((issued * 7919) % 1000 < readFraction * 1000) {
      // A deterministic spread over the loaded keys (no Math.random: runs are repeatable).
      const i = (readSeq++ * 104_729) % opts.loadedKeys;
      const key = keyForIndex(i, opts.loadedPrefix);
      slot = keySlot(key);
      op = cluster.getBuffer(key).then((value) => {
        if (!value || !value.equals(valueForKey(key, opts.valueBytes))) report.readMismatches++;
      });
    } else {
      const seq = writeSeq++;
      const key = `${writePrefix}${seq % writeKeys}`;
      const value = `v${seq}`;
      slot = keySlot(key);
      op = cluster.set(key, value).then(() => { report.acknowledged.set(key, value); });
    }
    issued++;
    const tracked: Promise<void> = op
      .then(() => { const ms = performance.now() - t0; report.latenciesMs.push(ms); phase.push(ms); phaseSlots.push(slot); report.ops++; }, fail)
      .finally(() => inflight.delete(tracked));
    inflight.add(tracked);
  };

  const timer = setInterval(() => {
    if (stopped) return;
    const due = Math.floor(((performance.now() - startedAt) * opts.opsPerSecond) / 1000);
    while (issued < due) issueOne();
  }, 2);

  return {
    nextPhase() {
      const previous = phase;
      previousSlots = phaseSlots;
      phase = [];
      phaseSlots = [];
      return previous;
    },
    lastPhaseSlots() {
      return previousSlots;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all(inflight);
      return report;
    },
  };
}

/** Every acknowledged write still reads back its last value; returns the keys that do not. */
export async function verifyAcknowledgedWrites(cluster: Cluster, acknowledged: Map<string, string>): Promise<string[]> {
  const wrong: string[] = [];
  for (const [key, value] of acknowledged) {
    if ((await cluster.get(key)) !== value) wrong.push(key);
  }
  return wrong;
}
