// KubeWrites over the API: creating what exists and deleting what is gone both succeed, so every
// step can be repeated after a crash or a change of leader.
import type { V1NetworkPolicy, V1PersistentVolumeClaim, V1Pod, V1PodDisruptionBudget, V1Secret, V1Service } from "@kubernetes/client-node";
import type { CertificateObject } from "../api/cert-manager.ts";
import { isAlreadyExists, isNotFound, type KubeClients } from "../runtime/kube.ts";
import type { KubeWrites, OwnedObject, OwnedObjectKind } from "./context.ts";

async function ignore(code: (err: unknown) => boolean, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (!code(err)) throw err;
  }
}

export function kubeWrites(k: KubeClients): KubeWrites {
  return {
    createPod: (pod: V1Pod) => ignore(isAlreadyExists, () => k.core.createNamespacedPod({ namespace: pod.metadata!.namespace!, body: pod })),
    createPvc: (pvc: V1PersistentVolumeClaim) => ignore(isAlreadyExists, () => k.core.createNamespacedPersistentVolumeClaim({ namespace: pvc.metadata!.namespace!, body: pvc })),
    createOwned: (obj: OwnedObject) => ignore(isAlreadyExists, () => {
      const namespace = obj.metadata!.namespace!;
      switch (obj.kind) {
        case "Service": return k.core.createNamespacedService({ namespace, body: obj as V1Service });
        case "Secret": return k.core.createNamespacedSecret({ namespace, body: obj as V1Secret });
        case "PodDisruptionBudget": return k.policy.createNamespacedPodDisruptionBudget({ namespace, body: obj as V1PodDisruptionBudget });
        case "NetworkPolicy": return k.networking.createNamespacedNetworkPolicy({ namespace, body: obj as V1NetworkPolicy });
        default: throw new Error(`cannot create a ${obj.kind}`);
      }
    }),
    replaceOwned: async (obj: OwnedObject) => {
      const namespace = obj.metadata!.namespace!;
      const name = obj.metadata!.name!;
      const withVersion = <T extends OwnedObject>(current: T) => ({ ...(obj as T), metadata: { ...obj.metadata, resourceVersion: current.metadata?.resourceVersion } });
      if (obj.kind === "PodDisruptionBudget") {
        const body = withVersion(await k.policy.readNamespacedPodDisruptionBudget({ name, namespace }));
        await k.policy.replaceNamespacedPodDisruptionBudget({ name, namespace, body });
      } else if (obj.kind === "Secret") {
        const body = withVersion(await k.core.readNamespacedSecret({ name, namespace }));
        await k.core.replaceNamespacedSecret({ name, namespace, body });
      } else if (obj.kind === "NetworkPolicy") {
        const body = withVersion(await k.networking.readNamespacedNetworkPolicy({ name, namespace }));
        await k.networking.replaceNamespacedNetworkPolicy({ name, namespace, body });
      } else {
        throw new Error(`cannot replace a ${obj.kind}`);
      }
    },
    deletePod: (namespace, name, graceSeconds) => ignore(isNotFound, () => k.core.deleteNamespacedPod({ namespace, name, ...(graceSeconds !== undefined ? { gracePeriodSeconds: graceSeconds } : {}) })),
    deletePvc: (namespace, name) => ignore(isNotFound, () => k.core.deleteNamespacedPersistentVolumeClaim({ namespace, name })),
    applyCertificate: async (certificate: CertificateObject) => {
      const { namespace, name } = certificate.metadata;
      try {
        await k.certManager.createNamespacedCertificate({ namespace, body: certificate });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        const current = await k.certManager.readNamespacedCertificate({ namespace, name });
        const body = { ...certificate, metadata: { ...certificate.metadata, resourceVersion: current.metadata.resourceVersion } };
        await k.certManager.replaceNamespacedCertificate({ namespace, name, body });
      }
    },
    deleteCertificate: (namespace, name) => ignore(isNotFound, () => k.certManager.deleteNamespacedCertificate({ namespace, name })),
    deleteOwned: (kind: OwnedObjectKind, namespace, name) => ignore(isNotFound, () => {
      switch (kind) {
        case "Service": return k.core.deleteNamespacedService({ namespace, name });
        case "Secret": return k.core.deleteNamespacedSecret({ namespace, name });
        case "PodDisruptionBudget": return k.policy.deleteNamespacedPodDisruptionBudget({ namespace, name });
        case "NetworkPolicy": return k.networking.deleteNamespacedNetworkPolicy({ namespace, name });
      }
    }),
  };
}
