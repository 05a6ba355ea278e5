// gRPC's status codes and the two headers of its protocol that carry text: grpc-message (percent-encoded)
// and grpc-timeout (an amount and a unit).

export const STATUS_CODE = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
} as const;

export type GrpcStatusName = keyof typeof STATUS_CODE;

export function isGrpcStatusName(name: string): name is GrpcStatusName {
  return Object.hasOwn(STATUS_CODE, name);
}

/** A call's end with a status other than OK: its name and the text the client reads. */
export class GrpcError extends Error {
  constructor(readonly code: GrpcStatusName, readonly details: string) {
    super(details);
  }
}

/** grpc-message: each byte outside printable ASCII, and "%", as %XX of the text's UTF-8. */
export function grpcMessage(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** grpc-timeout in ms: undefined when absent, null when it is not one (up to 8 digits and a unit, H M S m u n). */
export function timeoutMs(header: string | string[] | undefined): number | undefined | null {
  if (header === undefined) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(String(header));
  return m ? Math.ceil(Number(m[1]) * UNIT_MS[m[2]]) : null;
}
