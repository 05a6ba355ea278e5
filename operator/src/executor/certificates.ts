// Issue the sidecar API's certificates into their Secrets (docs/architecture/sidecar.md#mtls): the
// CA Secret (the CA and the operator's client certificate) and one TLS Secret per member. A Secret
// that exists is replaced, one that does not is created; the kubelet brings the new files to the
// member's sidecar, which reads them without a restart.
import { OPERATOR_CLIENT_CN } from "../../../common/member-env.ts";
import { LEAF_VALIDITY_MS, CA_VALIDITY_MS } from "../model/certificates.ts";
import { caSecretName, memberDnsNames, memberTlsSecretName } from "../resources/names.ts";
import { buildCaSecret, buildClientCaSecret, buildMemberTlsSecret, CA_SECRET_KEYS, secretText, type KeyPairPem } from "../resources/tls-secrets.ts";
import type { ExecutorContext, OwnedObject } from "./context.ts";
import { createCa, issueLeaf } from "./pki.ts";

/** The common name of the operator's client certificate: the one a sidecar serves. */
export const OPERATOR_CLIENT_NAME = OPERATOR_CLIENT_CN;

export interface IssueCertificates { newCa: boolean; client: boolean; members: string[]; remove: string[] }

export async function issueCertificates(action: IssueCertificates, ctx: ExecutorContext): Promise<void> {
  const o = ctx.observation;
  const cluster = o.cluster;
  const name = cluster.metadata!.name!;
  const namespace = cluster.metadata!.namespace!;
  const nowMs = o.nowMs;
  const existing = o.owned.caSecret;
  let ca: KeyPairPem;
  let client: KeyPairPem | undefined;
  if (action.newCa || !existing) {
    ca = await createCa(`${namespace}/${name} sidecar CA`, nowMs, CA_VALIDITY_MS);
  } else {
    ca = { certPem: secretText(existing, CA_SECRET_KEYS.caCert)!, keyPem: secretText(existing, CA_SECRET_KEYS.caKey)! };
    const certPem = secretText(existing, CA_SECRET_KEYS.clientCert);
    const keyPem = secretText(existing, CA_SECRET_KEYS.clientKey);
    if (certPem && keyPem) client = { certPem, keyPem };
  }
  if (action.newCa || action.client || !client) client = await issueLeaf(ca, { commonName: OPERATOR_CLIENT_NAME, usage: "client", nowMs, validityMs: LEAF_VALIDITY_MS });
  // The CA Secret first: members' certificates are worth nothing without the CA that checks them.
  const caSecret = buildCaSecret(cluster, ca, client);
  if (existing) await ctx.kube.replaceOwned(caSecret);
  else await ctx.kube.createOwned(caSecret);
  if (ctx.spec.tls.enabled) {
    const clientCa = buildClientCaSecret(cluster, ca.certPem);
    if (o.tls.clientCa === "missing") await ctx.kube.createOwned(clientCa);
    else await ctx.kube.replaceOwned(clientCa);
  }
  for (const member of action.members) {
    // With spec.tls.enabled the engine's cluster bus presents it as a client too (the bus always asks for one).
    const usage = ctx.spec.tls.enabled ? "server-and-client" : "server";
    const leaf = await issueLeaf(ca, { commonName: member, dnsNames: memberDnsNames(name, namespace, member), usage, nowMs, validityMs: LEAF_VALIDITY_MS });
    const secret: OwnedObject = buildMemberTlsSecret(cluster, member, ca.certPem, leaf);
    if (o.owned.memberTlsSecrets.some((s) => s.metadata?.name === memberTlsSecretName(member))) await ctx.kube.replaceOwned(secret);
    else await ctx.kube.createOwned(secret);
  }
  for (const member of action.remove) await ctx.kube.deleteOwned("Secret", namespace, memberTlsSecretName(member));
  ctx.log.info("sidecar certificates issued", { cluster: o.key, newCa: action.newCa, client: action.newCa || action.client, members: action.members.length, removed: action.remove.length, caSecret: caSecretName(name) });
}
