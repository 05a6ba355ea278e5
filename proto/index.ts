// The sidecar API's public face: what the sidecar (server) and the operator (client) import.
// Generated stubs stay behind this file; regenerate them with `npm run proto:gen`.
export { sidecarService, SidecarStubClient } from "./service.ts";
export type { SidecarClient as SidecarStub, SidecarHandlers } from "./generated/mdb/sidecar/v1/Sidecar.ts";
export type { AssignSlotsRequest, AssignSlotsRequest__Output } from "./generated/mdb/sidecar/v1/AssignSlotsRequest.ts";
export type { AssignSlotsResponse__Output } from "./generated/mdb/sidecar/v1/AssignSlotsResponse.ts";
export type { MemberStatus__Output } from "./generated/mdb/sidecar/v1/MemberStatus.ts";
export type { MigrateSlotsRequest, MigrateSlotsRequest__Output } from "./generated/mdb/sidecar/v1/MigrateSlotsRequest.ts";
export type { MigrationProgress__Output } from "./generated/mdb/sidecar/v1/MigrationProgress.ts";
export type { MigrationSummary__Output } from "./generated/mdb/sidecar/v1/MigrationSummary.ts";
export type { PromoteRequest, PromoteRequest__Output } from "./generated/mdb/sidecar/v1/PromoteRequest.ts";
export type { PromoteResponse__Output } from "./generated/mdb/sidecar/v1/PromoteResponse.ts";
export type { ReplicationProgress__Output } from "./generated/mdb/sidecar/v1/ReplicationProgress.ts";
export type { JoinClusterRequest__Output } from "./generated/mdb/sidecar/v1/JoinClusterRequest.ts";
export type { ReplicateFromRequest__Output } from "./generated/mdb/sidecar/v1/ReplicateFromRequest.ts";
export type { CancelMigrationRequest__Output } from "./generated/mdb/sidecar/v1/CancelMigrationRequest.ts";
export type { ForgetNodeRequest__Output } from "./generated/mdb/sidecar/v1/ForgetNodeRequest.ts";

/** gRPC metadata the operator leader sends with every call (docs/architecture.md#leader-election-and-fencing: a deposed leader is refused). */
export const LEADER_IDENTITY_HEADER = "x-mdb-leader";
export const LEADER_EPOCH_HEADER = "x-mdb-leader-epoch";

/**
 * gRPC metadata the operator sends with a call made for a plan step: the sidecar's log lines while it
 * serves the call name the plan and the step, as the operator's lines do (docs/operations.md#logs).
 */
export const PLAN_HEADER = "x-mdb-plan";
export const STEP_HEADER = "x-mdb-step";
