// Original file: proto/mdb/sidecar/v1/sidecar.proto

import type { SlotRange as _mdb_sidecar_v1_SlotRange, SlotRange__Output as _mdb_sidecar_v1_SlotRange__Output } from '../../../mdb/sidecar/v1/SlotRange.ts';

export interface AssignSlotsRequest {
  'slots'?: (_mdb_sidecar_v1_SlotRange)[];
}

export interface AssignSlotsRequest__Output {
  'slots': (_mdb_sidecar_v1_SlotRange__Output)[];
}
