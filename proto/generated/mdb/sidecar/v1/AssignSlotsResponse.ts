// Original file: proto/mdb/sidecar/v1/sidecar.proto

import type { MemberStatus as _mdb_sidecar_v1_MemberStatus, MemberStatus__Output as _mdb_sidecar_v1_MemberStatus__Output } from '../../../mdb/sidecar/v1/MemberStatus.ts';

export interface AssignSlotsResponse {
  'status'?: (_mdb_sidecar_v1_MemberStatus | null);
}

export interface AssignSlotsResponse__Output {
  'status': (_mdb_sidecar_v1_MemberStatus__Output | null);
}
