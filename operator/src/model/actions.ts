// The controller's decision vocabulary (pure data): what decide() chooses and the reconciler carries out.
import type { Plan, PlannedStep } from "../planner/index.ts";
import type { WantedCertificate } from "../resources/certificates.ts";

export type OwnedKind = "auth-secret" | "sidecar-secret" | "headless-service" | "client-service" | "pdb" | "network-policy";

export type Action =
  | { kind: "add-finalizer" }
  /** `tlsSecrets`: the CA Secret and the members' TLS Secrets, by name (docs/architecture/sidecar.md#mtls). */
  | { kind: "teardown"; pods: string[]; pvcs: string[]; owned: OwnedKind[]; tlsSecrets?: string[]; certificates?: string[] }
  | { kind: "remove-finalizer" }
  | { kind: "ensure-objects"; missing: OwnedKind[] }
  /** The PDB follows the members the cluster has (`shape`), not a spec they do not have yet. */
  | { kind: "update-pdb"; minAvailable: number; shape: { shards: number; replicasPerShard: number } }
  /** The NetworkPolicy differs from what spec.networkPolicy asks for (replace it), or is turned off (remove it). */
  | { kind: "sync-network-policy"; remove: boolean }
  /** A running scale plan is paused: the moves in flight stop after their batches in flight. */
  | { kind: "pause-moves"; targets: string[]; message: string }
  | { kind: "start-plan"; plan: Plan }
  | { kind: "run-steps"; steps: PlannedStep[] }
  | { kind: "finish-plan" }
  /** A scale plan whose target the spec no longer asks for ends Superseded (no move in flight). */
  | { kind: "supersede-plan"; message: string }
  /** The running plan ends Failed: its first unfinished step failed with `message`. */
  | { kind: "fail-plan"; message: string }
  | { kind: "meet"; members: string[]; seed: string }
  /**
   * The sidecar API's certificates (docs/architecture/sidecar.md#mtls): a new CA (and with it every
   * certificate), the operator's client certificate, these members' serving certificates; the TLS
   * Secrets of `remove` (members that are gone) deleted.
   */
  /** caStep: a step of a CA rollover (controller/tls.ts); newCa: a CA made at once, without overlap (there was none, or it was deleted). */
  | { kind: "issue-certificates"; newCa: boolean; caStep?: "stage" | "switch" | "finish"; client: boolean; members: string[]; remove: string[]; reason: string }
  /** With spec.tls.issuerRef: make or correct these Certificates, delete the rest, publish the CA for clients. */
  | { kind: "request-certificates"; ensure: WantedCertificate[]; removeCertificates: string[]; removeSecrets: string[]; clientCa: boolean; reason: string }
  | { kind: "blocked"; reason: string; message: string }
  /** Nothing to do; `recheckInMs`: look again then (a decision waits for time to pass), else at the resync. */
  | { kind: "idle"; message: string; recheckInMs?: number };
