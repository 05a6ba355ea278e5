// Authentication of sidecar API calls: a bearer token compared in constant time, and/or mTLS with a CA
// the operator owns (docs/architecture.md#security).
import { createHash, timingSafeEqual, randomBytes } from "node:crypto";
import type { CallMetadata } from "../grpc/server.ts";
import type { Logger } from "./log.ts";
import type { SidecarSettings } from "./settings.ts";
import { checkTlsMaterial, ReloadingTlsFiles } from "./tls-files.ts";

/** Constant-time comparison: both sides are hashed first so their lengths are equal. */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b) && presented.length === expected.length;
}

export function newFenceToken(): string {
  return randomBytes(24).toString("hex");
}

/** undefined when the call is allowed, otherwise the reason it is refused (UNAUTHENTICATED). */
export function checkBearer(metadata: CallMetadata, expectedToken: string | undefined): string | undefined {
  if (expectedToken === undefined) return undefined;
  const values = metadata.get("authorization");
  if (values.length === 0) return "missing authorization metadata: send \"authorization: Bearer <token>\" with the token from the sidecar's Secret";
  const header = String(values[0]);
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return "authorization metadata must be \"Bearer <token>\"";
  if (!secretsEqual(match[1], expectedToken)) return "the bearer token does not match the sidecar's Secret";
  return undefined;
}

/** The member's TLS files, checked once at start (a bad set stops the sidecar), then re-read every reloadMs. */
export function memberTlsFiles(auth: SidecarSettings["auth"], log: Logger): ReloadingTlsFiles | undefined {
  if (!auth.tls) return undefined;
  const initial = { caPem: auth.tls.caPem, certPem: auth.tls.certPem, keyPem: auth.tls.keyPem };
  checkTlsMaterial(initial);
  return new ReloadingTlsFiles(auth.tls.files, initial, auth.tls.reloadMs, log);
}
