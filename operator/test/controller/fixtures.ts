// A simulated cluster for the controller's tests: Nodes of a region × zones × racks × hosts grid,
// pods that start when the executor creates them, and FakeMembers as their sidecars.
import type { V1Node, V1Pod, V1Secret } from "@kubernetes/client-node";
import type { MdbCluster, MdbClusterSpec } from "../../src/api/types.ts";
import type { CertificateObject } from "../../src/api/cert-manager.ts";
import type { CertManagerView, IssuerView } from "../../src/model/certificates.ts";
import { resolveSpec } from "../../src/api/defaults.ts";
import { FINALIZER } from "../../src/api/types.ts";
import type { ExecutorContext, KubeWrites, OwnedObject } from "../../src/executor/context.ts";
import type { MemberView, Observation } from "../../src/model/observation.ts";
import { memberViews } from "../../src/controller/observe.ts";
import { observeTls } from "../../src/controller/observe-tls.ts";
import { decideTls } from "../../src/controller/tls.ts";
import { issueCertificates } from "../../src/executor/certificates.ts";
import { createOwned } from "../../src/executor/owned-objects.ts";
import type { Action, OwnedKind } from "../../src/model/actions.ts";
import type { StoredPlan } from "../../src/model/stored-plan.ts";
import { decide } from "../../src/controller/decide.ts";
import { LABELS } from "../../src/resources/names.ts";
import { MEMBER_TLS_COMPONENT, MEMBER_TLS_KEYS, secretText } from "../../src/resources/tls-secrets.ts";
import { tlsFilesDigest } from "../../../common/tls-digest.ts";
import { topologyNodeFromKubernetes } from "../../src/planner/index.ts";
import { FakeMembers } from "../../src/sidecar/fake.ts";
import { silentLogger } from "../../src/runtime/log.ts";

export function gridNodes(zones: string[], racks = 2, hosts = 2): V1Node[] {
  const out: V1Node[] = [];
  for (const z of zones) for (let r = 1; r <= racks; r++) for (let h = 1; h <= hosts; h++) {
    const name = `${z}${r}-h${h}`;
    out.push({
      metadata: { name, labels: { "kubernetes.io/hostname": name, "topology.kubernetes.io/region": "r1", "topology.kubernetes.io/zone": `zone-${z}`, "topology.mdbcluster.io/rack": `rack-${r}` } },
      status: { allocatable: { cpu: "4", memory: "8Gi", pods: "110" }, conditions: [{ type: "Ready", status: "True" }] },
    });
  }
  return out;
}

export function makeCluster(spec: MdbClusterSpec, extra: Partial<MdbCluster["metadata"]> = {}): MdbCluster {
  return {
    apiVersion: "mdbcluster.io/v1alpha1", kind: "MdbCluster",
    metadata: { name: "demo", namespace: "ns", uid: "uid-1", generation: 1, finalizers: [FINALIZER], ...extra },
    spec,
  };
}

/** Pods and owned objects as the API server would keep them, plus the members' fake sidecars. */
export class SimulatedCluster {
  readonly pods = new Map<string, V1Pod>();
  readonly owned = new Map<string, OwnedObject>();
  readonly members = new FakeMembers();
  private nextIp = 2;
  /** Pods whose engine starts only after this many more observations (staggered starts). */
  readonly startsAfter = new Map<string, number>();
  readonly writes: KubeWrites = {
    createPod: async (pod) => {
      const name = pod.metadata!.name!;
      if (this.pods.has(name)) return;
      const node = pod.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0].matchExpressions![0].values![0];
      const ip = `10.244.1.${this.nextIp++}`;
      this.pods.set(name, { ...pod, spec: { ...pod.spec!, nodeName: node }, status: { phase: "Running", podIP: ip, conditions: [] } });
      this.members.add(name, ip);
      if ((this.startsAfter.get(name) ?? 0) > 0) this.members.engine(name).status.engineUp = false;
    },
    createPvc: async () => {},
    createOwned: async (obj) => { this.owned.set(`${obj.kind}/${obj.metadata!.name}`, obj); },
    replaceOwned: async (obj) => { this.owned.set(`${obj.kind}/${obj.metadata!.name}`, obj); },
    deletePod: async (_ns, name) => { this.pods.delete(name); },
    deletePvc: async () => {},
    deleteOwned: async (kind, _ns, name) => { this.owned.delete(`${kind}/${name}`); },
    applyCertificate: async (c) => { this.certificates.set(c.metadata.name, c); },
    deleteCertificate: async (_ns, name) => { this.certificates.delete(name); },
  };
  /** Members whose sidecars have not taken their Secret's new files yet (the kubelet's delay). */
  readonly tlsLag = new Set<string>();
  /** cert-manager's Certificates as the operator wrote them (spec.tls.issuerRef). */
  readonly certificates = new Map<string, CertificateObject>();
  /** What the fake cert-manager API answers: undefined means its API is not served. */
  certManagerIssuer: IssuerView | undefined = { state: "ready" };

  constructor(readonly cluster: MdbCluster, readonly nodes: V1Node[]) {}

  private certManagerView(nowMs: number): CertManagerView {
    if (!this.certManagerIssuer) return { api: "missing" };
    const certificates = Object.fromEntries([...this.certificates.values()].map((c) => [c.metadata.name, {
      secretName: c.spec.secretName, commonName: c.spec.commonName, dnsNames: c.spec.dnsNames ?? [], usages: c.spec.usages, issuerRef: c.spec.issuerRef,
      ready: this.owned.has(`Secret/${c.spec.secretName}`) ? "True" as const : "False" as const, reason: "DoesNotExist", message: "Issuing certificate as Secret does not exist", createdMs: Number(c.metadata.creationTimestamp ?? nowMs),
    }]));
    return { api: "served", certificates, issuer: this.certManagerIssuer };
  }

  observe(nowMs = 0): Observation {
    this.members.gossip();
    for (const [name, left] of this.startsAfter) {
      if (!this.pods.has(name)) continue;
      if (left <= 1) { this.startsAfter.delete(name); this.members.update(this.members.engine(name), { engineUp: true }); }
      else this.startsAfter.set(name, left - 1);
    }
    const spec = resolveSpec(this.cluster.spec, { engine: "mdbcluster/engine-valkey:test", sidecar: "mdbcluster/node:test" });
    // Each sidecar serves with its Secret's files (the kubelet and the sidecar at once), unless it lags.
    for (const name of this.pods.keys()) {
      const secret = this.owned.get(`Secret/${name}-tls`) as V1Secret | undefined;
      if (!secret || this.tlsLag.has(name) || !this.members.engines.has(name)) continue;
      const tlsDigest = tlsFilesDigest(secretText(secret, MEMBER_TLS_KEYS.ca) ?? "", secretText(secret, MEMBER_TLS_KEYS.cert) ?? "");
      if (this.members.engine(name).status.tlsDigest !== tlsDigest) this.members.engine(name).status.tlsDigest = tlsDigest;
    }
    // A pod is ready when its sidecar says the member serves its role (the sidecar's /readyz).
    for (const [name, pod] of this.pods) {
      const ready = this.members.engines.has(name) && this.members.status(name).ready;
      pod.status!.conditions = [{ type: "Ready", status: ready ? "True" : "False" }];
    }
    const members: MemberView[] = memberViews(this.cluster, [...this.pods.values()], (m) => (this.members.engines.has(m) ? { status: this.members.status(m), atMs: nowMs } : { error: "connection refused", atMs: nowMs - 10_000 }), nowMs);
    const get = (k: string) => this.owned.get(k) as never;
    const caSecret = this.owned.get("Secret/demo-ca") as V1Secret | undefined;
    const operatorTlsSecret = this.owned.get("Secret/demo-operator-tls") as V1Secret | undefined;
    const memberTlsSecrets = [...this.owned.values()].filter((s): s is V1Secret => s.kind === "Secret" && s.metadata?.labels?.[LABELS.component] === MEMBER_TLS_COMPONENT);
    return {
      cluster: this.cluster, key: "ns/demo", spec, members,
      nodes: this.nodes.map((n) => topologyNodeFromKubernetes(n)),
      nodeLabels: new Map(this.nodes.map((n) => [n.metadata!.name!, n.metadata!.labels!])),
      owned: {
        headlessService: get("Service/demo-members"), clientService: get("Service/demo"), pdb: get("PodDisruptionBudget/demo"),
        generatedAuthSecret: get("Secret/demo-auth"), sidecarSecret: get("Secret/demo-sidecar"), networkPolicy: get("NetworkPolicy/demo"), pvcs: [],
        ...(caSecret ? { caSecret } : {}), ...(operatorTlsSecret ? { operatorTlsSecret } : {}), memberTlsSecrets,
      },
      tls: observeTls(this.cluster.spec?.tls?.issuerRef ? { certManager: this.certManagerView(nowMs), operatorSecret: operatorTlsSecret } : { caSecret }, memberTlsSecrets, this.owned.get("Secret/demo-ca-crt") as V1Secret | undefined),
      nowMs,
    };
  }

  /**
   * What a new cluster's first passes make before its plan: the owned objects (`kinds`) and the
   * sidecar API's CA and certificates.
   */
  async setUp(kinds: OwnedKind[] = ["auth-secret", "sidecar-secret", "headless-service", "client-service", "pdb", "network-policy"], nowMs = 0): Promise<void> {
    await createOwned(kinds, this.context(this.observe(nowMs)));
    const o = this.observe(nowMs);
    const action = decideTls(o, this.context(o).spec, undefined);
    if (action?.kind === "issue-certificates") await issueCertificates(action, this.context(o));
  }

  /** decide(), after the certificates it asks for first are issued (new members get theirs before their plan). */
  async decideAfterCertificates(stored: StoredPlan | undefined, nowMs = 0): Promise<Action> {
    const first = decide(this.observe(nowMs), stored, FINALIZER);
    if (first.kind !== "issue-certificates") return first;
    await issueCertificates(first, this.context(this.observe(nowMs)));
    return decide(this.observe(nowMs), stored, FINALIZER);
  }

  context(o: Observation): ExecutorContext {
    let seed = 1;
    return {
      observation: o, spec: resolveSpec(this.cluster.spec, { engine: "mdbcluster/engine-valkey:test", sidecar: "mdbcluster/node:test" }), kube: this.writes,
      sidecar: (m) => (this.pods.has(m) ? this.members.client(m) : undefined),
      randomBytes: (n) => Buffer.alloc(n, seed++), log: silentLogger(),
    };
  }
}
