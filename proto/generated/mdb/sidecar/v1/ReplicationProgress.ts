// Original file: proto/mdb/sidecar/v1/sidecar.proto

import type { MemberState as _mdb_sidecar_v1_MemberState, MemberState__Output as _mdb_sidecar_v1_MemberState__Output } from '../../../mdb/sidecar/v1/MemberState.ts';
import type { Long } from '@grpc/proto-loader';

export interface ReplicationProgress {
  'phase'?: (string);
  'linkUp'?: (boolean);
  'syncTotalBytes'?: (number | string | Long);
  'syncReadBytes'?: (number | string | Long);
  'primaryOffset'?: (number | string | Long);
  'offset'?: (number | string | Long);
  'state'?: (_mdb_sidecar_v1_MemberState);
  'done'?: (boolean);
}

export interface ReplicationProgress__Output {
  'phase': (string);
  'linkUp': (boolean);
  'syncTotalBytes': (number);
  'syncReadBytes': (number);
  'primaryOffset': (number);
  'offset': (number);
  'state': (_mdb_sidecar_v1_MemberState__Output);
  'done': (boolean);
}
