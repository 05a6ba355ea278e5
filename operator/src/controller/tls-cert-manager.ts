// Certificates from cert-manager (pure; docs/usage.md#certificates-from-cert-manager): with
// spec.tls.issuerRef the operator makes no CA. It asks the issuer, through one cert-manager Certificate
// per member and one for itself, and trusts the ca.crt cert-manager writes beside them. cert-manager
// issues and renews; the operator keeps the Certificates matching the members and says what blocks them.
import type { IssuerRef, ResolvedSpec } from "../api/types.ts";
import type { Action } from "../model/actions.ts";
import type { CertificateRequestView } from "../model/certificates.ts";
import type { Observation } from "../model/observation.ts";
import type { StoredPlan } from "../model/stored-plan.ts";
import { wantedCertificates, type WantedCertificate } from "../resources/certificates.ts";
import { memberTlsSecretName, operatorTlsSecretName } from "../resources/names.ts";
import { membersWithCertificates } from "./tls.ts";

/** A Certificate not Ready this long after it was made is reported (cert-manager issues in about a second). */
export const CERTIFICATE_PATIENCE_MS = 30_000;

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** Why the Certificate found differs from the one wanted, or undefined when it is the same. */
export function certificateDiffers(found: CertificateRequestView | undefined, want: WantedCertificate, issuer: IssuerRef): string | undefined {
  if (!found) return "missing";
  if (found.secretName !== want.name) return `its secretName is ${found.secretName}`;
  if (found.commonName !== want.commonName || !sameSet(found.dnsNames, want.dnsNames)) return "its names differ";
  if (!sameSet(found.usages, want.usages)) return `its usages ${found.usages.join(", ")} differ from ${want.usages.join(", ")}`;
  const r = found.issuerRef;
  if (r.name !== issuer.name || r.kind !== issuer.kind || r.group !== issuer.group) return `it names issuer ${r.kind} ${r.name}`;
  return undefined;
}

const issuerLabel = (ref: IssuerRef, namespace: string) => `${ref.kind} ${ref.name}${ref.kind === "Issuer" ? ` (namespace ${namespace})` : ""}`;

/**
 * The next certificate work with cert-manager: none possible without its API; else make or correct
 * the Certificates the members and the operator need, delete those of members that are gone (the
 * Certificate first, so cert-manager does not write its Secret again), and publish the CA for clients.
 */
export function decideCertManagerTls(o: Observation, spec: ResolvedSpec & { tls: { issuerRef: IssuerRef } }, stored: StoredPlan | undefined): Action | undefined {
  const name = o.cluster.metadata!.name!;
  const namespace = o.cluster.metadata!.namespace!;
  const ref = spec.tls.issuerRef;
  const view = o.tls.certManager;
  if (!view || view.api === "missing") {
    return {
      kind: "blocked", reason: "CertManagerMissing",
      message: `spec.tls.issuerRef names ${issuerLabel(ref, namespace)}, but cert-manager's Certificate API (certificates.cert-manager.io/v1) is not served in this cluster: install cert-manager, or create the cluster without spec.tls.issuerRef to have the operator issue the certificates`,
    };
  }
  const members = membersWithCertificates(o, spec, stored);
  const wanted = wantedCertificates(name, namespace, members, spec.tls.enabled);
  const ensure = wanted.filter((w) => certificateDiffers(view.certificates[w.name], w, ref) !== undefined);
  const keep = new Set([operatorTlsSecretName(name), ...members.map(memberTlsSecretName)]);
  const removeCertificates = Object.keys(view.certificates).filter((c) => !keep.has(c)).sort();
  // A Secret goes once its Certificate is gone.
  const removeSecrets = Object.keys(o.tls.members).filter((m) => !members.includes(m) && !view.certificates[memberTlsSecretName(m)]).map(memberTlsSecretName).sort();
  const clientCa = spec.tls.enabled && o.tls.ca?.ok === true && o.tls.clientCa !== "current";
  if (ensure.length === 0 && removeCertificates.length === 0 && removeSecrets.length === 0 && !clientCa) return undefined;
  const reasons = [
    ...ensure.map((w) => `Certificate ${w.name}: ${certificateDiffers(view.certificates[w.name], w, ref)}`),
    ...(removeCertificates.length + removeSecrets.length > 0 ? ["members are gone"] : []),
    ...(clientCa ? [`the clients' CA Secret is ${o.tls.clientCa === "missing" ? "missing" : "not the issuer's CA"}`] : []),
  ];
  return { kind: "request-certificates", ensure, removeCertificates, removeSecrets, clientCa, reason: reasons.join("; ") };
}

/**
 * What keeps cert-manager from giving the cluster its certificates, for the Degraded condition: the
 * issuer missing or not ready, a Certificate not issued after CERTIFICATE_PATIENCE_MS, or the
 * operator's Secret without a usable CA. Undefined when nothing is wrong.
 */
export function certManagerProblem(o: Observation, ref: IssuerRef): { reason: string; message: string } | undefined {
  const namespace = o.cluster.metadata!.namespace!;
  const view = o.tls.certManager;
  if (!view || view.api === "missing") return undefined;
  const issuer = issuerLabel(ref, namespace);
  if (view.issuer.state === "missing") return { reason: "IssuerNotReady", message: `${issuer} (spec.tls.issuerRef) does not exist: create it, and the members' certificates follow` };
  if (view.issuer.state === "not-ready") return { reason: "IssuerNotReady", message: `${issuer} (spec.tls.issuerRef) is not ready: ${view.issuer.message}` };
  const late = Object.entries(view.certificates)
    .filter(([, c]) => c.ready !== "True" && o.nowMs - c.createdMs >= CERTIFICATE_PATIENCE_MS)
    .map(([n, c]) => `Certificate ${n}: ${c.reason || "not ready"}${c.message ? `: ${c.message}` : ""}`);
  if (late.length > 0) return { reason: "CertificateNotReady", message: `${late.slice(0, 3).join("; ")}${late.length > 3 ? ` and ${late.length - 3} more` : ""} (kubectl describe certificate -n ${namespace}; kubectl get certificaterequests -n ${namespace})` };
  if (o.tls.ca && !o.tls.ca.ok) {
    return { reason: "CertificateNotReady", message: `Secret ${operatorTlsSecretName(o.cluster.metadata!.name!)} from ${issuer}: ${o.tls.ca.problem}; the operator trusts the ca.crt cert-manager writes, so use an issuer that fills it (a CA issuer)` };
  }
  return undefined;
}
