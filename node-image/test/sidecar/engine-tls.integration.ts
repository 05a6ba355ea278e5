// Engines that serve TLS only (spec.tls.enabled; docs/usage.md#tls), with certificates the operator issues
// (operator/src/executor/pki.ts), on 127.0.16.x: a plaintext client and one trusting another CA are
// refused; the sidecar reaches its engine over TLS; a move runs its connections and its guard's probe
// over TLS, and the engines' bus, replication and MIGRATE too; a renewed certificate is served without
// a restart. Redis 7.0 (Debian's build has TLS; the pinned valkey-server has none: docs/engines.md).
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { Redis } from "ioredis";
import { keySlot, startEngines, waitFor, type EngineProcess, type Engines } from "../../../testing/engines.ts";
import { SidecarProcess } from "./sidecar-process.ts";
import type { GrpcSidecarClient } from "../../../operator/src/sidecar/grpc-client.ts";
import { createCa, issueLeaf, type IssuingCa } from "../../../operator/src/executor/pki.ts";
import { memberDnsNames } from "../../../operator/src/resources/names.ts";
import type { KeyPairPem } from "../../../operator/src/resources/tls-secrets.ts";

const PASSWORD = "engine-tls-it-password-0123456789";
const DAY = 24 * 3600_000;

describe("engines serving TLS only, reached by the sidecar over TLS", { timeout: 180_000 }, () => {
  let dir: string;
  let ca: IssuingCa;
  let operator: KeyPairPem;
  let engines: Engines;
  let e: EngineProcess[];
  let sidecars: SidecarProcess[] = [];
  const files = () => ({ caFile: join(dir, "ca.crt"), certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key") });

  /** As the kubelet updates a Secret volume: each file replaced whole. */
  function writeTls(leaf: KeyPairPem): void {
    for (const [file, text] of [["ca.crt", ca.certPem], ["tls.crt", leaf.certPem], ["tls.key", leaf.keyPem]]) {
      writeFileSync(join(dir, `${file}.tmp`), text);
      renameSync(join(dir, `${file}.tmp`), join(dir, file));
    }
  }
  const member = (now = Date.now()) => issueLeaf(ca, { commonName: "demo-0-0", dnsNames: memberDnsNames("demo", "ns", "demo-0-0"), usage: "server-and-client", nowMs: now, validityMs: DAY });
  const tlsClient = (engine: EngineProcess, trust = ca.certPem) => {
    const c = new Redis({ host: engine.host, port: engine.port, password: PASSWORD, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, tls: { ca: trust, checkServerIdentity: () => undefined } });
    c.on("error", () => { /* through the failing command */ });
    return c;
  };
  const dial = (s: SidecarProcess): GrpcSidecarClient => s.client({
    bearerToken: undefined, callTimeoutMs: 60_000,
    tls: { caPem: Buffer.from(ca.certPem), certPem: Buffer.from(operator.certPem), keyPem: Buffer.from(operator.keyPem), serverName: memberDnsNames("demo", "ns", "demo-0-0")[0] },
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "mdb-engine-tls-"));
    ca = await createCa("ns/demo CA", Date.now(), 30 * DAY);
    operator = await issueLeaf(ca, { commonName: "mdb-operator", usage: "client", nowMs: Date.now(), validityMs: DAY });
    writeTls(await member());
    engines = await startEngines({ count: 3, ipBase: "127.0.16", password: PASSWORD, engine: "redis", tls: { ...files(), caPem: ca.certPem } });
    e = engines.engines;
    // e0 and e1 primaries with half the slots each, e2 e0's replica: every bus link and the replication run over TLS.
    const c = e.map((x) => x.connect());
    try {
      const ids = await Promise.all(c.map(async (x) => String(await x.call("CLUSTER", "MYID"))));
      for (let i = 1; i < 3; i++) await c[i].call("CLUSTER", "MEET", e[0].host, String(e[0].port));
      await c[0].call("CLUSTER", "ADDSLOTSRANGE", "0", "8191");
      await c[1].call("CLUSTER", "ADDSLOTSRANGE", "8192", "16383");
      await waitFor(async () => String(await c[2].call("CLUSTER", "NODES")).includes(`${ids[0]} ${e[0].host}`), { timeoutMs: 20_000, what: "e2 to know e0" });
      await c[2].call("CLUSTER", "REPLICATE", ids[0]);
      await waitFor(async () => (await Promise.all(c.map(async (x) => String(await x.call("CLUSTER", "INFO"))))).every((i) => i.includes("cluster_state:ok")),
        { timeoutMs: 30_000, what: "cluster_state ok on every engine (the bus over TLS)" });
      await waitFor(async () => String(await c[2].info("replication")).includes("master_link_status:up"), { timeoutMs: 30_000, what: "e2's replication link over TLS" });
    } finally {
      for (const x of c) x.disconnect();
    }
    sidecars = [e[0], e[1]].map((engine) => new SidecarProcess({ engine, password: PASSWORD, tls: files(), extraEnv: { MDB_ENGINE_TLS: "yes", MDB_TLS_RELOAD_MS: "200" } }));
    await Promise.all(sidecars.map((s) => s.start()));
  });

  after(async () => {
    await Promise.all(sidecars.map((s) => s.stop()));
    await engines?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("a plaintext client and a client trusting another CA are refused; one trusting the cluster's CA is served", async () => {
    const plain = new Redis({ host: e[0].host, port: e[0].port, password: PASSWORD, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
    plain.on("error", () => { /* expected */ });
    await assert.rejects(plain.connect().then(() => plain.ping()), "plaintext on the TLS port");
    plain.disconnect();
    const other = await createCa("someone else's CA", Date.now(), DAY);
    const handshake = (trust: string) => new Promise<void>((resolve, reject) => {
      const s = connect({ host: e[0].host, port: e[0].port, ca: trust, checkServerIdentity: () => undefined }, () => { s.end(); resolve(); });
      s.on("error", reject);
    });
    await assert.rejects(handshake(other.certPem), /unable to verify|self[- ]signed|certificate/i, "a server not from the client's CA");
    await handshake(ca.certPem);
    const ok = tlsClient(e[0]);
    await ok.connect();
    assert.equal(await ok.ping(), "PONG");
    ok.disconnect();
  });

  test("the sidecar reports its engine over TLS", async () => {
    const client = dial(sidecars[0]);
    try {
      const s = await waitFor(async () => { const x = await client.status(); return x.engineUp && x.clusterState === "ok" ? x : undefined; }, { timeoutMs: 20_000, what: "the sidecar's engine up over TLS" });
      assert.equal(s.role, "PRIMARY");
      assert.equal(s.slotsOwned, 8192);
    } finally {
      client.close();
    }
  });

  test("a member's certificate, made for clientAuth too, does not open the sidecar API: only the operator's is served", async () => {
    const leaf = await member();
    const client = sidecars[0].client({
      bearerToken: undefined, callTimeoutMs: 5000,
      tls: { caPem: Buffer.from(ca.certPem), certPem: Buffer.from(leaf.certPem), keyPem: Buffer.from(leaf.keyPem), serverName: memberDnsNames("demo", "ns", "demo-0-0")[0] },
    });
    try {
      await assert.rejects(client.status(), /only the operator's \(mdb-operator\) is served/);
    } finally {
      client.close();
    }
  });

  test("a guarded move over TLS: its connections, its probe and MIGRATE; the replica gets the keys over TLS", async () => {
    const source = tlsClient(e[1]);
    await source.connect();
    const keys: string[] = [];
    for (let i = 0; keys.length < 500; i++) if (keySlot(`k:${i}`) >= 8192 && keySlot(`k:${i}`) <= 9000) keys.push(`k:${i}`);
    await Promise.all(keys.map((k) => source.set(k, `v-${k}`)));
    source.disconnect();
    const client = dial(sidecars[0]);
    let last;
    try {
      for await (const p of client.migrateSlots({ source: { host: e[1].host, port: e[1].port }, slots: [{ start: 8192, end: 9000 }], progressIntervalMs: 100 })) last = p;
    } finally {
      client.close();
    }
    assert.equal(last?.slotsFailed, 0, JSON.stringify(last));
    assert.equal(last?.slotsDone, 809);
    assert.equal(last?.keysMoved, keys.length);
    assert.ok(last?.guard, "the guard ran, probing both engines over TLS");
    const target = tlsClient(e[0]);
    const replica = tlsClient(e[2]);
    await Promise.all([target.connect(), replica.connect()]);
    try {
      for (const k of keys.slice(0, 50)) assert.equal(await target.get(k), `v-${k}`);
      await waitFor(async () => (await replica.dbsize()) === (await target.dbsize()) || undefined, { timeoutMs: 20_000, what: "the replica to hold the moved keys" });
    } finally {
      target.disconnect();
      replica.disconnect();
    }
  });

  test("a renewed certificate is served by the engine without a restart", async () => {
    const served = () => new Promise<string>((resolve, reject) => {
      const s = connect({ host: e[0].host, port: e[0].port, ca: ca.certPem, checkServerIdentity: () => undefined }, () => {
        resolve(s.getPeerCertificate().serialNumber);
        s.end();
      });
      s.on("error", reject);
    });
    const before = await served();
    const pid = e[0].pid;
    const renewed = await member(Date.now() + 1000);
    writeTls(renewed);
    const wanted = new (await import("node:crypto")).X509Certificate(renewed.certPem).serialNumber;
    assert.notEqual(wanted, before);
    await waitFor(async () => (await served()) === wanted || undefined, { timeoutMs: 20_000, what: "the engine to serve the renewed certificate" });
    assert.equal(e[0].pid, pid, "the same engine process");
  });
});
