// Fixtures for the migration integration tests: a formed cluster of primaries plus empty primaries to
// migrate to, loaded with deterministic keys.
import { Cluster } from "ioredis";
import {
  startEngines, formCluster, addEmptyPrimaries, loadKeys, type EngineKind, type EngineProcess, type StartEnginesOptions,
} from "../../../testing/engines.ts";
import {
  clusterViewOf, migrateSlots, validateMigrateSlotsRequest, type ClusterView, type EngineAddress, type MigrateOptions, type MigrateSlotsInput,
  type MigrationResult,
} from "../../src/migration/index.ts";

export const PASSWORD = "migration-test-pw";

export interface MigrationCluster {
  primaries: EngineProcess[];
  empty: EngineProcess[];
  all: EngineProcess[];
  stop(): Promise<void>;
}

export interface MigrationClusterOptions {
  /** Distinct per test so a slow teardown never collides with the next test. */
  port: number;
  primaries?: number;
  emptyPrimaries?: number;
  keys: number;
  valueBytes?: number;
  extraConfig?: StartEnginesOptions["extraConfig"];
  /** Default redis. */
  engine?: EngineKind;
}

/** Engines on 127.0.1.x (this suite's range; see testing/engines.ts). */
export async function startMigrationCluster(opts: MigrationClusterOptions): Promise<MigrationCluster> {
  const primaryCount = opts.primaries ?? 3;
  const emptyCount = opts.emptyPrimaries ?? 1;
  const { engines, stop } = await startEngines({
    count: primaryCount + emptyCount, ipBase: "127.0.1", port: opts.port, password: PASSWORD, extraConfig: opts.extraConfig, engine: opts.engine,
  });
  try {
    const primaries = engines.slice(0, primaryCount);
    const empty = engines.slice(primaryCount);
    await formCluster(primaries, { primaries: primaryCount });
    await addEmptyPrimaries(primaries, empty);
    if (opts.keys > 0) await loadKeys(engines, opts.keys, opts.valueBytes ?? 100);
    return { primaries, empty, all: engines, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export function address(e: EngineProcess): EngineAddress {
  return { host: e.host, port: e.port };
}

export async function viewOf(e: EngineProcess): Promise<ClusterView> {
  const conn = e.connect();
  try {
    return clusterViewOf(String(await conn.call("CLUSTER", "NODES")));
  } finally {
    conn.disconnect();
  }
}

/** Slots `e` owns in its own view. */
export async function ownedSlots(e: EngineProcess): Promise<number[]> {
  const view = await viewOf(e);
  const out: number[] = [];
  view.owners.forEach((owner, slot) => { if (owner === view.myId) out.push(slot); });
  return out;
}

/** Every `step`-th slot of what `e` owns: spreads the keys moved over the slot range. */
export async function everyNthSlot(e: EngineProcess, step: number, limit = Infinity): Promise<number[]> {
  return (await ownedSlots(e)).filter((_, i) => i % step === 0).slice(0, limit);
}

export function clusterClient(engines: readonly EngineProcess[]): Cluster {
  const cluster = new Cluster(engines.map((e) => ({ host: e.host, port: e.port })), {
    redisOptions: { password: PASSWORD },
    // A slot move answers MOVED/ASK; the client follows them (and re-reads the slot map), as any client would.
    maxRedirections: 16,
    retryDelayOnMoved: 0,
  });
  cluster.on("error", () => { /* surfaced through failing commands */ });
  return cluster;
}

export async function readyCluster(engines: readonly EngineProcess[]): Promise<Cluster> {
  const cluster = clusterClient(engines);
  await new Promise<void>((resolve, reject) => {
    cluster.once("ready", () => resolve());
    cluster.once("end", () => reject(new Error("cluster client ended before ready")));
  });
  return cluster;
}

/** A move as a caller makes one: the request is checked first (the engine takes only checked requests). */
export function move(input: MigrateSlotsInput, opts?: MigrateOptions): Promise<MigrationResult> {
  return migrateSlots(validateMigrateSlotsRequest(input), opts);
}
