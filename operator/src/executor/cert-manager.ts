// Ask cert-manager for the cluster's certificates (docs/usage.md#certificates-from-cert-manager):
// make or correct its Certificates, delete those of members that are gone and then their Secrets,
// and copy the issuer's CA into the clients' CA Secret. cert-manager writes the Secrets; the kubelet
// brings them to the pods, whose sidecars read them without a restart.
import { operatorTlsSecretName } from "../resources/names.ts";
import { buildCertificate, type WantedCertificate } from "../resources/certificates.ts";
import { buildClientCaSecret, MEMBER_TLS_KEYS, secretText } from "../resources/tls-secrets.ts";
import type { ExecutorContext } from "./context.ts";

export interface RequestCertificates { ensure: WantedCertificate[]; removeCertificates: string[]; removeSecrets: string[]; clientCa: boolean }

export async function requestCertificates(action: RequestCertificates, ctx: ExecutorContext): Promise<void> {
  const o = ctx.observation;
  const namespace = o.cluster.metadata!.namespace!;
  const issuer = ctx.spec.tls.issuerRef;
  if (!issuer) throw new Error("request-certificates without spec.tls.issuerRef");
  for (const want of action.ensure) await ctx.kube.applyCertificate(buildCertificate(o.cluster, want, issuer));
  for (const name of action.removeCertificates) await ctx.kube.deleteCertificate(namespace, name);
  for (const name of action.removeSecrets) await ctx.kube.deleteOwned("Secret", namespace, name);
  const caPem = secretText(o.owned.operatorTlsSecret, MEMBER_TLS_KEYS.ca);
  if (action.clientCa && caPem) {
    const secret = buildClientCaSecret(o.cluster, caPem);
    if (o.tls.clientCa === "missing") await ctx.kube.createOwned(secret);
    else await ctx.kube.replaceOwned(secret);
  }
  ctx.log.info("certificates requested from cert-manager", {
    cluster: o.key, issuer: `${issuer.kind}/${issuer.name}`, ensured: action.ensure.map((w) => w.name), removed: action.removeCertificates.length,
    operatorSecret: operatorTlsSecretName(o.cluster.metadata!.name!),
  });
}
