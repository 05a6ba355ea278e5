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
  /** The link has been up since this engine started (false: a standby that restarted and has not reached its primary since). */
  linkedSinceStart: boolean;
}

export interface MigrationSummary {
  migrationId: string;
  source: EngineAddress | null;
  slotsTotal: number;
  slotsDone: number;
  keysMoved: number;
}

export interface UnreachablePeer { nodeId: string; host: string; port: number }

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
  /** The engine the member runs (docs/engines.md#what-the-sidecar-reports); null before it first answered. */
  engine: EngineInfo | null;
  /** Peers the engine knows but cannot reach now (its link to them is down, or it flags them failing), at the address it dials. */
  unreachablePeers: UnreachablePeer[];
  /** The TLS files the sidecar (and with TLS for clients, its engine) serves with (common/tls-digest.ts); "" without. */
  tlsDigest: string;
}

export interface EngineInfo { name: string; version: string; capabilities: string[]; unsupportedReason: string }

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
  /** The latency guard's last decision; null when the guard is off. */
  guard: GuardStatus | null;
}

/** What the latency guard is doing (streamed with every MigrationProgress). */
export interface GuardStatus {
  enabled: boolean;
  /** p99 of the probes before the move, ms */
  baselineP99Ms: number;
  budgetMs: number;
  /** p99 of the probes over the last second (the window restarts at each decrease) */
  observedP99Ms: number;
  /** the pace level the knobs are scaled by: 1 = the configured pace, down to 1/64 */
  level: number;
  /** keys/s the guard allows now; 0 = no rate from the guard (explicit limits may cap it further) */
  keysPerSecond: number;
  batchKeys: number;
  window: number;
  parallelSlots: number;
  /** "start" | "increase" | "hold" | "decrease" | "floor" */
  lastAction: string;
  increases: number;
  decreases: number;
}

/**
 * The latency guard of a move (on unless disabled): the target probes source and target every 10 ms
 * and paces the move so the probes' p99 stays within the budget. Unset numbers take the defaults.
 */
export interface LatencyGuardParams {
  /** true: no guard, the move runs at the configured pace ("fastest") */
  disabled?: boolean;
  /** budget = factor × the probes' idle p99 before the move (1.1..100, default 2) */
  budgetFactor?: number;
  /** absolute p99 ceiling in ms (0.1..10000); with budgetFactor too, the smaller wins */
  budgetMs?: number;
  /** never pace below this many keys/s (default 2000) */
  floorKeysPerSecond?: number;
}

export interface RateLimit { keysPerSecond?: number; bytesPerSecond?: number }
export interface ScheduleWindow { start: string; end: string; rate?: RateLimit }

/** A slot move the target member runs (docs/architecture/migration.md); unset knobs take the sidecar's defaults. */
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
  /** Explicit rate and schedule still cap the pace; the tighter of them and the guard wins. */
  guard?: LatencyGuardParams;
}

export interface PromoteResult { status: MemberStatus; offsetAtSwitch: number; pauseMs: number }
export interface FenceGrant { fenceToken: string; primaryNodeId: string; expiresAtMs: number }
