// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface PrepareTakeoverRequest {
}

export interface PrepareTakeoverRequest__Output {
}
