// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface CancelMigrationResponse {
  'wasRunning'?: (boolean);
}

export interface CancelMigrationResponse__Output {
  'wasRunning': (boolean);
}
