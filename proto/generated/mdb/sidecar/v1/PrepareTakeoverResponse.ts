// Original file: proto/mdb/sidecar/v1/sidecar.proto

import type { Long } from '@grpc/proto-loader';

export interface PrepareTakeoverResponse {
  'fenceToken'?: (string);
  'primaryNodeId'?: (string);
  'expiresAtMs'?: (number | string | Long);
}

export interface PrepareTakeoverResponse__Output {
  'fenceToken': (string);
  'primaryNodeId': (string);
  'expiresAtMs': (number);
}
