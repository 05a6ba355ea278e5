// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface EngineAddress {
  'host'?: (string);
  'port'?: (number);
  'busPort'?: (number);
}

export interface EngineAddress__Output {
  'host': (string);
  'port': (number);
  'busPort': (number);
}
