// cert-manager Certificates for a cluster whose spec.tls.issuerRef names an issuer (pure;
// docs/usage.md#certificates-from-cert-manager): one per member, for its serving certificate in
// MEMBER-tls, and one for the operator's client certificate in NAME-operator-tls. The Secrets carry
// the cluster's labels (cert-manager copies secretTemplate) so the operator's Secret cache sees them.
import type { IssuerRef, MdbCluster } from "../api/types.ts";
import type { CertificateObject } from "../api/cert-manager.ts";
import { OPERATOR_CLIENT_CN } from "../../../common/member-env.ts";
import { clusterLabels, LABELS, memberDnsNames, memberTlsSecretName, operatorTlsSecretName, ownerReference } from "./names.ts";
import { MEMBER_TLS_COMPONENT } from "./tls-secrets.ts";

/** The component label of the operator's client certificate Secret. */
export const OPERATOR_TLS_COMPONENT = "operator-tls";

/** A Certificate the cluster needs: its name is its Secret's. */
export interface WantedCertificate {
  name: string;
  commonName: string;
  dnsNames: string[];
  usages: string[];
  /** The member it is for; absent for the operator's client certificate. */
  member?: string;
}

/** The operator's client certificate and each member's serving certificate (also a client of the bus with spec.tls.enabled). */
export function wantedCertificates(cluster: string, namespace: string, members: readonly string[], engineTls: boolean): WantedCertificate[] {
  const usages = engineTls ? ["server auth", "client auth"] : ["server auth"];
  return [
    { name: operatorTlsSecretName(cluster), commonName: OPERATOR_CLIENT_CN, dnsNames: [], usages: ["client auth"] },
    ...members.map((m) => ({ name: memberTlsSecretName(m), commonName: m, dnsNames: memberDnsNames(cluster, namespace, m), usages, member: m })),
  ];
}

export function buildCertificate(cluster: MdbCluster, want: WantedCertificate, issuer: IssuerRef): CertificateObject {
  const name = cluster.metadata!.name!;
  const labels = want.member
    ? { ...clusterLabels(name), [LABELS.component]: MEMBER_TLS_COMPONENT, [LABELS.member]: want.member }
    : { ...clusterLabels(name), [LABELS.component]: OPERATOR_TLS_COMPONENT };
  return {
    apiVersion: "cert-manager.io/v1", kind: "Certificate",
    metadata: { name: want.name, namespace: cluster.metadata!.namespace!, labels, ownerReferences: [ownerReference(cluster)] },
    spec: {
      secretName: want.name, commonName: want.commonName, ...(want.dnsNames.length > 0 ? { dnsNames: want.dnsNames } : {}), usages: want.usages,
      issuerRef: { name: issuer.name, kind: issuer.kind, group: issuer.group },
      // A new key at every renewal; PKCS#8 P-256, as the operator's own CA issues.
      privateKey: { algorithm: "ECDSA", size: 256, encoding: "PKCS8", rotationPolicy: "Always" },
      secretTemplate: { labels },
    },
  };
}
