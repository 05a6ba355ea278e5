// Original file: proto/mdb/sidecar/v1/sidecar.proto

export const MemberState = {
  MEMBER_STATE_UNSPECIFIED: 'MEMBER_STATE_UNSPECIFIED',
  OFFLINE: 'OFFLINE',
  ONLINE: 'ONLINE',
  MIGRATING: 'MIGRATING',
  ACTIVE: 'ACTIVE',
  STANDBY: 'STANDBY',
  RECOVERED: 'RECOVERED',
} as const;

export type MemberState =
  | 'MEMBER_STATE_UNSPECIFIED'
  | 0
  | 'OFFLINE'
  | 1
  | 'ONLINE'
  | 2
  | 'MIGRATING'
  | 3
  | 'ACTIVE'
  | 4
  | 'STANDBY'
  | 5
  | 'RECOVERED'
  | 6

export type MemberState__Output = typeof MemberState[keyof typeof MemberState]
