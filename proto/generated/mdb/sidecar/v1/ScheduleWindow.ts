// Original file: proto/mdb/sidecar/v1/sidecar.proto

import type { RateLimit as _mdb_sidecar_v1_RateLimit, RateLimit__Output as _mdb_sidecar_v1_RateLimit__Output } from '../../../mdb/sidecar/v1/RateLimit.ts';

export interface ScheduleWindow {
  'start'?: (string);
  'end'?: (string);
  'rate'?: (_mdb_sidecar_v1_RateLimit | null);
}

export interface ScheduleWindow__Output {
  'start': (string);
  'end': (string);
  'rate': (_mdb_sidecar_v1_RateLimit__Output | null);
}
