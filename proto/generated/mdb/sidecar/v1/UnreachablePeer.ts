// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface UnreachablePeer {
  'nodeId'?: (string);
  'host'?: (string);
  'port'?: (number);
}

export interface UnreachablePeer__Output {
  'nodeId': (string);
  'host': (string);
  'port': (number);
}
