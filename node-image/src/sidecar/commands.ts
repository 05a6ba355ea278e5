// The member's commands in the sidecar's own words: what each takes, checked once at the gRPC edge
// (requests.ts, migrate-request.ts), and what it returns, put on the wire by responses.ts. The
// commands (member-cluster.ts, member-roles.ts, member-migration.ts) never see a proto message.
import type { SlotRange } from "../../../common/slots.ts";
import type { GuardStatus, MigrationRequest } from "../migration/request.ts";
import type { MemberStateName } from "./state-machine.ts";
import type { MemberStatus } from "./status.ts";

/** An engine's address, checked: busPort filled in (port + 10000 when not given). */
export interface Address { host: string; port: number; busPort: number }

export type PromoteModeName = "GRACEFUL" | "FORCE" | "TAKEOVER";

/** JoinCluster: CLUSTER MEET each peer (IP addresses), then wait for the handshakes. */
export interface JoinClusterCommand { peers: Address[]; timeoutMs: number }
export interface JoinClusterResult { knownNodes: number }

/** AssignSlots: sorted, non-overlapping ranges. */
export interface AssignSlotsCommand { slots: SlotRange[] }

/** ReplicateFrom: follow this primary (an engine node id) until in sync. */
export interface ReplicateFromCommand { primaryNodeId: string; timeoutMs: number }

export interface ReplicationProgress {
  phase: "connecting" | "syncing" | "catching-up" | "in-sync";
  linkUp: boolean;
  syncTotalBytes: number;
  syncReadBytes: number;
  primaryOffset: number;
  offset: number;
  state: MemberStateName;
  done: boolean;
}

/** PrepareTakeover's grant: a single-use token for Promote TAKEOVER of this standby's primary. */
export interface TakeoverGrant { fenceToken: string; primaryNodeId: string; expiresAtMs: number }

/** Promote: fenceToken only with TAKEOVER ("" otherwise). */
export interface PromoteCommand { mode: PromoteModeName; fenceToken: string; timeoutMs: number }
export interface PromoteResult { status: MemberStatus; offsetAtSwitch: number; pauseMs: number }

/** MigrateSlots, with this member's engine as the target and every default filled in. */
export interface CheckedMigrateSlots {
  request: MigrationRequest;
  progressIntervalMs: number;
}

/** A running migration's progress, and (done) its result. */
export interface MigrationReport {
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
  /** null when the guard is off */
  guard: GuardStatus | null;
  done: boolean;
  cancelled: boolean;
  failedSlots: { slot: number; error: string }[];
  elapsedMs: number;
}

/** CancelMigration: "" cancels whichever migration runs. */
export interface CancelMigrationCommand { migrationId: string }
export interface CancelMigrationResult { wasRunning: boolean }

/** ForgetNode: another engine's node id. */
export interface ForgetNodeCommand { nodeId: string }

export interface LeaveClusterResult { forgottenBy: string[] }
export interface ResetResult { newNodeId: string }

/** What the gRPC server needs of a member (member.ts). */
export interface MemberApi {
  /** Observes the engine now and returns the fresh status. */
  refresh(): Promise<MemberStatus>;
  currentStatus(): MemberStatus;
  /** Calls `listener` on every significant change; returns the unsubscribe function. */
  onChange(listener: (s: MemberStatus) => void): () => void;
  joinCluster(command: JoinClusterCommand): Promise<JoinClusterResult>;
  assignSlots(command: AssignSlotsCommand): Promise<MemberStatus>;
  replicateFrom(command: ReplicateFromCommand, onProgress: (p: ReplicationProgress) => void): Promise<void>;
  prepareTakeover(): TakeoverGrant;
  promote(command: PromoteCommand): Promise<PromoteResult>;
  migrateSlots(command: CheckedMigrateSlots, signal: AbortSignal, onProgress: (p: MigrationReport) => void): Promise<MigrationReport>;
  cancelMigration(command: CancelMigrationCommand): CancelMigrationResult;
  forgetNode(command: ForgetNodeCommand): Promise<void>;
  leaveCluster(): Promise<LeaveClusterResult>;
  reset(): Promise<ResetResult>;
}
