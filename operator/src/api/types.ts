// The resource's types as the rest of the operator uses them: generated from the CRD, plus the
// fully defaulted spec the controller works with.
export * from "./generated/mdbcluster.ts";
import type { LogLevel } from "../../../common/log-level.ts";
import type { MdbCluster, MdbClusterSpec, MdbClusterStatus } from "./generated/mdbcluster.ts";

export type Condition = NonNullable<MdbClusterStatus["conditions"]>[number];
export type MemberStatusEntry = NonNullable<MdbClusterStatus["members"]>[number];
export type ShardDetail = NonNullable<MdbClusterStatus["shardDetails"]>[number];
export type PlanStatus = NonNullable<MdbClusterStatus["plan"]>;
export type PlanStepStatus = NonNullable<PlanStatus["steps"]>[number];
export type Phase = NonNullable<MdbClusterStatus["phase"]>;
export type ConditionType = "Available" | "Progressing" | "Degraded";

export const API_VERSION = "mdbcluster.io/v1alpha1";
export const FINALIZER = "mdbcluster.io/teardown";

/** The images the operator was installed with: the default engine image and the sidecar's (docs/engines.md). */
export interface MemberImages { engine: string; sidecar: string }

/** The operator's own pods as a NetworkPolicy selects them: their namespace and their pods' labels. */
export interface OperatorPods { namespace: string; labels: Record<string, string> }

/**
 * What the operator was installed with that every cluster's objects follow: the default images and,
 * when it runs in a pod, where its pods are (the NetworkPolicy lets only them reach the sidecars).
 */
export interface InstallDefaults extends MemberImages { operatorPods?: OperatorPods }

/** A source allowed to reach a member port, as in a NetworkPolicy's `from` (spec.networkPolicy). */
export type NetworkPeer = NonNullable<NonNullable<MdbClusterSpec["networkPolicy"]>["clients"]>[number];

/** Every field present: what the API server's defaults would give, so code never re-defaults. */
export interface ResolvedSpec {
  /** The sidecar's image (and the engine-config init container's): the operator's, not the spec's. */
  sidecarImage: string;
  shards: number;
  replicasPerShard: number;
  engine: { image: string; maxMemory: string; maxMemoryPolicy: string; nodeTimeoutMs: number; appendOnly: boolean };
  resources: { requests: { cpu: string; memory: string }; limits: { cpu?: string; memory?: string } };
  /** The sidecar container's: a memory limit always (its V8 heap is sized from it). */
  sidecar: { resources: { requests: { cpu: string; memory: string }; limits: { cpu?: string; memory: string } } };
  persistence: { enabled: boolean; size: string; storageClassName?: string };
  placement: {
    nodeSelector: Record<string, string>;
    tolerations: NonNullable<NonNullable<MdbClusterSpec["placement"]>["tolerations"]>;
    topologyKeys: { region: string; zone: string; rack: string; host: string };
    isolationLevel: "region" | "zone" | "rack" | "host" | "none";
    maxMembersPerHost: number;
  };
  migration: {
    maxConcurrent: number; batchKeys: number; window: number;
    rate: { keysPerSecond: number; bytesPerSecond: number };
    schedule: { start: string; end: string; rate: { keysPerSecond: number; bytesPerSecond: number } }[];
    /** budgetFactor/budgetMs 0: not set (the sidecar's defaults). */
    latencyGuard: { enabled: boolean; budgetFactor: number; budgetMs: number };
  };
  failover: { enabled: boolean };
  durability: "async" | "replicated";
  /** The members' sidecars' log level. */
  logLevel: LogLevel;
  auth: { secretName?: string };
  /** TLS for clients, replication and the bus (docs/usage.md#tls). */
  tls: { enabled: boolean; issuerRef?: IssuerRef };
  /** `operatorPods` is the install's, not the spec's; unknown (the operator runs outside a pod), any source may reach the sidecar port. */
  networkPolicy: { enabled: boolean; clients: NetworkPeer[]; metrics: NetworkPeer[]; operatorPods?: OperatorPods };
}

/** The cert-manager issuer of every certificate of a cluster (docs/usage.md#certificates-from-cert-manager). */
export interface IssuerRef { name: string; kind: "Issuer" | "ClusterIssuer"; group: string }

export type { MdbCluster };

/** Members a cluster of this shape has: every shard's primary and its standbys. The one home of the count. */
export const memberCount = (shape: { shards: number; replicasPerShard: number }): number => shape.shards * (shape.replicasPerShard + 1);
