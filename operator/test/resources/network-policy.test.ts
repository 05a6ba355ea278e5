// The members' NetworkPolicy judged by what it lets through: a small evaluator of NetworkPolicy
// semantics (as the API reference defines them) asks, for each source and port, whether a connection
// is admitted.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1LabelSelector, V1NetworkPolicy, V1NetworkPolicyPeer, V1NetworkPolicyPort } from "@kubernetes/client-node";
import { resolveSpec } from "../../src/api/defaults.ts";
import type { InstallDefaults, MdbClusterSpec } from "../../src/api/types.ts";
import { buildNetworkPolicy, networkPolicyUpToDate } from "../../src/resources/network-policy.ts";
import { makeCluster } from "../controller/fixtures.ts";

interface Endpoint { namespace: string; labels: Record<string, string>; nsLabels?: Record<string, string>; ip: string; ports?: Record<string, number> }

const nsLabels = (e: Endpoint) => ({ "kubernetes.io/metadata.name": e.namespace, ...e.nsLabels });

function matches(sel: V1LabelSelector, labels: Record<string, string>): boolean {
  const okLabels = Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const okExprs = (sel.matchExpressions ?? []).every((e) => {
    const has = e.key in labels;
    switch (e.operator) {
      case "In": return has && e.values!.includes(labels[e.key]);
      case "NotIn": return !has || !e.values!.includes(labels[e.key]);
      case "Exists": return has;
      default: return !has;
    }
  });
  return okLabels && okExprs;
}

const ipv4 = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
const inCidr = (ip: string, cidr: string) => {
  const [base, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base) / size);
};

function peerMatches(peer: V1NetworkPolicyPeer, policyNs: string, other: Endpoint): boolean {
  if (peer.ipBlock) return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(other.ip, c));
  const nsOk = peer.namespaceSelector ? matches(peer.namespaceSelector, nsLabels(other)) : other.namespace === policyNs;
  return nsOk && (!peer.podSelector || matches(peer.podSelector, other.labels));
}

function portMatches(ports: V1NetworkPolicyPort[] | undefined, port: number, protocol: string, target: Endpoint): boolean {
  if (!ports) return true;
  return ports.some((p) => (p.protocol ?? "TCP") === protocol && (p.port === undefined || p.port === port || (typeof p.port === "string" && target.ports?.[p.port] === port)));
}

/** Would `policy` let `from` open a connection to `to` on `port`? Only the policy's own side is judged. */
function ingress(policy: V1NetworkPolicy, from: Endpoint, to: Endpoint, port: number, protocol = "TCP"): boolean {
  const ns = policy.metadata!.namespace!;
  return (policy.spec!.ingress ?? []).some((r) => portMatches(r.ports, port, protocol, to) && (!r._from || r._from.some((p) => peerMatches(p, ns, from))));
}
function egress(policy: V1NetworkPolicy, to: Endpoint, port: number, protocol = "TCP"): boolean {
  const ns = policy.metadata!.namespace!;
  return (policy.spec!.egress ?? []).some((r) => portMatches(r.ports, port, protocol, to) && (!r.to || r.to.some((p) => peerMatches(p, ns, to))));
}

const OPERATOR_LABELS = { "app.kubernetes.io/name": "mdb-operator", "app.kubernetes.io/instance": "ops" };
const INSTALL: InstallDefaults = { engine: "e:1", sidecar: "s:1", operatorPods: { namespace: "mdb-system", labels: OPERATOR_LABELS } };
const policyFor = (spec: Partial<MdbClusterSpec> = {}, install = INSTALL) => {
  const cluster = makeCluster({ shards: 3, ...spec });
  return buildNetworkPolicy(cluster, resolveSpec(cluster.spec, install).networkPolicy);
};

// makeCluster's cluster is ns/demo.
const member = (name: string, ip: string): Endpoint => ({ namespace: "ns", ip, labels: { "mdbcluster.io/cluster": "demo", "app.kubernetes.io/component": "member", "mdbcluster.io/member": name }, ports: { metrics: 9121 } });
const M0 = member("demo-0-0", "10.0.1.10");
const M1 = member("demo-1-0", "10.0.2.10");
const pod = (namespace: string, labels: Record<string, string>, ip = "10.0.3.7", nsExtra: Record<string, string> = {}): Endpoint => ({ namespace, labels, ip, nsLabels: nsExtra });
const APP = pod("ns", { app: "web" });
const OTHER_NS_APP = pod("shop", { app: "web" });
const OPERATOR = pod("mdb-system", OPERATOR_LABELS);
const OPERATOR_NS_OTHER = pod("mdb-system", { app: "debug" });
const OPERATOR_LOOKALIKE = pod("shop", OPERATOR_LABELS);
const OTHER_CLUSTER = pod("ns", { "mdbcluster.io/cluster": "other", "app.kubernetes.io/component": "member" });
const PROMETHEUS = pod("monitoring", { "app.kubernetes.io/name": "prometheus" }, "10.0.4.4", { team: "obs" });
const OUTSIDE = pod("", {}, "192.168.7.20");

describe("the members' NetworkPolicy", () => {
  test("selects the cluster's member pods, owned by the cluster, restricts both directions", () => {
    const p = policyFor();
    assert.deepEqual([p.metadata!.name, p.metadata!.namespace, p.metadata!.ownerReferences![0].uid], ["demo", "ns", "uid-1"]);
    assert.deepEqual(p.spec!.podSelector, { matchLabels: { "mdbcluster.io/cluster": "demo", "app.kubernetes.io/component": "member" } });
    assert.deepEqual(p.spec!.policyTypes, ["Ingress", "Egress"]);
  });

  // [who, port, admitted by default]
  const ingressTable: [string, Endpoint, number, boolean][] = [
    ["an app pod → engine", APP, 6379, true],
    ["an app pod in another namespace → engine", OTHER_NS_APP, 6379, true],
    ["an address outside the cluster → engine", OUTSIDE, 6379, true],
    ["an app pod → bus", APP, 16379, false],
    ["an app pod → sidecar API", APP, 7070, false],
    ["an app pod → sidecar health", APP, 7071, false],
    ["another member → bus", M1, 16379, true],
    ["another member → engine (replication, migration)", M1, 6379, true],
    ["another cluster's member → bus", OTHER_CLUSTER, 16379, false],
    ["the operator's pod → sidecar API", OPERATOR, 7070, true],
    ["another pod of the operator's namespace → sidecar API", OPERATOR_NS_OTHER, 7070, false],
    ["a pod with the operator's labels elsewhere → sidecar API", OPERATOR_LOOKALIKE, 7070, false],
    ["the operator's pod → bus", OPERATOR, 16379, false],
    ["a pod of the cluster's namespace → metrics", APP, 9121, true],
    ["Prometheus in another namespace → metrics (not by default)", PROMETHEUS, 9121, false],
  ];
  for (const [what, from, port, admitted] of ingressTable) {
    test(`ingress by default: ${what} ${admitted ? "admitted" : "refused"}`, () => assert.equal(ingress(policyFor(), from, M0, port), admitted));
  }

  test("spec.networkPolicy.clients narrows the engine port to them; members still reach it", () => {
    const p = policyFor({ networkPolicy: { clients: [{ podSelector: { matchLabels: { app: "web" } } }, { ipBlock: { cidr: "192.168.0.0/16", except: ["192.168.7.0/24"] } }] } });
    assert.deepEqual([APP, OTHER_NS_APP, OUTSIDE, pod("", {}, "192.168.1.1"), M1].map((e) => ingress(p, e, M0, 6379)), [true, false, false, true, true]);
  });

  test("spec.networkPolicy.metrics replaces the namespace's pods as scrapers", () => {
    const p = policyFor({ networkPolicy: { metrics: [{ namespaceSelector: { matchLabels: { team: "obs" } }, podSelector: { matchExpressions: [{ key: "app.kubernetes.io/name", operator: "In", values: ["prometheus"] }] } }] } });
    assert.deepEqual([PROMETHEUS, APP].map((e) => ingress(p, e, M0, 9121)), [true, false]);
    assert.equal(ingress(p, PROMETHEUS, M0, 7070), false, "a scraper reaches only the metrics port");
  });

  test("an operator outside any pod (no labels known): the sidecar API is open to any source, the token still guards it", () => {
    const p = policyFor({}, { engine: "e:1", sidecar: "s:1" });
    assert.deepEqual([APP, OUTSIDE].map((e) => ingress(p, e, M0, 7070)), [true, true]);
    assert.equal(ingress(p, APP, M0, 16379), false);
  });

  test("egress: members on the engine and bus ports, DNS anywhere, nothing else", () => {
    const p = policyFor();
    const dns = pod("kube-system", { "k8s-app": "kube-dns" }, "10.96.0.10");
    const api = pod("default", {}, "10.96.0.1");
    assert.deepEqual([
      egress(p, M1, 6379), egress(p, M1, 16379), egress(p, dns, 53, "UDP"), egress(p, dns, 53, "TCP"),
      egress(p, M1, 7070), egress(p, OTHER_CLUSTER, 6379), egress(p, APP, 6379), egress(p, api, 443), egress(p, OUTSIDE, 80),
    ], [true, true, true, true, false, false, false, false, false]);
  });

  test("up to date when only key order or empty parts differ; not when the spec asks for other sources", () => {
    const wanted = policyFor({ networkPolicy: { metrics: [{ podSelector: { matchLabels: {}, matchExpressions: [] }, namespaceSelector: { matchLabels: { team: "obs" } } }] } });
    const readBack = JSON.parse(JSON.stringify(wanted), (_k, v) => (v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v)) as V1NetworkPolicy;
    assert.ok(networkPolicyUpToDate(readBack, wanted));
    assert.deepEqual(wanted.spec!.ingress![3]._from, [{ podSelector: {}, namespaceSelector: { matchLabels: { team: "obs" } } }], "empty selector parts are left out, as the API server stores them");
    assert.ok(!networkPolicyUpToDate(readBack, policyFor()));
  });
});
