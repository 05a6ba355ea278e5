// What a step needs to act: the observation it was chosen from, the Kubernetes writes it may make
// and the members' sidecars. Interfaces only, so the executor's tests use fakes.
import type { V1NetworkPolicy, V1PersistentVolumeClaim, V1Pod, V1PodDisruptionBudget, V1Secret, V1Service } from "@kubernetes/client-node";
import type { CertificateObject } from "../api/cert-manager.ts";
import type { ResolvedSpec } from "../api/types.ts";
import type { Observation } from "../model/observation.ts";
import type { Logger } from "../runtime/log.ts";
import type { SidecarClient } from "../sidecar/client.ts";

export type OwnedObject = V1Service | V1Secret | V1PodDisruptionBudget | V1NetworkPolicy;
export type OwnedObjectKind = "Service" | "Secret" | "PodDisruptionBudget" | "NetworkPolicy";

/** Kubernetes writes, each idempotent: creating what exists or deleting what is gone succeeds. */
export interface KubeWrites {
  createPod(pod: V1Pod): Promise<void>;
  createPvc(pvc: V1PersistentVolumeClaim): Promise<void>;
  createOwned(obj: OwnedObject): Promise<void>;
  /** Replace an owned object's spec or a Secret's data (it keeps its identity). */
  replaceOwned(obj: OwnedObject): Promise<void>;
  /** `graceSeconds` 0 removes a pod whose node cannot confirm it stopped (a NotReady node). */
  deletePod(namespace: string, name: string, graceSeconds?: number): Promise<void>;
  deletePvc(namespace: string, name: string): Promise<void>;
  deleteOwned(kind: OwnedObjectKind, namespace: string, name: string): Promise<void>;
  /** Create a cert-manager Certificate, or replace the spec of the one of that name. */
  applyCertificate(certificate: CertificateObject): Promise<void>;
  deleteCertificate(namespace: string, name: string): Promise<void>;
}

export interface ExecutorContext {
  observation: Observation;
  spec: ResolvedSpec;
  kube: KubeWrites;
  sidecar(member: string): SidecarClient | undefined;
  /** Random bytes (a CSPRNG in the shell, seeded in tests). */
  randomBytes(n: number): Buffer;
  log: Logger;
}

/** What advancing a step achieved, judged from what was observed and what the call returned. */
export interface StepResult {
  state: "done" | "running" | "failed";
  message: string;
  /** Keys and bytes a slot move moved in this call. */
  moved?: { keys: number; bytes: number };
}
