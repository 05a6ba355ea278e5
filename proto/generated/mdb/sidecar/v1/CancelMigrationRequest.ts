// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface CancelMigrationRequest {
  'migrationId'?: (string);
}

export interface CancelMigrationRequest__Output {
  'migrationId': (string);
}
