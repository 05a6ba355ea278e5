// Original file: proto/mdb/sidecar/v1/sidecar.proto


export interface GuardStatus {
  'enabled'?: (boolean);
  'baselineP99Ms'?: (number | string);
  'budgetMs'?: (number | string);
  'observedP99Ms'?: (number | string);
  'keysPerSecond'?: (number | string);
  'batchKeys'?: (number);
  'window'?: (number);
  'parallelSlots'?: (number);
  'lastAction'?: (string);
  'increases'?: (number);
  'decreases'?: (number);
  'level'?: (number | string);
}

export interface GuardStatus__Output {
  'enabled': (boolean);
  'baselineP99Ms': (number);
  'budgetMs': (number);
  'observedP99Ms': (number);
  'keysPerSecond': (number);
  'batchKeys': (number);
  'window': (number);
  'parallelSlots': (number);
  'lastAction': (string);
  'increases': (number);
  'decreases': (number);
  'level': (number);
}
