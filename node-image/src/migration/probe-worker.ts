// The probe's loop: a PING to each engine about every PROBE_INTERVAL_MS over a raw socket. It runs in
// one of two places (probe.ts chooses):
// - a thread of its own (PROBE_WORKER_SOURCE, run with `new Worker(source, { eval: true })`: the sidecar
//   ships as one esbuild bundle, where a worker file of its own would not exist). In the driver's thread
//   a round trip also held the driver's own work (scripts, auto-pipelined batches, gRPC) and its wait
//   for a core: the guard then slowed a key-by-key move for latency the engines' clients did not see;
// - the sidecar's own thread (runProbeLoop), for an atomic move, where the engines move the keys and the
//   driver only starts and polls jobs: a thread is a second V8 isolate, ≈ 14 MiB resident
//   (docs/footprint.md#the-latency-guards-probe).
// runProbeLoop is self-contained (it reads only its arguments and the globals every isolate has) so that
// its source is the worker's too.
//
// Messages to the parent:
//   { kind: "ready" }                              every engine connected (and authenticated)
//   { kind: "error", message }                     could not start (priority refused, auth refused)
//   { kind: "sample", engine, ms }                 a PING's round trip
//   { kind: "pending", ages: [{ engine, ms }] }    PINGs unanswered at a tick (a stuck engine), with their age
//   { kind: "lost", engine }                       the connection closed; no more samples from it
import type * as Net from "node:net";
import type * as Os from "node:os";
import type * as Tls from "node:tls";

export interface ProbeWorkerData {
  engines: { host: string; port: number }[];
  username: string | null;
  password: string | null;
  intervalMs: number;
  /** the probe thread's nice value (-20..19); null keeps the creating thread's */
  priority: number | null;
  /** CLIENT SETNAME of the probe's connections */
  name: string;
  /** The engines serve TLS only: their certificates' CA (PEM), checked without names as in connection.ts. */
  tlsCa: string | null;
}

export type ProbeMessage =
  | { kind: "ready" }
  | { kind: "error"; message: string }
  | { kind: "sample"; engine: number; ms: number }
  | { kind: "pending"; ages: { engine: number; ms: number }[] }
  | { kind: "lost"; engine: number };

export interface ProbeModules {
  net: typeof Net;
  tls: typeof Tls;
  os: typeof Os;
}

/**
 * Connects, then PINGs each engine until the returned function stops it. After an "error" message it
 * has stopped itself. `data.priority` renices the calling thread: only the worker passes one.
 */
export function runProbeLoop(data: ProbeWorkerData, post: (m: ProbeMessage) => void, mods: ProbeModules): () => void {
  const { engines, username, password, intervalMs, priority, name, tlsCa } = data;
  const resp = (args: string[]) => "*" + args.length + "\r\n" + args.map((a) => "$" + Buffer.byteLength(a) + "\r\n" + a + "\r\n").join("");
  const PING = resp(["PING"]);
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let ticker: ReturnType<typeof setInterval> | undefined;
  let stopped = false;
  interface Conn { socket: Net.Socket; sentAt: number | undefined; setup: number; buffered: string; lost: boolean }
  const state: Conn[] = [];

  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    if (ticker) clearInterval(ticker);
    for (const s of state) {
      s.lost = true;
      s.socket.destroy();
    }
  };
  const fail = (message: string) => {
    if (stopped) return;
    post({ kind: "error", message });
    stop();
  };

  if (priority !== null) {
    // On Linux a nice value belongs to a thread: this sets the calling thread only.
    try {
      mods.os.setPriority(priority);
    } catch (err) {
      fail("probePriority: the probe thread cannot take priority " + priority + " (" + (err as Error).message + "); run with CAP_SYS_NICE or leave probePriority unset");
      return stop;
    }
  }

  // Each engine's next PING goes at a random point of the next interval (0.5–1.5 intervals after the
  // last was answered): at a fixed phase the probes could fall, every time, into the quiet part of a
  // pace that works in 10 ms slices, and miss what the clients queue behind.
  const schedule = (s: Conn) => {
    if (s.lost) return;
    const t = setTimeout(() => {
      timers.delete(t);
      if (s.lost) return;
      s.sentAt = performance.now();
      s.socket.write(PING);
    }, intervalMs * (0.5 + Math.random()));
    timers.add(t);
  };
  const whenReady = () => {
    state.forEach(schedule);
    ticker = setInterval(() => {
      const now = performance.now();
      const ages: { engine: number; ms: number }[] = [];
      // One PING outstanding per engine: a stuck engine is not flooded; a PING older than an interval counts with its age.
      state.forEach((s, engine) => { if (!s.lost && s.sentAt !== undefined && now - s.sentAt >= intervalMs) ages.push({ engine, ms: now - s.sentAt }); });
      if (ages.length > 0) post({ kind: "pending", ages });
    }, intervalMs);
  };

  let connecting = engines.length;
  engines.forEach((addr, engine) => {
    const socket = tlsCa !== null
      ? mods.tls.connect({ host: addr.host, port: addr.port, ca: tlsCa, checkServerIdentity: () => undefined })
      : mods.net.connect({ host: addr.host, port: addr.port });
    const s: Conn = { socket, sentAt: undefined, setup: 0, buffered: "", lost: false };
    state.push(s);
    socket.setNoDelay(true);
    socket.setEncoding("latin1");
    socket.on(tlsCa !== null ? "secureConnect" : "connect", () => {
      const setup: string[] = [];
      if (password !== null) setup.push(username !== null ? resp(["AUTH", username, password]) : resp(["AUTH", password]));
      setup.push(resp(["CLIENT", "SETNAME", name]));
      s.setup = setup.length;
      socket.write(setup.join(""));
    });
    socket.on("data", (chunk: string) => {
      s.buffered += chunk;
      for (let end = s.buffered.indexOf("\r\n"); end >= 0 && !stopped; end = s.buffered.indexOf("\r\n")) {
        const line = s.buffered.slice(0, end);
        s.buffered = s.buffered.slice(end + 2);
        if (s.setup > 0) {
          if (line.startsWith("-")) return fail("probe " + addr.host + ":" + addr.port + ": " + line.slice(1));
          if (--s.setup === 0 && --connecting === 0) {
            post({ kind: "ready" });
            whenReady();
          }
        } else if (s.sentAt !== undefined) {
          post({ kind: "sample", engine, ms: performance.now() - s.sentAt });
          s.sentAt = undefined;
          schedule(s);
        }
      }
    });
    const lost = () => {
      if (s.lost) return;
      s.lost = true;
      if (s.setup > 0) return fail("probe " + addr.host + ":" + addr.port + ": connection closed before it was ready");
      post({ kind: "lost", engine });
    };
    socket.on("error", lost);
    socket.on("close", lost);
  });
  return stop;
}

// The worker's program: runProbeLoop's own source, called with the worker's data and port. The sources
// run under tsx wrap named functions in `__name(fn, "name")` (esbuild's keepNames); the bundle does not:
// the identity stands in for it either way. After an error the thread ends.
export const PROBE_WORKER_SOURCE = `"use strict";
const __name = (fn) => fn;
const { parentPort, workerData } = require("node:worker_threads");
const run = ${runProbeLoop.toString()};
run(workerData, (m) => { parentPort.postMessage(m); if (m.kind === "error") process.exit(1); },
  { net: require("node:net"), tls: require("node:tls"), os: require("node:os") });
`;
