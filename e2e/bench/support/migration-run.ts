// One run of `npm run bench:migration` (docs/benchmarks.md#benchmark-migration): fresh engines of one
// kind loaded with the same keys, 3 → 6 primaries by redis-cli (the baseline) or by our driver (the
// operator's equal-share plan through migrateSlots, key by key or atomic, guarded or not), a client
// process measuring p99 idle and during the move, then every key and acknowledged write checked.
import { spawn } from "node:child_process";
import { cpus, setPriority } from "node:os";
import { appendFileSync, existsSync } from "node:fs";
import { performance } from "node:perf_hooks";
import {
  startEngines, formCluster, addEmptyPrimaries, loadKeys, keyspaceChecksum, redisCliClusterCheck,
  waitForClusterConsistent, SLOT_COUNT, type EngineKind, type EngineProcess, type KeyspaceChecksum,
} from "../../../testing/engines.ts";
import { percentile } from "../../../testing/traffic.ts";
import { CLIENT_NICE, startTrafficProcess } from "./traffic-process.ts";
import { enginesCpuSeconds, machineCpu } from "./cpu.ts";
import { migrateSlots, validateMigrateSlotsRequest, clusterViewOf, type LatencyGuardInput, type MigrationProgress, type MigrationResult } from "../../../node-image/src/migration/index.ts";

export const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
export const VALUE_BYTES = Number(process.env.BENCH_VALUE_BYTES ?? 100);
export const OPS_PER_SECOND = Number(process.env.BENCH_OPS ?? 2000);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 5000);
const PASSWORD = "bench-migration-pw";
// The engines' files (nodes.conf is fsynced on every CLUSTER SETSLOT) go to memory so a shared disk's
// stalls do not decide the result; both runs use the same place.
const BASE_DIR = existsSync("/dev/shm") ? "/dev/shm" : undefined;

export interface RunReport {
  /** The strategy our moves took ("keys" or "atomic"; null for the baseline) and their jobs. */
  method: string | null;
  atomicJobs: number;
  seconds: number;
  keysMoved: number;
  keysLost: number;
  clientErrors: number;
  p99IdleMs: number;
  p99MoveMs: number;
  valuesEqual: boolean;
  readMismatches: number;
  clusterCheckOk: boolean;
  clientOps: number;
  /** p99 of the client process's own event-loop delay: how late the client itself got the CPU */
  clientLoopDelayP99IdleMs: number;
  clientLoopDelayP99MoveMs: number;
  /** share of both cores busy (all processes) while the move ran, from /proc/stat */
  machineCpuBusyPercent: number | null;
  p99MoveStayingSlotsMs: number;
  p99MoveMovingSlotsMs: number;
  /** CPU seconds all six engines spent during the move (from /proc/<pid>/stat) */
  engineCpuSeconds: number | null;
  /** the guard's decisions over the three moves (guarded runs) */
  guard: { decreases: number; increases: number; baselineP99Ms: number[]; budgetMs: number[] } | null;
}

/** A run: the baseline (redis-cli) or ours with a guard setting and a strategy ("auto" takes the atomic path where both engines offer it). */
export type Mode = { name: string; engine: EngineKind } & ({ baseline: true } | { guard: LatencyGuardInput; atomicMigration: "auto" | "never" });

export function log(message: string): void {
  process.stderr.write(`[bench:migration] ${message}\n`);
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

async function ownedSlots(e: EngineProcess): Promise<number[]> {
  const conn = e.connect();
  try {
    const view = clusterViewOf(String(await conn.call("CLUSTER", "NODES")));
    const out: number[] = [];
    view.owners.forEach((owner, slot) => { if (owner === view.myId) out.push(slot); });
    return out;
  } finally {
    conn.disconnect();
  }
}

async function dbsize(e: EngineProcess): Promise<number> {
  const conn = e.connect();
  try {
    return await conn.dbsize();
  } finally {
    conn.disconnect();
  }
}

function runRedisCliRebalance(seed: EngineProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-cli", ["--cluster", "rebalance", `${seed.host}:${seed.port}`, "--cluster-use-empty-masters"], {
      env: { ...process.env, REDISCLI_AUTH: PASSWORD }, // same as -a, without the password in ps
      stdio: ["ignore", "pipe", "pipe"],
    });
    let tail = "";
    const keep = (d: Buffer): void => { tail = (tail + d.toString()).slice(-4000); };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    // Rebalancing is background work: the tool runs at the lowest CPU priority in both runs.
    if (child.pid !== undefined) setPriority(child.pid, TOOL_NICE);
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`redis-cli rebalance exited ${code}:\n${tail}`))));
  });
}

const TOOL_NICE = 19;

/**
 * BENCH_DIAG=1: every engine records commands slower than 1 ms (wall time, so a command whose engine
 * lost its core shows up too) and latency events; they are logged per engine after the move.
 */
const DIAG = Boolean(process.env.BENCH_DIAG);
/** BENCH_SERIAL=1: our moves one after another (as redis-cli moves), instead of all at once. */
const SERIAL = process.env.BENCH_SERIAL === "1";
/** BENCH_TRACE=<file>: every move's guard status every 100 ms, one JSON line each (run, move, ms since start, status), and the client's latencies during the move in the order they completed. */
const TRACE = process.env.BENCH_TRACE;

async function logSlowCommands(engines: readonly EngineProcess[]): Promise<void> {
  for (const e of engines) {
    const conn = e.connect();
    try {
      const slow = (await conn.call("SLOWLOG", "GET", "1000")) as unknown[][];
      const byCommand = new Map<string, { count: number; maxUs: number }>();
      for (const entry of slow) {
        const name = (entry[3] as string[]).slice(0, 2).join(" ").replace(/ key:.*/, "").slice(0, 30);
        const agg = byCommand.get(name) ?? { count: 0, maxUs: 0 };
        agg.count++;
        agg.maxUs = Math.max(agg.maxUs, Number(entry[2]));
        byCommand.set(name, agg);
      }
      log(`diag ${e.host}: commands over 1 ms ${JSON.stringify(Object.fromEntries(byCommand))}; latency events ${JSON.stringify(await conn.call("LATENCY", "LATEST"))}`);
    } finally {
      conn.disconnect();
    }
  }
}

/** The operator's part: equal shares over 6 primaries; old primary i gives its surplus to new primary i. */
async function runOurs(name: string, primaries: EngineProcess[], added: EngineProcess[], guard: LatencyGuardInput, atomicMigration: "auto" | "never"): Promise<MigrationResult[]> {
  const all = [...primaries, ...added];
  const share = (i: number): number => Math.floor(SLOT_COUNT / all.length) + (i < SLOT_COUNT % all.length ? 1 : 0);
  const moves = await Promise.all(primaries.map(async (source, i) => {
    const owned = await ownedSlots(source);
    return { source, target: added[i], slots: owned.slice(share(i)) };
  }));
  const tuning = {
    batchKeys: process.env.BENCH_BATCH_KEYS ? Number(process.env.BENCH_BATCH_KEYS) : undefined,
    window: process.env.BENCH_WINDOW ? Number(process.env.BENCH_WINDOW) : undefined,
    parallelSlots: process.env.BENCH_PARALLEL ? Number(process.env.BENCH_PARALLEL) : undefined,
    slotsPerRound: process.env.BENCH_ROUND ? Number(process.env.BENCH_ROUND) : undefined,
  };
  // Rebalancing is background work: the driver runs at the lowest CPU priority, as redis-cli does.
  // (On Linux a nice value belongs to a thread; this is the driver's thread.) The guard's probe stands
  // for the clients and runs in a thread of its own at the client's priority: it then waits for a core
  // as the application does, not as the background work does.
  setPriority(TOOL_NICE);
  try {
    const startedAt = performance.now();
    const trace = (move: number) => TRACE ? {
      progressIntervalMs: 100,
      onProgress: (p: MigrationProgress) => appendFileSync(TRACE, `${JSON.stringify({ run: name, move, ms: Math.round(performance.now() - startedAt), keysMoved: p.keysMoved, guard: p.guard })}\n`),
    } : {};
    const one = ({ source, target, slots }: (typeof moves)[number], move: number) => migrateSlots(validateMigrateSlotsRequest({
    source: { host: source.host, port: source.port }, target: { host: target.host, port: target.port }, slots,
    password: PASSWORD,
    otherPrimaries: all.filter((e) => e !== source && e !== target).map((e) => ({ host: e.host, port: e.port })),
    ...Object.fromEntries(Object.entries(tuning).filter(([, v]) => v !== undefined)),
    guard, atomicMigration,
    }), { probePriority: CLIENT_NICE, ...trace(move) });
    if (!SERIAL) return await Promise.all(moves.map(one));
    const results: MigrationResult[] = [];
    for (const [i, m] of moves.entries()) results.push(await one(m, i));
    return results;
  } finally {
    setPriority(0);
  }
}

export async function measure(mode: Mode, ipBase: string, expected: KeyspaceChecksum): Promise<RunReport> {
  const { name } = mode;
  const { engines, stop } = await startEngines({ engine: mode.engine, count: 6, ipBase, password: PASSWORD, baseDir: BASE_DIR, extraConfig: DIAG ? { "slowlog-log-slower-than": 1000, "latency-monitor-threshold": 1 } : {} });
  try {
    const primaries = engines.slice(0, 3);
    const added = engines.slice(3);
    await formCluster(primaries, { primaries: 3 });
    let t = performance.now();
    await loadKeys(primaries, KEYS, VALUE_BYTES);
    log(`${name}: loaded ${KEYS} keys × ${VALUE_BYTES} B in ${round((performance.now() - t) / 1000)} s`);
    await addEmptyPrimaries(primaries, added);

    // The client runs in its own process, as redis-cli does: latencies measure the engines.
    const traffic = await startTrafficProcess(primaries.map((e) => ({ host: e.host, port: e.port })), PASSWORD,
      { opsPerSecond: OPS_PER_SECOND, loadedKeys: KEYS, valueBytes: VALUE_BYTES });
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS)); // the idle phase is a fixed duration
    const idlePhase = await traffic.nextPhase();
    const idle = idlePhase.latenciesMs;

    log(`${name}: idle phase done (client p99 ${round(percentile(idle, 99))} ms); moving`);
    const cpuBefore = machineCpu();
    const engineCpuBefore = enginesCpuSeconds(engines);
    t = performance.now();
    let oursResults: MigrationResult[] = [];
    if ("baseline" in mode) await runRedisCliRebalance(primaries[0]);
    else oursResults = await runOurs(name, primaries, added, mode.guard, mode.atomicMigration);
    const seconds = (performance.now() - t) / 1000;
    const cpuAfter = machineCpu();
    const engineCpuAfter = enginesCpuSeconds(engines);
    const duringPhase = await traffic.nextPhase();
    if (DIAG) await logSlowCommands(engines);
    const during = duringPhase.latenciesMs;
    if (TRACE) appendFileSync(TRACE, `${JSON.stringify({ run: name, clientLatenciesMs: during.map((ms) => round(ms, 2)) })}\n`);
    // Diagnostics: p99 of ops on slots that never move (planned: the first share of each old primary)
    // against ops on slots that move, to tell engine-wide effects from redirect handling.
    const staying = new Set<number>();
    for (let i = 0; i < primaries.length; i++) {
      const first = Math.floor((i * SLOT_COUNT) / 3);
      for (let s = first; s < first + Math.floor(SLOT_COUNT / 6) - 1; s++) staying.add(s);
    }
    const onStaying = during.filter((_, n) => staying.has(duringPhase.slots[n]));
    const onMoving = during.filter((_, n) => !staying.has(duringPhase.slots[n]));
    log(`${name}: during the move, p99 on slots that stay ${round(percentile(onStaying, 99))} ms (${onStaying.length} ops), on slots that move ${round(percentile(onMoving, 99))} ms (${onMoving.length} ops)`);
    const report = await traffic.stop();
    const failed = oursResults.flatMap((r) => r.failedSlots);
    if (failed.length > 0) log(`${name}: ${failed.length} failed slots, e.g. ${JSON.stringify(failed.slice(0, 3))}`);
    if (oursResults.length > 0) {
      log(`${name}: per move ${oursResults.map((r) => `${r.slotsDone}/${r.slotsTotal} slots, ${r.keysMoved} keys, ${r.elapsedMs} ms, max source block ${r.maxSourceBlockMs} ms${r.guard ? `, guard ${JSON.stringify(r.guard)}` : ""}`).join("; ")}`);
    }
    const guards = oursResults.map((r) => r.guard).filter((g) => g !== null);
    log(`${name}: moved in ${round(seconds)} s; client p99 idle ${round(percentile(idle, 99))} ms, during ${round(percentile(during, 99))} ms (${during.length} ops); client event-loop delay p99 idle ${round(idlePhase.eventLoopDelayP99Ms)} ms, during ${round(duringPhase.eventLoopDelayP99Ms)} ms; client slot-map reloads during ${duringPhase.slotMapRefreshes}; errors ${report.errors} ${report.errorSamples.slice(0, 3).join(" | ")}`);

    await waitForClusterConsistent(engines, { timeoutMs: 60_000 });
    t = performance.now();
    const actual = await keyspaceChecksum(engines, { match: "key:*", password: PASSWORD });
    log(`${name}: verified ${actual.keys} keys in ${round((performance.now() - t) / 1000)} s (digest ${actual.digest === expected.digest ? "equal" : "DIFFERENT"}), ${report.lostWrites} of ${report.acknowledgedWrites} acknowledged writes lost`);
    const check = await redisCliClusterCheck(primaries[0].host, primaries[0].port, PASSWORD);
    if (!check.ok) log(`${name}: redis-cli --cluster check failed:\n${check.output.slice(-2000)}`);
    const keysMoved = (await Promise.all(added.map(dbsize))).reduce((a, b) => a + b, 0);
    return {
      method: oursResults[0]?.method ?? null,
      atomicJobs: oursResults.reduce((n, r) => n + r.atomicJobs, 0),
      seconds: round(seconds, 3),
      keysMoved,
      keysLost: Math.max(0, expected.keys - actual.keys) + report.lostWrites,
      clientErrors: report.errors,
      p99IdleMs: round(percentile(idle, 99), 3),
      p99MoveMs: round(percentile(during, 99), 3),
      valuesEqual: actual.digest === expected.digest,
      readMismatches: report.readMismatches,
      clusterCheckOk: check.ok && failed.length === 0,
      clientOps: report.ops,
      clientLoopDelayP99IdleMs: round(idlePhase.eventLoopDelayP99Ms, 3),
      clientLoopDelayP99MoveMs: round(duringPhase.eventLoopDelayP99Ms, 3),
      machineCpuBusyPercent: cpuBefore && cpuAfter ? round((100 * (cpuAfter.busy - cpuBefore.busy)) / Math.max(1, cpuAfter.total - cpuBefore.total), 1) : null,
      p99MoveStayingSlotsMs: round(percentile(onStaying, 99), 3),
      p99MoveMovingSlotsMs: round(percentile(onMoving, 99), 3),
      engineCpuSeconds: engineCpuBefore !== undefined && engineCpuAfter !== undefined ? round(engineCpuAfter - engineCpuBefore, 2) : null,
      guard: guards.length > 0 ? {
        decreases: guards.reduce((n, g) => n + g.decreases, 0), increases: guards.reduce((n, g) => n + g.increases, 0),
        baselineP99Ms: guards.map((g) => g.baselineP99Ms), budgetMs: guards.map((g) => g.budgetMs),
      } : null,
    };
  } finally {
    await stop();
  }
}

/** The JSON summary of one of our runs against the baseline's time. */
export function summary(r: RunReport, baseline: RunReport | undefined) {
  return {
    method: r.method, atomicJobs: r.atomicJobs,
    seconds: r.seconds,
    ratio: baseline ? round(r.seconds / baseline.seconds, 4) : null,
    p99IdleMs: r.p99IdleMs, p99MoveMs: r.p99MoveMs, p99Factor: r.p99IdleMs > 0 ? round(r.p99MoveMs / r.p99IdleMs, 2) : null,
    keysLost: r.keysLost, clientErrors: r.clientErrors,
    // Engine CPU the move cost, spread over every core, against redis-cli's time: the lowest ratio
    // this machine allows for this engine work (the engines share the cores with the client and the driver).
    engineCpuFloor: baseline && r.engineCpuSeconds !== null ? round(r.engineCpuSeconds / cpus().length / baseline.seconds, 4) : null,
    machineCpuBusyPercent: r.machineCpuBusyPercent,
  };
}

