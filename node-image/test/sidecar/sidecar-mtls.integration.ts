// mTLS with the certificates the operator issues (operator/src/executor/pki.ts), on a real sidecar
// process (127.0.8.1; docs/architecture/sidecar.md#mtls): the operator's client certificate is served,
// anything else is refused; renewed files, and a new CA, are taken without a restart; a bad set is skipped;
// a CA rollover with both CAs trusted in between serves both clients, and status says which files are in use.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { X509Certificate } from "node:crypto";
import { startEngines, waitFor, type Engines } from "../../../testing/engines.ts";
import { SidecarProcess, assertRefused } from "./sidecar-process.ts";
import type { GrpcSidecarClient } from "../../../operator/src/sidecar/grpc-client.ts";
import { createCa, issueLeaf, type IssuingCa } from "../../../operator/src/executor/pki.ts";
import { memberDnsNames } from "../../../operator/src/resources/names.ts";
import { trustBundle, type KeyPairPem } from "../../../operator/src/resources/tls-secrets.ts";
import { tlsFilesDigest } from "../../../common/tls-digest.ts";

const PASSWORD = "mtls-it-password-0123456789";
const DAY = 24 * 3600_000;
const NAMES = memberDnsNames("demo", "ns", "demo-0-0");

async function serving(ca: IssuingCa): Promise<KeyPairPem> {
  return issueLeaf(ca, { commonName: "demo-0-0", dnsNames: NAMES, usage: "server", nowMs: Date.now(), validityMs: DAY });
}
async function operatorClient(ca: IssuingCa): Promise<KeyPairPem> {
  return issueLeaf(ca, { commonName: "mdb-operator", usage: "client", nowMs: Date.now(), validityMs: DAY });
}

describe("sidecar API with the operator's certificates", { timeout: 180_000 }, () => {
  let engines: Engines;
  let sidecar: SidecarProcess;
  let dir: string;
  let ca: KeyPairPem;
  let client: KeyPairPem;
  let server: KeyPairPem;

  /** Writes the member's TLS files as the kubelet updates a Secret volume: each file replaced whole. */
  function writeTls(caPem: string, leaf: KeyPairPem): void {
    for (const [file, text] of [["ca.crt", caPem], ["tls.crt", leaf.certPem], ["tls.key", leaf.keyPem]]) {
      writeFileSync(join(dir, `${file}.tmp`), text);
      renameSync(join(dir, `${file}.tmp`), join(dir, file));
    }
  }

  before(async () => {
    dir = join(mkdtempSync(join(tmpdir(), "mdb-mtls-")), "tls");
    mkdirSync(dir);
    ca = await createCa("ns/demo sidecar CA", Date.now(), 30 * DAY);
    client = await operatorClient(ca);
    server = await serving(ca);
    writeTls(ca.certPem, server);
    engines = await startEngines({ count: 1, ipBase: "127.0.8", password: PASSWORD });
    // mTLS alone: what is refused here is refused for the certificate, not for a missing token.
    sidecar = new SidecarProcess({
      engine: engines.engines[0], password: PASSWORD,
      tls: { caFile: join(dir, "ca.crt"), certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key") },
      extraEnv: { MDB_TLS_RELOAD_MS: "200" },
    });
    await sidecar.start();
  });

  after(async () => {
    await sidecar?.stop();
    await engines?.stop();
    rmSync(join(dir, ".."), { recursive: true, force: true });
  });

  /** A client as the operator makes one (controller/sidecar-endpoints.ts): the CA, a certificate, the member's DNS name. */
  const dial = (trust: string, cert: KeyPairPem | undefined, serverName = NAMES[0]): GrpcSidecarClient => sidecar.client({
    bearerToken: undefined, callTimeoutMs: 5000,
    tls: { caPem: Buffer.from(trust), ...(cert ? { certPem: Buffer.from(cert.certPem), keyPem: Buffer.from(cert.keyPem) } : {}), serverName },
  });

  async function served(c: GrpcSidecarClient, label: string): Promise<void> {
    try {
      const s = await waitFor(async () => { const x = await c.status(); return x.engineUp ? x : undefined; }, { timeoutMs: 20_000, what: `${label}: status over mTLS` });
      assert.equal(s.state, "ONLINE");
    } finally {
      c.close();
    }
  }

  const refused = (c: GrpcSidecarClient, label: string) => assertRefused(c, label);

  /** The serial number of the certificate the sidecar presents to a new connection. */
  function servedSerial(): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: sidecar.host, port: Number(sidecar.address.split(":")[1]), ca: ca.certPem, cert: client.certPem, key: client.keyPem, servername: NAMES[0], ALPNProtocols: ["h2"], rejectUnauthorized: false }, () => {
        resolve(socket.getPeerCertificate().serialNumber);
        socket.end();
      });
      socket.once("error", reject);
    });
  }
  const serialOf = (pem: string) => new X509Certificate(pem).serialNumber;

  test("the operator's client certificate is served, checked against the member's DNS name", async () => {
    await served(dial(ca.certPem, client), "the operator");
    await refused(dial(ca.certPem, client, memberDnsNames("demo", "ns", "demo-1-0")[0]), "the sidecar's certificate is for another member's name");
  });

  test("no certificate, one from another CA, a member's serving certificate and plaintext are refused; the sidecar keeps serving", async () => {
    const rogueCa = await createCa("another CA", Date.now(), DAY);
    await refused(dial(ca.certPem, undefined), "no client certificate");
    await refused(dial(ca.certPem, await operatorClient(rogueCa)), "a client certificate from another CA");
    await refused(dial(ca.certPem, await serving(ca)), "a serving certificate (serverAuth only) used as a client's");
    await refused(sidecar.client({ bearerToken: undefined, tls: undefined, callTimeoutMs: 5000 }), "plaintext");
    await served(dial(ca.certPem, client), "the operator, after the refusals");
  });

  test("renewed files are served without a restart; a set whose key is not the certificate's is skipped", async () => {
    const pid = sidecar.pid;
    assert.equal(await servedSerial(), serialOf(server.certPem));
    const renewed = await serving(ca);
    writeTls(ca.certPem, renewed);
    await waitFor(async () => (await servedSerial()) === serialOf(renewed.certPem), { timeoutMs: 15_000, intervalMs: 100, what: "the renewed certificate on a new connection" });
    // Half an update (a new certificate with the old key): the last good set stays in use.
    const next = await serving(ca);
    writeTls(ca.certPem, { certPem: next.certPem, keyPem: renewed.keyPem });
    await waitFor(async () => sidecar.logLines().some((l) => l.includes("TLS files not taken")), { timeoutMs: 15_000, what: "the sidecar to skip the inconsistent set" });
    assert.equal(await servedSerial(), serialOf(renewed.certPem));
    await served(dial(ca.certPem, client), "the operator, with the last good set");
    server = renewed;
    assert.equal(sidecar.pid, pid, "the same process throughout");
  });

  test("a new CA is taken without a restart: the old client certificate is refused, the new one served", async () => {
    const pid = sidecar.pid;
    const oldCa = ca;
    const oldClient = client;
    ca = await createCa("ns/demo sidecar CA, renewed", Date.now(), 30 * DAY);
    client = await operatorClient(ca);
    server = await serving(ca);
    writeTls(ca.certPem, server);
    await waitFor(async () => {
      const c = dial(ca.certPem, client);
      try { return (await c.status()).engineUp; } catch { return false; } finally { c.close(); }
    }, { timeoutMs: 15_000, intervalMs: 200, what: "the new CA's client to be served" });
    await refused(dial(ca.certPem, oldClient), "the old CA's client certificate");
    await refused(dial(oldCa.certPem, oldClient), "a client that trusts only the old CA");
    assert.equal(sidecar.pid, pid, "the same process throughout");
  });

  test("a CA rollover with overlap: the sidecar takes a bundle of both CAs and says so in status (tlsDigest); both clients are served throughout, then only the new", async () => {
    const pid = sidecar.pid;
    const oldCa = ca;
    const oldClient = client;
    const digestServed = async (caPem: string, leaf: KeyPairPem, trust: string, cert: KeyPairPem) => waitFor(async () => {
      const c = dial(trust, cert);
      try { return (await c.status()).tlsDigest === tlsFilesDigest(caPem, leaf.certPem); } catch { return false; } finally { c.close(); }
    }, { timeoutMs: 15_000, intervalMs: 200, what: "the sidecar to report the new files' digest" });
    const nextCa = await createCa("ns/demo sidecar CA, next", Date.now(), 30 * DAY);
    const nextClient = await operatorClient(nextCa);
    const both = trustBundle([oldCa.certPem, nextCa.certPem]);
    // Stage: both CAs trusted, the certificate still from the old one.
    writeTls(both, server);
    await digestServed(both, server, oldCa.certPem, oldClient);
    await served(dial(oldCa.certPem, oldClient), "the old CA's client while staged");
    await served(dial(both, nextClient), "the next CA's client while staged");
    // Switch: a certificate of the new CA, both still trusted.
    const switched = await serving(nextCa);
    const bothNewFirst = trustBundle([nextCa.certPem, oldCa.certPem]);
    writeTls(bothNewFirst, switched);
    await digestServed(bothNewFirst, switched, both, nextClient);
    await served(dial(both, oldClient), "the old CA's client after the switch");
    // Finish: only the new CA.
    writeTls(nextCa.certPem, switched);
    await digestServed(nextCa.certPem, switched, nextCa.certPem, nextClient);
    await refused(dial(nextCa.certPem, oldClient), "the old CA's client once it is dropped");
    await served(dial(nextCa.certPem, nextClient), "the new CA's client");
    [ca, client, server] = [nextCa, nextClient, switched];
    assert.equal(sidecar.pid, pid, "the same process throughout");
  });
});
