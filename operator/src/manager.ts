// The manager: informers feed a work queue keyed by cluster; on the leader, workers reconcile keys
// one at a time per key; the standby keeps its caches warm and takes over within a lease duration.
// SIGTERM: stop taking work, finish the in-flight reconciles, release the lease.
import type { KubernetesListObject, KubernetesObject, V1NetworkPolicy, V1Node, V1PersistentVolumeClaim, V1Pod, V1PodDisruptionBudget, V1Secret, V1Service } from "@kubernetes/client-node";
import { GROUP, PLURAL, VERSION } from "./api/generated/mdbcluster.ts";
import type { InstallDefaults, MdbCluster } from "./api/types.ts";
import { nodeAsCached, podAsCached, type Caches } from "./controller/observe.ts";
import { Reconciler } from "./controller/reconciler.ts";
import { LABELS, MANAGED_BY } from "./resources/names.ts";
import { GrpcSidecarClient } from "./sidecar/grpc-client.ts";
import { SidecarPool } from "./sidecar/pool.ts";
import { kubeEvents } from "./runtime/events.ts";
import { startHealthServer } from "./runtime/health.ts";
import { OperatorMetrics, startMetricsServer } from "./runtime/metrics.ts";
import { WatchedCollection } from "./runtime/informer.ts";
import type { KubeClients } from "./runtime/kube.ts";
import { kubeWrites } from "./executor/kube-writes.ts";
import { LeaderElector, type Leadership } from "./runtime/leader-election.ts";
import { kubeLeaseStore } from "./runtime/lease-store.ts";
import type { Logger } from "./runtime/log.ts";
import { WorkQueue } from "./runtime/workqueue.ts";
import { REPORT_STALE_MS } from "./model/observation.ts";
import type { ManagerConfig } from "./settings.ts";

/** The images, and the operator's pods when it runs in one (their namespace and the labels the chart gives them). */
function installDefaults(config: ManagerConfig): InstallDefaults {
  const inPod = Object.keys(config.operatorPodLabels).length > 0;
  return { engine: config.engineImage, sidecar: config.memberImage, ...(inPod ? { operatorPods: { namespace: config.podNamespace, labels: config.operatorPodLabels } } : {}) };
}

export class Manager {
  private readonly queue = new WorkQueue();
  private readonly metrics = new OperatorMetrics(() => this.queue.length);
  private readonly collections: WatchedCollection<KubernetesObject>[] = [];
  private readonly caches: Caches;
  private readonly pool: SidecarPool;
  private readonly reconciler: Reconciler;
  private elector?: LeaderElector;
  private leadership?: Leadership;
  private synced = false;
  private workers: Promise<void>[] = [];
  private resyncTimer?: NodeJS.Timeout;
  private readonly nodeSignatures = new Map<string, string>();

  constructor(private readonly kube: KubeClients, private readonly config: ManagerConfig, private readonly log: Logger) {
    const ns = config.watchNamespace;
    const managed = `${LABELS.managedBy}=${MANAGED_BY}`;
    const path = (group: string, resource: string, namespaced = true) => {
      const base = group === "" ? "/api/v1" : `/apis/${group}`;
      return namespaced && ns ? `${base}/namespaces/${ns}/${resource}` : `${base}/${resource}`;
    };
    const c = kube.core;
    const all = <T>(p: Promise<T>) => p as unknown as Promise<KubernetesListObject<never>>;
    const collection = <T extends KubernetesObject>(what: string, p: string, list: () => Promise<KubernetesListObject<T>>, selector?: string, project?: (o: T) => T) => {
      const w = new WatchedCollection<T>(kube.access, what, p, list, log, selector, project);
      this.collections.push(w as unknown as WatchedCollection<KubernetesObject>);
      return w;
    };
    const clusters = collection<MdbCluster>("MdbClusters", path(`${GROUP}/${VERSION}`, PLURAL),
      () => all(ns ? kube.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns }) : kube.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })));
    const pods = collection<V1Pod>("Pods", path("", "pods", false), () => c.listPodForAllNamespaces(), undefined, podAsCached);
    const nodes = collection<V1Node>("Nodes", path("", "nodes", false), () => c.listNode(), undefined, nodeAsCached);
    const services = collection<V1Service>("Services", path("", "services"), () => (ns ? c.listNamespacedService({ namespace: ns, labelSelector: managed }) : c.listServiceForAllNamespaces({ labelSelector: managed })), managed);
    const secrets = collection<V1Secret>("Secrets", path("", "secrets"), () => (ns ? c.listNamespacedSecret({ namespace: ns, labelSelector: managed }) : c.listSecretForAllNamespaces({ labelSelector: managed })), managed);
    const pdbs = collection<V1PodDisruptionBudget>("PodDisruptionBudgets", path("policy/v1", "poddisruptionbudgets"),
      () => (ns ? kube.policy.listNamespacedPodDisruptionBudget({ namespace: ns, labelSelector: managed }) : kube.policy.listPodDisruptionBudgetForAllNamespaces({ labelSelector: managed })), managed);
    const pvcs = collection<V1PersistentVolumeClaim>("PersistentVolumeClaims", path("", "persistentvolumeclaims"),
      () => (ns ? c.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: managed }) : c.listPersistentVolumeClaimForAllNamespaces({ labelSelector: managed })), managed);
    const networkPolicies = collection<V1NetworkPolicy>("NetworkPolicies", path("networking.k8s.io/v1", "networkpolicies"),
      () => (ns ? kube.networking.listNamespacedNetworkPolicy({ namespace: ns, labelSelector: managed }) : kube.networking.listNetworkPolicyForAllNamespaces({ labelSelector: managed })), managed);
    this.caches = { clusters, pods, nodes, services, secrets, pdbs, pvcs, networkPolicies };

    this.pool = new SidecarPool(
      (e) => new GrpcSidecarClient({ address: e.address, bearerToken: e.token, ...(e.tls ? { tls: e.tls } : {}), callTimeoutMs: 30_000, leadership: () => this.leadership }),
      (key) => {
        this.queue.add(key);
        this.reconciler.memberReported(key);
      },
      log,
      200,
      Date.now,
      REPORT_STALE_MS,
    );
    this.reconciler = new Reconciler({ caches: this.caches, kube, writes: kubeWrites(kube), pool: this.pool, events: kubeEvents(kube.core, "mdb-operator", log), requeue: (key) => this.queue.add(key), log, images: installDefaults(config), resyncMs: config.resyncMs, metrics: this.metrics });

    clusters.onChange((o) => this.queue.add(`${o.metadata!.namespace}/${o.metadata!.name}`));
    const byLabel = (o: KubernetesObject) => {
      const cluster = o.metadata?.labels?.[LABELS.cluster];
      if (cluster && o.metadata?.namespace) this.queue.add(`${o.metadata.namespace}/${cluster}`);
    };
    for (const w of [pods, services, secrets, pdbs, pvcs, networkPolicies] as WatchedCollection<KubernetesObject>[]) w.onChange(byLabel);
    // Node heartbeats change status every few seconds; only what placement reads enqueues clusters.
    nodes.onChange((n, verb) => {
      const sig = verb === "delete" ? "" : JSON.stringify([n.metadata?.labels, n.spec?.unschedulable, n.spec?.taints, n.status?.conditions?.find((x) => x.type === "Ready")?.status, n.status?.allocatable]);
      if (this.nodeSignatures.get(n.metadata!.name!) === sig) return;
      this.nodeSignatures.set(n.metadata!.name!, sig);
      if (this.synced) this.enqueueAll();
    });
  }

  private enqueueAll(): void {
    for (const c of this.caches.clusters.list()) this.queue.add(`${c.metadata!.namespace}/${c.metadata!.name}`);
  }

  async start(): Promise<void> {
    await startMetricsServer(this.config.metricsPort, this.metrics);
    await startHealthServer(this.config.healthPort, () => this.synced, () => ({ identity: this.config.identity, leader: !!this.leadership, epoch: this.leadership?.epoch ?? null }));
    await Promise.all(this.collections.map((c) => c.start()));
    await Promise.all(this.collections.map((c) => c.synced));
    this.synced = true;
    this.log.info("caches synced", { identity: this.config.identity });
    if (!this.config.leaderElect) {
      this.startLeading({ identity: this.config.identity, epoch: 0 });
      return;
    }
    this.elector = new LeaderElector(
      kubeLeaseStore(this.kube.coordination, this.config.podNamespace, this.config.leaseName),
      { identity: this.config.identity, createLease: this.config.createLease, leaseName: this.config.leaseName, leaseDurationMs: this.config.leaseDurationMs, renewDeadlineMs: this.config.renewDeadlineMs, retryPeriodMs: this.config.retryPeriodMs },
      {
        onStartedLeading: (l) => this.startLeading(l),
        onStoppedLeading: () => {
          // As controller-runtime does: a leader that lost its lease exits, and restarts as a candidate.
          this.log.error("lost the leader lease; exiting so a fresh process campaigns again", { identity: this.config.identity });
          process.exit(1);
        },
        onError: (err) => this.log.warn("leader election", { error: (err as Error)?.message ?? String(err) }),
      },
    );
    this.elector.start();
  }

  private startLeading(l: Leadership): void {
    this.leadership = l;
    this.metrics.setLeader(true);
    this.log.info("leading", { identity: l.identity, epoch: l.epoch });
    this.enqueueAll();
    for (let i = 0; i < this.config.workers; i++) this.workers.push(this.work());
    this.resyncTimer = setInterval(() => this.enqueueAll(), this.config.resyncMs);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = Date.now();
      try {
        const result = await this.reconciler.reconcile(key);
        this.queue.forget(key);
        if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
        this.log.debug("reconciled", { cluster: key, ms: Date.now() - started, requeueAfterMs: result.requeueAfterMs });
      } catch (err) {
        const delay = this.queue.addRateLimited(key);
        this.log.warn("reconcile failed; retrying", { cluster: key, error: (err as Error)?.message ?? String(err), retryInMs: delay });
      } finally {
        this.queue.done(key);
      }
    }
  }

  /** Stop taking work, let in-flight reconciles finish (bounded), release the lease, close streams. */
  async shutdown(graceMs = 20_000): Promise<void> {
    this.log.info("shutting down", { inFlight: this.queue.inFlight() });
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.queue.shutDown();
    await Promise.race([Promise.all(this.workers), new Promise((r) => setTimeout(r, graceMs))]);
    await this.elector?.release();
    this.pool.closeAll();
    await Promise.all(this.collections.map((c) => c.stop()));
  }
}
