// A cluster-aware client that reads and writes a loaded key space at a fixed rate while slots move,
// and its history: every operation is acknowledged, failed (an error reply after the client's own
// MOVED/ASK redirects) or unknown (a timeout); a read that returns a value no acknowledged or
// unknown write could have left is a wrong read. At the end every key is read back and checked.
import { createHash } from "node:crypto";
import { Cluster } from "ioredis";

export interface MixedReport {
  ops: number; reads: number; writes: number; failed: number; unknown: number; wrongReads: number;
  /** Keys whose final value no acknowledged or unknown write explains (lost or corrupted). */
  lost: string[];
  firstError?: string;
}

export function connectCluster(seeds: { host: string; port: number }[], password: string): Cluster {
  const client = new Cluster(seeds, {
    redisOptions: { password, connectTimeout: 1_000, maxRetriesPerRequest: 1 },
    clusterRetryStrategy: () => 100, slotsRefreshTimeout: 1_000, retryDelayOnClusterDown: 100, retryDelayOnFailover: 100, retryDelayOnMoved: 0,
  });
  client.on("error", () => undefined); // each operation records its own outcome
  return client;
}

export class MixedClient {
  private readonly client: Cluster;
  /** What each key may hold now: the last acknowledged value and any unknown writes since. */
  private readonly possible = new Map<string, Set<string>>();
  private readonly keys: string[] = [];
  private report: MixedReport = { ops: 0, reads: 0, writes: 0, failed: 0, unknown: 0, wrongReads: 0, lost: [] };
  private stopped = false;
  private loop?: Promise<void>;

  constructor(seeds: { host: string; port: number }[], password: string, private readonly prefix: string, private readonly opTimeoutMs = 2_000) {
    this.client = connectCluster(seeds, password);
  }

  /** Writes `count` keys of `valueBytes` bytes, 500 at a time. */
  async load(count: number, valueBytes = 100): Promise<void> {
    for (let i = 0; i < count; i += 500) {
      const batch = Array.from({ length: Math.min(500, count - i) }, (_, j) => `${this.prefix}:{k${i + j}}`);
      await Promise.all(batch.map(async (key) => {
        const value = `${key}:0:`.padEnd(valueBytes, "x");
        await this.client.set(key, value);
        this.possible.set(key, new Set([value]));
        this.keys.push(key);
      }));
    }
  }

  /** Mixed GET/SET on random loaded keys, `perSecond` operations a second, until stop(). */
  start(perSecond = 200, seed = 1): void {
    let x = seed >>> 0 || 1;
    const rand = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const gapMs = 1000 / perSecond;
    this.loop = (async () => {
      for (let n = 1; !this.stopped; n++) {
        const t0 = Date.now();
        const key = this.keys[Math.floor(rand() * this.keys.length)];
        if (rand() < 0.5) await this.read(key);
        else await this.write(key, `${key}:${n}:`.padEnd(100, "y"));
        const wait = gapMs - (Date.now() - t0);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();
  }

  private async timed<T>(op: Promise<T>): Promise<T | "timeout"> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => { timer = setTimeout(() => resolve("timeout"), this.opTimeoutMs); });
    try {
      return await Promise.race([op, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private fail(err: unknown): void {
    this.report.failed++;
    this.report.firstError ??= (err as Error)?.message ?? String(err);
  }

  private async read(key: string): Promise<void> {
    this.report.ops++;
    this.report.reads++;
    try {
      const r = await this.timed(this.client.get(key));
      if (r === "timeout") this.report.unknown++;
      else if (!this.possible.get(key)!.has(r ?? "")) {
        this.report.wrongReads++;
        this.report.firstError ??= `GET ${key} returned ${String(r).slice(0, 40)}…, which no write left`;
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private async write(key: string, value: string): Promise<void> {
    this.report.ops++;
    this.report.writes++;
    const before = this.possible.get(key)!;
    before.add(value); // while the write is in flight, either value may be read
    try {
      const r = await this.timed(this.client.set(key, value));
      if (r === "timeout") this.report.unknown++;
      else this.possible.set(key, new Set([value]));
    } catch (err) {
      before.delete(value);
      this.fail(err);
    }
  }

  /** Stops, reads every key back; `checksum` is over the key space as read. */
  async stop(): Promise<MixedReport & { keys: number; checksum: string }> {
    this.stopped = true;
    await this.loop;
    const hash = createHash("sha256");
    const lost: string[] = [];
    for (let i = 0; i < this.keys.length; i += 500) {
      const batch = this.keys.slice(i, i + 500);
      const values = await Promise.all(batch.map((k) => this.client.get(k)));
      batch.forEach((k, j) => {
        if (!this.possible.get(k)!.has(values[j] ?? "")) lost.push(k);
        hash.update(`${k}=${values[j]}\n`);
      });
    }
    this.client.disconnect();
    return { ...this.report, lost, keys: this.keys.length, checksum: hash.digest("hex").slice(0, 16) };
  }

  async abort(): Promise<void> {
    this.stopped = true;
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 2_000))]);
    this.client.disconnect();
  }
}
