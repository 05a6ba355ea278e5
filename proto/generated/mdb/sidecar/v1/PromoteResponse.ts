// Original file: proto/mdb/sidecar/v1/sidecar.proto

import type { MemberStatus as _mdb_sidecar_v1_MemberStatus, MemberStatus__Output as _mdb_sidecar_v1_MemberStatus__Output } from '../../../mdb/sidecar/v1/MemberStatus.ts';
import type { Long } from '@grpc/proto-loader';

export interface PromoteResponse {
  'status'?: (_mdb_sidecar_v1_MemberStatus | null);
  'offsetAtSwitch'?: (number | string | Long);
  'pauseMs'?: (number | string | Long);
}

export interface PromoteResponse__Output {
  'status': (_mdb_sidecar_v1_MemberStatus__Output | null);
  'offsetAtSwitch': (number);
  'pauseMs': (number);
}
