// The sidecar API's certificates (docs/architecture/sidecar.md#mtls): what the operator issues (names,
// validity, key usage), when it renews, and a CA Secret that cannot be used.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { DEFAULT_TOPOLOGY_KEYS } from "../../../common/labels.ts";
import { FINALIZER } from "../../src/api/types.ts";
import { decide } from "../../src/controller/decide.ts";
import { computeStatus } from "../../src/controller/status.ts";
import { decideTls } from "../../src/controller/tls.ts";
import { sidecarEndpoints } from "../../src/controller/sidecar-endpoints.ts";
import { createCa, issueLeaf } from "../../src/executor/pki.ts";
import { issueCertificates } from "../../src/executor/certificates.ts";
import { LEAF_VALIDITY_MS, CA_VALIDITY_MS, renewAtMs } from "../../src/model/certificates.ts";
import { CA_SECRET_KEYS, MEMBER_TLS_KEYS, operatorCredentials, secretText } from "../../src/resources/tls-secrets.ts";
import type { V1Secret } from "@kubernetes/client-node";
import { readyCluster } from "./flow.ts";

const DAY = 24 * 3600_000;
const T0 = Date.parse("2027-01-01T00:00:00Z");

describe("certificates the operator issues", () => {
  test("CA: a CA that signs leaves only, valid from a minute before now", async () => {
    const ca = new X509Certificate((await createCa("ns/demo sidecar CA", T0, CA_VALIDITY_MS)).certPem);
    assert.equal(ca.ca, true);
    assert.equal(Date.parse(ca.validFrom), T0 - 60_000);
    assert.equal(Date.parse(ca.validTo), T0 + CA_VALIDITY_MS);
    assert.equal(ca.checkIssued(ca), true, "self-signed");
  });

  test("a member's serving certificate: its DNS names, serverAuth only, signed by the CA; the operator's: clientAuth only", async () => {
    const caPair = await createCa("ca", T0, CA_VALIDITY_MS);
    const ca = new X509Certificate(caPair.certPem);
    const names = ["demo-0-0.demo-members.ns.svc", "demo-0-0.demo-members.ns.svc.cluster.local"];
    const server = new X509Certificate((await issueLeaf(caPair, { commonName: "demo-0-0", dnsNames: names, usage: "server", nowMs: T0, validityMs: LEAF_VALIDITY_MS })).certPem);
    assert.equal(server.subjectAltName, names.map((n) => `DNS:${n}`).join(", "));
    assert.equal(server.ca, false);
    assert.deepEqual(server.keyUsage, ["1.3.6.1.5.5.7.3.1"], "extended key usage: serverAuth only");
    assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey), "signed by the CA");
    assert.equal(Date.parse(server.validTo) - Date.parse(server.validFrom), LEAF_VALIDITY_MS + 60_000);
    assert.equal(server.checkHost(names[0]), names[0]);
    assert.equal(server.checkHost("demo-0-1.demo-members.ns.svc"), undefined, "not another member's name");
    const client = new X509Certificate((await issueLeaf(caPair, { commonName: "mdb-operator", usage: "client", nowMs: T0, validityMs: LEAF_VALIDITY_MS })).certPem);
    assert.deepEqual(client.keyUsage, ["1.3.6.1.5.5.7.3.2"], "extended key usage: clientAuth only");
    assert.equal(client.subjectAltName, undefined);
    assert.match(client.subject, /CN=mdb-operator/);
  });
});

/** A Ready cluster the controller bootstrapped, with the certificates it issued. */
const cluster = () => readyCluster({ shards: 2, replicasPerShard: 1 });

describe("renewal and faults, decided from the Secrets", () => {
  test("a ready cluster has a CA Secret, a client certificate and one TLS Secret per member, and nothing to issue", async () => {
    const sim = await cluster();
    const o = sim.observe(10);
    assert.ok(o.tls.ca?.ok && o.tls.client?.ok);
    assert.deepEqual(Object.keys(o.tls.members).sort(), ["demo-0-0", "demo-0-1", "demo-1-0", "demo-1-1"]);
    assert.equal(decideTls(o, sim.context(o).spec, undefined), undefined);
  });

  test("leaves are renewed two thirds into their life, not a millisecond before; then the operator dials with the new client certificate", async () => {
    const sim = await cluster();
    const issued = sim.observe(0).tls;
    const views = [issued.client, ...Object.values(issued.members)].map((c) => (c?.ok ? c.cert : assert.fail("a certificate cannot be read")));
    const renewAt = renewAtMs(views[0]);
    assert.ok(views.every((v) => renewAtMs(v) === renewAt), "issued in one pass: due together");
    assert.ok(renewAt - views[0].notBeforeMs >= 60 * DAY, "a 90-day leaf is renewed after 60 days");
    const before = sim.observe(renewAt - 1);
    assert.equal(decideTls(before, sim.context(before).spec, undefined), undefined, "not yet due");
    const due = sim.observe(renewAt);
    const action = decideTls(due, sim.context(due).spec, undefined);
    assert.equal(action?.kind, "issue-certificates");
    assert.deepEqual(action?.kind === "issue-certificates" && [action.newCa, action.client, action.members], [false, true, ["demo-0-0", "demo-0-1", "demo-1-0", "demo-1-1"]]);
    assert.match(action?.kind === "issue-certificates" ? action.reason : "", /due for renewal/);
    const oldClient = secretText(sim.owned.get("Secret/demo-ca") as V1Secret, CA_SECRET_KEYS.clientCert);
    await sim.decideAfterCertificates(undefined, renewAt);
    const renewed = sim.observe(renewAt);
    assert.equal(decideTls(renewed, sim.context(renewed).spec, undefined), undefined, "renewed: nothing left to do");
    const ca = sim.owned.get("Secret/demo-ca") as V1Secret;
    assert.notEqual(secretText(ca, CA_SECRET_KEYS.clientCert), oldClient);
    const pods = [...sim.pods.values()].map((p) => ({ ...p, metadata: { ...p.metadata, labels: { ...p.metadata!.labels } } }));
    const endpoints = sidecarEndpoints({ name: "demo", namespace: "ns" }, pods, { data: { token: Buffer.from("t".repeat(40)).toString("base64") } }, operatorCredentials(ca, "own-ca"));
    assert.equal(endpoints.length, 4);
    for (const e of endpoints) {
      assert.equal(e.tls?.certPem.toString(), secretText(ca, CA_SECRET_KEYS.clientCert), `${e.member} is dialled with the renewed client certificate`);
      assert.equal(e.tls?.serverName, `${e.member}.demo-members.ns.svc`);
    }
  });

  test("a member's certificate for other names or from another CA is issued again; a gone member's Secret is dropped", async () => {
    const sim = await cluster();
    const other = await createCa("another CA", 0, CA_VALIDITY_MS);
    const foreign = await issueLeaf(other, { commonName: "demo-0-1", dnsNames: ["demo-0-1.demo-members.ns.svc", "demo-0-1.demo-members.ns.svc.cluster.local"], usage: "server", nowMs: 0, validityMs: LEAF_VALIDITY_MS });
    const secret = sim.owned.get("Secret/demo-0-1-tls") as V1Secret;
    sim.owned.set("Secret/demo-0-1-tls", { ...secret, stringData: { ...secret.stringData, [MEMBER_TLS_KEYS.cert]: foreign.certPem, [MEMBER_TLS_KEYS.key]: foreign.keyPem } });
    sim.owned.set("Secret/demo-7-0-tls", { ...secret, metadata: { ...secret.metadata, name: "demo-7-0-tls", labels: { ...secret.metadata!.labels, "mdbcluster.io/member": "demo-7-0" } } });
    const o = sim.observe(10);
    const action = decideTls(o, sim.context(o).spec, undefined);
    assert.deepEqual(action?.kind === "issue-certificates" && [action.newCa, action.client, action.members, action.remove], [false, false, ["demo-0-1"], ["demo-7-0"]]);
    assert.match(action?.kind === "issue-certificates" ? action.reason : "", /demo-0-1: not signed by the cluster's CA/);
  });

  test("a CA Secret that cannot be used: Degraded CaSecretInvalid naming the Secret and the fix; issuing waits, what was issued keeps working", async () => {
    const sim = await cluster();
    const ca = sim.owned.get("Secret/demo-ca") as V1Secret;
    const { [CA_SECRET_KEYS.caKey]: _key, ...withoutKey } = ca.stringData!;
    sim.owned.set("Secret/demo-ca", { ...ca, stringData: withoutKey });
    const idle = sim.observe(10);
    const action = decide(idle, undefined, FINALIZER);
    assert.notEqual(action.kind, "issue-certificates", "nothing needs issuing: the cluster goes on");
    const status = computeStatus({ observation: idle, action, topologyKeys: DEFAULT_TOPOLOGY_KEYS });
    const degraded = status.conditions?.find((c) => c.type === "Degraded");
    assert.deepEqual([degraded?.status, degraded?.reason], ["True", "CaSecretInvalid"]);
    assert.match(degraded?.message ?? "", /^Secret demo-ca: has no ca\.key; delete it and the operator makes a new CA/);
    sim.owned.delete("Secret/demo-1-1-tls");
    const blocked = decide(sim.observe(11), undefined, FINALIZER);
    assert.deepEqual([blocked.kind, blocked.kind === "blocked" && blocked.reason], ["blocked", "CaSecretInvalid"], "a member needs a certificate the CA cannot sign");
    sim.owned.set("Secret/demo-ca", { ...ca, stringData: { ...ca.stringData, [CA_SECRET_KEYS.caCert]: "not a certificate" } });
    const notPem = decide(sim.observe(12), undefined, FINALIZER);
    assert.match(notPem.kind === "blocked" ? notPem.message : "", /Secret demo-ca: ca\.crt is not a PEM certificate/);
  });

  test("a missing CA is made again, and with it every certificate", async () => {
    const sim = await cluster();
    sim.owned.delete("Secret/demo-ca");
    const o = sim.observe(10);
    const action = decideTls(o, sim.context(o).spec, undefined);
    assert.deepEqual(action?.kind === "issue-certificates" && [action.newCa, action.client, action.members.length], [true, true, 4]);
    await sim.decideAfterCertificates(undefined, 10);
    const after = sim.observe(10);
    assert.ok(Object.values(after.tls.members).every((m) => m.ok && m.cert.issuedByCa), "every member's certificate from the new CA");
  });

  test("CA rollover: stage the next CA in every member's trust, switch once every sidecar took it, drop the old once every sidecar serves the new; the operator reaches every sidecar at each step", async () => {
    const sim = await cluster();
    const first = sim.observe(10);
    const renewAt = renewAtMs((first.tls.ca as { ok: true; cert: Parameters<typeof renewAtMs>[0] }).cert);
    const oldCa = secretText(sim.owned.get("Secret/demo-ca") as V1Secret, CA_SECRET_KEYS.caCert)!;
    const members = ["demo-0-0", "demo-0-1", "demo-1-0", "demo-1-1"];
    const tlsAction = (nowMs: number) => { const o = sim.observe(nowMs); return decideTls(o, sim.context(o).spec, undefined); };
    const apply = async (nowMs: number) => {
      const action = tlsAction(nowMs);
      assert.ok(action?.kind === "issue-certificates", `a certificate step at ${nowMs}: ${JSON.stringify(action)}`);
      await issueCertificates(action, sim.context(sim.observe(nowMs)));
      return action;
    };
    /** Every member's sidecar, as the operator would dial it now, verifies: its leaf against the operator's trust, the operator's client against the member's. */
    const everyoneReaches = (servedLeaf: Map<string, string>, memberTrust: Map<string, string>) => {
      const creds = operatorCredentials(sim.owned.get("Secret/demo-ca") as V1Secret, "own-ca")!;
      const trusted = (bundle: string, pem: string) => bundle.split(/(?<=-----END CERTIFICATE-----)\n?/).filter((b) => b.includes("BEGIN")).some((ca) => new X509Certificate(pem).checkIssued(new X509Certificate(ca)));
      for (const m of members) {
        assert.ok(trusted(creds.caPem, servedLeaf.get(m)!), `the operator trusts ${m}'s served certificate`);
        assert.ok(trusted(memberTrust.get(m)!, creds.certPem), `${m} trusts the operator's client certificate`);
      }
    };
    const files = (m: string) => sim.owned.get(`Secret/${m}-tls`) as V1Secret;
    // Leaves live 90 days: by then they were renewed many times, last just before the CA is due.
    await sim.decideAfterCertificates(undefined, renewAt - 1);
    // What each sidecar serves with: the files it took last (none of them takes new files while lagging).
    const served = new Map(members.map((m) => [m, secretText(files(m), MEMBER_TLS_KEYS.cert)!]));
    const trusts = new Map(members.map((m) => [m, secretText(files(m), MEMBER_TLS_KEYS.ca)!]));
    const take = (m: string) => { served.set(m, secretText(files(m), MEMBER_TLS_KEYS.cert)!); trusts.set(m, secretText(files(m), MEMBER_TLS_KEYS.ca)!); sim.tlsLag.delete(m); };
    assert.equal(tlsAction(renewAt - 1), undefined, "not before two thirds of the CA's life");
    for (const m of members) sim.tlsLag.add(m);

    const stage = await apply(renewAt);
    assert.equal(stage.kind === "issue-certificates" && stage.caStep, "stage");
    const staged = sim.observe(renewAt);
    assert.equal(staged.tls.rollover?.phase, "staged");
    for (const m of members) assert.equal(secretText(files(m), MEMBER_TLS_KEYS.cert), served.get(m), `${m} keeps its certificate`);
    everyoneReaches(served, trusts);
    assert.equal(tlsAction(renewAt + 1), undefined, "no switch while a sidecar has not taken the new trust");
    for (const m of members.slice(0, 3)) take(m);
    everyoneReaches(served, trusts);
    assert.equal(tlsAction(renewAt + 2), undefined, "one sidecar still lags: no switch");
    take(members[3]);
    sim.observe(renewAt + 2); // the last one reports

    for (const m of members) sim.tlsLag.add(m);
    const switched = await apply(renewAt + 3);
    assert.deepEqual(switched.kind === "issue-certificates" && [switched.caStep, switched.client, switched.members], ["switch", true, members]);
    const newCa = secretText(sim.owned.get("Secret/demo-ca") as V1Secret, CA_SECRET_KEYS.caCert)!;
    assert.notEqual(newCa, oldCa);
    assert.equal(secretText(sim.owned.get("Secret/demo-ca") as V1Secret, CA_SECRET_KEYS.previousCaCert), oldCa);
    everyoneReaches(served, trusts); // sidecars still on the old certificate, the operator on the new client
    take(members[0]);
    everyoneReaches(served, trusts);
    assert.equal(tlsAction(renewAt + 4), undefined, "the old CA stays trusted while a sidecar serves its certificate");
    for (const m of members.slice(1)) take(m);

    const finish = await apply(renewAt + 5);
    assert.equal(finish.kind === "issue-certificates" && finish.caStep, "finish");
    const done = sim.observe(renewAt + 5);
    assert.equal(done.tls.rollover, undefined);
    for (const m of members) assert.equal(secretText(files(m), MEMBER_TLS_KEYS.ca)!.trim(), newCa.trim(), `${m} trusts the new CA only`);
    for (const m of members) sim.tlsLag.add(m);
    everyoneReaches(served, trusts); // before the sidecars took the last files
    for (const m of members) take(m);
    everyoneReaches(served, trusts);
    assert.equal(tlsAction(renewAt + 6), undefined, "nothing left to do");
    assert.ok(Object.values(done.tls.members).every((m) => m.ok && m.cert.issuedByCa), "every certificate from the new CA");
  });
});
