// Real engine processes (redis-server or valkey-server: engine-binaries.ts) for integration tests and benchmarks.
//
// Each engine binds its own loopback address (Linux routes all of 127.0.0.0/8 to lo), so every engine
// uses the same port and the cluster looks like one engine per pod. Address ranges, so suites that run
// at the same time never collide:
//   127.0.1.x, 127.0.2.x   migration integration tests (node-image/test/migration)
//   127.0.3.x – 127.0.8.x  sidecar integration tests (node-image/test/sidecar)
//   127.0.9.x – 127.0.15.x benchmark (e2e/bench/migration.ts)
//   127.0.16.x             engines serving TLS (node-image/test/sidecar/engine-tls.integration.ts)
// The harness tracks the PIDs it spawns and kills exactly those (also on process exit).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { waitFor } from "../common/wait.ts";
import { engineBinary, type EngineKind } from "./engine-binaries.ts";

export { waitFor, type WaitForOptions } from "../common/wait.ts";
export {
  formCluster, redisCliClusterCheck, keyspaceChecksum, loadKeys, valueForKey, keyForIndex, keySlot,
  clusterNodeId, waitForClusterConsistent, addEmptyPrimaries, expectedChecksum, SLOT_COUNT, type FormClusterOptions, type KeyspaceChecksum,
  type ClusterCheckResult, type LoadKeysOptions,
} from "./cluster.ts";

export { engineBinary, testEngines, ENGINE_KINDS, type EngineKind } from "./engine-binaries.ts";

export interface StartEnginesOptions {
  count: number;
  /** Which engine runs (default redis). */
  engine?: EngineKind;
  /** First three octets, e.g. "127.0.3": engine i binds `${ipBase}.${i + 1}`. */
  ipBase: string;
  /** Same port on every engine (default 6379); the cluster bus is port + 10000. */
  port?: number;
  password?: string;
  clusterEnabled?: boolean;
  /** cluster-node-timeout in ms (default 5000). */
  nodeTimeoutMs?: number;
  /** e.g. "256mb". */
  maxmemory?: string;
  /** Further redis.conf directives, e.g. { appendonly: "yes", appendfsync: "always" }. */
  extraConfig?: Record<string, string | number>;
  /** Where the engines' temp dirs go (default os.tmpdir()); e.g. "/dev/shm" to take disk fsyncs out of a benchmark. */
  baseDir?: string;
  /** Keep the temp dirs after stop() (for debugging a failed test). */
  keepDirs?: boolean;
  /** TLS only on the port, for clients, replication and the bus, as the member pods' with spec.tls.enabled (caPem: the CA's text, for this module's clients). */
  tls?: { caFile: string; certFile: string; keyFile: string; caPem: string };
}

export interface EngineProcess {
  readonly host: string;
  readonly port: number;
  readonly engine: EngineKind;
  /** PID of the running engine; changes after restart(). 0 while stopped. */
  readonly pid: number;
  /** Directory holding redis.conf, nodes.conf, the log and any persistence files. */
  readonly dir: string;
  readonly password?: string;
  /** Sends `signal` to this engine's process and waits until it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the engine again with the same config and dir (nodes.conf keeps its node id). */
  restart(): Promise<void>;
  /** A fresh ioredis connection to this engine (the caller disconnects it). */
  connect(): Redis;
  /** Last lines of the engine log, for failure messages. */
  logTail(lines?: number): string;
}

export interface Engines {
  engines: EngineProcess[];
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test crashes: kill exactly the processes this module spawned.
  const killAll = (): void => {
    for (const child of running) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try { process.kill(child.pid, "SIGKILL"); } catch { /* already gone */ }
      }
    }
  };
  process.on("exit", killAll);
  // On SIGINT/SIGTERM node exits without running "exit" handlers: clean up, then die of the signal.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

function renderConfig(host: string, port: number, dir: string, opts: StartEnginesOptions): string {
  const lines: [string, string | number][] = [
    ["bind", host],
    ...(opts.tls ? [
      ["port", 0], ["tls-port", port], ["tls-cert-file", quote(opts.tls.certFile)], ["tls-key-file", quote(opts.tls.keyFile)],
      ["tls-ca-cert-file", quote(opts.tls.caFile)], ["tls-cluster", "yes"], ["tls-replication", "yes"], ["tls-auth-clients", "no"],
    ] as [string, string | number][] : [["port", port] as [string, number]]),
    ["dir", dir],
    ["logfile", join(dir, "redis.log")],
    ["pidfile", join(dir, "redis.pid")],
    ["daemonize", "no"],
    ["protected-mode", "no"],
    ["save", '""'],
    ["appendonly", "no"],
    ["loglevel", "notice"],
    // Replicas of test clusters sync at once instead of waiting for more replicas to join.
    ["repl-diskless-sync-delay", 0],
  ];
  if (opts.clusterEnabled ?? true) {
    lines.push(
      ["cluster-enabled", "yes"],
      ["cluster-config-file", join(dir, "nodes.conf")],
      ["cluster-node-timeout", opts.nodeTimeoutMs ?? 5000],
      ["cluster-announce-ip", host],
      // As the member pods' config: a primary that gives away its last slot stays a primary.
      ["cluster-allow-replica-migration", "no"],
    );
  }
  if (opts.password) {
    lines.push(["requirepass", quote(opts.password)], ["masterauth", quote(opts.password)]);
  }
  if (opts.maxmemory) lines.push(["maxmemory", opts.maxmemory]);
  for (const [key, value] of Object.entries(opts.extraConfig ?? {})) lines.push([key, value]);
  return lines.map(([k, v]) => `${k} ${v}`).join("\n") + "\n";
}

function quote(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

class LocalEngine implements EngineProcess {
  private child: ChildProcess | undefined;
  readonly configPath: string;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly dir: string,
    readonly password: string | undefined,
    readonly engine: EngineKind,
    private readonly binary: string,
    /** ioredis' tls option when the engine serves TLS only. */
    private readonly tls?: { ca: string; checkServerIdentity: () => undefined },
  ) {
    this.configPath = join(dir, "redis.conf");
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  async start(): Promise<void> {
    const child = spawn(this.binary, [this.configPath], { stdio: "ignore" });
    this.child = child;
    running.add(child);
    let exited: string | undefined;
    child.once("exit", (code, signal) => {
      running.delete(child);
      exited = `exit ${code ?? signal}`;
    });
    child.once("error", (err) => { exited = `spawn error: ${err.message}`; });
    await waitFor(async () => {
      if (exited) throw new Error(`${this.engine}-server ${this.host}:${this.port} stopped (${exited}); log:\n${this.logTail()}`);
      const probe = new Redis({
        host: this.host, port: this.port, password: this.password, lazyConnect: true, ...(this.tls ? { tls: this.tls } : {}),
        retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 1000,
      });
      probe.on("error", () => { /* reported through the rejected ping */ });
      try {
        await probe.connect();
        // Make sure the engine answering is the one just spawned, not a leftover on the same address.
        const info = String(await probe.info("server"));
        const pid = /process_id:(\d+)/.exec(info)?.[1];
        if (pid !== String(child.pid)) {
          throw new Error(`${this.host}:${this.port} is answered by another engine (pid ${pid}), not ours (pid ${child.pid}); stop it or pick another address`);
        }
        return true;
      } finally {
        probe.disconnect();
      }
    }, { timeoutMs: 15_000, intervalMs: 30, what: `${this.engine}-server on ${this.host}:${this.port} to answer PING` });
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    await gone;
  }

  async restart(): Promise<void> {
    await this.kill("SIGKILL");
    await this.start();
  }

  connect(): Redis {
    const client = new Redis({ host: this.host, port: this.port, password: this.password, maxRetriesPerRequest: 1, ...(this.tls ? { tls: this.tls } : {}) });
    client.on("error", () => { /* surfaced through the failing command */ });
    return client;
  }

  logTail(lines = 20): string {
    const path = join(this.dir, "redis.log");
    if (!existsSync(path)) return "(no log)";
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  }
}

export async function startEngines(opts: StartEnginesOptions): Promise<Engines> {
  if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > 250) {
    throw new Error(`startEngines: count must be an integer 1..250, got ${opts.count}`);
  }
  if (!/^127\.\d{1,3}\.\d{1,3}$/.test(opts.ipBase)) {
    throw new Error(`startEngines: ipBase must be three loopback octets like "127.0.3", got "${opts.ipBase}"`);
  }
  const engine = opts.engine ?? "redis";
  const binary = engineBinary(engine);
  installExitHook();
  const port = opts.port ?? 6379;
  const engines: LocalEngine[] = [];
  for (let i = 0; i < opts.count; i++) {
    const host = `${opts.ipBase}.${i + 1}`;
    const dir = mkdtempSync(join(opts.baseDir ?? tmpdir(), `mdb-engine-${host}-`));
    writeFileSync(join(dir, "redis.conf"), renderConfig(host, port, dir, opts));
    const tls = opts.tls ? { ca: opts.tls.caPem, checkServerIdentity: () => undefined } : undefined;
    engines.push(new LocalEngine(host, port, dir, opts.password, engine, binary, tls));
  }
  const stop = async (): Promise<void> => {
    await Promise.all(engines.map((e) => e.kill("SIGKILL")));
    if (!opts.keepDirs) for (const e of engines) rmSync(e.dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(engines.map((e) => e.start()));
  } catch (err) {
    await stop();
    throw err;
  }
  return { engines, stop };
}
