// Which TLS files a member's sidecar has taken (docs/architecture/sidecar.md#mtls): a digest of the
// CA bundle and the certificate, as the kubelet writes them from the member's Secret. The sidecar
// reports the digest of the set it serves with (MemberStatus.tls_digest); the operator computes it from
// the Secret, and a CA rollover moves to its next step only when every member reports its Secret's.
import { createHash } from "node:crypto";

export function tlsFilesDigest(caPem: string | Buffer, certPem: string | Buffer): string {
  return createHash("sha256").update(caPem).update("\0").update(certPem).digest("hex").slice(0, 32);
}
