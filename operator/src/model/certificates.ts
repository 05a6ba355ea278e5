// The sidecar API's certificates as plain data (docs/architecture/sidecar.md#mtls): the cluster's CA,
// the operator's client certificate and each member's serving certificate, as observe.ts read them
// from their Secrets, and when each is due for renewal. Pure.

/** A leaf (a member's serving certificate, the operator's client certificate) lives this long. */
export const LEAF_VALIDITY_MS = 90 * 24 * 3600_000;
/** The cluster's CA lives this long. */
export const CA_VALIDITY_MS = 10 * 365 * 24 * 3600_000;
/**
 * A certificate is renewed once this fraction of its life has passed (a 90-day leaf after 60 days),
 * leaving a third of it for the kubelet to deliver the new files and the sidecar to read them.
 */
export const RENEW_AFTER_FRACTION = 2 / 3;

/** One certificate as read from its Secret. */
export interface CertificateView {
  notBeforeMs: number;
  notAfterMs: number;
  /** The DNS names of its subjectAltName. */
  dnsNames: string[];
  /** Signed by the cluster's current CA (false: by another, e.g. a CA that was replaced). */
  issuedByCa: boolean;
}

/** What observe found in a certificate Secret: the certificate, or why it cannot be used. */
export type CertificateSecret = { ok: true; cert: CertificateView } | { ok: false; problem: string };

export interface TlsObservation {
  /** The CA Secret: undefined when it does not exist. */
  ca?: CertificateSecret;
  /**
   * A CA rollover in progress (docs/architecture/sidecar.md#mtls): the next CA staged beside the
   * current one (members trust both, leaves still from the current), or the switch done (leaves from
   * the new CA, members still trusting the previous one too). Undefined when there is one CA.
   */
  rollover?: { phase: "staged" | "switched"; other: CertificateSecret };
  /** What members must trust (their ca.crt) and the operator trusts: the CA, or both CAs in a rollover. */
  trustPem?: string;
  /** Member → the digest of its Secret's ca.crt and tls.crt (common/tls-digest.ts), to compare with what its sidecar reports. */
  memberDigests: Record<string, string>;
  /** The operator's client certificate (in the CA Secret): undefined when absent. */
  client?: CertificateSecret;
  /** Member name → its serving certificate Secret, for the member TLS Secrets that exist. */
  members: Record<string, CertificateSecret>;
  /** The clients' CA Secret (NAME-ca-crt): absent, holding the CA's certificate, or another one. */
  clientCa: "missing" | "current" | "outdated";
  /**
   * With spec.tls.issuerRef: what cert-manager's API holds. `ca` and `client` then come from the
   * operator's Secret NAME-operator-tls (ca.crt, tls.crt, tls.key) instead of NAME-ca.
   */
  certManager?: CertManagerView;
}

/** cert-manager's side of a cluster's certificates, as the reconciler read it from the API. */
export type CertManagerView =
  | { api: "missing" }
  | { api: "served"; certificates: Record<string, CertificateRequestView>; issuer: IssuerView };

/** One of the cluster's cert-manager Certificate objects: what it asks for and whether it is issued. */
export interface CertificateRequestView {
  secretName: string;
  commonName: string;
  dnsNames: string[];
  usages: string[];
  issuerRef: { name: string; kind: string; group: string };
  /** Its Ready condition ("Unknown" before cert-manager set one). */
  ready: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  createdMs: number;
}

/** The issuer named by spec.tls.issuerRef: read when it is cert-manager's own (group cert-manager.io). */
export type IssuerView = { state: "missing" } | { state: "ready" } | { state: "not-ready"; message: string } | { state: "not-read" };

/** When a certificate should be replaced: a fixed fraction into its life. */
export function renewAtMs(cert: CertificateView): number {
  return cert.notBeforeMs + Math.floor((cert.notAfterMs - cert.notBeforeMs) * RENEW_AFTER_FRACTION);
}

/**
 * Why a leaf must be issued again now, or undefined when it is good: absent, unreadable, not from the
 * current CA, for other names, or due for renewal.
 */
export function leafNeedsIssuing(secret: CertificateSecret | undefined, dnsNames: readonly string[] | undefined, nowMs: number): string | undefined {
  if (!secret) return "missing";
  if (!secret.ok) return secret.problem;
  const { cert } = secret;
  if (!cert.issuedByCa) return "not signed by the cluster's CA";
  if (dnsNames && (cert.dnsNames.length !== dnsNames.length || dnsNames.some((n) => !cert.dnsNames.includes(n)))) return `names ${cert.dnsNames.join(", ")} differ from ${dnsNames.join(", ")}`;
  if (nowMs >= renewAtMs(cert)) return `due for renewal since ${new Date(renewAtMs(cert)).toISOString()} (expires ${new Date(cert.notAfterMs).toISOString()})`;
  return undefined;
}
