// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface ResetResponse {
  'newNodeId'?: (string);
}

export interface ResetResponse__Output {
  'newNodeId': (string);
}
