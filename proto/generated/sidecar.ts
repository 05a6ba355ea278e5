import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AssignSlotsRequest as _mdb_sidecar_v1_AssignSlotsRequest, AssignSlotsRequest__Output as _mdb_sidecar_v1_AssignSlotsRequest__Output } from './mdb/sidecar/v1/AssignSlotsRequest.ts';
import type { AssignSlotsResponse as _mdb_sidecar_v1_AssignSlotsResponse, AssignSlotsResponse__Output as _mdb_sidecar_v1_AssignSlotsResponse__Output } from './mdb/sidecar/v1/AssignSlotsResponse.ts';
import type { CancelMigrationRequest as _mdb_sidecar_v1_CancelMigrationRequest, CancelMigrationRequest__Output as _mdb_sidecar_v1_CancelMigrationRequest__Output } from './mdb/sidecar/v1/CancelMigrationRequest.ts';
import type { CancelMigrationResponse as _mdb_sidecar_v1_CancelMigrationResponse, CancelMigrationResponse__Output as _mdb_sidecar_v1_CancelMigrationResponse__Output } from './mdb/sidecar/v1/CancelMigrationResponse.ts';
import type { EngineAddress as _mdb_sidecar_v1_EngineAddress, EngineAddress__Output as _mdb_sidecar_v1_EngineAddress__Output } from './mdb/sidecar/v1/EngineAddress.ts';
import type { EngineInfo as _mdb_sidecar_v1_EngineInfo, EngineInfo__Output as _mdb_sidecar_v1_EngineInfo__Output } from './mdb/sidecar/v1/EngineInfo.ts';
import type { FailedSlot as _mdb_sidecar_v1_FailedSlot, FailedSlot__Output as _mdb_sidecar_v1_FailedSlot__Output } from './mdb/sidecar/v1/FailedSlot.ts';
import type { ForgetNodeRequest as _mdb_sidecar_v1_ForgetNodeRequest, ForgetNodeRequest__Output as _mdb_sidecar_v1_ForgetNodeRequest__Output } from './mdb/sidecar/v1/ForgetNodeRequest.ts';
import type { ForgetNodeResponse as _mdb_sidecar_v1_ForgetNodeResponse, ForgetNodeResponse__Output as _mdb_sidecar_v1_ForgetNodeResponse__Output } from './mdb/sidecar/v1/ForgetNodeResponse.ts';
import type { GetStatusRequest as _mdb_sidecar_v1_GetStatusRequest, GetStatusRequest__Output as _mdb_sidecar_v1_GetStatusRequest__Output } from './mdb/sidecar/v1/GetStatusRequest.ts';
import type { GuardStatus as _mdb_sidecar_v1_GuardStatus, GuardStatus__Output as _mdb_sidecar_v1_GuardStatus__Output } from './mdb/sidecar/v1/GuardStatus.ts';
import type { JoinClusterRequest as _mdb_sidecar_v1_JoinClusterRequest, JoinClusterRequest__Output as _mdb_sidecar_v1_JoinClusterRequest__Output } from './mdb/sidecar/v1/JoinClusterRequest.ts';
import type { JoinClusterResponse as _mdb_sidecar_v1_JoinClusterResponse, JoinClusterResponse__Output as _mdb_sidecar_v1_JoinClusterResponse__Output } from './mdb/sidecar/v1/JoinClusterResponse.ts';
import type { LatencyGuard as _mdb_sidecar_v1_LatencyGuard, LatencyGuard__Output as _mdb_sidecar_v1_LatencyGuard__Output } from './mdb/sidecar/v1/LatencyGuard.ts';
import type { LeaveClusterRequest as _mdb_sidecar_v1_LeaveClusterRequest, LeaveClusterRequest__Output as _mdb_sidecar_v1_LeaveClusterRequest__Output } from './mdb/sidecar/v1/LeaveClusterRequest.ts';
import type { LeaveClusterResponse as _mdb_sidecar_v1_LeaveClusterResponse, LeaveClusterResponse__Output as _mdb_sidecar_v1_LeaveClusterResponse__Output } from './mdb/sidecar/v1/LeaveClusterResponse.ts';
import type { MemberStatus as _mdb_sidecar_v1_MemberStatus, MemberStatus__Output as _mdb_sidecar_v1_MemberStatus__Output } from './mdb/sidecar/v1/MemberStatus.ts';
import type { MigrateSlotsRequest as _mdb_sidecar_v1_MigrateSlotsRequest, MigrateSlotsRequest__Output as _mdb_sidecar_v1_MigrateSlotsRequest__Output } from './mdb/sidecar/v1/MigrateSlotsRequest.ts';
import type { MigrationProgress as _mdb_sidecar_v1_MigrationProgress, MigrationProgress__Output as _mdb_sidecar_v1_MigrationProgress__Output } from './mdb/sidecar/v1/MigrationProgress.ts';
import type { MigrationSummary as _mdb_sidecar_v1_MigrationSummary, MigrationSummary__Output as _mdb_sidecar_v1_MigrationSummary__Output } from './mdb/sidecar/v1/MigrationSummary.ts';
import type { PrepareTakeoverRequest as _mdb_sidecar_v1_PrepareTakeoverRequest, PrepareTakeoverRequest__Output as _mdb_sidecar_v1_PrepareTakeoverRequest__Output } from './mdb/sidecar/v1/PrepareTakeoverRequest.ts';
import type { PrepareTakeoverResponse as _mdb_sidecar_v1_PrepareTakeoverResponse, PrepareTakeoverResponse__Output as _mdb_sidecar_v1_PrepareTakeoverResponse__Output } from './mdb/sidecar/v1/PrepareTakeoverResponse.ts';
import type { PromoteRequest as _mdb_sidecar_v1_PromoteRequest, PromoteRequest__Output as _mdb_sidecar_v1_PromoteRequest__Output } from './mdb/sidecar/v1/PromoteRequest.ts';
import type { PromoteResponse as _mdb_sidecar_v1_PromoteResponse, PromoteResponse__Output as _mdb_sidecar_v1_PromoteResponse__Output } from './mdb/sidecar/v1/PromoteResponse.ts';
import type { RateLimit as _mdb_sidecar_v1_RateLimit, RateLimit__Output as _mdb_sidecar_v1_RateLimit__Output } from './mdb/sidecar/v1/RateLimit.ts';
import type { ReplicateFromRequest as _mdb_sidecar_v1_ReplicateFromRequest, ReplicateFromRequest__Output as _mdb_sidecar_v1_ReplicateFromRequest__Output } from './mdb/sidecar/v1/ReplicateFromRequest.ts';
import type { ReplicationProgress as _mdb_sidecar_v1_ReplicationProgress, ReplicationProgress__Output as _mdb_sidecar_v1_ReplicationProgress__Output } from './mdb/sidecar/v1/ReplicationProgress.ts';
import type { ReplicationStatus as _mdb_sidecar_v1_ReplicationStatus, ReplicationStatus__Output as _mdb_sidecar_v1_ReplicationStatus__Output } from './mdb/sidecar/v1/ReplicationStatus.ts';
import type { ResetRequest as _mdb_sidecar_v1_ResetRequest, ResetRequest__Output as _mdb_sidecar_v1_ResetRequest__Output } from './mdb/sidecar/v1/ResetRequest.ts';
import type { ResetResponse as _mdb_sidecar_v1_ResetResponse, ResetResponse__Output as _mdb_sidecar_v1_ResetResponse__Output } from './mdb/sidecar/v1/ResetResponse.ts';
import type { ScheduleWindow as _mdb_sidecar_v1_ScheduleWindow, ScheduleWindow__Output as _mdb_sidecar_v1_ScheduleWindow__Output } from './mdb/sidecar/v1/ScheduleWindow.ts';
import type { SidecarClient as _mdb_sidecar_v1_SidecarClient, SidecarDefinition as _mdb_sidecar_v1_SidecarDefinition } from './mdb/sidecar/v1/Sidecar.ts';
import type { SlotRange as _mdb_sidecar_v1_SlotRange, SlotRange__Output as _mdb_sidecar_v1_SlotRange__Output } from './mdb/sidecar/v1/SlotRange.ts';
import type { SlotTransfer as _mdb_sidecar_v1_SlotTransfer, SlotTransfer__Output as _mdb_sidecar_v1_SlotTransfer__Output } from './mdb/sidecar/v1/SlotTransfer.ts';
import type { UnreachablePeer as _mdb_sidecar_v1_UnreachablePeer, UnreachablePeer__Output as _mdb_sidecar_v1_UnreachablePeer__Output } from './mdb/sidecar/v1/UnreachablePeer.ts';
import type { WatchStatusRequest as _mdb_sidecar_v1_WatchStatusRequest, WatchStatusRequest__Output as _mdb_sidecar_v1_WatchStatusRequest__Output } from './mdb/sidecar/v1/WatchStatusRequest.ts';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  mdb: {
    sidecar: {
      v1: {
        AssignSlotsRequest: MessageTypeDefinition<_mdb_sidecar_v1_AssignSlotsRequest, _mdb_sidecar_v1_AssignSlotsRequest__Output>
        AssignSlotsResponse: MessageTypeDefinition<_mdb_sidecar_v1_AssignSlotsResponse, _mdb_sidecar_v1_AssignSlotsResponse__Output>
        CancelMigrationRequest: MessageTypeDefinition<_mdb_sidecar_v1_CancelMigrationRequest, _mdb_sidecar_v1_CancelMigrationRequest__Output>
        CancelMigrationResponse: MessageTypeDefinition<_mdb_sidecar_v1_CancelMigrationResponse, _mdb_sidecar_v1_CancelMigrationResponse__Output>
        EngineAddress: MessageTypeDefinition<_mdb_sidecar_v1_EngineAddress, _mdb_sidecar_v1_EngineAddress__Output>
        EngineInfo: MessageTypeDefinition<_mdb_sidecar_v1_EngineInfo, _mdb_sidecar_v1_EngineInfo__Output>
        EngineRole: EnumTypeDefinition
        FailedSlot: MessageTypeDefinition<_mdb_sidecar_v1_FailedSlot, _mdb_sidecar_v1_FailedSlot__Output>
        ForgetNodeRequest: MessageTypeDefinition<_mdb_sidecar_v1_ForgetNodeRequest, _mdb_sidecar_v1_ForgetNodeRequest__Output>
        ForgetNodeResponse: MessageTypeDefinition<_mdb_sidecar_v1_ForgetNodeResponse, _mdb_sidecar_v1_ForgetNodeResponse__Output>
        GetStatusRequest: MessageTypeDefinition<_mdb_sidecar_v1_GetStatusRequest, _mdb_sidecar_v1_GetStatusRequest__Output>
        GuardStatus: MessageTypeDefinition<_mdb_sidecar_v1_GuardStatus, _mdb_sidecar_v1_GuardStatus__Output>
        JoinClusterRequest: MessageTypeDefinition<_mdb_sidecar_v1_JoinClusterRequest, _mdb_sidecar_v1_JoinClusterRequest__Output>
        JoinClusterResponse: MessageTypeDefinition<_mdb_sidecar_v1_JoinClusterResponse, _mdb_sidecar_v1_JoinClusterResponse__Output>
        LatencyGuard: MessageTypeDefinition<_mdb_sidecar_v1_LatencyGuard, _mdb_sidecar_v1_LatencyGuard__Output>
        LeaveClusterRequest: MessageTypeDefinition<_mdb_sidecar_v1_LeaveClusterRequest, _mdb_sidecar_v1_LeaveClusterRequest__Output>
        LeaveClusterResponse: MessageTypeDefinition<_mdb_sidecar_v1_LeaveClusterResponse, _mdb_sidecar_v1_LeaveClusterResponse__Output>
        MemberState: EnumTypeDefinition
        MemberStatus: MessageTypeDefinition<_mdb_sidecar_v1_MemberStatus, _mdb_sidecar_v1_MemberStatus__Output>
        MigrateSlotsRequest: MessageTypeDefinition<_mdb_sidecar_v1_MigrateSlotsRequest, _mdb_sidecar_v1_MigrateSlotsRequest__Output>
        MigrationProgress: MessageTypeDefinition<_mdb_sidecar_v1_MigrationProgress, _mdb_sidecar_v1_MigrationProgress__Output>
        MigrationSummary: MessageTypeDefinition<_mdb_sidecar_v1_MigrationSummary, _mdb_sidecar_v1_MigrationSummary__Output>
        PrepareTakeoverRequest: MessageTypeDefinition<_mdb_sidecar_v1_PrepareTakeoverRequest, _mdb_sidecar_v1_PrepareTakeoverRequest__Output>
        PrepareTakeoverResponse: MessageTypeDefinition<_mdb_sidecar_v1_PrepareTakeoverResponse, _mdb_sidecar_v1_PrepareTakeoverResponse__Output>
        PromoteMode: EnumTypeDefinition
        PromoteRequest: MessageTypeDefinition<_mdb_sidecar_v1_PromoteRequest, _mdb_sidecar_v1_PromoteRequest__Output>
        PromoteResponse: MessageTypeDefinition<_mdb_sidecar_v1_PromoteResponse, _mdb_sidecar_v1_PromoteResponse__Output>
        RateLimit: MessageTypeDefinition<_mdb_sidecar_v1_RateLimit, _mdb_sidecar_v1_RateLimit__Output>
        ReplicateFromRequest: MessageTypeDefinition<_mdb_sidecar_v1_ReplicateFromRequest, _mdb_sidecar_v1_ReplicateFromRequest__Output>
        ReplicationProgress: MessageTypeDefinition<_mdb_sidecar_v1_ReplicationProgress, _mdb_sidecar_v1_ReplicationProgress__Output>
        ReplicationStatus: MessageTypeDefinition<_mdb_sidecar_v1_ReplicationStatus, _mdb_sidecar_v1_ReplicationStatus__Output>
        ResetRequest: MessageTypeDefinition<_mdb_sidecar_v1_ResetRequest, _mdb_sidecar_v1_ResetRequest__Output>
        ResetResponse: MessageTypeDefinition<_mdb_sidecar_v1_ResetResponse, _mdb_sidecar_v1_ResetResponse__Output>
        ScheduleWindow: MessageTypeDefinition<_mdb_sidecar_v1_ScheduleWindow, _mdb_sidecar_v1_ScheduleWindow__Output>
        Sidecar: SubtypeConstructor<typeof grpc.Client, _mdb_sidecar_v1_SidecarClient> & { service: _mdb_sidecar_v1_SidecarDefinition }
        SlotRange: MessageTypeDefinition<_mdb_sidecar_v1_SlotRange, _mdb_sidecar_v1_SlotRange__Output>
        SlotTransfer: MessageTypeDefinition<_mdb_sidecar_v1_SlotTransfer, _mdb_sidecar_v1_SlotTransfer__Output>
        UnreachablePeer: MessageTypeDefinition<_mdb_sidecar_v1_UnreachablePeer, _mdb_sidecar_v1_UnreachablePeer__Output>
        WatchStatusRequest: MessageTypeDefinition<_mdb_sidecar_v1_WatchStatusRequest, _mdb_sidecar_v1_WatchStatusRequest__Output>
      }
    }
  }
}

