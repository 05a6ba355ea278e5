// The probe's one option checked at the edge (the nice value of its thread, named when it is not one),
// and its loop on loopback, in this thread and as the worker's program.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import * as os from "node:os";
import * as tls from "node:tls";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { build } from "esbuild";
import { waitFor } from "../../../common/wait.ts";
import { checkProbePriority } from "../../src/migration/probe.ts";
import { SIDECAR_BUILD } from "../../build/bundle.ts";
import { PROBE_WORKER_SOURCE, runProbeLoop, type ProbeMessage, type ProbeWorkerData } from "../../src/migration/probe-worker.ts";

test("probePriority: unset keeps the caller's; an integer -20..19 is taken", () => {
  assert.equal(checkProbePriority(undefined), undefined);
  assert.equal(checkProbePriority(-10), -10);
  assert.equal(checkProbePriority(19), 19);
});

test("probePriority: anything else is refused naming the option and the range", () => {
  for (const bad of [-21, 20, 1.5, "5", Number.NaN]) {
    assert.throws(() => checkProbePriority(bad), /^RangeError: probePriority: expected an integer -20\.\.19 \(a nice value, lower runs first\), got /);
  }
});

// The loop against a loopback server that answers like an engine: +OK to AUTH and CLIENT SETNAME, +PONG to PING.
async function fakeEngine(reply: (command: string) => string): Promise<{ port: number; close(): void }> {
  const server = net.createServer((socket) => {
    socket.on("error", () => undefined); // a stopped probe or an ended worker thread resets its connection
    let buffered = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      // Each command is an array of bulk strings; its name is the first bulk string.
      for (let m = /^\*(\d+)\r\n\$\d+\r\n([^\r]*)\r\n/.exec(buffered); m; m = /^\*(\d+)\r\n\$\d+\r\n([^\r]*)\r\n/.exec(buffered)) {
        let rest = buffered.slice(m[0].length);
        for (let i = 1; i < Number(m[1]); i++) rest = rest.replace(/^\$\d+\r\n[^\r]*\r\n/, "");
        buffered = rest;
        socket.write(reply(m[2]));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

const probeData = (port: number): ProbeWorkerData => ({
  engines: [{ host: "127.0.0.1", port }], username: null, password: "pw", intervalMs: 5, priority: null, name: "test-probe", tlsCa: null,
});

test("the probe loop, in this thread: ready after AUTH and SETNAME, then a round trip per PING until stopped", async () => {
  const engine = await fakeEngine((c) => (c === "PING" ? "+PONG\r\n" : "+OK\r\n"));
  const seen: ProbeMessage[] = [];
  const stop = runProbeLoop(probeData(engine.port), (m) => seen.push(m), { net, tls, os });
  await waitFor(() => seen.filter((m) => m.kind === "sample").length >= 3, { what: "3 samples", timeoutMs: 5000, intervalMs: 10 });
  stop();
  engine.close();
  assert.deepEqual(seen[0], { kind: "ready" });
  for (const m of seen.slice(1)) assert.ok(m.kind === "sample" && m.engine === 0 && m.ms >= 0 && m.ms < 1000, JSON.stringify(m));
});

test("the probe loop reports a refused AUTH as an error and stops", async () => {
  const engine = await fakeEngine((c) => (c === "AUTH" ? "-WRONGPASS invalid password\r\n" : "+OK\r\n"));
  const seen: ProbeMessage[] = [];
  runProbeLoop(probeData(engine.port), (m) => seen.push(m), { net, tls, os });
  await waitFor(() => seen.length > 0, { what: "a message", timeoutMs: 5000, intervalMs: 10 });
  engine.close();
  assert.equal(seen.length, 1);
  assert.match(seen[0].kind === "error" ? seen[0].message : "", /^probe 127\.0\.0\.1:\d+: WRONGPASS invalid password$/);
});

async function samplesFromWorker(source: string): Promise<void> {
  const engine = await fakeEngine((c) => (c === "PING" ? "+PONG\r\n" : "+OK\r\n"));
  const worker = new Worker(source, { eval: true, workerData: probeData(engine.port) });
  const seen: ProbeMessage[] = [];
  worker.on("message", (m: ProbeMessage) => seen.push(m));
  try {
    await waitFor(() => seen.filter((m) => m.kind === "sample").length >= 3, { what: "3 samples from the worker", timeoutMs: 10_000, intervalMs: 10 });
    assert.deepEqual(seen[0], { kind: "ready" });
  } finally {
    await worker.terminate();
    engine.close();
  }
}

test("the probe's worker program is the same loop: it runs in a worker thread and samples", () => samplesFromWorker(PROBE_WORKER_SOURCE));

test("the worker program as the image's bundle compiles it (minified, node-image/build/bundle.ts) runs and samples", async () => {
  const out = await build({ ...SIDECAR_BUILD, entryPoints: ["node-image/src/migration/probe-worker.ts"], write: false, outfile: "probe-worker.mjs" });
  const dir = mkdtempSync(join(tmpdir(), "mdb-probe-bundle-"));
  try {
    writeFileSync(join(dir, "probe-worker.mjs"), out.outputFiles[0].text);
    const bundled = (await import(pathToFileURL(join(dir, "probe-worker.mjs")).href)) as { PROBE_WORKER_SOURCE: string };
    assert.notEqual(bundled.PROBE_WORKER_SOURCE, PROBE_WORKER_SOURCE, "the bundle compiled the loop anew");
    await samplesFromWorker(bundled.PROBE_WORKER_SOURCE);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
