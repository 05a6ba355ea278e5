// The sidecar API's certificates (pure; docs/architecture/sidecar.md#mtls): which to issue, renew or
// drop now, or why that cannot be done. Every member that has a pod, that the spec asks for or that
// the running plan places gets a serving certificate before its pod is made.
import type { ResolvedSpec } from "../api/types.ts";
import { leafNeedsIssuing, renewAtMs, type CertificateView, type TlsObservation } from "../model/certificates.ts";
import type { Action } from "../model/actions.ts";
import type { Observation } from "../model/observation.ts";
import type { StoredPlan } from "../model/stored-plan.ts";
import { decideCertManagerTls } from "./tls-cert-manager.ts";
import { caSecretName, clientCaSecretName, memberDnsNames, memberName } from "../resources/names.ts";

/** Members that need a serving certificate: those with a pod, those the spec asks for, those the running plan places. */
export function membersWithCertificates(o: Observation, spec: ResolvedSpec, stored: StoredPlan | undefined): string[] {
  const name = o.cluster.metadata!.name!;
  const out = new Set(o.members.filter((m) => m.pod).map((m) => m.name));
  for (let s = 0; s < spec.shards; s++) for (let i = 0; i <= spec.replicasPerShard; i++) out.add(memberName(name, s, i));
  if (stored?.phase === "Running") for (const step of stored.plan.steps) if (step.kind === "place-member") out.add(step.member);
  return [...out].sort();
}

/** Why the CA cannot be used (it is malformed or has expired), or undefined. The condition's text names the Secret and what to do. */
export function caProblem(tls: TlsObservation, cluster: string, nowMs: number): string | undefined {
  if (!tls.ca) return undefined;
  const secret = `Secret ${caSecretName(cluster)}`;
  const fix = `delete it and the operator makes a new CA and new certificates (the sidecars take the new files within a minute or two; until then the operator cannot reach them)`;
  if (!tls.ca.ok) return `${secret}: ${tls.ca.problem}; ${fix}`;
  if (tls.rollover && !tls.rollover.other.ok) return `${secret}: in a CA rollover, ${tls.rollover.other.problem}; ${fix}`;
  if (nowMs >= tls.ca.cert.notAfterMs) return `${secret}: the CA expired at ${new Date(tls.ca.cert.notAfterMs).toISOString()}; ${fix}`;
  return undefined;
}

/** Members with a pod whose sidecar has not reported serving with its Secret's files (a silent one included). */
export function membersNotOnTheirFiles(o: Observation): string[] {
  return o.members.filter((m) => m.pod && !m.terminating && o.tls.memberDigests[m.name] !== undefined && m.status?.tlsDigest !== o.tls.memberDigests[m.name]).map((m) => m.name);
}

/**
 * The CA rollover's next step (docs/architecture/sidecar.md#mtls), each taken only once every member
 * with a pod reports serving with its Secret's files, so the operator reaches every sidecar throughout:
 * stage the next CA beside the current one in every member's trust; switch (new CA, its client and
 * member certificates, the previous CA still trusted); finish (drop the previous CA).
 */
function rolloverStep(o: Observation, ca: CertificateView): { caStep: "stage" | "switch" | "finish"; reason: string } | undefined {
  const rollover = o.tls.rollover;
  if (!rollover) {
    if (o.nowMs < renewAtMs(ca)) return undefined;
    return { caStep: "stage", reason: `the CA is due for renewal (it expires ${new Date(ca.notAfterMs).toISOString()}): the next CA goes beside it in every member's trust` };
  }
  if (!rollover.other.ok || membersNotOnTheirFiles(o).length > 0) return undefined;
  return rollover.phase === "staged"
    ? { caStep: "switch", reason: "every member trusts the next CA: it becomes the CA, and every certificate is issued from it" }
    : { caStep: "finish", reason: "every member serves a certificate of the new CA: the previous CA is no longer trusted" };
}

/**
 * The next certificate work, if any: make the CA (with the operator's client certificate) when there
 * is none, roll the CA over from two thirds into its life (rolloverStep), issue or renew the client certificate and each
 * member's, and drop the TLS Secrets of members that are gone. A CA that cannot be used blocks only
 * when something needs issuing: what was issued keeps working. With spec.tls.issuerRef, cert-manager's
 * Certificates instead (tls-cert-manager.ts).
 */
export function decideTls(o: Observation, spec: ResolvedSpec, stored: StoredPlan | undefined): Action | undefined {
  const issuerRef = spec.tls.issuerRef;
  if (issuerRef) return decideCertManagerTls(o, { ...spec, tls: { ...spec.tls, issuerRef } }, stored);
  const name = o.cluster.metadata!.name!;
  const namespace = o.cluster.metadata!.namespace!;
  const wanted = membersWithCertificates(o, spec, stored);
  const remove = Object.keys(o.tls.members).filter((m) => !wanted.includes(m)).sort();
  const problem = caProblem(o.tls, name, o.nowMs);
  if (!o.tls.ca) return { kind: "issue-certificates", newCa: true, client: true, members: wanted, remove, reason: "the cluster has no CA yet" };
  const step = !problem && o.tls.ca.ok ? rolloverStep(o, o.tls.ca.cert) : undefined;
  if (step?.caStep === "switch") return { kind: "issue-certificates", newCa: false, caStep: "switch", client: true, members: wanted, remove, reason: step.reason };
  if (step) return { kind: "issue-certificates", newCa: false, caStep: step.caStep, client: false, members: [], remove, reason: step.reason };
  const client = leafNeedsIssuing(o.tls.client, undefined, o.nowMs);
  const members = wanted.filter((m) => leafNeedsIssuing(o.tls.members[m], memberDnsNames(name, namespace, m), o.nowMs) !== undefined);
  // With spec.tls.enabled clients check the engines against the CA's certificate, published on its own.
  const clientCa = spec.tls.enabled && o.tls.clientCa !== "current" && o.tls.ca.ok && !problem
    ? `the clients' CA Secret ${clientCaSecretName(name)} is ${o.tls.clientCa === "missing" ? "missing" : "not the cluster's CA"}` : undefined;
  if (!client && members.length === 0) {
    if (clientCa) return { kind: "issue-certificates", newCa: false, client: false, members: [], remove, reason: clientCa };
    return remove.length > 0 ? { kind: "issue-certificates", newCa: false, client: false, members: [], remove, reason: "members are gone" } : undefined;
  }
  if (problem) return { kind: "blocked", reason: "CaSecretInvalid", message: problem };
  const reasons = [
    ...(client ? [`the operator's client certificate: ${client}`] : []),
    ...members.map((m) => `${m}: ${leafNeedsIssuing(o.tls.members[m], memberDnsNames(name, namespace, m), o.nowMs)}`),
  ];
  return { kind: "issue-certificates", newCa: false, client: !!client, members, remove, reason: reasons.join("; ") };
}
