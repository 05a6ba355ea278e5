// Original file: proto/mdb/sidecar/v1/sidecar.proto

import type { FailedSlot as _mdb_sidecar_v1_FailedSlot, FailedSlot__Output as _mdb_sidecar_v1_FailedSlot__Output } from '../../../mdb/sidecar/v1/FailedSlot.ts';
import type { Long } from '@grpc/proto-loader';

export interface MigrationProgress {
  'migrationId'?: (string);
  'slotsTotal'?: (number);
  'slotsDone'?: (number);
  'slotsFailed'?: (number);
  'keysMoved'?: (number | string | Long);
  'bytesMoved'?: (number | string | Long);
  'keysPerSecond'?: (number | string);
  'bytesPerSecond'?: (number | string);
  'activeSlots'?: (number)[];
  'maxSourceBlockMs'?: (number | string);
  'done'?: (boolean);
  'cancelled'?: (boolean);
  'failedSlots'?: (_mdb_sidecar_v1_FailedSlot)[];
  'elapsedMs'?: (number | string | Long);
}

export interface MigrationProgress__Output {
  'migrationId': (string);
  'slotsTotal': (number);
  'slotsDone': (number);
  'slotsFailed': (number);
  'keysMoved': (number);
  'bytesMoved': (number);
  'keysPerSecond': (number);
  'bytesPerSecond': (number);
  'activeSlots': (number)[];
  'maxSourceBlockMs': (number);
  'done': (boolean);
  'cancelled': (boolean);
  'failedSlots': (_mdb_sidecar_v1_FailedSlot__Output)[];
  'elapsedMs': (number);
}
