// Names and labels of everything a cluster owns (pure). One place, so the builders, the observer
// and the tests agree.
import { MEMBER_PORTS } from "../../../common/member-env.ts";
import type { MdbCluster } from "../api/types.ts";

export { memberName, parseMemberName } from "../planner/index.ts";

export const LABELS = {
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  managedBy: "app.kubernetes.io/managed-by",
  component: "app.kubernetes.io/component",
  cluster: "mdbcluster.io/cluster",
  shard: "mdbcluster.io/shard",
  member: "mdbcluster.io/member",
} as const;

export const MANAGED_BY = "mdb-operator";
// The member pod's ports have their home in the pod <-> sidecar contract (common/member-env.ts).
export const ENGINE_PORT = MEMBER_PORTS.engine;
export const BUS_PORT = MEMBER_PORTS.bus;
export const SIDECAR_PORT = MEMBER_PORTS.grpc;
export const HEALTH_PORT = MEMBER_PORTS.health;
export const METRICS_PORT = MEMBER_PORTS.metrics;
/** Name of the container port Prometheus scrapes (what a ServiceMonitor selects by; docs/operations.md#metrics). */
export const METRICS_PORT_NAME = "metrics";

export const headlessServiceName = (cluster: string) => `${cluster}-members`;
export const clientServiceName = (cluster: string) => cluster;
export const generatedAuthSecretName = (cluster: string) => `${cluster}-auth`;
export const sidecarSecretName = (cluster: string) => `${cluster}-sidecar`;
/** The cluster's CA for the sidecar API and the operator's client certificate (docs/architecture/sidecar.md#mtls). */
export const caSecretName = (cluster: string) => `${cluster}-ca`;
/** A member's serving certificate for the sidecar API, with the CA that clients' certificates must come from. */
export const memberTlsSecretName = (member: string) => `${member}-tls`;
/** With spec.tls.enabled: the CA the engines' certificates come from, without its key, for clients. */
export const clientCaSecretName = (cluster: string) => `${cluster}-ca-crt`;
/** With spec.tls.issuerRef: the operator's client certificate from cert-manager, and the CA beside it. */
export const operatorTlsSecretName = (cluster: string) => `${cluster}-operator-tls`;
export const pdbName = (cluster: string) => cluster;
export const networkPolicyName = (cluster: string) => cluster;
export const pvcName = (member: string) => `data-${member}`;

/**
 * The DNS names a member's sidecar certificate is issued for: its stable name under the headless
 * Service (the first is the name the operator verifies when it dials the pod's IP), with and without
 * the cluster domain.
 */
export function memberDnsNames(cluster: string, namespace: string, member: string): string[] {
  const base = `${member}.${headlessServiceName(cluster)}.${namespace}.svc`;
  return [base, `${base}.cluster.local`];
}

/** The Secret with the engine password: the user's, or the one the operator generates. */
export const authSecretName = (cluster: MdbCluster) => cluster.spec.auth?.secretName || generatedAuthSecretName(cluster.metadata!.name!);

export function clusterLabels(cluster: string): Record<string, string> {
  return { [LABELS.name]: "mdbcluster", [LABELS.instance]: cluster, [LABELS.managedBy]: MANAGED_BY, [LABELS.cluster]: cluster };
}

export function memberLabels(cluster: string, shard: number, member: string): Record<string, string> {
  return { ...clusterLabels(cluster), [LABELS.component]: "member", [LABELS.shard]: String(shard), [LABELS.member]: member };
}

/** Selector of a cluster's member pods (the scale subresource shows it). */
export const memberSelector = (cluster: string) => `${LABELS.cluster}=${cluster},${LABELS.component}=member`;

export function ownerReference(cluster: MdbCluster) {
  return {
    apiVersion: cluster.apiVersion ?? "mdbcluster.io/v1alpha1",
    kind: cluster.kind ?? "MdbCluster",
    name: cluster.metadata!.name!,
    uid: cluster.metadata!.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

