// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface LatencyGuard {
  'disabled'?: (boolean);
  'budgetFactor'?: (number | string);
  'budgetMs'?: (number | string);
  'floorKeysPerSecond'?: (number);
}

export interface LatencyGuard__Output {
  'disabled': (boolean);
  'budgetFactor': (number);
  'budgetMs': (number);
  'floorKeysPerSecond': (number);
}
