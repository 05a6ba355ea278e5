// Issue the sidecar API's certificates into their Secrets (docs/architecture/sidecar.md#mtls): the
// CA Secret (the CA, the operator's client certificate, in a rollover the other CA) and one TLS Secret
// per member, whose ca.crt is what it trusts (both CAs in a rollover). A Secret
// that exists is replaced, one that does not is created; the kubelet brings the new files to the
// member's sidecar, which reads them without a restart.
import { OPERATOR_CLIENT_CN } from "../../../common/member-env.ts";
import { LEAF_VALIDITY_MS, CA_VALIDITY_MS } from "../model/certificates.ts";
import { caSecretName, LABELS, memberDnsNames, memberTlsSecretName } from "../resources/names.ts";
import type { V1Secret } from "@kubernetes/client-node";
import { buildCaSecret, buildClientCaSecret, buildMemberTlsSecret, CA_SECRET_KEYS, MEMBER_TLS_KEYS, secretText, trustBundle, type KeyPairPem } from "../resources/tls-secrets.ts";
import type { ExecutorContext, OwnedObject } from "./context.ts";
import { createCa, issueLeaf } from "./pki.ts";

/** The common name of the operator's client certificate: the one a sidecar serves. */
export const OPERATOR_CLIENT_NAME = OPERATOR_CLIENT_CN;

export interface IssueCertificates { newCa: boolean; caStep?: "stage" | "switch" | "finish"; client: boolean; members: string[]; remove: string[] }

/** The CA Secret's parts: the CA, the client certificate, and the other CA of a rollover. */
function readCaSecret(secret: V1Secret): { ca: KeyPairPem; client?: KeyPairPem; next?: KeyPairPem; previousCertPem?: string } {
  const text = (k: string) => secretText(secret, k);
  const pair = (cert: string, key: string) => (text(cert) && text(key) ? { certPem: text(cert)!, keyPem: text(key)! } : undefined);
  const client = pair(CA_SECRET_KEYS.clientCert, CA_SECRET_KEYS.clientKey);
  const next = pair(CA_SECRET_KEYS.nextCaCert, CA_SECRET_KEYS.nextCaKey);
  const previousCertPem = text(CA_SECRET_KEYS.previousCaCert);
  return { ca: pair(CA_SECRET_KEYS.caCert, CA_SECRET_KEYS.caKey)!, ...(client ? { client } : {}), ...(next ? { next } : {}), ...(previousCertPem ? { previousCertPem } : {}) };
}

export async function issueCertificates(action: IssueCertificates, ctx: ExecutorContext): Promise<void> {
  const o = ctx.observation;
  const cluster = o.cluster;
  const name = cluster.metadata!.name!;
  const namespace = cluster.metadata!.namespace!;
  const nowMs = o.nowMs;
  const existing = o.owned.caSecret;
  const caName = `${namespace}/${name} sidecar CA`;
  let ca: KeyPairPem;
  let client: KeyPairPem | undefined;
  let rollover: { next: KeyPairPem } | { previousCertPem: string } | undefined;
  if (action.newCa || !existing) {
    ca = await createCa(caName, nowMs, CA_VALIDITY_MS);
  } else {
    const parts = readCaSecret(existing);
    ({ ca, client } = parts);
    if (action.caStep === "stage") rollover = { next: await createCa(caName, nowMs, CA_VALIDITY_MS) };
    else if (action.caStep === "switch" && parts.next) [ca, rollover] = [parts.next, { previousCertPem: parts.ca.certPem }];
    else if (action.caStep !== "finish") rollover = parts.next ? { next: parts.next } : parts.previousCertPem ? { previousCertPem: parts.previousCertPem } : undefined;
  }
  if (action.newCa || action.client || !client) client = await issueLeaf(ca, { commonName: OPERATOR_CLIENT_NAME, usage: "client", nowMs, validityMs: LEAF_VALIDITY_MS });
  const trust = trustBundle([ca.certPem, rollover && ("next" in rollover ? rollover.next.certPem : rollover.previousCertPem)]);
  // The CA Secret first: members' certificates are worth nothing without the CA that checks them.
  const caSecret = buildCaSecret(cluster, ca, client, rollover);
  if (existing) await ctx.kube.replaceOwned(caSecret);
  else await ctx.kube.createOwned(caSecret);
  if (ctx.spec.tls.enabled) {
    const clientCa = buildClientCaSecret(cluster, trust);
    if (o.tls.clientCa === "missing") await ctx.kube.createOwned(clientCa);
    else await ctx.kube.replaceOwned(clientCa);
  }
  const hasSecret = (member: string) => o.owned.memberTlsSecrets.some((s) => s.metadata?.name === memberTlsSecretName(member));
  for (const member of action.members) {
    // With spec.tls.enabled the engine's cluster bus presents it as a client too (the bus always asks for one).
    const usage = ctx.spec.tls.enabled ? "server-and-client" : "server";
    const leaf = await issueLeaf(ca, { commonName: member, dnsNames: memberDnsNames(name, namespace, member), usage, nowMs, validityMs: LEAF_VALIDITY_MS });
    const secret: OwnedObject = buildMemberTlsSecret(cluster, member, trust, leaf);
    if (hasSecret(member)) await ctx.kube.replaceOwned(secret);
    else await ctx.kube.createOwned(secret);
  }
  // A rollover's stage and finish change what members trust, not their certificates.
  if (action.caStep === "stage" || action.caStep === "finish") {
    for (const secret of o.owned.memberTlsSecrets) {
      const member = secret.metadata?.labels?.[LABELS.member];
      const leaf = { certPem: secretText(secret, MEMBER_TLS_KEYS.cert) ?? "", keyPem: secretText(secret, MEMBER_TLS_KEYS.key) ?? "" };
      if (!member || action.members.includes(member) || action.remove.includes(member) || !leaf.certPem) continue;
      await ctx.kube.replaceOwned(buildMemberTlsSecret(cluster, member, trust, leaf));
    }
  }
  for (const member of action.remove) await ctx.kube.deleteOwned("Secret", namespace, memberTlsSecretName(member));
  ctx.log.info("sidecar certificates issued", {
    cluster: o.key, newCa: action.newCa, caStep: action.caStep ?? "", client: action.newCa || action.client, members: action.members.length, removed: action.remove.length, caSecret: caSecretName(name),
  });
}
