// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface WatchStatusRequest {
}

export interface WatchStatusRequest__Output {
}
