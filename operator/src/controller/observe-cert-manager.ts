// Read cert-manager's side of a cluster whose spec.tls.issuerRef names an issuer
// (docs/usage.md#certificates-from-cert-manager): its Certificates (by the cluster's label) and the
// issuer's Ready condition when it is cert-manager's own. A 404 on the list means cert-manager's API
// is not served. One list and one read per pass, only for such clusters.
import type { CertificateObject, IssuerObject } from "../api/cert-manager.ts";
import type { MdbCluster } from "../api/types.ts";
import type { CertificateRequestView, CertManagerView, IssuerView } from "../model/certificates.ts";
import { LABELS } from "../resources/names.ts";
import { isNotFound, type CertManagerCalls } from "../runtime/kube.ts";

function ready(o: { status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } }) {
  return o.status?.conditions?.find((c) => c.type === "Ready");
}

function certificateView(c: CertificateObject): CertificateRequestView {
  const r = ready(c);
  return {
    secretName: c.spec.secretName, commonName: c.spec.commonName ?? "", dnsNames: c.spec.dnsNames ?? [], usages: c.spec.usages ?? [],
    issuerRef: { name: c.spec.issuerRef.name, kind: c.spec.issuerRef.kind ?? "Issuer", group: c.spec.issuerRef.group ?? "cert-manager.io" },
    ready: r?.status === "True" ? "True" : r?.status === "False" ? "False" : "Unknown", reason: r?.reason ?? "", message: r?.message ?? "",
    createdMs: Date.parse(c.metadata.creationTimestamp ?? "") || 0,
  };
}

export async function observeCertManager(api: CertManagerCalls, cluster: MdbCluster): Promise<CertManagerView | undefined> {
  const ref = cluster.spec?.tls?.issuerRef;
  if (!ref) return undefined;
  const namespace = cluster.metadata!.namespace!;
  let list: { items: CertificateObject[] };
  try {
    list = await api.listNamespacedCertificate({ namespace, labelSelector: `${LABELS.cluster}=${cluster.metadata!.name!}` });
  } catch (err) {
    if (isNotFound(err)) return { api: "missing" };
    throw err;
  }
  const certificates = Object.fromEntries(list.items.map((c) => [c.metadata.name, certificateView(c)]));
  return { api: "served", certificates, issuer: await readIssuer(api, ref, namespace) };
}

async function readIssuer(api: CertManagerCalls, ref: { name: string; kind?: string; group?: string }, namespace: string): Promise<IssuerView> {
  // An external issuer (another group) is read by its own controller's API, not here.
  if ((ref.group ?? "cert-manager.io") !== "cert-manager.io") return { state: "not-read" };
  let issuer: IssuerObject;
  try {
    issuer = ref.kind === "ClusterIssuer" ? await api.readClusterIssuer({ name: ref.name }) : await api.readNamespacedIssuer({ namespace, name: ref.name });
  } catch (err) {
    if (isNotFound(err)) return { state: "missing" };
    throw err;
  }
  const r = ready(issuer);
  return r?.status === "True" ? { state: "ready" } : { state: "not-ready", message: r ? `${r.reason ?? ""}${r.message ? `: ${r.message}` : ""}` : "cert-manager has not judged it yet" };
}
