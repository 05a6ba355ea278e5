// The Kubernetes side of the shell: the API access (kube-http.ts: in a pod the ServiceAccount, elsewhere
// KUBECONFIG) and the calls the operator makes, grouped and named as @kubernetes/client-node names them
// (its object-parameter API), so the callers and the chart's RBAC test read the same names. Only the
// types come from client-node: the calls are plain JSON over kube-http.ts (docs/footprint.md#the-operator).
// Objects are the API server's JSON: timestamps are strings, as in a watch event.
import type { CoordinationV1Api, CoreV1Api, CustomObjectsApi, NetworkingV1Api, PolicyV1Api } from "@kubernetes/client-node";
import type { KubeAccess, Query } from "./kube-http.ts";
import type { CertificateObject, IssuerObject } from "../api/cert-manager.ts";

export { KubeAccess, KubeApiError, loadKubeAccess } from "./kube-http.ts";

type CoreCalls = Pick<CoreV1Api,
  | "createNamespacedPod" | "deleteNamespacedPod" | "listPodForAllNamespaces" | "listNode"
  | "createNamespacedPersistentVolumeClaim" | "deleteNamespacedPersistentVolumeClaim" | "listNamespacedPersistentVolumeClaim" | "listPersistentVolumeClaimForAllNamespaces"
  | "createNamespacedSecret" | "deleteNamespacedSecret" | "readNamespacedSecret" | "replaceNamespacedSecret" | "listNamespacedSecret" | "listSecretForAllNamespaces"
  | "createNamespacedService" | "deleteNamespacedService" | "listNamespacedService" | "listServiceForAllNamespaces"
  | "createNamespacedEvent">;
type PolicyCalls = Pick<PolicyV1Api,
  | "createNamespacedPodDisruptionBudget" | "deleteNamespacedPodDisruptionBudget" | "readNamespacedPodDisruptionBudget" | "replaceNamespacedPodDisruptionBudget"
  | "listNamespacedPodDisruptionBudget" | "listPodDisruptionBudgetForAllNamespaces">;
type NetworkingCalls = Pick<NetworkingV1Api,
  | "createNamespacedNetworkPolicy" | "deleteNamespacedNetworkPolicy" | "readNamespacedNetworkPolicy" | "replaceNamespacedNetworkPolicy"
  | "listNamespacedNetworkPolicy" | "listNetworkPolicyForAllNamespaces">;
type CustomCalls = Pick<CustomObjectsApi, "listNamespacedCustomObject" | "listClusterCustomObject" | "replaceNamespacedCustomObject" | "replaceNamespacedCustomObjectStatus">;
type CoordinationCalls = Pick<CoordinationV1Api, "readNamespacedLease" | "createNamespacedLease" | "replaceNamespacedLease">;
/** cert-manager's API (certificates.cert-manager.io/v1), named as client-node would name it. */
export interface CertManagerCalls {
  listNamespacedCertificate(p: { namespace: string; labelSelector?: string }): Promise<{ items: CertificateObject[] }>;
  createNamespacedCertificate(p: { namespace: string; body: CertificateObject }): Promise<unknown>;
  readNamespacedCertificate(p: { namespace: string; name: string }): Promise<CertificateObject>;
  replaceNamespacedCertificate(p: { namespace: string; name: string; body: CertificateObject }): Promise<unknown>;
  deleteNamespacedCertificate(p: { namespace: string; name: string }): Promise<unknown>;
  readNamespacedIssuer(p: { namespace: string; name: string }): Promise<IssuerObject>;
  readClusterIssuer(p: { name: string }): Promise<IssuerObject>;
}
export interface KubeClients {
  access: KubeAccess;
  core: CoreCalls;
  policy: PolicyCalls;
  networking: NetworkingCalls;
  custom: CustomCalls;
  coordination: CoordinationCalls;
  certManager: CertManagerCalls;
}

/** What a call of the object-parameter API takes: the object's place, a body, list and delete options. */
interface Params {
  namespace?: string; name?: string; body?: unknown;
  group?: string; version?: string; plural?: string;
  labelSelector?: string; fieldSelector?: string; gracePeriodSeconds?: number;
}

type Verb = "create" | "read" | "replace" | "delete" | "list";
const METHOD: Record<Verb, string> = { create: "POST", read: "GET", replace: "PUT", delete: "DELETE", list: "GET" };

/** The calls of one kind: `${verb}${scope}${Kind}` → a request on `${base}/namespaces/{ns}/${resource}[/{name}]`. */
function kindCalls(access: KubeAccess, base: string, resource: string, kind: string, verbs: Verb[], opts: { clusterList?: string; allNamespaces?: boolean } = {}): Record<string, (p?: Params) => Promise<unknown>> {
  const calls: Record<string, (p?: Params) => Promise<unknown>> = {};
  const query = (p: Params): Query => ({ labelSelector: p.labelSelector, fieldSelector: p.fieldSelector, gracePeriodSeconds: p.gracePeriodSeconds });
  for (const verb of verbs) {
    const named = verb !== "create" && verb !== "list";
    calls[`${verb}Namespaced${kind}`] = (p: Params = {}) =>
      access.request(METHOD[verb], `${base}/namespaces/${encodeURIComponent(p.namespace ?? "")}/${resource}${named ? `/${encodeURIComponent(p.name ?? "")}` : ""}`, { query: query(p), body: p.body });
  }
  if (opts.allNamespaces) calls[`list${kind}ForAllNamespaces`] = (p: Params = {}) => access.request("GET", `${base}/${resource}`, { query: query(p) });
  if (opts.clusterList) calls[opts.clusterList] = (p: Params = {}) => access.request("GET", `${base}/${resource}`, { query: query(p) });
  return calls;
}

function customCalls(access: KubeAccess): Record<string, (p: Params) => Promise<unknown>> {
  const path = (p: Params, namespaced: boolean) => `/apis/${p.group}/${p.version}${namespaced ? `/namespaces/${encodeURIComponent(p.namespace ?? "")}` : ""}/${p.plural}`;
  return {
    listNamespacedCustomObject: (p) => access.request("GET", path(p, true), { query: { labelSelector: p.labelSelector } }),
    listClusterCustomObject: (p) => access.request("GET", path(p, false), { query: { labelSelector: p.labelSelector } }),
    replaceNamespacedCustomObject: (p) => access.request("PUT", `${path(p, true)}/${encodeURIComponent(p.name ?? "")}`, { body: p.body }),
    replaceNamespacedCustomObjectStatus: (p) => access.request("PUT", `${path(p, true)}/${encodeURIComponent(p.name ?? "")}/status`, { body: p.body }),
  };
}

const CERT_MANAGER_API = "/apis/cert-manager.io/v1";

export function makeClients(access: KubeAccess): KubeClients {
  const core = "/api/v1";
  const calls = (...groups: Record<string, unknown>[]) => Object.assign({}, ...groups) as unknown;
  return {
    access,
    core: calls(
      kindCalls(access, core, "pods", "Pod", ["create", "delete"], { allNamespaces: true }),
      kindCalls(access, core, "nodes", "Node", [], { clusterList: "listNode" }),
      kindCalls(access, core, "persistentvolumeclaims", "PersistentVolumeClaim", ["create", "delete", "list"], { allNamespaces: true }),
      kindCalls(access, core, "secrets", "Secret", ["create", "delete", "read", "replace", "list"], { allNamespaces: true }),
      kindCalls(access, core, "services", "Service", ["create", "delete", "list"], { allNamespaces: true }),
      kindCalls(access, core, "events", "Event", ["create"]),
    ) as CoreCalls,
    policy: calls(kindCalls(access, "/apis/policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", ["create", "delete", "read", "replace", "list"], { allNamespaces: true })) as PolicyCalls,
    networking: calls(kindCalls(access, "/apis/networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", ["create", "delete", "read", "replace", "list"], { allNamespaces: true })) as NetworkingCalls,
    custom: customCalls(access) as unknown as CustomCalls,
    coordination: calls(kindCalls(access, "/apis/coordination.k8s.io/v1", "leases", "Lease", ["create", "read", "replace"])) as CoordinationCalls,
    certManager: calls(
      kindCalls(access, CERT_MANAGER_API, "certificates", "Certificate", ["create", "read", "replace", "delete", "list"]),
      kindCalls(access, CERT_MANAGER_API, "issuers", "Issuer", ["read"]),
      { readClusterIssuer: (p: Params) => access.request("GET", `${CERT_MANAGER_API}/clusterissuers/${encodeURIComponent(p.name ?? "")}`) },
    ) as CertManagerCalls,
  };
}

/** The HTTP status of an API error (KubeApiError), or undefined. */
export function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown; response?: { statusCode?: unknown } };
  for (const v of [e?.code, e?.statusCode, e?.response?.statusCode]) if (typeof v === "number") return v;
  return undefined;
}

export const isNotFound = (err: unknown) => statusCode(err) === 404;
export const isConflict = (err: unknown) => statusCode(err) === 409;
export const isAlreadyExists = (err: unknown) => statusCode(err) === 409;

/** The API server's message for an error, for logs and status. */
export function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown })?.body;
  if (typeof body === "string") {
    try { return (JSON.parse(body) as { message?: string }).message ?? body; } catch { return body; }
  }
  if (body && typeof body === "object" && "message" in body) return String((body as { message: unknown }).message);
  return (err as Error)?.message ?? String(err);
}
