// Observe the sidecar API's certificates: the CA Secret (or, with spec.tls.issuerRef, cert-manager's
// Secret for the operator) and the members' TLS Secrets, parsed with
// Node's X.509 into plain data (model/certificates.ts) that decide and status judge.
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { V1Secret } from "@kubernetes/client-node";
import type { CertManagerView, CertificateSecret, CertificateView, TlsObservation } from "../model/certificates.ts";
import { CA_SECRET_KEYS, CLIENT_CA_KEY, MEMBER_TLS_KEYS, secretText, trustBundle } from "../resources/tls-secrets.ts";
import { tlsFilesDigest } from "../../../common/tls-digest.ts";
import { LABELS } from "../resources/names.ts";

function dnsNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? "").split(",").map((s) => s.trim()).filter((s) => s.startsWith("DNS:")).map((s) => s.slice(4));
}

function view(cert: X509Certificate, ca: X509Certificate | undefined): CertificateView {
  return {
    notBeforeMs: Date.parse(cert.validFrom), notAfterMs: Date.parse(cert.validTo), dnsNames: dnsNames(cert),
    issuedByCa: !!ca && cert.checkIssued(ca) && cert.verify(ca.publicKey),
  };
}

/** A certificate and its key from a Secret: the certificate, or what is wrong with them. */
function readPair(secret: V1Secret, certKey: string, keyKey: string, ca: X509Certificate | undefined): { cert?: X509Certificate; result: CertificateSecret } {
  const certPem = secretText(secret, certKey);
  const keyPem = secretText(secret, keyKey);
  const missing = [certPem ? "" : certKey, keyPem ? "" : keyKey].filter(Boolean);
  if (missing.length > 0) return { result: { ok: false, problem: `has no ${missing.join(" and ")}` } };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem!);
  } catch (err) {
    return { result: { ok: false, problem: `${certKey} is not a PEM certificate (${(err as Error).message})` } };
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(keyPem!))) return { result: { ok: false, problem: `${keyKey} is not the key of ${certKey}` } };
  } catch (err) {
    return { result: { ok: false, problem: `${keyKey} is not a PEM private key (${(err as Error).message})` } };
  }
  return { cert, result: { ok: true, cert: view(cert, ca ?? cert) } };
}

/**
 * Member Secrets as last judged, by object: the informer replaces an object when it changes, so a
 * pass re-reads only the Secrets that changed (or all of them after a new CA).
 */
const judged = new WeakMap<V1Secret, { trustPem: string | undefined; result: CertificateSecret }>();

/** Where the CA and the operator's client certificate are: the operator's CA Secret, or cert-manager's Secret for the operator. */
export type TlsSource = { caSecret?: V1Secret } | { certManager: CertManagerView | undefined; operatorSecret?: V1Secret };

/** What the CA's side of a cluster's TLS Secrets says: the CA (its certificate and PEM), the operator's client pair, a rollover. */
interface CaSide {
  ca?: CertificateSecret;
  caCert?: X509Certificate;
  caPem?: string;
  client?: CertificateSecret;
  rollover?: TlsObservation["rollover"];
}

/**
 * The CA's side as last judged, by Secret object, as `judged` for members: a pass parses the CA
 * Secret again only when it changed. Parsing it on every pass of every cluster (certificates, keys,
 * signature checks) left OpenSSL's objects for the collector to free: native memory V8 does not see.
 */
const caSides = new WeakMap<V1Secret, CaSide>();

function caSideOf(source: TlsSource): CaSide {
  const secret = "certManager" in source ? source.operatorSecret : source.caSecret;
  if (!secret) return {};
  let side = caSides.get(secret);
  if (!side) {
    side = "certManager" in source ? fromOperatorSecret(secret) : fromCaSecret(secret);
    caSides.set(secret, side);
  }
  return side;
}

/** cert-manager keeps the CA's key: the Secret has the CA's certificate (ca.crt) beside the client's pair. */
function fromOperatorSecret(secret: V1Secret): CaSide {
  const side: CaSide = {};
  const pem = secretText(secret, MEMBER_TLS_KEYS.ca);
  if (!pem) side.ca = { ok: false, problem: `has no ${MEMBER_TLS_KEYS.ca}` };
  else {
    try {
      const cert = new X509Certificate(pem);
      side.ca = cert.ca ? { ok: true, cert: view(cert, cert) } : { ok: false, problem: `${MEMBER_TLS_KEYS.ca} is not a CA certificate (basicConstraints CA:TRUE)` };
      if (cert.ca) [side.caCert, side.caPem] = [cert, pem];
    } catch (err) {
      side.ca = { ok: false, problem: `${MEMBER_TLS_KEYS.ca} is not a PEM certificate (${(err as Error).message})` };
    }
  }
  side.client = readPair(secret, MEMBER_TLS_KEYS.cert, MEMBER_TLS_KEYS.key, side.caCert).result;
  return side;
}

function fromCaSecret(caSecret: V1Secret): CaSide {
  const side: CaSide = {};
  const { cert, result } = readPair(caSecret, CA_SECRET_KEYS.caCert, CA_SECRET_KEYS.caKey, undefined);
  side.ca = result.ok && !cert!.ca ? { ok: false, problem: `${CA_SECRET_KEYS.caCert} is not a CA certificate (basicConstraints CA:TRUE)` } : result;
  if (side.ca.ok) [side.caCert, side.caPem] = [cert, secretText(caSecret, CA_SECRET_KEYS.caCert)];
  const client = readPair(caSecret, CA_SECRET_KEYS.clientCert, CA_SECRET_KEYS.clientKey, side.caCert);
  if (secretText(caSecret, CA_SECRET_KEYS.clientCert) !== undefined || secretText(caSecret, CA_SECRET_KEYS.clientKey) !== undefined) side.client = client.result;
  side.rollover = rolloverOf(caSecret);
  return side;
}

/** The CA and the operator's client certificate from their Secret, and each member TLS Secret. */
export function observeTls(source: TlsSource, memberSecrets: readonly V1Secret[], clientCaSecret?: V1Secret): TlsObservation {
  const out: TlsObservation = { members: {}, clientCa: "missing", memberDigests: {} };
  if ("certManager" in source && source.certManager) out.certManager = source.certManager;
  const { ca: caResult, caCert: ca, caPem, client, rollover } = caSideOf(source);
  if (caResult) out.ca = caResult;
  if (client) out.client = client;
  if ("caSecret" in source && source.caSecret) out.rollover = rollover;
  const trustPem = caPem === undefined ? undefined
    : "caSecret" in source ? trustBundle([caPem, secretText(source.caSecret, CA_SECRET_KEYS.nextCaCert), secretText(source.caSecret, CA_SECRET_KEYS.previousCaCert)]) : caPem;
  if (trustPem !== undefined) out.trustPem = trustPem;
  if (clientCaSecret) out.clientCa = trustPem !== undefined && secretText(clientCaSecret, CLIENT_CA_KEY)?.trim() === trustPem.trim() ? "current" : "outdated";
  for (const secret of memberSecrets) {
    const member = secret.metadata?.labels?.[LABELS.member];
    if (!member) continue;
    const trusts = secretText(secret, MEMBER_TLS_KEYS.ca);
    out.memberDigests[member] = tlsFilesDigest(trusts ?? "", secretText(secret, MEMBER_TLS_KEYS.cert) ?? "");
    const known = judged.get(secret);
    if (known && known.trustPem === trustPem) {
      out.members[member] = known.result;
      continue;
    }
    const { result } = readPair(secret, MEMBER_TLS_KEYS.cert, MEMBER_TLS_KEYS.key, ca);
    // A member trusts the clients its ca.crt names: after a new CA (or in a rollover, both), it must name those.
    out.members[member] = result.ok && trustPem !== undefined && trusts?.trim() !== trustPem.trim()
      ? { ok: false, problem: `its ${MEMBER_TLS_KEYS.ca} is not the cluster's ${out.rollover ? "two CAs (a rollover)" : "CA"}` } : result;
    judged.set(secret, { trustPem, result: out.members[member] });
  }
  return out;
}

/** The rollover the CA Secret is in: a next CA staged (with its key), or a previous CA kept after the switch. */
function rolloverOf(caSecret: V1Secret): TlsObservation["rollover"] {
  if (secretText(caSecret, CA_SECRET_KEYS.nextCaCert) !== undefined) {
    const { cert, result } = readPair(caSecret, CA_SECRET_KEYS.nextCaCert, CA_SECRET_KEYS.nextCaKey, undefined);
    return { phase: "staged", other: result.ok && !cert!.ca ? { ok: false, problem: `${CA_SECRET_KEYS.nextCaCert} is not a CA certificate` } : result };
  }
  const previous = secretText(caSecret, CA_SECRET_KEYS.previousCaCert);
  if (previous === undefined) return undefined;
  try {
    const cert = new X509Certificate(previous);
    return { phase: "switched", other: { ok: true, cert: view(cert, cert) } };
  } catch (err) {
    return { phase: "switched", other: { ok: false, problem: `${CA_SECRET_KEYS.previousCaCert} is not a PEM certificate (${(err as Error).message})` } };
  }
}
