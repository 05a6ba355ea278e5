// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface LeaveClusterResponse {
  'forgottenBy'?: (string)[];
}

export interface LeaveClusterResponse__Output {
  'forgottenBy': (string)[];
}
