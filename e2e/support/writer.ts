// A cluster-aware client that writes the whole time a fault runs, and its history: every operation is
// acknowledged (OK), failed (an error reply or a refused connection: the write did not happen) or
// unknown (a timeout: it may have happened). Afterwards every acknowledged key is read back.
import { Cluster } from "ioredis";

/**
 * `readBackWaitMs`: how long the read-back waited for the cluster to answer at all (an engine still
 * answering CLUSTERDOWN, e.g. one that has not learnt its peers' new addresses after a full restart).
 */
export interface WriterReport { acknowledged: number; failed: number; unknown: number; lost: string[]; firstError?: string; readBackWaitMs: number }

/** How long the read-back waits for engines answering CLUSTERDOWN before it fails. */
const READ_BACK_PATIENCE_MS = 30_000;

export class Writer {
  private readonly client: Cluster;
  private readonly acked: string[] = [];
  private failed = 0;
  private unknown = 0;
  private firstError?: string;
  private stopped = false;
  private loop?: Promise<void>;

  constructor(seeds: { host: string; port: number }[], private readonly password: string, private readonly prefix: string, private readonly opTimeoutMs = 1_000) {
    this.client = Writer.connect(seeds, password);
  }

  private static connect(seeds: { host: string; port: number }[], password: string): Cluster {
    const client = new Cluster(seeds, {
      redisOptions: { password, connectTimeout: 1_000, maxRetriesPerRequest: 1 },
      clusterRetryStrategy: () => 100, slotsRefreshTimeout: 1_000, retryDelayOnClusterDown: 100, retryDelayOnFailover: 100,
    });
    client.on("error", () => undefined); // each operation records its own outcome
    return client;
  }

  /** Writes one key at a time, `{prefix}:{n}` = n, every `intervalMs`, until stop(). */
  start(intervalMs = 5): void {
    this.loop = (async () => {
      for (let n = 0; !this.stopped; n++) {
        const key = `${this.prefix}:${n}`;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<"timeout">((resolve) => { timer = setTimeout(() => resolve("timeout"), this.opTimeoutMs); });
        try {
          const r = await Promise.race([this.client.set(key, String(n)), timeout]);
          if (r === "timeout") this.unknown++;
          else this.acked.push(key);
        } catch (err) {
          this.failed++;
          this.firstError ??= (err as Error)?.message ?? String(err);
        } finally {
          clearTimeout(timer);
        }
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
  }

  /**
   * Stops writing and reads every acknowledged key back — through a new client from `readSeeds` when
   * given (after every pod was made again, none of the first seeds' addresses answers).
   */
  async stop(readSeeds?: { host: string; port: number }[]): Promise<WriterReport> {
    this.stopped = true;
    await this.loop;
    const reader = readSeeds ? Writer.connect(readSeeds, this.password) : this.client;
    const lost: string[] = [];
    const t0 = Date.now();
    let waitedMs = 0;
    for (let i = 0; i < this.acked.length; i += 200) {
      const batch = this.acked.slice(i, i + 200);
      let values: (string | null)[];
      for (;;) {
        try {
          values = await Promise.all(batch.map((k) => reader.get(k)));
          break;
        } catch (err) {
          // A value is never guessed: only a cluster that does not answer yet is waited for, and for how long is reported.
          if (!/CLUSTERDOWN|Too many Cluster redirections/.test((err as Error).message) || Date.now() - t0 > READ_BACK_PATIENCE_MS) throw err;
          await new Promise((r) => setTimeout(r, 250));
          waitedMs = Date.now() - t0;
        }
      }
      batch.forEach((k, j) => { if (values[j] !== k.slice(this.prefix.length + 1)) lost.push(k); });
    }
    this.client.disconnect();
    if (reader !== this.client) reader.disconnect();
    return { acknowledged: this.acked.length, failed: this.failed, unknown: this.unknown, lost, readBackWaitMs: waitedMs, ...(this.firstError ? { firstError: this.firstError } : {}) };
  }

  /** Stops writing and disconnects without reading back (a test that failed part-way). */
  async abort(): Promise<void> {
    this.stopped = true;
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 2_000))]);
    this.client.disconnect();
  }

  get acknowledged(): number {
    return this.acked.length;
  }
}
