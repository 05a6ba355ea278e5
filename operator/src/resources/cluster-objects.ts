// The objects a cluster owns besides its member pods (pure): Services, the PodDisruptionBudget and
// the Secrets. Secret values are inputs (the shell draws them from a CSPRNG).
import type { V1PodDisruptionBudget, V1Secret, V1Service } from "@kubernetes/client-node";
import { memberCount, type MdbCluster } from "../api/types.ts";
import {
  BUS_PORT, clientServiceName, clusterLabels, ENGINE_PORT, generatedAuthSecretName, headlessServiceName, LABELS, METRICS_PORT, ownerReference, pdbName, SIDECAR_PORT,
  sidecarSecretName,
} from "./names.ts";

const meta = (cluster: MdbCluster, name: string) => ({
  name,
  namespace: cluster.metadata!.namespace!,
  labels: clusterLabels(cluster.metadata!.name!),
  ownerReferences: [ownerReference(cluster)],
});

const memberSelector = (cluster: MdbCluster) => ({ [LABELS.cluster]: cluster.metadata!.name!, [LABELS.component]: "member" });

/** Stable DNS names for members (`<pod>.<cluster>-members.<ns>.svc`), ready or not. */
export function buildHeadlessService(cluster: MdbCluster): V1Service {
  return {
    apiVersion: "v1", kind: "Service",
    metadata: meta(cluster, headlessServiceName(cluster.metadata!.name!)),
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: memberSelector(cluster),
      ports: [
        { name: "engine", port: ENGINE_PORT, targetPort: ENGINE_PORT },
        { name: "bus", port: BUS_PORT, targetPort: BUS_PORT },
        { name: "grpc", port: SIDECAR_PORT, targetPort: SIDECAR_PORT },
        { name: "metrics", port: METRICS_PORT, targetPort: METRICS_PORT },
      ],
    },
  };
}

/** Where a cluster-aware client starts: any ready member answers with the slot map. */
export function buildClientService(cluster: MdbCluster): V1Service {
  return {
    apiVersion: "v1", kind: "Service",
    metadata: meta(cluster, clientServiceName(cluster.metadata!.name!)),
    spec: { type: "ClusterIP", selector: memberSelector(cluster), ports: [{ name: "engine", port: ENGINE_PORT, targetPort: ENGINE_PORT }] },
  };
}

/**
 * At most one member down by choice (drain, eviction) at a time, and none while any member is down
 * (so a shard's last serving member is never taken; a lost member is replaced by the operator, which
 * lifts the block). Without standbys every member is its shard's last: none may be evicted. An
 * integer minAvailable, not maxUnavailable: the disruption controller would read the expected pod
 * count from the MdbCluster's scale subresource, which counts shards, not members.
 */
export function pdbMinAvailable(shape: { shards: number; replicasPerShard: number }): number {
  const members = memberCount(shape);
  return shape.replicasPerShard === 0 ? members : Math.max(1, members - 1);
}

export function buildPodDisruptionBudget(cluster: MdbCluster, shape: { shards: number; replicasPerShard: number }): V1PodDisruptionBudget {
  return {
    apiVersion: "policy/v1", kind: "PodDisruptionBudget",
    metadata: meta(cluster, pdbName(cluster.metadata!.name!)),
    spec: { minAvailable: pdbMinAvailable(shape), selector: { matchLabels: memberSelector(cluster) } },
  };
}

export function buildAuthSecret(cluster: MdbCluster, password: string): V1Secret {
  return {
    apiVersion: "v1", kind: "Secret", type: "Opaque",
    metadata: meta(cluster, generatedAuthSecretName(cluster.metadata!.name!)),
    stringData: { password },
  };
}

export function buildSidecarSecret(cluster: MdbCluster, token: string): V1Secret {
  return {
    apiVersion: "v1", kind: "Secret", type: "Opaque",
    metadata: meta(cluster, sidecarSecretName(cluster.metadata!.name!)),
    stringData: { token },
  };
}
