// Original file: proto/mdb/sidecar/v1/sidecar.proto

import type { MemberState as _mdb_sidecar_v1_MemberState, MemberState__Output as _mdb_sidecar_v1_MemberState__Output } from '../../../mdb/sidecar/v1/MemberState.ts';
import type { EngineRole as _mdb_sidecar_v1_EngineRole, EngineRole__Output as _mdb_sidecar_v1_EngineRole__Output } from '../../../mdb/sidecar/v1/EngineRole.ts';
import type { SlotRange as _mdb_sidecar_v1_SlotRange, SlotRange__Output as _mdb_sidecar_v1_SlotRange__Output } from '../../../mdb/sidecar/v1/SlotRange.ts';
import type { SlotTransfer as _mdb_sidecar_v1_SlotTransfer, SlotTransfer__Output as _mdb_sidecar_v1_SlotTransfer__Output } from '../../../mdb/sidecar/v1/SlotTransfer.ts';
import type { ReplicationStatus as _mdb_sidecar_v1_ReplicationStatus, ReplicationStatus__Output as _mdb_sidecar_v1_ReplicationStatus__Output } from '../../../mdb/sidecar/v1/ReplicationStatus.ts';
import type { MigrationSummary as _mdb_sidecar_v1_MigrationSummary, MigrationSummary__Output as _mdb_sidecar_v1_MigrationSummary__Output } from '../../../mdb/sidecar/v1/MigrationSummary.ts';
import type { EngineInfo as _mdb_sidecar_v1_EngineInfo, EngineInfo__Output as _mdb_sidecar_v1_EngineInfo__Output } from '../../../mdb/sidecar/v1/EngineInfo.ts';
import type { UnreachablePeer as _mdb_sidecar_v1_UnreachablePeer, UnreachablePeer__Output as _mdb_sidecar_v1_UnreachablePeer__Output } from '../../../mdb/sidecar/v1/UnreachablePeer.ts';
import type { Long } from '@grpc/proto-loader';

export interface MemberStatus {
  'state'?: (_mdb_sidecar_v1_MemberState);
  'role'?: (_mdb_sidecar_v1_EngineRole);
  'nodeId'?: (string);
  'slots'?: (_mdb_sidecar_v1_SlotRange)[];
  'importing'?: (_mdb_sidecar_v1_SlotTransfer)[];
  'migrating'?: (_mdb_sidecar_v1_SlotTransfer)[];
  'replication'?: (_mdb_sidecar_v1_ReplicationStatus | null);
  'memoryUsedBytes'?: (number | string | Long);
  'memoryMaxBytes'?: (number | string | Long);
  'keys'?: (number | string | Long);
  'opsPerSecond'?: (number | string);
  'engineUp'?: (boolean);
  'clusterState'?: (string);
  'clusterKnownNodes'?: (number);
  'slotsOwned'?: (number);
  'migration'?: (_mdb_sidecar_v1_MigrationSummary | null);
  'ready'?: (boolean);
  'notReadyReason'?: (string);
  'observedAtMs'?: (number | string | Long);
  'lastError'?: (string);
  'engine'?: (_mdb_sidecar_v1_EngineInfo | null);
  'unreachablePeers'?: (_mdb_sidecar_v1_UnreachablePeer)[];
  'tlsDigest'?: (string);
}

export interface MemberStatus__Output {
  'state': (_mdb_sidecar_v1_MemberState__Output);
  'role': (_mdb_sidecar_v1_EngineRole__Output);
  'nodeId': (string);
  'slots': (_mdb_sidecar_v1_SlotRange__Output)[];
  'importing': (_mdb_sidecar_v1_SlotTransfer__Output)[];
  'migrating': (_mdb_sidecar_v1_SlotTransfer__Output)[];
  'replication': (_mdb_sidecar_v1_ReplicationStatus__Output | null);
  'memoryUsedBytes': (number);
  'memoryMaxBytes': (number);
  'keys': (number);
  'opsPerSecond': (number);
  'engineUp': (boolean);
  'clusterState': (string);
  'clusterKnownNodes': (number);
  'slotsOwned': (number);
  'migration': (_mdb_sidecar_v1_MigrationSummary__Output | null);
  'ready': (boolean);
  'notReadyReason': (string);
  'observedAtMs': (number);
  'lastError': (string);
  'engine': (_mdb_sidecar_v1_EngineInfo__Output | null);
  'unreachablePeers': (_mdb_sidecar_v1_UnreachablePeer__Output)[];
  'tlsDigest': (string);
}
