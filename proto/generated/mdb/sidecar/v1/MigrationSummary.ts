// Original file: proto/mdb/sidecar/v1/sidecar.proto

import type { EngineAddress as _mdb_sidecar_v1_EngineAddress, EngineAddress__Output as _mdb_sidecar_v1_EngineAddress__Output } from '../../../mdb/sidecar/v1/EngineAddress.ts';
import type { Long } from '@grpc/proto-loader';

export interface MigrationSummary {
  'migrationId'?: (string);
  'source'?: (_mdb_sidecar_v1_EngineAddress | null);
  'slotsTotal'?: (number);
  'slotsDone'?: (number);
  'keysMoved'?: (number | string | Long);
}

export interface MigrationSummary__Output {
  'migrationId': (string);
  'source': (_mdb_sidecar_v1_EngineAddress__Output | null);
  'slotsTotal': (number);
  'slotsDone': (number);
  'keysMoved': (number);
}
