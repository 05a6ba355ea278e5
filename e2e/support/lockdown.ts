// Least privilege as the suites check it (docs/operations.md#security): what the operator's
// ServiceAccount may do (`kubectl auth can-i` as that account), the restricted Pod Security level the
// suites' namespaces enforce, and the NetworkPolicy a cluster owns.
import type { Kube } from "./mdb.ts";

/** The label createNamespace puts on every namespace a suite makes: the API server admits only restricted pods. */
export const RESTRICTED_LABELS = { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" };

/** `kubectl auth can-i VERB RESOURCE` as the ServiceAccount; namespace "*" asks across all namespaces. */
export async function canI(kube: Kube, serviceAccount: { namespace: string; name: string }, verb: string, resource: string, namespace: string): Promise<boolean> {
  const where = namespace === "*" ? ["--all-namespaces"] : ["-n", namespace];
  const r = await kube.run("kubectl", ["auth", "can-i", verb, resource, ...where, "--as", `system:serviceaccount:${serviceAccount.namespace}:${serviceAccount.name}`]);
  const answer = r.stdout.trim();
  if (answer !== "yes" && answer !== "no") throw new Error(`kubectl auth can-i ${verb} ${resource} answered ${JSON.stringify(r.stdout + r.stderr)}`);
  return answer === "yes";
}

/** A pod with no securityContext at all, which `restricted` refuses. */
const UNRESTRICTED_POD = JSON.stringify({
  apiVersion: "v1", kind: "Pod", metadata: { name: "pod-security-probe" },
  spec: { containers: [{ name: "c", image: "busybox:latest", command: ["sleep", "1"] }] },
});

/**
 * What the API server says about the namespace's Pod Security: whether a pod without a
 * securityContext is refused (server-side dry run, nothing is created), and the warnings that
 * re-labelling it restricted gives for the pods it already runs (none when every pod passes).
 */
export async function podSecurityVerdict(kube: Kube, namespace: string): Promise<{ labels: Record<string, string>; unrestrictedRefusal: string; existingPodWarnings: string }> {
  const ns = await kube.core.readNamespace({ name: namespace });
  const probe = await kube.run("kubectl", ["apply", "-n", namespace, "--dry-run=server", "-f", "-"], UNRESTRICTED_POD);
  if (probe.code === 0) return { labels: ns.metadata?.labels ?? {}, unrestrictedRefusal: "", existingPodWarnings: "" };
  const relabel = await kube.run("kubectl", ["label", "namespace", namespace, "--overwrite", "--dry-run=server", "pod-security.kubernetes.io/enforce=restricted"]);
  if (relabel.code !== 0) throw new Error(`kubectl label --dry-run=server: ${relabel.stderr}`);
  return { labels: ns.metadata?.labels ?? {}, unrestrictedRefusal: probe.stderr.trim(), existingPodWarnings: relabel.stderr.trim() };
}

/** A NetworkPolicy as the API server returns it (JSON: an ingress rule's sources are `from`). */
export interface StoredNetworkPolicy {
  metadata: { generation?: number; resourceVersion?: string; ownerReferences?: { uid: string }[] };
  spec: {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes: string[];
    ingress: { ports?: { port?: number | string; protocol?: string }[]; from?: Record<string, unknown>[] }[];
    egress: { ports?: { port?: number | string; protocol?: string }[]; to?: Record<string, unknown>[] }[];
  };
}

export async function readNetworkPolicy(kube: Kube, namespace: string, name: string): Promise<StoredNetworkPolicy | undefined> {
  const out = await kube.must("kubectl", ["get", "networkpolicy", name, "-n", namespace, "--ignore-not-found", "-o", "json"]);
  return out.trim() ? (JSON.parse(out) as StoredNetworkPolicy) : undefined;
}

/** A pod to open TCP connections from, as an outsider (restricted, so admitted in the suites' namespaces). */
export async function startProbePod(kube: Kube, namespace: string, name: string, labels: Record<string, string>): Promise<void> {
  const pod = {
    apiVersion: "v1", kind: "Pod", metadata: { name, labels },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
      terminationGracePeriodSeconds: 0,
      containers: [{
        name: "probe", image: "busybox:latest", command: ["sleep", "3600"],
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
      }],
    },
  };
  await kube.must("kubectl", ["apply", "-n", namespace, "-f", "-"], JSON.stringify(pod));
  await kube.must("kubectl", ["wait", "-n", namespace, "--for=condition=Ready", `pod/${name}`, "--timeout=90s"]);
}

/** Whether `address:port` accepts a TCP connection from the probe pod: open, refused or timed out (3 s). */
export async function tcpFrom(kube: Kube, namespace: string, probe: string, address: string, port: number): Promise<"open" | "refused" | "timeout"> {
  const r = await kube.run("kubectl", ["exec", "-n", namespace, probe, "--", "sh", "-c", `nc -w 3 ${address} ${port} </dev/null; echo "rc=$?"`]);
  const out = r.stdout + r.stderr;
  if (/rc=0/.test(out)) return "open";
  if (/refused/i.test(out)) return "refused";
  if (/timed out|timeout/i.test(out)) return "timeout";
  throw new Error(`nc from ${namespace}/${probe} to ${address}:${port}: ${out.trim()}`);
}

/**
 * What pods outside a cluster's NetworkPolicy reach of a member at `ip`: one probe pod in the member's
 * namespace, one in the operator's (not the operator's labels). The probe pods are removed afterwards.
 */
export async function reachFromOutsiders(kube: Kube, namespace: string, operatorNamespace: string, ip: string): Promise<Record<"engine" | "bus" | "sidecarApi" | "sidecarApiFromTheOperatorsNamespace", string>> {
  await startProbePod(kube, namespace, "outsider", { app: "outsider" });
  await startProbePod(kube, operatorNamespace, "outsider", { app: "outsider" });
  try {
    return {
      engine: await tcpFrom(kube, namespace, "outsider", ip, 6379),
      bus: await tcpFrom(kube, namespace, "outsider", ip, 16379),
      sidecarApi: await tcpFrom(kube, namespace, "outsider", ip, 7070),
      sidecarApiFromTheOperatorsNamespace: await tcpFrom(kube, operatorNamespace, "outsider", ip, 7070),
    };
  } finally {
    await kube.run("kubectl", ["delete", "pod", "outsider", "-n", namespace, "--wait=false"]);
    await kube.run("kubectl", ["delete", "pod", "outsider", "-n", operatorNamespace, "--wait=false"]);
  }
}
