// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface ForgetNodeRequest {
  'nodeId'?: (string);
}

export interface ForgetNodeRequest__Output {
  'nodeId': (string);
}
