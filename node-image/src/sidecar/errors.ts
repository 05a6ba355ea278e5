// Errors the sidecar returns, each carrying the gRPC status code the server maps it to.
export type SidecarErrorCode =
  | "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "UNAVAILABLE" | "DEADLINE_EXCEEDED" | "ABORTED"
  | "ALREADY_EXISTS" | "NOT_FOUND" | "UNAUTHENTICATED" | "INTERNAL";

export class SidecarError extends Error {
  constructor(readonly code: SidecarErrorCode, message: string) {
    super(message);
    this.name = "SidecarError";
  }
}

/** A malformed request: names the field, what was expected and what was given. */
export class InvalidArgumentError extends SidecarError {
  constructor(readonly field: string, message: string) {
    super("INVALID_ARGUMENT", `${field}: ${message}`);
    this.name = "InvalidArgumentError";
  }
}

export function failedPrecondition(message: string): SidecarError {
  return new SidecarError("FAILED_PRECONDITION", message);
}
