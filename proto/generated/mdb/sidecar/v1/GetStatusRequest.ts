// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface GetStatusRequest {
}

export interface GetStatusRequest__Output {
}
