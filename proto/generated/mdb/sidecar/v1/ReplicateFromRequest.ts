// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface ReplicateFromRequest {
  'primaryNodeId'?: (string);
  'timeoutMs'?: (number);
}

export interface ReplicateFromRequest__Output {
  'primaryNodeId': (string);
  'timeoutMs': (number);
}
