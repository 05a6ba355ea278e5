// Certificates from cert-manager (spec.tls.issuerRef; docs/usage.md#certificates-from-cert-manager):
// the Certificates the operator asks for, what it trusts, and what it says when cert-manager cannot
// deliver. A fake cert-manager issues from a test CA what the operator's Certificates ask for.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import type { V1Secret } from "@kubernetes/client-node";
import { DEFAULT_TOPOLOGY_KEYS } from "../../../common/labels.ts";
import { CERTIFICATE_NAME_ANNOTATION } from "../../src/api/cert-manager.ts";
import { FINALIZER, type MdbClusterSpec } from "../../src/api/types.ts";
import { decide } from "../../src/controller/decide.ts";
import { computeStatus } from "../../src/controller/status.ts";
import { sidecarEndpoints } from "../../src/controller/sidecar-endpoints.ts";
import { CERTIFICATE_PATIENCE_MS } from "../../src/controller/tls-cert-manager.ts";
import { createCa, issueLeaf } from "../../src/executor/pki.ts";
import { CA_VALIDITY_MS, LEAF_VALIDITY_MS } from "../../src/model/certificates.ts";
import { planFromStatus } from "../../src/model/stored-plan.ts";
import { MEMBER_TLS_KEYS, operatorCredentials, secretText } from "../../src/resources/tls-secrets.ts";
import { StepsInFlight } from "../../src/executor/run-plan.ts";
import { gridNodes, makeCluster, SimulatedCluster } from "./fixtures.ts";
import { pass } from "./flow.ts";

const issuerRef = { name: "team-ca", kind: "Issuer" as const, group: "cert-manager.io" };
const spec = (extra: Partial<MdbClusterSpec> = {}): MdbClusterSpec => ({ shards: 2, replicasPerShard: 1, tls: { issuerRef }, ...extra } as MdbClusterSpec);

/** cert-manager's part: every Certificate without its Secret gets one from the test CA, labelled as asked. */
async function fakeCertManager(sim: SimulatedCluster, ca: { certPem: string; keyPem: string }, nowMs: number): Promise<void> {
  for (const c of sim.certificates.values()) {
    if (sim.owned.has(`Secret/${c.spec.secretName}`)) continue;
    const usage = c.spec.usages.includes("server auth") ? (c.spec.usages.includes("client auth") ? "server-and-client" : "server") : "client";
    const leaf = await issueLeaf(ca, { commonName: c.spec.commonName, ...(c.spec.dnsNames ? { dnsNames: c.spec.dnsNames } : {}), usage, nowMs, validityMs: LEAF_VALIDITY_MS });
    const secret: V1Secret = {
      apiVersion: "v1", kind: "Secret", type: "kubernetes.io/tls",
      metadata: { name: c.spec.secretName, namespace: "ns", labels: c.spec.secretTemplate.labels, annotations: { [CERTIFICATE_NAME_ANNOTATION]: c.metadata.name } },
      stringData: { [MEMBER_TLS_KEYS.ca]: ca.certPem, [MEMBER_TLS_KEYS.cert]: leaf.certPem, [MEMBER_TLS_KEYS.key]: leaf.keyPem },
    };
    sim.owned.set(`Secret/${c.spec.secretName}`, secret);
  }
}

/** Passes of the reconciler with cert-manager answering between them, until idle or blocked. */
async function settleWithCertManager(sim: SimulatedCluster, ca: { certPem: string; keyPem: string }, startMs = 0): Promise<string[]> {
  const inFlight = new StepsInFlight();
  const kinds: string[] = [];
  for (let n = 0; n < 80; n++) {
    const action = await pass(sim, startMs + n, inFlight);
    kinds.push(action.kind);
    await fakeCertManager(sim, ca, startMs);
    if (action.kind === "idle" || action.kind === "blocked") return kinds;
  }
  throw new Error(`not settled: ${kinds.join(", ")}`);
}

describe("certificates from cert-manager (spec.tls.issuerRef)", () => {
  test("without cert-manager's API nothing is made, and Degraded says what to install", async () => {
    const sim = new SimulatedCluster(makeCluster(spec()), gridNodes(["a", "b", "c"]));
    sim.certManagerIssuer = undefined;
    const kinds = await settleWithCertManager(sim, await createCa("team", 0, CA_VALIDITY_MS));
    assert.equal(kinds.at(-1), "blocked");
    assert.equal(sim.pods.size, 0, "no member pod without its certificate");
    assert.equal(sim.certificates.size, 0);
    const degraded = sim.cluster.status!.conditions!.find((c) => c.type === "Degraded")!;
    assert.equal(degraded.reason, "CertManagerMissing");
    assert.match(degraded.message, /Issuer team-ca \(namespace ns\).*certificates\.cert-manager\.io\/v1.*install cert-manager/);
  });

  test("a new cluster: one Certificate per member and one for the operator from the issuer, no CA of its own, Ready", async () => {
    const ca = await createCa("team", 0, CA_VALIDITY_MS);
    const sim = new SimulatedCluster(makeCluster(spec()), gridNodes(["a", "b", "c"]));
    await settleWithCertManager(sim, ca);
    await settleWithCertManager(sim, ca, 100);
    assert.equal(sim.cluster.status?.phase, "Ready");
    assert.deepEqual([...sim.certificates.keys()].sort(), ["demo-0-0-tls", "demo-0-1-tls", "demo-1-0-tls", "demo-1-1-tls", "demo-operator-tls"]);
    assert.equal(sim.owned.has("Secret/demo-ca"), false, "the operator makes no CA");
    const member = sim.certificates.get("demo-0-0-tls")!;
    assert.deepEqual(member.spec.issuerRef, issuerRef);
    assert.deepEqual(member.spec.dnsNames, ["demo-0-0.demo-members.ns.svc", "demo-0-0.demo-members.ns.svc.cluster.local"]);
    assert.deepEqual(member.spec.usages, ["server auth"]);
    assert.equal(member.spec.secretTemplate.labels["app.kubernetes.io/component"], "member-tls");
    assert.equal(member.metadata.ownerReferences?.length, 1, "owned by the cluster: deleted with it");
    assert.deepEqual(sim.certificates.get("demo-operator-tls")!.spec.usages, ["client auth"]);
    // The operator dials the sidecars with cert-manager's client certificate and trusts its ca.crt.
    const secret = sim.owned.get("Secret/demo-operator-tls") as V1Secret;
    const endpoints = sidecarEndpoints({ name: "demo", namespace: "ns" }, [...sim.pods.values()], { data: { token: Buffer.from("t".repeat(40)).toString("base64") } }, operatorCredentials(secret, "cert-manager"));
    assert.equal(endpoints.length, 4);
    for (const e of endpoints) {
      assert.equal(e.tls?.caPem.toString(), ca.certPem);
      assert.equal(new X509Certificate(e.tls!.certPem).subject, "CN=mdb-operator");
    }
  });

  test("spec.tls.enabled: members' certificates also serve the bus as clients, and clients get the issuer's CA", async () => {
    const ca = await createCa("team", 0, CA_VALIDITY_MS);
    const sim = new SimulatedCluster(makeCluster(spec({ tls: { enabled: true, issuerRef }, engine: { image: "mdbcluster/engine-redis:7.0" } } as Partial<MdbClusterSpec>)), gridNodes(["a", "b", "c"]));
    await settleWithCertManager(sim, ca);
    assert.deepEqual(sim.certificates.get("demo-1-1-tls")!.spec.usages, ["server auth", "client auth"]);
    assert.equal(secretText(sim.owned.get("Secret/demo-ca-crt") as V1Secret, "ca.crt"), ca.certPem);
  });

  test("a missing issuer, and a Certificate not issued in time, set Degraded with the issuer and the Certificate's own words", async () => {
    const sim = new SimulatedCluster(makeCluster(spec()), gridNodes(["a", "b", "c"]));
    sim.certManagerIssuer = { state: "missing" };
    await pass(sim, 0, new StepsInFlight()); // the Services and Secrets of its own
    const o = sim.observe(0);
    const action = decide(o, undefined, FINALIZER);
    assert.equal(action.kind, "request-certificates", "the Certificates are made anyway: they are issued once the issuer exists");
    let status = computeStatus({ observation: o, action, topologyKeys: DEFAULT_TOPOLOGY_KEYS });
    let degraded = status.conditions!.find((c) => c.type === "Degraded")!;
    assert.equal(degraded.reason, "IssuerNotReady");
    assert.match(degraded.message, /Issuer team-ca \(namespace ns\) \(spec\.tls\.issuerRef\) does not exist/);
    // The issuer exists, but cert-manager never delivers: reported after the patience.
    sim.certManagerIssuer = { state: "ready" };
    assert.equal((await pass(sim, 0, new StepsInFlight())).kind, "request-certificates");
    for (const c of sim.certificates.values()) c.metadata.creationTimestamp = "0";
    const late = sim.observe(CERTIFICATE_PATIENCE_MS);
    status = computeStatus({ observation: late, action: decide(late, planFromStatus(sim.cluster.status?.plan), FINALIZER), topologyKeys: DEFAULT_TOPOLOGY_KEYS });
    degraded = status.conditions!.find((c) => c.type === "Degraded")!;
    assert.equal(degraded.reason, "CertificateNotReady");
    assert.match(degraded.message, /Certificate demo-0-0-tls: DoesNotExist: Issuing certificate as Secret does not exist.*kubectl describe certificate -n ns/);
  });

  test("a member that is gone loses its Certificate first, then its Secret; deletion removes Certificates before Secrets", async () => {
    const ca = await createCa("team", 0, CA_VALIDITY_MS);
    const sim = new SimulatedCluster(makeCluster(spec()), gridNodes(["a", "b", "c"]));
    await settleWithCertManager(sim, ca);
    // A Secret and Certificate of a member the cluster no longer has (as after a scale-in).
    const stray = { ...sim.certificates.get("demo-1-1-tls")!, metadata: { ...sim.certificates.get("demo-1-1-tls")!.metadata, name: "demo-2-0-tls" }, spec: { ...sim.certificates.get("demo-1-1-tls")!.spec, secretName: "demo-2-0-tls", secretTemplate: { labels: { ...sim.certificates.get("demo-1-1-tls")!.spec.secretTemplate.labels, "mdbcluster.io/member": "demo-2-0" } } } };
    sim.certificates.set("demo-2-0-tls", stray);
    await fakeCertManager(sim, ca, 0);
    let action = decide(sim.observe(200), planFromStatus(sim.cluster.status?.plan), FINALIZER);
    assert.ok(action.kind === "request-certificates");
    assert.deepEqual([action.removeCertificates, action.removeSecrets], [["demo-2-0-tls"], []], "the Certificate first");
    sim.certificates.delete("demo-2-0-tls");
    action = decide(sim.observe(201), planFromStatus(sim.cluster.status?.plan), FINALIZER);
    assert.ok(action.kind === "request-certificates");
    assert.deepEqual([action.removeCertificates, action.removeSecrets], [[], ["demo-2-0-tls"]], "then its Secret");
    sim.owned.delete("Secret/demo-2-0-tls");
    // Deleting the cluster: with the pods gone, the Certificates go before the Secrets.
    sim.pods.clear();
    sim.cluster.metadata!.deletionTimestamp = new Date(0).toISOString() as never;
    for (const k of [...sim.owned.keys()]) if (!k.endsWith("-tls")) sim.owned.delete(k);
    const teardown = decide(sim.observe(300), undefined, FINALIZER);
    assert.ok(teardown.kind === "teardown");
    assert.equal(teardown.certificates?.length, 5);
    assert.equal(teardown.tlsSecrets, undefined);
    sim.certificates.clear();
    const secrets = decide(sim.observe(301), undefined, FINALIZER);
    assert.ok(secrets.kind === "teardown");
    assert.deepEqual(secrets.tlsSecrets?.sort(), ["demo-0-0-tls", "demo-0-1-tls", "demo-1-0-tls", "demo-1-1-tls", "demo-operator-tls"]);
  });
});
