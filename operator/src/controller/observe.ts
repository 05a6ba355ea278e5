// Observe (the shell's read side): the resource, its pods, the nodes and each member's last
// sidecar report, from the informer caches and the status streams, into one plain Observation.
import type { V1NetworkPolicy, V1ContainerStatus, V1Node, V1PersistentVolumeClaim, V1Pod, V1PodDisruptionBudget, V1Secret, V1Service } from "@kubernetes/client-node";
import { resolveSpec, SpecError } from "../api/defaults.ts";
import type { InstallDefaults, MdbCluster } from "../api/types.ts";
import { memoryBytes, milliCpu, topologyNodeFromKubernetes } from "../planner/index.ts";
import {
  caSecretName, clientCaSecretName, clientServiceName, generatedAuthSecretName, headlessServiceName, LABELS, networkPolicyName, operatorTlsSecretName, parseMemberName, pdbName,
  sidecarSecretName,
} from "../resources/names.ts";
import { MEMBER_TLS_COMPONENT } from "../resources/tls-secrets.ts";
import { CERTIFICATE_NAME_ANNOTATION } from "../api/cert-manager.ts";
import type { CertManagerView } from "../model/certificates.ts";
import { observeTls } from "./observe-tls.ts";
import type { Cache } from "../runtime/informer.ts";
import type { ObservedSidecar } from "../sidecar/pool.ts";
import { REPORT_STALE_MS, type MemberView, type Observation } from "../model/observation.ts";

export interface Caches {
  clusters: Cache<MdbCluster>;
  pods: Cache<V1Pod>;
  nodes: Cache<V1Node>;
  services: Cache<V1Service>;
  secrets: Cache<V1Secret>;
  pdbs: Cache<V1PodDisruptionBudget>;
  pvcs: Cache<V1PersistentVolumeClaim>;
  networkPolicies: Cache<V1NetworkPolicy>;
}

const isTerminal = (p: V1Pod) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed";

/**
 * What the Pod cache keeps of a pod no MdbCluster owns (no cluster label): only what requestedByNode
 * reads. The cache holds every pod of the cluster, and the others' specs and statuses are most of it
 * (docs/footprint.md#the-operator).
 */
export function podAsCached(p: V1Pod): V1Pod {
  if (p.metadata?.labels?.[LABELS.cluster]) return p;
  const { name, namespace, uid, resourceVersion, labels } = p.metadata ?? {};
  return {
    metadata: { name, namespace, uid, resourceVersion, labels },
    spec: { nodeName: p.spec?.nodeName, containers: (p.spec?.containers ?? []).map((c) => ({ name: c.name, resources: { requests: c.resources?.requests } })) },
    status: { phase: p.status?.phase },
  };
}

/** What the Node cache keeps of a node: all but the list of images it holds, which nothing here reads. */
export function nodeAsCached(n: V1Node): V1Node {
  if (n.status?.images) delete n.status.images;
  return n;
}

/** Sum of what the running pods on each node request (what the scheduler counts against allocatable). */
export function requestedByNode(pods: readonly V1Pod[]): Map<string, { memoryBytes: number; milliCpu: number; pods: number }> {
  const out = new Map<string, { memoryBytes: number; milliCpu: number; pods: number }>();
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (!node || isTerminal(p)) continue;
    const r = out.get(node) ?? { memoryBytes: 0, milliCpu: 0, pods: 0 };
    r.pods++;
    for (const c of p.spec?.containers ?? []) {
      const req = c.resources?.requests ?? {};
      try { if (req.memory) r.memoryBytes += memoryBytes(String(req.memory)); } catch { /* an odd quantity counts as 0 */ }
      try { if (req.cpu) r.milliCpu += milliCpu(String(req.cpu)); } catch { /* idem */ }
    }
    out.set(node, r);
  }
  return out;
}

/**
 * A container the kubelet keeps restarting: waiting in CrashLoopBackOff, or between two back-offs (started
 * again, not ready, after at least two failed runs, so one restart of a killed engine is not one).
 */
function crashLooping(s: V1ContainerStatus): boolean {
  if (s.state?.waiting?.reason === "CrashLoopBackOff") return true;
  const last = s.lastState?.terminated;
  return !!s.state?.running && !s.ready && s.restartCount >= 2 && !!last && last.exitCode !== 0;
}

function podProblem(p: V1Pod): string | undefined {
  if (p.status?.phase === "Running") {
    const c = p.status.containerStatuses?.find(crashLooping);
    if (c) {
      // The kubelet's message repeats the pod's name; what a person needs is which container, how it ended, where to look.
      const last = c.lastState?.terminated;
      // Its last log line when the container keeps one (terminationMessagePolicy FallbackToLogsOnError).
      const said = last?.message?.trim().split("\n").pop()?.trim().slice(0, 200);
      return `CrashLoopBackOff: container ${c.name} restarted ${c.restartCount} times${last ? `, last exit ${last.exitCode}${last.reason ? ` (${last.reason})` : ""}` : ""}` +
        `${said ? `: "${said}"` : ""}; ` +
        `see kubectl logs -n ${p.metadata?.namespace} ${p.metadata?.name} -c ${c.name} --previous`;
    }
    const waiting = p.status.containerStatuses?.find((s) => s.state?.waiting)?.state?.waiting;
    return waiting ? `${waiting.reason ?? "Waiting"}${waiting.message ? `: ${waiting.message}` : ""}` : undefined;
  }
  const unschedulable = p.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  if (unschedulable) return `Pending: ${unschedulable.reason ?? ""} ${unschedulable.message ?? ""}`.trim();
  const waiting = p.status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting;
  if (waiting) return `${waiting.reason ?? "Waiting"}${waiting.message ? `: ${waiting.message}` : ""}`;
  return p.status?.phase ?? "Pending";
}

export function memberViews(cluster: MdbCluster, pods: readonly V1Pod[], sidecar: (member: string) => ObservedSidecar, nowMs: number): MemberView[] {
  const name = cluster.metadata!.name!;
  const views: MemberView[] = [];
  for (const pod of pods) {
    const podName = pod.metadata?.name ?? "";
    const parsed = parseMemberName(name, podName);
    if (!parsed || pod.metadata?.labels?.[LABELS.cluster] !== name || isTerminal(pod)) continue;
    const observed = sidecar(podName);
    const heard = observed.atMs ?? observed.sinceMs;
    const age = heard === undefined ? undefined : nowMs - heard;
    const stale = age !== undefined && age > REPORT_STALE_MS;
    const fresh = !!observed.status && !observed.error && !stale;
    const ready = pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
    const problem = podProblem(pod);
    views.push({
      name: podName,
      shard: parsed.shard,
      index: parsed.index,
      pod,
      node: pod.spec?.nodeName ?? pod.metadata?.annotations?.["mdbcluster.io/node"] ?? "",
      ip: pod.status?.podIP ?? "",
      podReady: ready,
      ...(problem ? { podProblem: problem } : {}),
      ...(fresh ? { status: observed.status } : {}),
      ...(observed.error ? { sidecarError: observed.error } : stale ? { sidecarError: `no report for ${Math.round(age! / 1000)} s (a member is Unknown after ${REPORT_STALE_MS / 1000} s of silence)` } : {}),
      unknown: !fresh,
      reported: observed.atMs !== undefined,
      ...(age !== undefined ? { reportAgeMs: age } : {}),
      terminating: !!pod.metadata?.deletionTimestamp,
    });
  }
  return views.sort((a, b) => a.shard - b.shard || a.index - b.index);
}

export function observe(cluster: MdbCluster, caches: Caches, sidecar: (member: string) => ObservedSidecar, images: InstallDefaults, nowMs: number, userSecretProblem?: string, certManager?: CertManagerView): Observation {
  const ns = cluster.metadata!.namespace!;
  const name = cluster.metadata!.name!;
  let spec: Observation["spec"];
  try {
    spec = resolveSpec(cluster.spec, images);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    spec = { error: err.message, field: err.field };
  }
  const allPods = caches.pods.list();
  const requested = requestedByNode(allPods);
  const nodes = caches.nodes.list();
  const owns = <T extends { metadata?: { ownerReferences?: { uid?: string }[] } }>(o: T | undefined) =>
    o && o.metadata?.ownerReferences?.some((r) => r.uid === cluster.metadata?.uid) ? o : undefined;
  // With spec.tls.issuerRef the TLS Secrets are cert-manager's: made for the cluster's Certificates, not owned by it.
  const fromCertManager = !!cluster.spec?.tls?.issuerRef;
  const mine = (o: V1Secret | undefined) => (fromCertManager ? (o?.metadata?.annotations?.[CERTIFICATE_NAME_ANNOTATION] === o?.metadata?.name ? o : undefined) : owns(o));
  const caSecret = owns(caches.secrets.get(caSecretName(name), ns));
  const operatorTlsSecret = fromCertManager ? mine(caches.secrets.get(operatorTlsSecretName(name), ns)) : undefined;
  const memberTlsSecrets = caches.secrets.list(ns).filter((s) => s.metadata?.labels?.[LABELS.cluster] === name && s.metadata.labels[LABELS.component] === MEMBER_TLS_COMPONENT && mine(s));
  return {
    cluster,
    key: `${ns}/${name}`,
    spec,
    members: memberViews(cluster, allPods.filter((p) => p.metadata?.namespace === ns), sidecar, nowMs),
    nodes: nodes.map((n) => topologyNodeFromKubernetes(n, requested.get(n.metadata!.name!))),
    nodeLabels: new Map(nodes.map((n) => [n.metadata!.name!, n.metadata?.labels ?? {}])),
    owned: {
      headlessService: owns(caches.services.get(headlessServiceName(name), ns)),
      clientService: owns(caches.services.get(clientServiceName(name), ns)),
      pdb: owns(caches.pdbs.get(pdbName(name), ns)),
      generatedAuthSecret: owns(caches.secrets.get(generatedAuthSecretName(name), ns)),
      sidecarSecret: owns(caches.secrets.get(sidecarSecretName(name), ns)),
      networkPolicy: owns(caches.networkPolicies.get(networkPolicyName(name), ns)),
      ...(caSecret ? { caSecret } : {}),
      ...(operatorTlsSecret ? { operatorTlsSecret } : {}),
      memberTlsSecrets,
      pvcs: caches.pvcs.list(ns).filter((p) => p.metadata?.labels?.[LABELS.cluster] === name && owns(p)),
    },
    tls: observeTls(fromCertManager ? { certManager, operatorSecret: operatorTlsSecret } : { caSecret }, memberTlsSecrets, owns(caches.secrets.get(clientCaSecretName(name), ns))),
    ...(userSecretProblem ? { userSecretProblem } : {}),
    nowMs,
  };
}
