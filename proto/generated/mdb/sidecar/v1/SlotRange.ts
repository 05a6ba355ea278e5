// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface SlotRange {
  'start'?: (number);
  'end'?: (number);
}

export interface SlotRange__Output {
  'start': (number);
  'end': (number);
}
