// Original file: proto/mdb/sidecar/v1/sidecar.proto

import type { EngineAddress as _mdb_sidecar_v1_EngineAddress, EngineAddress__Output as _mdb_sidecar_v1_EngineAddress__Output } from '../../../mdb/sidecar/v1/EngineAddress.ts';
import type { SlotRange as _mdb_sidecar_v1_SlotRange, SlotRange__Output as _mdb_sidecar_v1_SlotRange__Output } from '../../../mdb/sidecar/v1/SlotRange.ts';
import type { RateLimit as _mdb_sidecar_v1_RateLimit, RateLimit__Output as _mdb_sidecar_v1_RateLimit__Output } from '../../../mdb/sidecar/v1/RateLimit.ts';
import type { ScheduleWindow as _mdb_sidecar_v1_ScheduleWindow, ScheduleWindow__Output as _mdb_sidecar_v1_ScheduleWindow__Output } from '../../../mdb/sidecar/v1/ScheduleWindow.ts';

export interface MigrateSlotsRequest {
  'source'?: (_mdb_sidecar_v1_EngineAddress | null);
  'slots'?: (_mdb_sidecar_v1_SlotRange)[];
  'otherPrimaries'?: (_mdb_sidecar_v1_EngineAddress)[];
  'batchKeys'?: (number);
  'window'?: (number);
  'parallelSlots'?: (number);
  'rate'?: (_mdb_sidecar_v1_RateLimit | null);
  'schedule'?: (_mdb_sidecar_v1_ScheduleWindow)[];
  'migrateTimeoutMs'?: (number);
  'progressIntervalMs'?: (number);
}

export interface MigrateSlotsRequest__Output {
  'source': (_mdb_sidecar_v1_EngineAddress__Output | null);
  'slots': (_mdb_sidecar_v1_SlotRange__Output)[];
  'otherPrimaries': (_mdb_sidecar_v1_EngineAddress__Output)[];
  'batchKeys': (number);
  'window': (number);
  'parallelSlots': (number);
  'rate': (_mdb_sidecar_v1_RateLimit__Output | null);
  'schedule': (_mdb_sidecar_v1_ScheduleWindow__Output)[];
  'migrateTimeoutMs': (number);
  'progressIntervalMs': (number);
}
