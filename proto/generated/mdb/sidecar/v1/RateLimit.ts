// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface RateLimit {
  'keysPerSecond'?: (number | string);
  'bytesPerSecond'?: (number | string);
}

export interface RateLimit__Output {
  'keysPerSecond': (number);
  'bytesPerSecond': (number);
}
