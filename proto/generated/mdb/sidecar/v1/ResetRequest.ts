// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface ResetRequest {
}

export interface ResetRequest__Output {
}
