// Security and the engine entrypoint, on real processes (127.0.5.x):
//  - the sidecar with mTLS only: a client needs a certificate from the sidecar's CA;
//  - `mdb-sidecar render-config` writes a redis.conf that a real redis-server runs with (cluster mode,
//    password required, announce hostname).
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "node:net";
import { Redis } from "ioredis";
import { startEngines, waitFor, type Engines } from "../../../testing/engines.ts";
import { SidecarProcess, assertRefused } from "./sidecar-process.ts";
import type { GrpcSidecarClient } from "../../../operator/src/sidecar/grpc-client.ts";
import { OPERATOR_CLIENT_CN } from "../../../common/member-env.ts";

const PASSWORD = "security-it-password-0123456789";
const mainPath = fileURLToPath(new URL("../../src/sidecar/main.ts", import.meta.url));

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: "pipe" });
}

/** A CA, a server certificate for `ip`, and a client certificate named as the operator's, all in `dir`. */
function makePki(dir: string, name: string, ip: string): void {
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${name}-ca`, "-keyout", `${name}-ca.key`, "-out", `${name}-ca.crt`], dir);
  for (const [who, ext] of [["server", `subjectAltName=IP:${ip}`], ["client", "extendedKeyUsage=clientAuth"]] as const) {
    // The client is named as the operator's certificate is: a sidecar serves no other (OPERATOR_CLIENT_CN).
    openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${who === "client" ? OPERATOR_CLIENT_CN : `${name}-${who}`}`, "-keyout", `${name}-${who}.key`, "-out", `${name}-${who}.csr`], dir);
    writeFileSync(join(dir, `${name}-${who}.ext`), `${ext}\n`);
    openssl(["x509", "-req", "-in", `${name}-${who}.csr`, "-CA", `${name}-ca.crt`, "-CAkey", `${name}-ca.key`, "-CAcreateserial", "-days", "1", "-extfile", `${name}-${who}.ext`, "-out", `${name}-${who}.crt`], dir);
  }
}

describe("sidecar API with mTLS", { timeout: 120_000 }, () => {
  let engines: Engines;
  let sidecar: SidecarProcess;
  let pki: string;
  const read = (f: string) => readFileSync(join(pki, f));

  before(async () => {
    pki = mkdtempSync(join(tmpdir(), "mdb-pki-"));
    makePki(pki, "good", "127.0.5.1");
    makePki(pki, "rogue", "127.0.5.1");
    engines = await startEngines({ count: 1, ipBase: "127.0.5", password: PASSWORD });
    sidecar = new SidecarProcess({
      engine: engines.engines[0], password: PASSWORD,
      tls: { caFile: join(pki, "good-ca.crt"), certFile: join(pki, "good-server.crt"), keyFile: join(pki, "good-server.key") },
    });
    await sidecar.start();
  });

  after(async () => {
    await sidecar?.stop();
    await engines?.stop();
    rmSync(pki, { recursive: true, force: true });
  });

  const client = (certFrom: "good" | "rogue" | "none"): GrpcSidecarClient => sidecar.client({
    bearerToken: undefined,
    tls: {
      caPem: read("good-ca.crt"),
      certPem: certFrom === "none" ? undefined : read(`${certFrom}-client.crt`),
      keyPem: certFrom === "none" ? undefined : read(`${certFrom}-client.key`),
    },
    callTimeoutMs: 5000,
  });

  const refused = (c: GrpcSidecarClient, label: string) => assertRefused(c, label, ["UNAVAILABLE", "UNAUTHENTICATED"]);

  test("a client with a certificate from the sidecar's CA is served", async () => {
    const c = client("good");
    try {
      const s = await waitFor(async () => { const x = await c.status(); return x.engineUp ? x : undefined; }, { timeoutMs: 20_000, what: "status over mTLS" });
      assert.equal(s.state, "ONLINE");
    } finally {
      c.close();
    }
  });

  test("clients without a certificate, with one from another CA, or in plaintext are refused; the sidecar keeps serving", async () => {
    await refused(client("none"), "no client certificate");
    await refused(client("rogue"), "certificate from another CA");
    await refused(sidecar.client({ bearerToken: undefined, tls: undefined, callTimeoutMs: 5000 }), "plaintext");
    const c = client("good");
    try {
      assert.equal((await c.status()).state, "ONLINE");
    } finally {
      c.close();
    }
  });
});

/** One inline command on a fresh, unauthenticated connection; returns the first reply line. */
function rawCommand(host: string, port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => socket.write(command));
    socket.setTimeout(3000, () => socket.destroy(new Error("no reply")));
    socket.once("data", (d) => { resolve(d.toString().split("\r\n")[0]); socket.end(); });
    socket.once("error", reject);
  });
}

describe("mdb-sidecar render-config runs a real engine", { timeout: 60_000 }, () => {
  let dir: string;
  let engine: ChildProcess | undefined;

  before(() => { dir = mkdtempSync(join(tmpdir(), "mdb-render-")); });
  after(async () => {
    if (engine && engine.exitCode === null && engine.signalCode === null) {
      const gone = new Promise((r) => engine!.once("exit", r));
      engine.kill("SIGKILL");
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test("cluster mode, password required, announced hostname, config file private", async () => {
    writeFileSync(join(dir, "password"), `${PASSWORD}\n`);
    const conf = join(dir, "tmp", "redis.conf");
    const env = {
      PATH: process.env.PATH ?? "", MDB_POD_IP: "127.0.5.2", MDB_ENGINE_PORT: "6379", MDB_ANNOUNCE_HOSTNAME: "m-2.mdb-demo.ns.svc",
      MDB_NODE_TIMEOUT_MS: "4000", MDB_MAXMEMORY: "64mb", MDB_PASSWORD_FILE: join(dir, "password"), MDB_DATA_DIR: dir, MDB_APPENDONLY: "no",
    };
    const rendered = spawnSync(process.execPath, ["--import", "tsx", mainPath, "render-config", "--out", conf], { env, encoding: "utf8" });
    assert.equal(rendered.status, 0, rendered.stderr);
    assert.equal(statSync(conf).mode & 0o777, 0o600);
    const bad = spawnSync(process.execPath, ["--import", "tsx", mainPath, "render-config", "--out", conf], { env: { ...env, MDB_NODE_TIMEOUT_MS: "soon" }, encoding: "utf8" });
    assert.notEqual(bad.status, 0);
    const refusal = JSON.parse(bad.stderr.trim().split("\n").at(-1)!) as { level: string; message: string };
    assert.equal(refusal.level, "error", bad.stderr);
    assert.match(refusal.message, /MDB_NODE_TIMEOUT_MS: "soon" must be an integer number of milliseconds/);

    engine = spawn("redis-server", [conf], { stdio: "ignore" });
    const authed = new Redis({ host: "127.0.5.2", port: 6379, password: PASSWORD, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    authed.on("error", () => undefined);
    try {
      await waitFor(async () => { if (authed.status !== "ready") await authed.connect(); return (await authed.ping()) === "PONG"; }, { timeoutMs: 15_000, what: "the rendered engine to answer" });
      assert.match(await rawCommand("127.0.5.2", 6379, "GET x\r\n"), /^-NOAUTH/);
      assert.match(String(await authed.call("INFO", "cluster")), /cluster_enabled:1/);
      assert.deepEqual(await authed.call("CONFIG", "GET", "cluster-announce-hostname"), ["cluster-announce-hostname", "m-2.mdb-demo.ns.svc"]);
      assert.deepEqual(await authed.call("CONFIG", "GET", "cluster-node-timeout"), ["cluster-node-timeout", "4000"]);
      assert.deepEqual(await authed.call("CONFIG", "GET", "maxmemory"), ["maxmemory", String(64 * 1024 * 1024)]);
      assert.deepEqual(await authed.call("CONFIG", "GET", "masterauth"), ["masterauth", PASSWORD]);
    } finally {
      authed.disconnect();
    }
  });
});
