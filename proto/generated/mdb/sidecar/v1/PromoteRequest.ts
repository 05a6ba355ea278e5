// Original file: proto/mdb/sidecar/v1/sidecar.proto

import type { PromoteMode as _mdb_sidecar_v1_PromoteMode, PromoteMode__Output as _mdb_sidecar_v1_PromoteMode__Output } from '../../../mdb/sidecar/v1/PromoteMode.ts';

export interface PromoteRequest {
  'mode'?: (_mdb_sidecar_v1_PromoteMode);
  'fenceToken'?: (string);
  'timeoutMs'?: (number);
}

export interface PromoteRequest__Output {
  'mode': (_mdb_sidecar_v1_PromoteMode__Output);
  'fenceToken': (string);
  'timeoutMs': (number);
}
