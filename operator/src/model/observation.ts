// What one reconcile saw, as plain data: the resource, its pods, the nodes and what each member's
// sidecar last reported. Built by observe.ts (the shell); everything downstream is pure.
import type { V1NetworkPolicy, V1Pod, V1PodDisruptionBudget, V1PersistentVolumeClaim, V1Secret, V1Service } from "@kubernetes/client-node";
import type { MdbCluster, ResolvedSpec } from "../api/types.ts";
import type { TopologyNode } from "../planner/index.ts";
import type { MemberStatus } from "../sidecar/client.ts";
import type { TlsObservation } from "./certificates.ts";

/**
 * A sidecar reports at least once a second; a member with no report for this long is Unknown
 * (docs/operations.md#member-health): three reports missed, so one late report never counts.
 */
export const REPORT_STALE_MS = 3_000;

export interface MemberView {
  name: string;
  shard: number;
  index: number;
  pod?: V1Pod;
  /** Bound node, else the node the pod is pinned to; "" without a pod. */
  node: string;
  ip: string;
  podReady: boolean;
  /** Why the pod is not running, from its status (e.g. "ImagePullBackOff", "Pending: Unschedulable"). */
  podProblem?: string;
  status?: MemberStatus;
  /** The sidecar's stream error, when it is not answering. */
  sidecarError?: string;
  /**
   * The last report is older than the bound (or there is none while the pod runs): what the member
   * does now is Unknown, and its last report (kept in `status`) is not acted on.
   */
  unknown: boolean;
  /** The member's sidecar has reported since its stream opened. */
  reported: boolean;
  /** Age of the last report (before the first: of the stream), ms; undefined without a stream. */
  reportAgeMs?: number;
  terminating: boolean;
}

export interface Observation {
  cluster: MdbCluster;
  key: string;
  /** The spec with defaults, or why it cannot be acted on. */
  spec: ResolvedSpec | { error: string; field: string };
  members: MemberView[];
  nodes: TopologyNode[];
  /** Node name → labels, for the placement shown in status. */
  nodeLabels: ReadonlyMap<string, Readonly<Record<string, string>>>;
  owned: {
    headlessService?: V1Service;
    clientService?: V1Service;
    pdb?: V1PodDisruptionBudget;
    generatedAuthSecret?: V1Secret;
    sidecarSecret?: V1Secret;
    networkPolicy?: V1NetworkPolicy;
    /** The sidecar API's CA and the operator's client certificate. */
    caSecret?: V1Secret;
    /** With spec.tls.issuerRef: cert-manager's Secret with the operator's client certificate and the CA. */
    operatorTlsSecret?: V1Secret;
    /** The members' serving certificates, one Secret each. */
    memberTlsSecrets: V1Secret[];
    pvcs: V1PersistentVolumeClaim[];
  };
  /** The certificates in caSecret and memberTlsSecrets, parsed (controller/observe-tls.ts). */
  tls: TlsObservation;
  /** spec.auth.secretName is set and that Secret (or its key "password") is missing. */
  userSecretProblem?: string;
  nowMs: number;
}

export const isResolved = (spec: Observation["spec"]): spec is ResolvedSpec => !("error" in spec);
