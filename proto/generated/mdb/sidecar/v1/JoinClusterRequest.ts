// Original file: proto/mdb/sidecar/v1/sidecar.proto

import type { EngineAddress as _mdb_sidecar_v1_EngineAddress, EngineAddress__Output as _mdb_sidecar_v1_EngineAddress__Output } from '../../../mdb/sidecar/v1/EngineAddress.ts';

export interface JoinClusterRequest {
  'peers'?: (_mdb_sidecar_v1_EngineAddress)[];
  'timeoutMs'?: (number);
}

export interface JoinClusterRequest__Output {
  'peers': (_mdb_sidecar_v1_EngineAddress__Output)[];
  'timeoutMs': (number);
}
