// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface ForgetNodeResponse {
}

export interface ForgetNodeResponse__Output {
}
