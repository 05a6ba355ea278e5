// cert-manager's objects as the operator writes and reads them (certificates.cert-manager.io/v1): only
// the fields it uses (docs/usage.md#certificates-from-cert-manager).

/** A cert-manager Certificate as the operator writes and reads it (the fields it uses). */
export interface CertificateObject {
  apiVersion: "cert-manager.io/v1";
  kind: "Certificate";
  metadata: { name: string; namespace: string; labels?: Record<string, string>; ownerReferences?: unknown[]; resourceVersion?: string; creationTimestamp?: string };
  spec: {
    secretName: string; commonName: string; dnsNames?: string[]; usages: string[]; duration?: string; renewBefore?: string;
    issuerRef: { name: string; kind: string; group: string };
    privateKey: { algorithm: string; size: number; encoding: string; rotationPolicy: string };
    secretTemplate: { labels: Record<string, string> };
  };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[]; notAfter?: string };
}
/** An Issuer or ClusterIssuer: only its Ready condition is read. */
export interface IssuerObject { status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } }

/** The annotation cert-manager sets on a Secret it writes for a Certificate: that Certificate's name. */
export const CERTIFICATE_NAME_ANNOTATION = "cert-manager.io/certificate-name";
