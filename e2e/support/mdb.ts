// What the operator's e2e suite and bench:converge share: kubectl and helm against one kubeconfig,
// the operator installed from charts/mdb-operator as its own release, and MdbClusters read, summarised
// (members by state — what a timeout prints) and waited for.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type V1Pod, type V1Secret } from "@kubernetes/client-node";
import { waitFor } from "../../common/wait.ts";
import type { MdbCluster } from "../../operator/src/api/types.ts";
import { sidecarEndpoints } from "../../operator/src/controller/sidecar-endpoints.ts";
import { caSecretName, LABELS, operatorTlsSecretName, sidecarSecretName } from "../../operator/src/resources/names.ts";
import { operatorCredentials } from "../../operator/src/resources/tls-secrets.ts";
import { GrpcSidecarClient } from "../../operator/src/sidecar/grpc-client.ts";
import { REPO_ROOT } from "../local/controlplane/cluster.ts";
import type { Ground } from "./ground.ts";
import { RESTRICTED_LABELS } from "./lockdown.ts";

export const CHART = join(REPO_ROOT, "charts/mdb-operator");
export const CHART_NAME = "mdb-operator";
const GROUP = "mdbcluster.io";
const VERSION = "v1alpha1";
const PLURAL = "mdbclusters";

export interface RunResult { code: number; stdout: string; stderr: string }

export class Kube {
  readonly kc = new KubeConfig();
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly custom: CustomObjectsApi;

  constructor(readonly ground: Ground) {
    this.kc.loadFromFile(ground.kubeconfig);
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.apps = this.kc.makeApiClient(AppsV1Api);
    this.custom = this.kc.makeApiClient(CustomObjectsApi);
  }

  /** Runs kubectl, helm or redis-cli; kubectl and helm get this cluster's kubeconfig. */
  run(tool: "kubectl" | "helm" | "redis-cli", args: string[], input?: string): Promise<RunResult> {
    const path = tool !== "redis-cli" && this.ground.binDir ? join(this.ground.binDir, tool) : tool;
    const fullArgs = tool === "redis-cli" ? args : ["--kubeconfig", this.ground.kubeconfig, ...args];
    return new Promise((resolve, reject) => {
      // stdin only when there is input: a pipe nobody reads fails with EPIPE once the tool has exited.
      const child = spawn(path, fullArgs, { stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
      child.on("error", (err) => reject(new Error(`${tool} could not run (${path}): ${err.message}`)));
      child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
      if (input !== undefined) {
        child.stdin!.on("error", (err) => reject(new Error(`${tool} ${args.join(" ")}: writing its input failed: ${err.message}`)));
        child.stdin!.end(input);
      }
    });
  }

  /** Runs the command and returns its stdout; a non-zero exit throws with the command and its stderr. */
  async must(tool: "kubectl" | "helm" | "redis-cli", args: string[], input?: string): Promise<string> {
    const r = await this.run(tool, args, input);
    if (r.code !== 0) throw new Error(`${tool} ${args.join(" ")} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 2000)}`);
    return r.stdout;
  }

  async getCluster(namespace: string, name: string): Promise<MdbCluster | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name })) as MdbCluster;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async pods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
    return (await this.core.listNamespacedPod({ namespace, labelSelector })).items;
  }

  /**
   * A client of a member's sidecar API as the operator makes one: the cluster's token and, for mTLS, the
   * CA Secret's (or cert-manager's) CA and client certificate, checked against the member's DNS name (sidecar-endpoints.ts).
   */
  async sidecarClient(namespace: string, cluster: string, member: string, ip: string, callTimeoutMs = 30_000): Promise<GrpcSidecarClient> {
    const secret = async (name: string) => (await this.core.readNamespacedSecret({ name, namespace })) as V1Secret;
    const pods = [{ metadata: { name: member, labels: { [LABELS.cluster]: cluster } }, spec: (await this.core.readNamespacedPod({ name: member, namespace })).spec, status: { podIP: ip } }] as V1Pod[];
    // The operator's credentials: its own CA Secret, or cert-manager's Secret with spec.tls.issuerRef.
    const credentials = operatorCredentials(await secret(caSecretName(cluster)).catch(() => undefined), "own-ca")
      ?? operatorCredentials(await secret(operatorTlsSecretName(cluster)).catch(() => undefined), "cert-manager");
    const [endpoint] = sidecarEndpoints({ name: cluster, namespace }, pods, await secret(sidecarSecretName(cluster)), credentials);
    if (!endpoint) throw new Error(`${namespace}/${member}: no way to reach its sidecar (token or certificates missing)`);
    return new GrpcSidecarClient({ address: endpoint.address, bearerToken: endpoint.token, ...(endpoint.tls ? { tls: endpoint.tls } : {}), callTimeoutMs });
  }

  /** `kubectl get` of the named objects that still exist, as kind/name lines. */
  async stillThere(namespace: string | undefined, kind: string, names: string[]): Promise<string[]> {
    if (names.length === 0) return [];
    return (await this.must("kubectl", ["get", kind, ...names, ...(namespace ? ["-n", namespace] : []), "--ignore-not-found", "-o", "name"])).split("\n").filter(Boolean);
  }

  /** `kubectl get` of the objects of these kinds (comma-separated) with the label selector, as kind/name lines. */
  async byLabel(namespace: string, kinds: string, selector: string): Promise<string[]> {
    return (await this.must("kubectl", ["get", kinds, "-n", namespace, "-l", selector, "-o", "name"])).split("\n").filter(Boolean);
  }
}

export function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === 404 || /\b404\b|NotFound|not found/.test(String((err as Error)?.message ?? err));
}

/** A suite's namespace: only pods that pass the restricted Pod Security level are admitted (docs/operations.md#security). */
export async function createNamespace(kube: Kube, name: string): Promise<void> {
  await kube.core.createNamespace({ body: { metadata: { name, labels: { "mdbcluster.io/e2e": "true", ...RESTRICTED_LABELS } } } });
  await waitFor(async () => (await kube.core.readNamespacedServiceAccount({ name: "default", namespace: name })).metadata?.name,
    { what: `namespace ${name}'s default ServiceAccount`, timeoutMs: 30_000, intervalMs: 200 });
}

/** "name Running 1/2 (restarts 1) Waiting: CrashLoopBackOff" for every pod, for timeouts and progress. */
export function podStates(pods: V1Pod[]): string {
  if (pods.length === 0) return "no pods";
  return pods.map((p) => {
    const cs = p.status?.containerStatuses ?? [];
    const ready = cs.filter((c) => c.ready).length;
    const restarts = cs.reduce((n, c) => n + c.restartCount, 0);
    const waiting = cs.map((c) => c.state?.waiting?.reason).filter(Boolean).join(",");
    return `${p.metadata?.name} ${p.metadata?.deletionTimestamp ? "Terminating" : p.status?.phase ?? "?"} ${ready}/${p.spec?.containers.length ?? 0}`
      + `${restarts ? ` (restarts ${restarts})` : ""}${waiting ? ` ${waiting}` : ""}${p.spec?.nodeName ? "" : " unscheduled"}`;
  }).join("; ");
}

/** Counts of status.members by state, e.g. "ACTIVE 3, STANDBY 3". */
export function membersByState(cluster: MdbCluster | undefined): string {
  const counts = new Map<string, number>();
  for (const m of cluster?.status?.members ?? []) counts.set(m.state ?? "?", (counts.get(m.state ?? "?") ?? 0) + 1);
  return counts.size ? [...counts].map(([s, n]) => `${s} ${n}`).join(", ") : "none";
}

/** One line on where a cluster is: phase, members by state, conditions that are not as wished, plan. */
export function clusterProgress(cluster: MdbCluster | undefined): string {
  if (!cluster) return "the MdbCluster does not exist";
  const s = cluster.status;
  if (!s) return "no status yet (is the operator reconciling this namespace?)";
  const conditions = (s.conditions ?? []).map((c) => `${c.type}=${c.status}(${c.reason})`).join(" ");
  return `phase ${s.phase}, ready ${s.ready}, members: ${membersByState(cluster)}; ${conditions}`
    + `${s.plan?.summary ? `; plan: ${s.plan.summary}` : ""}; observedGeneration ${s.observedGeneration}/${cluster.metadata?.generation}`;
}

export const conditionOf = (cluster: MdbCluster | undefined, type: string) => cluster?.status?.conditions?.find((c) => c.type === type);

/** Ready as a user judges it: phase Ready, Available True, and the status is about the current spec. */
export function isReady(cluster: MdbCluster | undefined): boolean {
  return cluster?.status?.phase === "Ready" && conditionOf(cluster, "Available")?.status === "True"
    && cluster.status.observedGeneration === cluster.metadata?.generation;
}

/** Waits until `done(cluster)`; the timeout names `what` and shows the cluster's progress and its pods. */
export async function waitForCluster(kube: Kube, namespace: string, name: string, what: string, done: (c: MdbCluster | undefined) => boolean | Promise<boolean>,
  timeoutMs: number, onProgress?: (line: string) => void): Promise<MdbCluster | undefined> {
  let last = "";
  let cluster: MdbCluster | undefined;
  try {
    await waitFor(async () => {
      cluster = await kube.getCluster(namespace, name);
      const line = clusterProgress(cluster);
      if (line !== last) onProgress?.(line);
      last = line;
      return await done(cluster);
    }, { what, timeoutMs, intervalMs: 250 });
    return cluster;
  } catch (err) {
    const pods = await kube.pods(namespace, `mdbcluster.io/cluster=${name}`).catch(() => []);
    throw new Error(`${(err as Error).message}\n  ${namespace}/${name}: ${clusterProgress(cluster)}\n  pods: ${podStates(pods)}`);
  }
}

export interface OperatorRelease { release: string; namespace: string; watchNamespace: string; replicas: number }

/** The release's full name, as the chart's "mdb-operator.fullname" computes it. */
export const releaseFullname = (release: string) => (release.includes(CHART_NAME) ? release : `${release}-${CHART_NAME}`).slice(0, 63).replace(/-+$/, "");

/**
 * helm install of the chart watching one namespace (both namespaces must exist). MDB_IMAGE_TAG (the
 * kind path builds and loads the images with it) sets the operator's and the members' image tag; the
 * proving ground maps any tag, so there it may stay unset.
 */
export async function installOperator(kube: Kube, r: OperatorRelease, extraSet: string[] = []): Promise<string> {
  const tag = process.env.MDB_IMAGE_TAG;
  const sets = [`watchNamespace=${r.watchNamespace}`, `replicaCount=${r.replicas}`, ...(tag ? [`image.tag=${tag}`, `memberImage.tag=${tag}`] : []), ...extraSet];
  return kube.must("helm", ["install", r.release, CHART, "--namespace", r.namespace, ...sets.flatMap((s) => ["--set", s])]);
}

/** Waits until the release's Deployment has all its replicas ready; returns the pods. */
export async function waitForOperatorReady(kube: Kube, r: OperatorRelease, timeoutMs = 120_000): Promise<V1Pod[]> {
  const selector = `app.kubernetes.io/instance=${r.release}`;
  let pods: V1Pod[] = [];
  return waitFor(async () => {
    pods = (await kube.pods(r.namespace, selector)).filter((p) => !p.metadata?.deletionTimestamp);
    const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    if (ready.length === r.replicas && pods.length === r.replicas) return ready;
    throw new Error(`${ready.length} of ${r.replicas} operator pods ready: ${podStates(pods)}`);
  }, { what: `the operator Deployment of release ${r.release} in ${r.namespace} to have ${r.replicas} ready pods`, timeoutMs, intervalMs: 250 });
}

/** The MdbCluster manifest the suite and the benchmark apply (small resources, fits the proving ground). */
export function clusterManifest(name: string, opts: { shards: number; replicasPerShard: number; persistence?: boolean; tls?: boolean; issuer?: string; engineImage?: string }): string {
  return [
    "apiVersion: mdbcluster.io/v1alpha1",
    "kind: MdbCluster",
    `metadata: { name: ${name} }`,
    "spec:",
    `  shards: ${opts.shards}`,
    `  replicasPerShard: ${opts.replicasPerShard}`,
    `  engine: { maxMemory: 64mb${opts.engineImage ? `, image: ${opts.engineImage}` : ""} }`,
    "  resources: { requests: { cpu: 50m, memory: 96Mi }, limits: { memory: 128Mi } }",
    ...(opts.persistence ? ["  persistence: { enabled: true, size: 64Mi }"] : []),
    ...(opts.tls || opts.issuer ? [`  tls: { enabled: ${!!opts.tls}${opts.issuer ? `, issuerRef: { name: ${opts.issuer} }` : ""} }`] : []),
    "",
  ].join("\n");
}

/**
 * A suite's clean-up after a failure part-way: its clusters deleted while their operator still runs
 * the finalizer (cleared by hand after 90 s), then the release and both namespaces.
 */
export async function removeSuiteObjects(kube: Kube, r: OperatorRelease, clusters: readonly string[], helmInstalled: boolean): Promise<void> {
  const ns = r.watchNamespace;
  for (const name of clusters) {
    if (!(await kube.getCluster(ns, name))) continue;
    await kube.run("kubectl", ["delete", "mdb", name, "-n", ns, "--wait=false"]);
    await waitFor(async () => (await kube.getCluster(ns, name)) === undefined, { what: `${name} deleted`, timeoutMs: 90_000, intervalMs: 500 })
      .catch(() => kube.run("kubectl", ["patch", "mdb", name, "-n", ns, "--type", "merge", "-p", '{"metadata":{"finalizers":[]}}']));
  }
  if (helmInstalled) await kube.run("helm", ["uninstall", r.release, "-n", r.namespace]);
  await kube.run("kubectl", ["delete", "namespace", ns, r.namespace, "--ignore-not-found", "--wait=false"]);
}
