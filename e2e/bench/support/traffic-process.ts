// Client traffic in its own process, so the benchmark's client latencies measure the engines, not the
// event loop of the process that also drives the migration (redis-cli runs in its own process too).
//
// Parent side: startTrafficProcess(); child side: this file run with fork() (messages over IPC).
import { fork, type ChildProcess } from "node:child_process";
import { setPriority } from "node:os";

/** The client's CPU priority (a nice value); the guard's probe, which stands for the same clients, gets it too. */
export const CLIENT_NICE = -10;
import { fileURLToPath } from "node:url";
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { Cluster } from "ioredis";
import { startTraffic, verifyAcknowledgedWrites, type TrafficOptions } from "../../../testing/traffic.ts";

interface StartMessage { kind: "start"; nodes: { host: string; port: number }[]; password: string; traffic: TrafficOptions }
type Request = StartMessage | { kind: "phase" } | { kind: "stop" };

export interface TrafficProcessReport {
  ops: number;
  errors: number;
  errorSamples: string[];
  readMismatches: number;
  /** acknowledged writes that no longer read back their last value */
  lostWrites: number;
  acknowledgedWrites: number;
}

type Reply =
  | { kind: "ready" }
  | { kind: "phase"; latenciesMs: number[]; slots: number[]; eventLoopDelayP99Ms: number; slotMapRefreshes: number }
  | { kind: "stopped"; report: TrafficProcessReport }
  | { kind: "error"; message: string };

export interface TrafficProcess {
  /**
   * Ends the current phase: its latencies (ms), and the p99 of the client process's own event-loop
   * delay (how late the client itself was scheduled: CPU starvation, not the engines).
   */
  nextPhase(): Promise<{ latenciesMs: number[]; slots: number[]; eventLoopDelayP99Ms: number; slotMapRefreshes: number }>;
  /** Stops the traffic, verifies every acknowledged write reads back, and ends the process. */
  stop(): Promise<TrafficProcessReport>;
}

export async function startTrafficProcess(nodes: { host: string; port: number }[], password: string, traffic: TrafficOptions): Promise<TrafficProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  // The client stands for an application on its own machine: on this shared 2-core box it gets CPU
  // before the engines and the rebalancing tool, so its p99 measures the engines, not its own queueing.
  if (child.pid !== undefined) setPriority(child.pid, CLIENT_NICE);
  const pending: ((reply: Reply) => void)[] = [];
  child.on("message", (reply: Reply) => pending.shift()?.(reply));
  child.once("exit", (code) => {
    for (const waiter of pending.splice(0)) waiter({ kind: "error", message: `traffic process exited ${code}` });
  });
  const ask = (request: Request): Promise<Reply> => new Promise((resolve) => {
    pending.push(resolve);
    child.send(request);
  });
  const expect = <K extends Reply["kind"]>(reply: Reply, kind: K): Extract<Reply, { kind: K }> => {
    if (reply.kind === "error") throw new Error(`traffic process: ${reply.message}`);
    if (reply.kind !== kind) throw new Error(`traffic process answered ${reply.kind}, expected ${kind}`);
    return reply as Extract<Reply, { kind: K }>;
  };
  expect(await ask({ kind: "start", nodes, password, traffic }), "ready");
  return {
    async nextPhase() {
      const { latenciesMs, slots, eventLoopDelayP99Ms, slotMapRefreshes } = expect(await ask({ kind: "phase" }), "phase");
      return { latenciesMs, slots, eventLoopDelayP99Ms, slotMapRefreshes };
    },
    async stop() {
      const { report } = expect(await ask({ kind: "stop" }), "stopped");
      await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())));
      return report;
    },
  };
}

// ----------------------------------------------------------------------------------------------------
// child side

async function serve(): Promise<void> {
  let cluster: Cluster | undefined;
  let traffic: ReturnType<typeof startTraffic> | undefined;
  let loopDelay: IntervalHistogram | undefined;
  let refreshes = 0;
  const reply = (message: Reply): void => { process.send?.(message); };
  // Every operation of the traffic has its own handler; an unhandled rejection comes from the client's
  // internals (e.g. a pooled connection dropped while it refreshes the slot map) and is no failed op.
  process.on("unhandledRejection", (reason) => {
    process.stderr.write(`[traffic] client-internal rejection (not an op): ${reason instanceof Error ? reason.message : String(reason)}\n`);
  });
  // The benchmark is gone (or done): never outlive it.
  process.once("disconnect", () => process.exit(0));
  process.on("message", (request: Request) => {
    void (async () => {
      try {
        if (request.kind === "start") {
          const client = new Cluster(request.nodes, { redisOptions: { password: request.password }, maxRedirections: 16, retryDelayOnMoved: 0 });
          cluster = client;
          client.on("error", () => { /* counted through failing commands */ });
          // ioredis reloads the whole slot map (CLUSTER SLOTS on a fresh connection) after every MOVED.
          client.on("refresh", () => { refreshes++; });
          await new Promise<void>((resolve, reject) => {
            client.once("ready", () => resolve());
            client.once("end", () => reject(new Error("cluster client ended before ready")));
          });
          traffic = startTraffic(client, request.traffic);
          loopDelay = monitorEventLoopDelay({ resolution: 1 });
          loopDelay.enable();
          reply({ kind: "ready" });
        } else if (request.kind === "phase") {
          const eventLoopDelayP99Ms = (loopDelay?.percentile(99) ?? 0) / 1e6;
          loopDelay?.reset();
          const latenciesMs = traffic?.nextPhase() ?? [];
          reply({ kind: "phase", latenciesMs, slots: traffic?.lastPhaseSlots() ?? [], eventLoopDelayP99Ms, slotMapRefreshes: refreshes });
          refreshes = 0;
        } else {
          const report = await traffic!.stop();
          const lost = await verifyAcknowledgedWrites(cluster!, report.acknowledged);
          reply({ kind: "stopped", report: {
            ops: report.ops, errors: report.errors, errorSamples: report.errorSamples, readMismatches: report.readMismatches,
            lostWrites: lost.length, acknowledgedWrites: report.acknowledged.size,
          } });
          cluster?.disconnect();
          process.disconnect?.();
        }
      } catch (err) {
        reply({ kind: "error", message: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) void serve();
