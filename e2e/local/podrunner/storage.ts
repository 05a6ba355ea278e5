// A local-directory provisioner, standing in for kind's local-path-provisioner: StorageClass
// "standard" (the default, WaitForFirstConsumer); when the scheduler picks a node for a pod's claim,
// the runner creates a PersistentVolume backed by <state>/volumes/<namespace>/<claim>/, pinned to
// that node, and the real PV controller binds it. The directory survives pod restarts and is removed
// when the claim is deleted (reclaimPolicy Delete). A claim deleted and made again under its name (a
// member replaced with a new volume) gets the same path: <dir>.pv names the volume that owns it, so
// the old volume's late release never removes the new one's directory, and the new claim never sees
// the old one's data.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
    const path = pv.spec!.hostPath!.path;
    const owner = ownerOf(path);
    if (owner !== pv.metadata!.name) {
      // Left by an earlier claim of this name whose volume is not cleaned up yet: not this claim's data.
      if (owner !== undefined) rmSync(path, { recursive: true, force: true });
      mkdirSync(path, { recursive: true });
      writeFileSync(`${path}.pv`, pv.metadata!.name!);
    }
    // Writable by any pod user, as kind's local-path provisioner makes it: fsGroup does not apply to hostPath.
    chmodSync(path, 0o777);
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
    // A directory that another volume owns now (its claim was made again under this name) stays.
    const owner = path ? ownerOf(path) : undefined;
    if (path?.startsWith(`${this.stateDir}/volumes/`) && (owner === undefined || owner === pv.metadata!.name)) {
      rmSync(path, { recursive: true, force: true });
      rmSync(`${path}.pv`, { force: true });
    }
    try {
      await this.core.deletePersistentVolume({ name: pv.metadata!.name! });
      this.log(`deleted released volume ${pv.metadata!.name}`);
    } catch (e) {
      if (!isApiStatus(e, 404)) throw e;
    }
  }
}

/** The PersistentVolume that owns a claim directory (from <dir>.pv), or undefined when none does. */
function ownerOf(path: string): string | undefined {
  return existsSync(`${path}.pv`) ? readFileSync(`${path}.pv`, "utf8").trim() : undefined;
}
