// The latency guard's probe: a PING to each engine every 10 ms on a connection of its own. The PING
// queues behind whatever the engine runs (a MIGRATE, a script) and waits for a core like any client,
// so its round trip is the latency an application sees from this host. The PINGs are sent and timed
// by probe-worker.ts's loop: in a thread of its own for a key-by-key move, so the driver's own work
// does not count as the engines'; in the sidecar's thread for an atomic move, whose driver only starts
// and polls the engines' jobs (docs/footprint.md#the-latency-guards-probe).
import * as net from "node:net";
import * as os from "node:os";
import * as tls from "node:tls";
import { Worker } from "node:worker_threads";
import type { Clock } from "../../../common/clock.ts";
import { sleep } from "../../../common/wait.ts";
import { MigrationPreconditionError } from "./connection.ts";
import { PROBE_INTERVAL_MS } from "./guard.ts";
import { PROBE_WORKER_SOURCE, runProbeLoop, type ProbeMessage, type ProbeWorkerData } from "./probe-worker.ts";
import type { EngineAddress, EngineTls } from "./request.ts";

/** Probes before the baseline counts: measured here, a new probe thread's first PINGs took up to 3.4 ms against 0.2–0.6 ms after. */
const PROBE_WARMUP_MS = 100;

export interface ProbeOptions {
  username: string | undefined;
  password: string | undefined;
  /** The probe thread's nice value; undefined keeps the caller's (checked by checkProbePriority). */
  priority: number | undefined;
  /** The engines serve TLS only. */
  tls?: EngineTls;
  /**
   * Probe from the caller's thread instead of a thread of its own: for an atomic move, whose driver
   * does little JavaScript. Ignored with a priority, which needs a thread of its own.
   */
  inline?: boolean;
}

/** A nice value for the probe's thread, as os.setPriority takes it; names the option when it is not one. */
export function checkProbePriority(priority: unknown): number | undefined {
  if (priority === undefined) return undefined;
  if (typeof priority !== "number" || !Number.isInteger(priority) || priority < -20 || priority > 19) {
    throw new RangeError(`probePriority: expected an integer -20..19 (a nice value, lower runs first), got ${typeof priority} ${String(priority)}; leave it unset to keep the caller's priority`);
  }
  return priority;
}

export class LatencyProbe {
  /** Ends the probe: the worker terminated, or the inline loop stopped. */
  private readonly end: () => void;
  private readonly ready: Promise<void>;
  /** Whether the PINGs go from this thread (ProbeOptions.inline). */
  readonly inline: boolean;
  /** Per engine: since when (this clock) its PING has been unanswered, as the probe thread last reported. */
  private readonly pendingSince: (number | undefined)[];
  private onSample: (atMs: number, ms: number) => void = () => undefined;

  constructor(engines: readonly EngineAddress[], private readonly clock: Clock, opts: ProbeOptions) {
    this.pendingSince = engines.map(() => undefined);
    const workerData: ProbeWorkerData = {
      engines: engines.map(({ host, port }) => ({ host, port })), username: opts.username ?? null, password: opts.password ?? null,
      intervalMs: PROBE_INTERVAL_MS, priority: opts.priority ?? null, name: "mdb-migration-probe", tlsCa: opts.tls?.ca ?? null,
    };
    this.inline = Boolean(opts.inline) && workerData.priority === null;
    let settle: { resolve(): void; reject(err: Error): void } | undefined;
    this.ready = new Promise((resolve, reject) => { settle = { resolve, reject }; });
    const onMessage = (m: ProbeMessage) => {
      if (m.kind === "ready") settle?.resolve();
      else if (m.kind === "error") settle?.reject(new MigrationPreconditionError(m.message));
      else this.receive(m);
    };
    if (this.inline) {
      this.end = runProbeLoop(workerData, onMessage, { net, tls, os });
    } else {
      const worker = new Worker(PROBE_WORKER_SOURCE, { eval: true, workerData });
      worker.unref();
      worker.on("message", onMessage);
      worker.once("error", (err) => settle?.reject(err));
      worker.once("exit", (code) => settle?.reject(new MigrationPreconditionError(`the probe thread exited (${code}) before it was ready`)));
      this.end = () => void worker.terminate();
    }
    this.ready.catch(() => undefined); // reported to whoever awaits it (sample())
  }

  /** Starts handing samples to `onSample` (each with this clock's time of arrival). */
  start(onSample: (atMs: number, ms: number) => void): void {
    this.onSample = onSample;
  }

  stop(): void {
    this.onSample = () => undefined;
  }

  close(): void {
    this.stop();
    this.end();
  }

  /** Ages of the PINGs still unanswered now. */
  pendingAges(): number[] {
    const now = this.clock.monotonicMs();
    return this.pendingSince.filter((t): t is number => t !== undefined).map((t) => now - t);
  }

  /** Probes for `durationMs` once every engine answers, and returns every round trip seen (the idle baseline before a move). */
  async sample(durationMs: number): Promise<number[]> {
    await this.ready;
    // The first PINGs of a fresh thread include its own start-up (code compiled on first use).
    await sleep(PROBE_WARMUP_MS);
    const seen: number[] = [];
    this.start((_, ms) => seen.push(ms));
    await sleep(durationMs);
    this.stop();
    return seen;
  }

  private receive(m: Exclude<ProbeMessage, { kind: "ready" | "error" }>): void {
    const now = this.clock.monotonicMs();
    if (m.kind === "sample") {
      this.pendingSince[m.engine] = undefined;
      this.onSample(now, m.ms);
    } else if (m.kind === "pending") {
      for (const { engine, ms } of m.ages) this.pendingSince[engine] = now - ms;
    } else {
      this.pendingSince[m.engine] = undefined;
    }
  }
}
