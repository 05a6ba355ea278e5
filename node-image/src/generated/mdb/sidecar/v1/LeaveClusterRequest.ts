// Original file: node-image/proto/mdb/sidecar/v1/sidecar.proto


export interface LeaveClusterRequest {
}

export interface LeaveClusterRequest__Output {
}
