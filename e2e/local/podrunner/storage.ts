// A local-directory provisioner, standing in for kind's local-path-provisioner: StorageClass
// "standard" (the default, WaitForFirstConsumer); when the scheduler picks a node for a pod's claim,
// the runner creates a PersistentVolume backed by <state>/volumes/<namespace>/<claim>/, pinned to
// that node, and the real PV controller binds it. The directory survives pod restarts and is removed
// when the claim is deleted (reclaimPolicy Delete).
import { chmodSync, rmSync, mkdirSync } from "node:fs";
import type { CoreV1Api, StorageV1Api, V1PersistentVolume, V1PersistentVolumeClaim } from "@kubernetes/client-node";
import { isApiStatus } from "./nodes.ts";
import { claimDir } from "./volumes.ts";

export const PROVISIONER = "mdbcluster.io/local-dir";
export const STORAGE_CLASS = "standard";
const SELECTED_NODE = "volume.kubernetes.io/selected-node";
const STORAGE_PROVISIONER = ["volume.kubernetes.io/storage-provisioner", "volume.beta.kubernetes.io/storage-provisioner"];

/** The PV for a claim whose node has been chosen, or undefined when the claim is not ours to provision. */
export function volumeForClaim(pvc: V1PersistentVolumeClaim, stateDir: string, ourNodes: Set<string>): V1PersistentVolume | undefined {
  const a = pvc.metadata?.annotations ?? {};
  const node = a[SELECTED_NODE];
  const provisioner = STORAGE_PROVISIONER.map((k) => a[k]).find(Boolean);
  if (pvc.spec?.volumeName || pvc.status?.phase === "Bound" || !node || !ourNodes.has(node) || provisioner !== PROVISIONER) return undefined;
  const ns = pvc.metadata!.namespace!;
  const name = pvc.metadata!.name!;
  return {
    apiVersion: "v1", kind: "PersistentVolume",
    metadata: { name: `pvc-${pvc.metadata!.uid}`, annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER } },
    spec: {
      capacity: { storage: pvc.spec?.resources?.requests?.storage ?? "1Gi" },
      accessModes: pvc.spec?.accessModes?.length ? pvc.spec.accessModes : ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Delete",
      storageClassName: pvc.spec?.storageClassName ?? STORAGE_CLASS,
      volumeMode: pvc.spec?.volumeMode ?? "Filesystem",
      hostPath: { path: claimDir(stateDir, ns, name), type: "DirectoryOrCreate" },
      claimRef: { apiVersion: "v1", kind: "PersistentVolumeClaim", namespace: ns, name, uid: pvc.metadata!.uid },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }] }] } },
    },
  };
}

export class LocalProvisioner {
  constructor(private readonly core: CoreV1Api, private readonly storage: StorageV1Api, private readonly stateDir: string,
    private readonly nodes: Set<string>, private readonly log: (m: string) => void) {}

  async ensureStorageClass(): Promise<void> {
    try {
      await this.storage.createStorageClass({ body: {
        apiVersion: "storage.k8s.io/v1", kind: "StorageClass",
        metadata: { name: STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: PROVISIONER, volumeBindingMode: "WaitForFirstConsumer", reclaimPolicy: "Delete",
      } });
    } catch (e) {
      if (!isApiStatus(e, 409)) throw e;
    }
  }

  async onClaim(pvc: V1PersistentVolumeClaim): Promise<void> {
    const pv = volumeForClaim(pvc, this.stateDir, this.nodes);
    if (!pv) return;
    mkdirSync(pv.spec!.hostPath!.path, { recursive: true });
    // Writable by any pod user, as kind's local-path provisioner makes it: fsGroup does not apply to hostPath.
    chmodSync(pv.spec!.hostPath!.path, 0o777);
    try {
      await this.core.createPersistentVolume({ body: pv });
      this.log(`provisioned ${pv.metadata!.name} for claim ${pvc.metadata!.namespace}/${pvc.metadata!.name} at ${pv.spec!.hostPath!.path}`);
    } catch (e) {
      if (!isApiStatus(e, 409)) throw e;
    }
  }

  /** A released volume of ours: remove its directory, then the PV (reclaimPolicy Delete). */
  async onVolume(pv: V1PersistentVolume): Promise<void> {
    if (pv.metadata?.annotations?.["pv.kubernetes.io/provisioned-by"] !== PROVISIONER) return;
    if (pv.status?.phase !== "Released" || pv.spec?.persistentVolumeReclaimPolicy !== "Delete") return;
    const path = pv.spec?.hostPath?.path;
    if (path?.startsWith(`${this.stateDir}/volumes/`)) rmSync(path, { recursive: true, force: true });
    try {
      await this.core.deletePersistentVolume({ name: pv.metadata!.name! });
      this.log(`deleted released volume ${pv.metadata!.name}`);
    } catch (e) {
      if (!isApiStatus(e, 404)) throw e;
    }
  }
}
