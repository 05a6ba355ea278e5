// What the operator needs from a member's sidecar. The executor depends on this interface only, so
// its tests use a fake; GrpcSidecarClient (grpc-client.ts) is the real one.
import type { MemberStatus__Output } from "../../../node-image/src/generated/mdb/sidecar/v1/MemberStatus.ts";
import type { MigrationProgress__Output } from "../../../node-image/src/generated/mdb/sidecar/v1/MigrationProgress.ts";
import type { ReplicationProgress__Output } from "../../../node-image/src/generated/mdb/sidecar/v1/ReplicationProgress.ts";
import type { MigrateSlotsRequest } from "../../../node-image/src/generated/mdb/sidecar/v1/MigrateSlotsRequest.ts";

export type MemberStatus = MemberStatus__Output;
export type MigrationProgress = MigrationProgress__Output;
export type ReplicationProgress = ReplicationProgress__Output;
export type MigrateSlotsParams = MigrateSlotsRequest;
export type MemberStateName = MemberStatus["state"];

export interface EngineAddress { host: string; port: number; busPort?: number }
export interface SlotRange { start: number; end: number }
export type PromoteMode = "GRACEFUL" | "FORCE" | "TAKEOVER";

export interface PromoteResult { status: MemberStatus; offsetAtSwitch: number; pauseMs: number }
export interface FenceGrant { fenceToken: string; primaryNodeId: string; expiresAtMs: number }

/** A refused or failed sidecar call; `code` is the gRPC status name (FAILED_PRECONDITION, INVALID_ARGUMENT, …). */
export class SidecarCallError extends Error {
  constructor(readonly method: string, readonly code: string, readonly details: string) {
    super(`sidecar ${method}: ${code}: ${details}`);
    this.name = "SidecarCallError";
  }
}

export interface SidecarClient {
  /** The member's status, observed now. */
  status(): Promise<MemberStatus>;
  /** Status on every change and at least once a second, until `signal` aborts. */
  watch(signal?: AbortSignal): AsyncIterable<MemberStatus>;
  join(peers: EngineAddress[], opts?: { timeoutMs?: number }): Promise<{ knownNodes: number }>;
  assignSlots(slots: SlotRange[]): Promise<MemberStatus>;
  /** Progress of the full sync; the last message has done = true and state STANDBY. */
  replicateFrom(primaryNodeId: string, opts?: { timeoutMs?: number; signal?: AbortSignal }): AsyncIterable<ReplicationProgress>;
  prepareTakeover(): Promise<FenceGrant>;
  promote(mode: PromoteMode, opts?: { fenceToken?: string; timeoutMs?: number }): Promise<PromoteResult>;
  /** Called on the TARGET member; the last message has done = true. */
  migrateSlots(req: MigrateSlotsParams, opts?: { signal?: AbortSignal }): AsyncIterable<MigrationProgress>;
  cancelMigration(migrationId?: string): Promise<{ wasRunning: boolean }>;
  forget(nodeId: string): Promise<void>;
  leave(): Promise<{ forgottenBy: string[] }>;
  reset(): Promise<{ newNodeId: string }>;
  close(): void;
}
