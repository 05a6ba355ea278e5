// The Kubernetes side of the shell: the config (in a pod: the ServiceAccount token; elsewhere:
// KUBECONFIG), the typed clients, and small helpers for the API's error shapes.
import {
  AppsV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, EventsV1Api, KubeConfig, NetworkingV1Api, PolicyV1Api,
} from "@kubernetes/client-node";

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  policy: PolicyV1Api;
  networking: NetworkingV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
  events: EventsV1Api;
}

export function loadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  if (process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

export function makeClients(kc: KubeConfig): KubeClients {
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    policy: kc.makeApiClient(PolicyV1Api),
    networking: kc.makeApiClient(NetworkingV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    coordination: kc.makeApiClient(CoordinationV1Api),
    events: kc.makeApiClient(EventsV1Api),
  };
}

/** The HTTP status of an API error (client-node's ApiException), or undefined. */
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
