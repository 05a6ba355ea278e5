// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface LeaveClusterRequest {
}

export interface LeaveClusterRequest__Output {
}
