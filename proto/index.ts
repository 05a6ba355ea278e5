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

export { LEADER_EPOCH_HEADER, LEADER_IDENTITY_HEADER, PLAN_HEADER, STEP_HEADER } from "./headers.ts";
export { SIDECAR_METHODS, type MethodWire } from "./methods.ts";
