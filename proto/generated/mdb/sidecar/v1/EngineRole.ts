// Original file: proto/mdb/sidecar/v1/sidecar.proto

export const EngineRole = {
  ENGINE_ROLE_UNSPECIFIED: 'ENGINE_ROLE_UNSPECIFIED',
  PRIMARY: 'PRIMARY',
  REPLICA: 'REPLICA',
} as const;

export type EngineRole =
  | 'ENGINE_ROLE_UNSPECIFIED'
  | 0
  | 'PRIMARY'
  | 1
  | 'REPLICA'
  | 2

export type EngineRole__Output = typeof EngineRole[keyof typeof EngineRole]
