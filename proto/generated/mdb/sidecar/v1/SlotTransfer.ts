// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface SlotTransfer {
  'slot'?: (number);
  'nodeId'?: (string);
}

export interface SlotTransfer__Output {
  'slot': (number);
  'nodeId': (string);
}
