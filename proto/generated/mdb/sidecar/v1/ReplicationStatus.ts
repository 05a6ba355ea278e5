// Original file: proto/mdb/sidecar/v1/sidecar.proto

import type { Long } from '@grpc/proto-loader';

export interface ReplicationStatus {
  'primaryNodeId'?: (string);
  'primaryHost'?: (string);
  'primaryPort'?: (number);
  'linkUp'?: (boolean);
  'syncInProgress'?: (boolean);
  'offset'?: (number | string | Long);
  'connectedReplicas'?: (number);
  'linkedSinceStart'?: (boolean);
}

export interface ReplicationStatus__Output {
  'primaryNodeId': (string);
  'primaryHost': (string);
  'primaryPort': (number);
  'linkUp': (boolean);
  'syncInProgress': (boolean);
  'offset': (number);
  'connectedReplicas': (number);
  'linkedSinceStart': (boolean);
}
