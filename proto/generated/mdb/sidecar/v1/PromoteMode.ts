// Original file: proto/mdb/sidecar/v1/sidecar.proto

export const PromoteMode = {
  PROMOTE_MODE_UNSPECIFIED: 'PROMOTE_MODE_UNSPECIFIED',
  GRACEFUL: 'GRACEFUL',
  FORCE: 'FORCE',
  TAKEOVER: 'TAKEOVER',
} as const;

export type PromoteMode =
  | 'PROMOTE_MODE_UNSPECIFIED'
  | 0
  | 'GRACEFUL'
  | 1
  | 'FORCE'
  | 2
  | 'TAKEOVER'
  | 3

export type PromoteMode__Output = typeof PromoteMode[keyof typeof PromoteMode]
