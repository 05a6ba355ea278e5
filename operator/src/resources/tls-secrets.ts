// The Secrets of the sidecar API's mTLS (pure; docs/architecture/sidecar.md#mtls). The PEM texts are
// inputs: the executor issues them (executor/pki.ts).
//  - NAME-ca: the cluster's CA (certificate and key) and the operator's client certificate. Never
//    mounted into a pod.
//  - MEMBER-tls, one per member: its serving certificate and key, and the CA its clients' certificates
//    must come from; mounted into the member's sidecar (and its engine with spec.tls.enabled).
//  - NAME-ca-crt, with spec.tls.enabled: the CA's certificate alone, for clients to check the engines.
import type { V1Secret } from "@kubernetes/client-node";
import type { MdbCluster } from "../api/types.ts";
import { caSecretName, clientCaSecretName, clusterLabels, LABELS, memberTlsSecretName, ownerReference } from "./names.ts";

/** The keys of the CA Secret. */
export const CA_SECRET_KEYS = {
  caCert: "ca.crt", caKey: "ca.key", clientCert: "client.crt", clientKey: "client.key",
  /** During a CA rollover, before the switch: the next CA. */
  nextCaCert: "next-ca.crt", nextCaKey: "next-ca.key",
  /** During a CA rollover, after the switch: the CA that was replaced (its certificate only). */
  previousCaCert: "previous-ca.crt",
} as const;

/** CA certificates as one PEM bundle, each once, in the order given. */
export function trustBundle(pems: readonly (string | undefined)[]): string {
  return [...new Set(pems.filter((p): p is string => !!p).map((p) => p.trim()))].map((p) => `${p}\n`).join("");
}
/** The keys of a member's TLS Secret (the names a kubernetes.io/tls Secret uses, plus the CA). */
export const MEMBER_TLS_KEYS = { ca: "ca.crt", cert: "tls.crt", key: "tls.key" } as const;
/** The component label of member TLS Secrets: observe finds them by it. */
export const MEMBER_TLS_COMPONENT = "member-tls";

export interface KeyPairPem { certPem: string; keyPem: string }

/** The CA Secret; in a rollover with the next CA (before the switch) or the previous one's certificate (after). */
export function buildCaSecret(cluster: MdbCluster, ca: KeyPairPem, client: KeyPairPem, rollover?: { next: KeyPairPem } | { previousCertPem: string }): V1Secret {
  const name = cluster.metadata!.name!;
  return {
    apiVersion: "v1", kind: "Secret", type: "Opaque",
    metadata: { name: caSecretName(name), namespace: cluster.metadata!.namespace!, labels: { ...clusterLabels(name), [LABELS.component]: "ca" }, ownerReferences: [ownerReference(cluster)] },
    stringData: {
      [CA_SECRET_KEYS.caCert]: ca.certPem, [CA_SECRET_KEYS.caKey]: ca.keyPem, [CA_SECRET_KEYS.clientCert]: client.certPem, [CA_SECRET_KEYS.clientKey]: client.keyPem,
      ...(rollover && "next" in rollover ? { [CA_SECRET_KEYS.nextCaCert]: rollover.next.certPem, [CA_SECRET_KEYS.nextCaKey]: rollover.next.keyPem } : {}),
      ...(rollover && "previousCertPem" in rollover ? { [CA_SECRET_KEYS.previousCaCert]: rollover.previousCertPem } : {}),
    },
  };
}

/** The key of the clients' CA Secret. */
export const CLIENT_CA_KEY = "ca.crt";

export function buildClientCaSecret(cluster: MdbCluster, caCertPem: string): V1Secret {
  const name = cluster.metadata!.name!;
  return {
    apiVersion: "v1", kind: "Secret", type: "Opaque",
    metadata: { name: clientCaSecretName(name), namespace: cluster.metadata!.namespace!, labels: { ...clusterLabels(name), [LABELS.component]: "client-ca" }, ownerReferences: [ownerReference(cluster)] },
    stringData: { [CLIENT_CA_KEY]: caCertPem },
  };
}

export function buildMemberTlsSecret(cluster: MdbCluster, member: string, caCertPem: string, leaf: KeyPairPem): V1Secret {
  const name = cluster.metadata!.name!;
  return {
    apiVersion: "v1", kind: "Secret", type: "kubernetes.io/tls",
    metadata: {
      name: memberTlsSecretName(member), namespace: cluster.metadata!.namespace!,
      labels: { ...clusterLabels(name), [LABELS.component]: MEMBER_TLS_COMPONENT, [LABELS.member]: member }, ownerReferences: [ownerReference(cluster)],
    },
    stringData: { [MEMBER_TLS_KEYS.ca]: caCertPem, [MEMBER_TLS_KEYS.cert]: leaf.certPem, [MEMBER_TLS_KEYS.key]: leaf.keyPem },
  };
}

/** A Secret's value as text: `data` (base64, as the API server returns it) or `stringData` (as built). */
export function secretText(secret: V1Secret | undefined, key: string): string | undefined {
  const b64 = secret?.data?.[key];
  if (b64 !== undefined) return Buffer.from(b64, "base64").toString("utf8");
  return secret?.stringData?.[key];
}

/** The operator's TLS material for dialling sidecars: the CA it trusts and its client certificate. */
export interface OperatorCredentials { caPem: string; certPem: string; keyPem: string }

/**
 * The operator's credentials from the Secret that holds them: its own CA Secret NAME-ca, or with
 * spec.tls.issuerRef cert-manager's NAME-operator-tls. Undefined while any part is missing.
 */
export function operatorCredentials(secret: V1Secret | undefined, source: "own-ca" | "cert-manager"): OperatorCredentials | undefined {
  const keys = source === "own-ca" ? { ca: CA_SECRET_KEYS.caCert, cert: CA_SECRET_KEYS.clientCert, key: CA_SECRET_KEYS.clientKey } : MEMBER_TLS_KEYS;
  const ca = secretText(secret, keys.ca);
  // In a rollover the operator trusts both CAs: members serve leaves of either until each took the new.
  const caPem = ca && source === "own-ca" ? trustBundle([ca, secretText(secret, CA_SECRET_KEYS.nextCaCert), secretText(secret, CA_SECRET_KEYS.previousCaCert)]) : ca;
  const [certPem, keyPem] = [secretText(secret, keys.cert), secretText(secret, keys.key)];
  return caPem && certPem && keyPem ? { caPem, certPem, keyPem } : undefined;
}
