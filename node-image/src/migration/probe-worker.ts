// The probe's own thread: a PING to each engine about every PROBE_INTERVAL_MS over a raw socket, timed in a
// thread that does nothing else. In the driver's thread a round trip also held the driver's own work
// (scripts, auto-pipelined batches, gRPC) and its wait for a core: the guard then slowed the move for
// latency the engines' clients did not see.
//
// The source is plain JavaScript run with `new Worker(source, { eval: true })`: the sidecar ships as one
// esbuild bundle, where a worker file of its own would not exist; the probe needs only node:net.
//
// Messages to the parent:
//   { kind: "ready" }                              every engine connected (and authenticated)
//   { kind: "error", message }                     could not start (priority refused, auth refused)
//   { kind: "sample", engine, ms }                 a PING's round trip
//   { kind: "pending", ages: [{ engine, ms }] }    PINGs unanswered at a tick (a stuck engine), with their age
//   { kind: "lost", engine }                       the connection closed; no more samples from it
// workerData: { engines: [{ host, port }], username, password, intervalMs, priority (a nice value or null), name,
//               tlsCa (the CA's PEM when the engines serve TLS only, else null) }

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

export const PROBE_WORKER_SOURCE = String.raw`
"use strict";
const net = require("node:net");
const tls = require("node:tls");
const os = require("node:os");
const { parentPort, workerData } = require("node:worker_threads");
const { engines, username, password, intervalMs, priority, name, tlsCa } = workerData;

const resp = (args) => "*" + args.length + "\r\n" + args.map((a) => "$" + Buffer.byteLength(a) + "\r\n" + a + "\r\n").join("");
const PING = resp(["PING"]);

function fail(message) {
  parentPort.postMessage({ kind: "error", message });
  process.exit(1);
}

if (priority !== null) {
  // On Linux a nice value belongs to a thread: this sets the probe's thread only.
  try { os.setPriority(priority); } catch (err) { fail("probePriority: the probe thread cannot take priority " + priority + " (" + err.message + "); run with CAP_SYS_NICE or leave probePriority unset"); }
}

let connecting = engines.length;
const state = engines.map((addr, engine) => {
  const socket = tlsCa !== null
    ? tls.connect({ host: addr.host, port: addr.port, ca: tlsCa, checkServerIdentity: () => undefined })
    : net.connect({ host: addr.host, port: addr.port });
  const s = { socket, sentAt: undefined, setup: 0, buffered: "", lost: false };
  s.socket.setNoDelay(true);
  s.socket.setEncoding("latin1");
  s.socket.on(tlsCa !== null ? "secureConnect" : "connect", () => {
    const setup = [];
    if (password !== null) setup.push(username !== null ? resp(["AUTH", username, password]) : resp(["AUTH", password]));
    setup.push(resp(["CLIENT", "SETNAME", name]));
    s.setup = setup.length;
    s.socket.write(setup.join(""));
  });
  s.socket.on("data", (chunk) => {
    s.buffered += chunk;
    for (let end = s.buffered.indexOf("\r\n"); end >= 0; end = s.buffered.indexOf("\r\n")) {
      const line = s.buffered.slice(0, end);
      s.buffered = s.buffered.slice(end + 2);
      if (s.setup > 0) {
        if (line.startsWith("-")) fail("probe " + addr.host + ":" + addr.port + ": " + line.slice(1));
        if (--s.setup === 0 && --connecting === 0) {
          parentPort.postMessage({ kind: "ready" });
          whenReady();
        }
      } else if (s.sentAt !== undefined) {
        parentPort.postMessage({ kind: "sample", engine, ms: performance.now() - s.sentAt });
        s.sentAt = undefined;
        schedule(s);
      }
    }
  });
  const lost = () => {
    if (s.lost) return;
    s.lost = true;
    if (s.setup > 0) fail("probe " + addr.host + ":" + addr.port + ": connection closed before it was ready");
    parentPort.postMessage({ kind: "lost", engine });
  };
  s.socket.on("error", lost);
  s.socket.on("close", lost);
  return s;
});

// Each engine's next PING goes at a random point of the next interval (0.5–1.5 intervals after the
// last was answered): at a fixed phase the probes could fall, every time, into the quiet part of a
// pace that works in 10 ms slices, and miss what the clients queue behind.
function schedule(s) {
  if (s.lost) return;
  setTimeout(() => {
    if (s.lost) return;
    s.sentAt = performance.now();
    s.socket.write(PING);
  }, intervalMs * (0.5 + Math.random()));
}

function whenReady() {
  state.forEach(schedule);
  setInterval(() => {
    const now = performance.now();
    const ages = [];
    // One PING outstanding per engine: a stuck engine is not flooded; a PING older than an interval counts with its age.
    state.forEach((s, engine) => { if (!s.lost && s.sentAt !== undefined && now - s.sentAt >= intervalMs) ages.push({ engine, ms: now - s.sentAt }); });
    if (ages.length > 0) parentPort.postMessage({ kind: "pending", ages });
  }, intervalMs);
}
`;
