// Original file: proto/mdb/sidecar/v1/sidecar.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AssignSlotsRequest as _mdb_sidecar_v1_AssignSlotsRequest, AssignSlotsRequest__Output as _mdb_sidecar_v1_AssignSlotsRequest__Output } from '../../../mdb/sidecar/v1/AssignSlotsRequest.ts';
import type { AssignSlotsResponse as _mdb_sidecar_v1_AssignSlotsResponse, AssignSlotsResponse__Output as _mdb_sidecar_v1_AssignSlotsResponse__Output } from '../../../mdb/sidecar/v1/AssignSlotsResponse.ts';
import type { CancelMigrationRequest as _mdb_sidecar_v1_CancelMigrationRequest, CancelMigrationRequest__Output as _mdb_sidecar_v1_CancelMigrationRequest__Output } from '../../../mdb/sidecar/v1/CancelMigrationRequest.ts';
import type { CancelMigrationResponse as _mdb_sidecar_v1_CancelMigrationResponse, CancelMigrationResponse__Output as _mdb_sidecar_v1_CancelMigrationResponse__Output } from '../../../mdb/sidecar/v1/CancelMigrationResponse.ts';
import type { ForgetNodeRequest as _mdb_sidecar_v1_ForgetNodeRequest, ForgetNodeRequest__Output as _mdb_sidecar_v1_ForgetNodeRequest__Output } from '../../../mdb/sidecar/v1/ForgetNodeRequest.ts';
import type { ForgetNodeResponse as _mdb_sidecar_v1_ForgetNodeResponse, ForgetNodeResponse__Output as _mdb_sidecar_v1_ForgetNodeResponse__Output } from '../../../mdb/sidecar/v1/ForgetNodeResponse.ts';
import type { GetStatusRequest as _mdb_sidecar_v1_GetStatusRequest, GetStatusRequest__Output as _mdb_sidecar_v1_GetStatusRequest__Output } from '../../../mdb/sidecar/v1/GetStatusRequest.ts';
import type { JoinClusterRequest as _mdb_sidecar_v1_JoinClusterRequest, JoinClusterRequest__Output as _mdb_sidecar_v1_JoinClusterRequest__Output } from '../../../mdb/sidecar/v1/JoinClusterRequest.ts';
import type { JoinClusterResponse as _mdb_sidecar_v1_JoinClusterResponse, JoinClusterResponse__Output as _mdb_sidecar_v1_JoinClusterResponse__Output } from '../../../mdb/sidecar/v1/JoinClusterResponse.ts';
import type { LeaveClusterRequest as _mdb_sidecar_v1_LeaveClusterRequest, LeaveClusterRequest__Output as _mdb_sidecar_v1_LeaveClusterRequest__Output } from '../../../mdb/sidecar/v1/LeaveClusterRequest.ts';
import type { LeaveClusterResponse as _mdb_sidecar_v1_LeaveClusterResponse, LeaveClusterResponse__Output as _mdb_sidecar_v1_LeaveClusterResponse__Output } from '../../../mdb/sidecar/v1/LeaveClusterResponse.ts';
import type { MemberStatus as _mdb_sidecar_v1_MemberStatus, MemberStatus__Output as _mdb_sidecar_v1_MemberStatus__Output } from '../../../mdb/sidecar/v1/MemberStatus.ts';
import type { MigrateSlotsRequest as _mdb_sidecar_v1_MigrateSlotsRequest, MigrateSlotsRequest__Output as _mdb_sidecar_v1_MigrateSlotsRequest__Output } from '../../../mdb/sidecar/v1/MigrateSlotsRequest.ts';
import type { MigrationProgress as _mdb_sidecar_v1_MigrationProgress, MigrationProgress__Output as _mdb_sidecar_v1_MigrationProgress__Output } from '../../../mdb/sidecar/v1/MigrationProgress.ts';
import type { PrepareTakeoverRequest as _mdb_sidecar_v1_PrepareTakeoverRequest, PrepareTakeoverRequest__Output as _mdb_sidecar_v1_PrepareTakeoverRequest__Output } from '../../../mdb/sidecar/v1/PrepareTakeoverRequest.ts';
import type { PrepareTakeoverResponse as _mdb_sidecar_v1_PrepareTakeoverResponse, PrepareTakeoverResponse__Output as _mdb_sidecar_v1_PrepareTakeoverResponse__Output } from '../../../mdb/sidecar/v1/PrepareTakeoverResponse.ts';
import type { PromoteRequest as _mdb_sidecar_v1_PromoteRequest, PromoteRequest__Output as _mdb_sidecar_v1_PromoteRequest__Output } from '../../../mdb/sidecar/v1/PromoteRequest.ts';
import type { PromoteResponse as _mdb_sidecar_v1_PromoteResponse, PromoteResponse__Output as _mdb_sidecar_v1_PromoteResponse__Output } from '../../../mdb/sidecar/v1/PromoteResponse.ts';
import type { ReplicateFromRequest as _mdb_sidecar_v1_ReplicateFromRequest, ReplicateFromRequest__Output as _mdb_sidecar_v1_ReplicateFromRequest__Output } from '../../../mdb/sidecar/v1/ReplicateFromRequest.ts';
import type { ReplicationProgress as _mdb_sidecar_v1_ReplicationProgress, ReplicationProgress__Output as _mdb_sidecar_v1_ReplicationProgress__Output } from '../../../mdb/sidecar/v1/ReplicationProgress.ts';
import type { ResetRequest as _mdb_sidecar_v1_ResetRequest, ResetRequest__Output as _mdb_sidecar_v1_ResetRequest__Output } from '../../../mdb/sidecar/v1/ResetRequest.ts';
import type { ResetResponse as _mdb_sidecar_v1_ResetResponse, ResetResponse__Output as _mdb_sidecar_v1_ResetResponse__Output } from '../../../mdb/sidecar/v1/ResetResponse.ts';
import type { WatchStatusRequest as _mdb_sidecar_v1_WatchStatusRequest, WatchStatusRequest__Output as _mdb_sidecar_v1_WatchStatusRequest__Output } from '../../../mdb/sidecar/v1/WatchStatusRequest.ts';

export interface SidecarClient extends grpc.Client {
  AssignSlots(argument: _mdb_sidecar_v1_AssignSlotsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_AssignSlotsResponse__Output>): grpc.ClientUnaryCall;
  AssignSlots(argument: _mdb_sidecar_v1_AssignSlotsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_AssignSlotsResponse__Output>): grpc.ClientUnaryCall;
  AssignSlots(argument: _mdb_sidecar_v1_AssignSlotsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_AssignSlotsResponse__Output>): grpc.ClientUnaryCall;
  AssignSlots(argument: _mdb_sidecar_v1_AssignSlotsRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_AssignSlotsResponse__Output>): grpc.ClientUnaryCall;
  assignSlots(argument: _mdb_sidecar_v1_AssignSlotsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_AssignSlotsResponse__Output>): grpc.ClientUnaryCall;
  assignSlots(argument: _mdb_sidecar_v1_AssignSlotsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_AssignSlotsResponse__Output>): grpc.ClientUnaryCall;
  assignSlots(argument: _mdb_sidecar_v1_AssignSlotsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_AssignSlotsResponse__Output>): grpc.ClientUnaryCall;
  assignSlots(argument: _mdb_sidecar_v1_AssignSlotsRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_AssignSlotsResponse__Output>): grpc.ClientUnaryCall;
  
  CancelMigration(argument: _mdb_sidecar_v1_CancelMigrationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_CancelMigrationResponse__Output>): grpc.ClientUnaryCall;
  CancelMigration(argument: _mdb_sidecar_v1_CancelMigrationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_CancelMigrationResponse__Output>): grpc.ClientUnaryCall;
  CancelMigration(argument: _mdb_sidecar_v1_CancelMigrationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_CancelMigrationResponse__Output>): grpc.ClientUnaryCall;
  CancelMigration(argument: _mdb_sidecar_v1_CancelMigrationRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_CancelMigrationResponse__Output>): grpc.ClientUnaryCall;
  cancelMigration(argument: _mdb_sidecar_v1_CancelMigrationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_CancelMigrationResponse__Output>): grpc.ClientUnaryCall;
  cancelMigration(argument: _mdb_sidecar_v1_CancelMigrationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_CancelMigrationResponse__Output>): grpc.ClientUnaryCall;
  cancelMigration(argument: _mdb_sidecar_v1_CancelMigrationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_CancelMigrationResponse__Output>): grpc.ClientUnaryCall;
  cancelMigration(argument: _mdb_sidecar_v1_CancelMigrationRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_CancelMigrationResponse__Output>): grpc.ClientUnaryCall;
  
  ForgetNode(argument: _mdb_sidecar_v1_ForgetNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_ForgetNodeResponse__Output>): grpc.ClientUnaryCall;
  ForgetNode(argument: _mdb_sidecar_v1_ForgetNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_ForgetNodeResponse__Output>): grpc.ClientUnaryCall;
  ForgetNode(argument: _mdb_sidecar_v1_ForgetNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_ForgetNodeResponse__Output>): grpc.ClientUnaryCall;
  ForgetNode(argument: _mdb_sidecar_v1_ForgetNodeRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_ForgetNodeResponse__Output>): grpc.ClientUnaryCall;
  forgetNode(argument: _mdb_sidecar_v1_ForgetNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_ForgetNodeResponse__Output>): grpc.ClientUnaryCall;
  forgetNode(argument: _mdb_sidecar_v1_ForgetNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_ForgetNodeResponse__Output>): grpc.ClientUnaryCall;
  forgetNode(argument: _mdb_sidecar_v1_ForgetNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_ForgetNodeResponse__Output>): grpc.ClientUnaryCall;
  forgetNode(argument: _mdb_sidecar_v1_ForgetNodeRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_ForgetNodeResponse__Output>): grpc.ClientUnaryCall;
  
  GetStatus(argument: _mdb_sidecar_v1_GetStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_MemberStatus__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _mdb_sidecar_v1_GetStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_MemberStatus__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _mdb_sidecar_v1_GetStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_MemberStatus__Output>): grpc.ClientUnaryCall;
  GetStatus(argument: _mdb_sidecar_v1_GetStatusRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_MemberStatus__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _mdb_sidecar_v1_GetStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_MemberStatus__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _mdb_sidecar_v1_GetStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_MemberStatus__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _mdb_sidecar_v1_GetStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_MemberStatus__Output>): grpc.ClientUnaryCall;
  getStatus(argument: _mdb_sidecar_v1_GetStatusRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_MemberStatus__Output>): grpc.ClientUnaryCall;
  
  JoinCluster(argument: _mdb_sidecar_v1_JoinClusterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_JoinClusterResponse__Output>): grpc.ClientUnaryCall;
  JoinCluster(argument: _mdb_sidecar_v1_JoinClusterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_JoinClusterResponse__Output>): grpc.ClientUnaryCall;
  JoinCluster(argument: _mdb_sidecar_v1_JoinClusterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_JoinClusterResponse__Output>): grpc.ClientUnaryCall;
  JoinCluster(argument: _mdb_sidecar_v1_JoinClusterRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_JoinClusterResponse__Output>): grpc.ClientUnaryCall;
  joinCluster(argument: _mdb_sidecar_v1_JoinClusterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_JoinClusterResponse__Output>): grpc.ClientUnaryCall;
  joinCluster(argument: _mdb_sidecar_v1_JoinClusterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_JoinClusterResponse__Output>): grpc.ClientUnaryCall;
  joinCluster(argument: _mdb_sidecar_v1_JoinClusterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_JoinClusterResponse__Output>): grpc.ClientUnaryCall;
  joinCluster(argument: _mdb_sidecar_v1_JoinClusterRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_JoinClusterResponse__Output>): grpc.ClientUnaryCall;
  
  LeaveCluster(argument: _mdb_sidecar_v1_LeaveClusterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_LeaveClusterResponse__Output>): grpc.ClientUnaryCall;
  LeaveCluster(argument: _mdb_sidecar_v1_LeaveClusterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_LeaveClusterResponse__Output>): grpc.ClientUnaryCall;
  LeaveCluster(argument: _mdb_sidecar_v1_LeaveClusterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_LeaveClusterResponse__Output>): grpc.ClientUnaryCall;
  LeaveCluster(argument: _mdb_sidecar_v1_LeaveClusterRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_LeaveClusterResponse__Output>): grpc.ClientUnaryCall;
  leaveCluster(argument: _mdb_sidecar_v1_LeaveClusterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_LeaveClusterResponse__Output>): grpc.ClientUnaryCall;
  leaveCluster(argument: _mdb_sidecar_v1_LeaveClusterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_LeaveClusterResponse__Output>): grpc.ClientUnaryCall;
  leaveCluster(argument: _mdb_sidecar_v1_LeaveClusterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_LeaveClusterResponse__Output>): grpc.ClientUnaryCall;
  leaveCluster(argument: _mdb_sidecar_v1_LeaveClusterRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_LeaveClusterResponse__Output>): grpc.ClientUnaryCall;
  
  MigrateSlots(argument: _mdb_sidecar_v1_MigrateSlotsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mdb_sidecar_v1_MigrationProgress__Output>;
  MigrateSlots(argument: _mdb_sidecar_v1_MigrateSlotsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mdb_sidecar_v1_MigrationProgress__Output>;
  migrateSlots(argument: _mdb_sidecar_v1_MigrateSlotsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mdb_sidecar_v1_MigrationProgress__Output>;
  migrateSlots(argument: _mdb_sidecar_v1_MigrateSlotsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mdb_sidecar_v1_MigrationProgress__Output>;
  
  PrepareTakeover(argument: _mdb_sidecar_v1_PrepareTakeoverRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_PrepareTakeoverResponse__Output>): grpc.ClientUnaryCall;
  PrepareTakeover(argument: _mdb_sidecar_v1_PrepareTakeoverRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_PrepareTakeoverResponse__Output>): grpc.ClientUnaryCall;
  PrepareTakeover(argument: _mdb_sidecar_v1_PrepareTakeoverRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_PrepareTakeoverResponse__Output>): grpc.ClientUnaryCall;
  PrepareTakeover(argument: _mdb_sidecar_v1_PrepareTakeoverRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_PrepareTakeoverResponse__Output>): grpc.ClientUnaryCall;
  prepareTakeover(argument: _mdb_sidecar_v1_PrepareTakeoverRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_PrepareTakeoverResponse__Output>): grpc.ClientUnaryCall;
  prepareTakeover(argument: _mdb_sidecar_v1_PrepareTakeoverRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_PrepareTakeoverResponse__Output>): grpc.ClientUnaryCall;
  prepareTakeover(argument: _mdb_sidecar_v1_PrepareTakeoverRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_PrepareTakeoverResponse__Output>): grpc.ClientUnaryCall;
  prepareTakeover(argument: _mdb_sidecar_v1_PrepareTakeoverRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_PrepareTakeoverResponse__Output>): grpc.ClientUnaryCall;
  
  Promote(argument: _mdb_sidecar_v1_PromoteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_PromoteResponse__Output>): grpc.ClientUnaryCall;
  Promote(argument: _mdb_sidecar_v1_PromoteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_PromoteResponse__Output>): grpc.ClientUnaryCall;
  Promote(argument: _mdb_sidecar_v1_PromoteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_PromoteResponse__Output>): grpc.ClientUnaryCall;
  Promote(argument: _mdb_sidecar_v1_PromoteRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_PromoteResponse__Output>): grpc.ClientUnaryCall;
  promote(argument: _mdb_sidecar_v1_PromoteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_PromoteResponse__Output>): grpc.ClientUnaryCall;
  promote(argument: _mdb_sidecar_v1_PromoteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_PromoteResponse__Output>): grpc.ClientUnaryCall;
  promote(argument: _mdb_sidecar_v1_PromoteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_PromoteResponse__Output>): grpc.ClientUnaryCall;
  promote(argument: _mdb_sidecar_v1_PromoteRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_PromoteResponse__Output>): grpc.ClientUnaryCall;
  
  ReplicateFrom(argument: _mdb_sidecar_v1_ReplicateFromRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mdb_sidecar_v1_ReplicationProgress__Output>;
  ReplicateFrom(argument: _mdb_sidecar_v1_ReplicateFromRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mdb_sidecar_v1_ReplicationProgress__Output>;
  replicateFrom(argument: _mdb_sidecar_v1_ReplicateFromRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mdb_sidecar_v1_ReplicationProgress__Output>;
  replicateFrom(argument: _mdb_sidecar_v1_ReplicateFromRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mdb_sidecar_v1_ReplicationProgress__Output>;
  
  Reset(argument: _mdb_sidecar_v1_ResetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_ResetResponse__Output>): grpc.ClientUnaryCall;
  Reset(argument: _mdb_sidecar_v1_ResetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_ResetResponse__Output>): grpc.ClientUnaryCall;
  Reset(argument: _mdb_sidecar_v1_ResetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_ResetResponse__Output>): grpc.ClientUnaryCall;
  Reset(argument: _mdb_sidecar_v1_ResetRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_ResetResponse__Output>): grpc.ClientUnaryCall;
  reset(argument: _mdb_sidecar_v1_ResetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_ResetResponse__Output>): grpc.ClientUnaryCall;
  reset(argument: _mdb_sidecar_v1_ResetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mdb_sidecar_v1_ResetResponse__Output>): grpc.ClientUnaryCall;
  reset(argument: _mdb_sidecar_v1_ResetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mdb_sidecar_v1_ResetResponse__Output>): grpc.ClientUnaryCall;
  reset(argument: _mdb_sidecar_v1_ResetRequest, callback: grpc.requestCallback<_mdb_sidecar_v1_ResetResponse__Output>): grpc.ClientUnaryCall;
  
  WatchStatus(argument: _mdb_sidecar_v1_WatchStatusRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mdb_sidecar_v1_MemberStatus__Output>;
  WatchStatus(argument: _mdb_sidecar_v1_WatchStatusRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mdb_sidecar_v1_MemberStatus__Output>;
  watchStatus(argument: _mdb_sidecar_v1_WatchStatusRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mdb_sidecar_v1_MemberStatus__Output>;
  watchStatus(argument: _mdb_sidecar_v1_WatchStatusRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mdb_sidecar_v1_MemberStatus__Output>;
  
}

export interface SidecarHandlers extends grpc.UntypedServiceImplementation {
  AssignSlots: grpc.handleUnaryCall<_mdb_sidecar_v1_AssignSlotsRequest__Output, _mdb_sidecar_v1_AssignSlotsResponse>;
  
  CancelMigration: grpc.handleUnaryCall<_mdb_sidecar_v1_CancelMigrationRequest__Output, _mdb_sidecar_v1_CancelMigrationResponse>;
  
  ForgetNode: grpc.handleUnaryCall<_mdb_sidecar_v1_ForgetNodeRequest__Output, _mdb_sidecar_v1_ForgetNodeResponse>;
  
  GetStatus: grpc.handleUnaryCall<_mdb_sidecar_v1_GetStatusRequest__Output, _mdb_sidecar_v1_MemberStatus>;
  
  JoinCluster: grpc.handleUnaryCall<_mdb_sidecar_v1_JoinClusterRequest__Output, _mdb_sidecar_v1_JoinClusterResponse>;
  
  LeaveCluster: grpc.handleUnaryCall<_mdb_sidecar_v1_LeaveClusterRequest__Output, _mdb_sidecar_v1_LeaveClusterResponse>;
  
  MigrateSlots: grpc.handleServerStreamingCall<_mdb_sidecar_v1_MigrateSlotsRequest__Output, _mdb_sidecar_v1_MigrationProgress>;
  
  PrepareTakeover: grpc.handleUnaryCall<_mdb_sidecar_v1_PrepareTakeoverRequest__Output, _mdb_sidecar_v1_PrepareTakeoverResponse>;
  
  Promote: grpc.handleUnaryCall<_mdb_sidecar_v1_PromoteRequest__Output, _mdb_sidecar_v1_PromoteResponse>;
  
  ReplicateFrom: grpc.handleServerStreamingCall<_mdb_sidecar_v1_ReplicateFromRequest__Output, _mdb_sidecar_v1_ReplicationProgress>;
  
  Reset: grpc.handleUnaryCall<_mdb_sidecar_v1_ResetRequest__Output, _mdb_sidecar_v1_ResetResponse>;
  
  WatchStatus: grpc.handleServerStreamingCall<_mdb_sidecar_v1_WatchStatusRequest__Output, _mdb_sidecar_v1_MemberStatus>;
  
}

export interface SidecarDefinition extends grpc.ServiceDefinition {
  AssignSlots: MethodDefinition<_mdb_sidecar_v1_AssignSlotsRequest, _mdb_sidecar_v1_AssignSlotsResponse, _mdb_sidecar_v1_AssignSlotsRequest__Output, _mdb_sidecar_v1_AssignSlotsResponse__Output>
  CancelMigration: MethodDefinition<_mdb_sidecar_v1_CancelMigrationRequest, _mdb_sidecar_v1_CancelMigrationResponse, _mdb_sidecar_v1_CancelMigrationRequest__Output, _mdb_sidecar_v1_CancelMigrationResponse__Output>
  ForgetNode: MethodDefinition<_mdb_sidecar_v1_ForgetNodeRequest, _mdb_sidecar_v1_ForgetNodeResponse, _mdb_sidecar_v1_ForgetNodeRequest__Output, _mdb_sidecar_v1_ForgetNodeResponse__Output>
  GetStatus: MethodDefinition<_mdb_sidecar_v1_GetStatusRequest, _mdb_sidecar_v1_MemberStatus, _mdb_sidecar_v1_GetStatusRequest__Output, _mdb_sidecar_v1_MemberStatus__Output>
  JoinCluster: MethodDefinition<_mdb_sidecar_v1_JoinClusterRequest, _mdb_sidecar_v1_JoinClusterResponse, _mdb_sidecar_v1_JoinClusterRequest__Output, _mdb_sidecar_v1_JoinClusterResponse__Output>
  LeaveCluster: MethodDefinition<_mdb_sidecar_v1_LeaveClusterRequest, _mdb_sidecar_v1_LeaveClusterResponse, _mdb_sidecar_v1_LeaveClusterRequest__Output, _mdb_sidecar_v1_LeaveClusterResponse__Output>
  MigrateSlots: MethodDefinition<_mdb_sidecar_v1_MigrateSlotsRequest, _mdb_sidecar_v1_MigrationProgress, _mdb_sidecar_v1_MigrateSlotsRequest__Output, _mdb_sidecar_v1_MigrationProgress__Output>
  PrepareTakeover: MethodDefinition<_mdb_sidecar_v1_PrepareTakeoverRequest, _mdb_sidecar_v1_PrepareTakeoverResponse, _mdb_sidecar_v1_PrepareTakeoverRequest__Output, _mdb_sidecar_v1_PrepareTakeoverResponse__Output>
  Promote: MethodDefinition<_mdb_sidecar_v1_PromoteRequest, _mdb_sidecar_v1_PromoteResponse, _mdb_sidecar_v1_PromoteRequest__Output, _mdb_sidecar_v1_PromoteResponse__Output>
  ReplicateFrom: MethodDefinition<_mdb_sidecar_v1_ReplicateFromRequest, _mdb_sidecar_v1_ReplicationProgress, _mdb_sidecar_v1_ReplicateFromRequest__Output, _mdb_sidecar_v1_ReplicationProgress__Output>
  Reset: MethodDefinition<_mdb_sidecar_v1_ResetRequest, _mdb_sidecar_v1_ResetResponse, _mdb_sidecar_v1_ResetRequest__Output, _mdb_sidecar_v1_ResetResponse__Output>
  WatchStatus: MethodDefinition<_mdb_sidecar_v1_WatchStatusRequest, _mdb_sidecar_v1_MemberStatus, _mdb_sidecar_v1_WatchStatusRequest__Output, _mdb_sidecar_v1_MemberStatus__Output>
}
