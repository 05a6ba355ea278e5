// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface FailedSlot {
  'slot'?: (number);
  'error'?: (string);
}

export interface FailedSlot__Output {
  'slot': (number);
  'error': (string);
}
