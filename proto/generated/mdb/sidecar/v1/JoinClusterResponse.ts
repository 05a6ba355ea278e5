// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface JoinClusterResponse {
  'knownNodes'?: (number);
}

export interface JoinClusterResponse__Output {
  'knownNodes': (number);
}
