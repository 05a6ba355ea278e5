// bench:failover's writer: a cluster-aware client (ioredis Cluster) in its own process, so the times
// it records measure the cluster and not the event loop of the benchmark (which runs kubectl and polls).
// It writes one key every `intervalMs`, round-robin over the shards (open loop: a shard whose primary
// is gone does not hold the others up), every key written once (`{tag}:<label>:<seq>` = seq, the tag
// chosen so the key lands in the shard's slots), and records when each write was acknowledged. Every
// acknowledged key is read back later (`verify`): one that does not read back its value is a lost
// acknowledged write, counted against the cycle (the fault) it was written in.
//
// Parent side: startFailoverWriter(); child side: this file run with fork() (messages over IPC).
import { fork, type ChildProcess } from "node:child_process";
import { setPriority } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Cluster } from "ioredis";
import type { SlotRange } from "../../../common/slots.ts";
import { keySlot } from "../../../testing/cluster.ts";
import { flowingSince, longestGap, type GapReport } from "./failover-stats.ts";

/** Epoch milliseconds with sub-millisecond resolution; comparable between the benchmark and the writer. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

/** The writer's CPU priority: it stands for an application on its own machine (as bench:migration's client). */
const WRITER_NICE = -10;
/** Writes of one shard in flight at most; a shard that answers nothing gets no more until some finish. */
const MAX_IN_FLIGHT_PER_SHARD = 200;
const TAGS_PER_SHARD = 32;
/**
 * Keys written once at the start and never deleted: read-back deletes what it checked, and an engine
 * that restarts with no key at all where it last had some is taken for one that lost its data
 * (RECOVERED); a real cluster is not empty between two faults either.
 */
const BALLAST_KEYS_PER_SHARD = 1000;

export interface WriterShard { index: number; ranges: SlotRange[] }

export interface WindowReport {
  /** Per shard index: the longest gap between acknowledgements in the window. */
  gaps: Record<number, GapReport>;
  /** Per shard index: writes that failed in the window (by the time they failed). */
  failed: Record<number, number>;
  errorSamples: string[];
}

export interface VerifyReport {
  checked: number;
  /** Acknowledged writes read back, by cycle label. */
  checkedByCycle: Record<string, number>;
  /** Lost acknowledged writes by cycle label. */
  lostByCycle: Record<string, number>;
  lostSamples: string[];
  /** Keys that could not be read (an error, not a missing key): they are checked again next time. */
  unreadable: number;
}

type Request =
  | { kind: "start"; seeds: { host: string; port: number }[]; password: string; shards: WriterShard[]; intervalMs: number; label: string }
  | { kind: "resume"; cycle: string }
  | { kind: "pause" }
  | { kind: "flowing"; shard: number; sinceMs: number; spanMs: number; maxGapMs: number }
  | { kind: "window"; fromMs: number; toMs: number }
  | { kind: "verify" }
  | { kind: "stop" };

type Reply =
  | { kind: "ok" }
  | { kind: "flowing"; flowing: boolean; lastAckMs: number }
  | { kind: "window"; report: WindowReport }
  | { kind: "verify"; report: VerifyReport }
  | { kind: "error"; message: string };

export interface FailoverWriter {
  /** Starts (or resumes) writing; writes from now on belong to `cycle`. */
  resume(cycle: string): Promise<void>;
  /** Stops issuing writes (those in flight still finish and are recorded). */
  pause(): Promise<void>;
  /** Whether `shard`'s writes have been acknowledged with no gap over maxGapMs for the last spanMs, all after sinceMs. */
  flowing(shard: number, sinceMs: number, spanMs: number, maxGapMs: number): Promise<{ flowing: boolean; lastAckMs: number }>;
  window(fromMs: number, toMs: number): Promise<WindowReport>;
  /** Reads back every acknowledged key not read back yet; the read ones are then deleted (bounded memory). */
  verify(): Promise<VerifyReport>;
  stop(): Promise<void>;
}

export async function startFailoverWriter(opts: Omit<Extract<Request, { kind: "start" }>, "kind">): Promise<FailoverWriter> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  try {
    if (child.pid !== undefined) setPriority(child.pid, WRITER_NICE);
  } catch { /* not allowed to raise priority: it runs at the default */ }
  const pending: ((reply: Reply) => void)[] = [];
  child.on("message", (reply: Reply) => pending.shift()?.(reply));
  child.once("exit", (code) => {
    for (const waiter of pending.splice(0)) waiter({ kind: "error", message: `writer process exited ${code}` });
  });
  const ask = <K extends Reply["kind"]>(request: Request, kind: K): Promise<Extract<Reply, { kind: K }>> => new Promise((resolve, reject) => {
    pending.push((reply) => {
      if (reply.kind === "error") reject(new Error(`failover writer: ${reply.message}`));
      else if (reply.kind !== kind) reject(new Error(`failover writer answered ${reply.kind}, expected ${kind}`));
      else resolve(reply as Extract<Reply, { kind: K }>);
    });
    child.send(request);
  });
  await ask({ kind: "start", ...opts }, "ok");
  return {
    resume: async (cycle) => void (await ask({ kind: "resume", cycle }, "ok")),
    pause: async () => void (await ask({ kind: "pause" }, "ok")),
    flowing: async (shard, sinceMs, spanMs, maxGapMs) => (({ flowing, lastAckMs }) => ({ flowing, lastAckMs }))(await ask({ kind: "flowing", shard, sinceMs, spanMs, maxGapMs }, "flowing")),
    window: async (fromMs, toMs) => (await ask({ kind: "window", fromMs, toMs }, "window")).report,
    verify: async () => (await ask({ kind: "verify" }, "verify")).report,
    stop: async () => {
      if (child.exitCode !== null) return;
      await ask({ kind: "stop" }, "ok").catch(() => undefined);
      await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())));
    },
  };
}

// ---- child side ----

/** Hash tags whose slot lies in each shard's ranges. */
function tagsFor(shards: readonly WriterShard[]): string[][] {
  const owner = new Int16Array(16384).fill(-1);
  shards.forEach((s, i) => { for (const r of s.ranges) for (let slot = r.start; slot <= r.end; slot++) owner[slot] = i; });
  const tags: string[][] = shards.map(() => []);
  for (let k = 0; tags.some((t) => t.length < TAGS_PER_SHARD); k++) {
    if (k > 1_000_000) throw new Error(`no keys found for some shard's slots: ${JSON.stringify(shards)}`);
    const i = owner[keySlot(`t${k}`)];
    if (i >= 0 && tags[i].length < TAGS_PER_SHARD) tags[i].push(`t${k}`);
  }
  return tags;
}
interface Acked { key: string; value: string; cycle: string; shard: number }

function serve(): void {
  let client: Cluster | undefined;
  let shards: WriterShard[] = [];
  let tags: string[][] = [];
  let label = "";
  let intervalMs = 1;
  let timer: NodeJS.Timeout | undefined;
  let cycle = "";
  let seq = 0;
  let turn = 0;
  let lastTickMs = 0;
  const inFlight: number[] = [];
  const ackTimes: number[][] = [];
  const failTimes: number[][] = [];
  const errorSamples: string[] = [];
  let toVerify: Acked[] = [];
  const reply = (message: Reply): void => { process.send?.(message); };

  const issue = (): void => {
    const i = turn++ % shards.length;
    if (inFlight[i] >= MAX_IN_FLIGHT_PER_SHARD) return;
    const n = seq++;
    const key = `{${tags[i][n % TAGS_PER_SHARD]}}:${label}:${n}`;
    const value = String(n);
    const written: Acked = { key, value, cycle, shard: i };
    inFlight[i]++;
    client!.set(key, value).then(() => {
      ackTimes[i].push(epochMs());
      toVerify.push(written);
    }, (err: unknown) => {
      failTimes[i].push(epochMs());
      if (errorSamples.length < 20) errorSamples.push(`${cycle}: ${err instanceof Error ? err.message : String(err)}`);
    }).finally(() => { inFlight[i]--; });
  };

  // Open loop at 1/intervalMs: a late tick catches up (at most 50 writes at once) instead of slowing down.
  const tick = (): void => {
    const now = epochMs();
    const due = Math.min(50, Math.max(1, Math.floor((now - lastTickMs) / intervalMs)));
    lastTickMs += due * intervalMs;
    if (now - lastTickMs > 50 * intervalMs) lastTickMs = now;
    for (let k = 0; k < due; k++) issue();
  };

  /** GETs of keys of one shard (one node) in one pipeline; undefined for a key that could not be read. */
  const readBatch = async (batch: readonly Acked[]): Promise<(string | null | undefined)[]> => {
    const pipeline = client!.pipeline();
    for (const w of batch) pipeline.get(w.key);
    const replies = await pipeline.exec().catch(() => null);
    if (replies) return replies.map(([err, v]) => (err ? undefined : (v as string | null)));
    return Promise.all(batch.map((w) => client!.get(w.key).then((v) => v, () => undefined)));
  };

  const verify = async (): Promise<VerifyReport> => {
    const all = toVerify;
    toVerify = [];
    const report: VerifyReport = { checked: 0, checkedByCycle: {}, lostByCycle: {}, lostSamples: [], unreadable: 0 };
    const again: Acked[] = [];
    for (let i = 0; i < shards.length; i++) {
      const ofShard = all.filter((w) => w.shard === i);
      for (let k = 0; k < ofShard.length; k += 1000) {
        const batch = ofShard.slice(k, k + 1000);
        const values = await readBatch(batch);
        const read: string[] = [];
        batch.forEach((w, j) => {
          if (values[j] === undefined) { again.push(w); return; }
          report.checked++;
          report.checkedByCycle[w.cycle] = (report.checkedByCycle[w.cycle] ?? 0) + 1;
          read.push(w.key);
          if (values[j] !== w.value) {
            report.lostByCycle[w.cycle] = (report.lostByCycle[w.cycle] ?? 0) + 1;
            if (report.lostSamples.length < 10) report.lostSamples.push(`${w.key} (acknowledged, reads ${values[j] === null ? "nothing" : JSON.stringify(values[j])})`);
          }
        });
        // Read back once: gone from the engines, so memory stays bounded over a long run.
        if (read.length) {
          const unlink = client!.pipeline();
          for (const key of read) unlink.unlink(key);
          await unlink.exec().catch(() => undefined);
        }
      }
    }
    report.unreadable = again.length;
    toVerify.push(...again);
    return report;
  };

  process.on("unhandledRejection", (reason) => {
    process.stderr.write(`[failover writer] client-internal rejection (not a write): ${reason instanceof Error ? reason.message : String(reason)}\n`);
  });
  process.once("disconnect", () => process.exit(0)); // never outlive the benchmark
  process.on("message", (request: Request) => {
    void (async () => {
      try {
        switch (request.kind) {
          case "start": {
            shards = request.shards;
            tags = tagsFor(shards);
            label = request.label;
            intervalMs = request.intervalMs;
            for (let i = 0; i < shards.length; i++) { inFlight.push(0); ackTimes.push([]); failTimes.push([]); }
            // Quick to notice a lost primary and to find the new one: the same client for ours and the baseline.
            client = new Cluster(request.seeds, {
              redisOptions: { password: request.password, connectTimeout: 500 },
              slotsRefreshTimeout: 500, retryDelayOnFailover: 20, retryDelayOnClusterDown: 20, retryDelayOnTryAgain: 20, retryDelayOnMoved: 0,
              maxRedirections: 32, enableAutoPipelining: false,
            });
            client.on("error", () => { /* each write records its own outcome */ });
            await new Promise<void>((resolve, reject) => {
              client!.once("ready", () => resolve());
              client!.once("end", () => reject(new Error("cluster client ended before ready")));
            });
            for (let i = 0; i < shards.length; i++) {
              const ballast = client.pipeline();
              for (let k = 0; k < BALLAST_KEYS_PER_SHARD; k++) ballast.set(`{${tags[i][k % TAGS_PER_SHARD]}}:${label}:ballast:${k}`, "x".repeat(100));
              await ballast.exec();
            }
            reply({ kind: "ok" });
            return;
          }
          case "resume":
            cycle = request.cycle;
            if (!timer) {
              lastTickMs = epochMs();
              timer = setInterval(tick, intervalMs);
            }
            reply({ kind: "ok" });
            return;
          case "pause":
            clearInterval(timer);
            timer = undefined;
            reply({ kind: "ok" });
            return;
          case "flowing": {
            const acks = ackTimes[shards.findIndex((s) => s.index === request.shard)] ?? [];
            const now = epochMs();
            reply({ kind: "flowing", flowing: flowingSince(acks.slice(-5000), request.sinceMs, now, request.spanMs, request.maxGapMs), lastAckMs: acks.at(-1) ?? 0 });
            return;
          }
          case "window": {
            const report: WindowReport = { gaps: {}, failed: {}, errorSamples: errorSamples.splice(0) };
            shards.forEach((s, i) => {
              report.gaps[s.index] = longestGap(ackTimes[i], request.fromMs, request.toMs);
              report.failed[s.index] = failTimes[i].filter((t) => t >= request.fromMs && t <= request.toMs).length;
              // What is older than the window will not be asked for again.
              ackTimes[i] = ackTimes[i].filter((t) => t >= request.fromMs);
              failTimes[i] = failTimes[i].filter((t) => t >= request.fromMs);
            });
            reply({ kind: "window", report });
            return;
          }
          case "verify":
            reply({ kind: "verify", report: await verify() });
            return;
          case "stop":
            clearInterval(timer);
            client?.disconnect();
            reply({ kind: "ok" });
            process.disconnect?.();
            return;
        }
      } catch (err) {
        reply({ kind: "error", message: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) serve();
