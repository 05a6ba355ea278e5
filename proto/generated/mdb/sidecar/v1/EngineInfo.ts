// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface EngineInfo {
  'name'?: (string);
  'version'?: (string);
  'capabilities'?: (string)[];
  'unsupportedReason'?: (string);
}

export interface EngineInfo__Output {
  'name': (string);
  'version': (string);
  'capabilities': (string)[];
  'unsupportedReason': (string);
}
