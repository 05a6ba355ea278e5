// What the operator sees of a member, in its own words. The gRPC client converts the generated
// messages into these (grpc-client.ts); a compile-time check there fails when the proto drifts.
import type { SlotRange } from "../../../common/slots.ts";

export type { SlotRange };
export type MemberStateName = "MEMBER_STATE_UNSPECIFIED" | "OFFLINE" | "ONLINE" | "MIGRATING" | "ACTIVE" | "STANDBY" | "RECOVERED";
export type EngineRoleName = "ENGINE_ROLE_UNSPECIFIED" | "PRIMARY" | "REPLICA";
export type PromoteMode = "GRACEFUL" | "FORCE" | "TAKEOVER";

export interface EngineAddress { host: string; port: number; busPort?: number }
export interface SlotTransfer { slot: number; nodeId: string }

export interface ReplicationInfo {
  primaryNodeId: string;
  primaryHost: string;
  primaryPort: number;
  linkUp: boolean;
  syncInProgress: boolean;
  offset: number;
  connectedReplicas: number;
}

export interface MigrationSummary {
  migrationId: string;
  source: EngineAddress | null;
  slotsTotal: number;
  slotsDone: number;
  keysMoved: number;
}

export interface MemberStatus {
  state: MemberStateName;
  role: EngineRoleName;
  /** The engine's cluster node id ("" before the engine answered). */
  nodeId: string;
  slots: SlotRange[];
  importing: SlotTransfer[];
  migrating: SlotTransfer[];
  replication: ReplicationInfo | null;
  memoryUsedBytes: number;
  memoryMaxBytes: number;
  keys: number;
  opsPerSecond: number;
  engineUp: boolean;
  clusterState: string;
  clusterKnownNodes: number;
  slotsOwned: number;
  migration: MigrationSummary | null;
  ready: boolean;
  notReadyReason: string;
  observedAtMs: number;
  lastError: string;
}

export interface ReplicationProgress {
  phase: string;
  linkUp: boolean;
  syncTotalBytes: number;
  syncReadBytes: number;
  primaryOffset: number;
  offset: number;
  state: MemberStateName;
  done: boolean;
}

export interface MigrationProgress {
  migrationId: string;
  slotsTotal: number;
  slotsDone: number;
  slotsFailed: number;
  keysMoved: number;
  bytesMoved: number;
  keysPerSecond: number;
  bytesPerSecond: number;
  activeSlots: number[];
  maxSourceBlockMs: number;
  done: boolean;
  cancelled: boolean;
  failedSlots: { slot: number; error: string }[];
  elapsedMs: number;
}

export interface RateLimit { keysPerSecond?: number; bytesPerSecond?: number }
export interface ScheduleWindow { start: string; end: string; rate?: RateLimit }

/** A slot move the target member runs (DESIGN §6); unset knobs take the sidecar's defaults. */
export interface MigrateSlotsParams {
  source: EngineAddress;
  slots: SlotRange[];
  otherPrimaries?: EngineAddress[];
  batchKeys?: number;
  window?: number;
  parallelSlots?: number;
  rate?: RateLimit;
  schedule?: ScheduleWindow[];
  migrateTimeoutMs?: number;
  progressIntervalMs?: number;
}

export interface PromoteResult { status: MemberStatus; offsetAtSwitch: number; pauseMs: number }
export interface FenceGrant { fenceToken: string; primaryNodeId: string; expiresAtMs: number }
