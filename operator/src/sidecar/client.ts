// What the operator needs from a member's sidecar. The executor depends on this interface only, so
// its tests use a fake; GrpcSidecarClient (grpc-client.ts) is the real one.
import type {
  EngineAddress, FenceGrant, MemberStatus, MigrateSlotsParams, MigrationProgress, PromoteMode, PromoteResult, ReplicationProgress, SlotRange,
} from "./types.ts";

export type * from "./types.ts";

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
