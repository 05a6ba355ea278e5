// The one reconcile shape (docs/architecture.md#the-reconcile-loop): read from cache → finalizer → observe → decide (pure) →
// execute one bounded step → write status once (skipped when unchanged) → { requeueAfterMs }.
import { randomBytes } from "node:crypto";
import { DEFAULT_TOPOLOGY_KEYS } from "../../../common/labels.ts";
import { GROUP, PLURAL, VERSION } from "../api/generated/mdbcluster.ts";
import { FINALIZER, type InstallDefaults, type MdbCluster, type MdbClusterStatus } from "../api/types.ts";
import type { ExecutorContext, KubeWrites } from "../executor/context.ts";
import { runPlanSteps, StepsInFlight } from "../executor/run-plan.ts";
import { caSecretName, operatorTlsSecretName, sidecarSecretName } from "../resources/names.ts";
import { operatorCredentials } from "../resources/tls-secrets.ts";
import { apiMessage, isConflict, isNotFound, type KubeClients } from "../runtime/kube.ts";
import type { Logger } from "../runtime/log.ts";
import type { SidecarPool } from "../sidecar/pool.ts";
import type { PlannedStep } from "../planner/index.ts";
import type { Action } from "../model/actions.ts";
import { decide } from "./decide.ts";
import { execute, type ExecuteOutcome } from "./execute.ts";
import { observe, type Caches } from "./observe.ts";
import { observeCertManager } from "./observe-cert-manager.ts";
import { sidecarEndpoints } from "./sidecar-endpoints.ts";
import { isResolved, type Observation } from "../model/observation.ts";
import { planFromStatus, type StoredPlan } from "../model/stored-plan.ts";
import { computeStatus, statusEqual, statusEvents } from "./status.ts";
import type { EventSink } from "../runtime/events.ts";
import type { OperatorMetrics } from "../runtime/metrics.ts";

export interface ReconcileResult { requeueAfterMs?: number }

export interface ReconcilerDeps {
  caches: Caches;
  kube: KubeClients;
  writes: KubeWrites;
  pool: SidecarPool;
  events: EventSink;
  /** Reconcile this key again soon (a step that outlived its pass ended). */
  requeue: (key: string) => void;
  log: Logger;
  images: InstallDefaults;
  now?: () => number;
  resyncMs: number;
  metrics?: OperatorMetrics;
}

/** How long one pass waits for its steps before writing status (slow steps go on in the background). */
const PASS_BUDGET_MS = 500;

export class Reconciler {
  /** key → the resourceVersion our last write replaced: while the cache still shows it, it is stale. */
  private readonly wroteOver = new Map<string, string>();
  private readonly inFlight = new StepsInFlight();
  /** key → ends the running pass's wait for its steps (see memberReported). */
  private readonly newsFor = new Map<string, () => void>();

  constructor(private readonly d: ReconcilerDeps) {}

  /** A member of cluster `key` reported something new (its sidecar's status stream). */
  memberReported(key: string): void {
    this.newsFor.get(key)?.();
  }

  private async runSteps(key: string, stored: StoredPlan, steps: readonly PlannedStep[], ctx: ExecutorContext): Promise<StoredPlan> {
    const news = new Promise<void>((resolve) => this.newsFor.set(key, resolve));
    try {
      return await runPlanSteps(stored, steps, ctx, { inFlight: this.inFlight, budgetMs: PASS_BUDGET_MS, news, onSettled: () => this.d.requeue(key) });
    } finally {
      this.newsFor.delete(key);
    }
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const started = performance.now();
    let failed: string | undefined;
    try {
      return await this.pass(key);
    } catch (err) {
      failed = (err as Error)?.message ?? String(err);
      throw err;
    } finally {
      this.d.metrics?.reconciled((performance.now() - started) / 1000, failed);
    }
  }

  private async pass(key: string): Promise<ReconcileResult> {
    const [namespace, name] = key.split("/");
    const cluster = this.d.caches.clusters.get(name, namespace);
    if (!cluster) {
      this.d.pool.closeCluster(key);
      this.d.metrics?.forget(key);
      this.wroteOver.delete(key);
      this.inFlight.dropCluster(key);
      return {};
    }
    // Deciding from a cache that has not seen our own last write would redo it (e.g. write the same
    // plan again); the watch event for our write enqueues the key once the cache has it.
    if (this.wroteOver.get(key) === cluster.metadata?.resourceVersion) return { requeueAfterMs: 200 };
    this.wroteOver.delete(key);
    const now = this.d.now?.() ?? Date.now();
    this.syncSidecars(key, cluster);
    const o = observe(cluster, this.d.caches, (m) => this.d.pool.observed(key, m), this.d.images, now, await this.userSecretProblem(cluster), await observeCertManager(this.d.kube.certManager, cluster));
    const stored = planFromStatus(cluster.status?.plan);
    const action = decide(o, stored, FINALIZER);
    let outcome: ExecuteOutcome = { plan: stored, writeStatus: true };
    let error: string | undefined;
    try {
      outcome = await execute(action, stored, key, {
        context: () => this.context(o),
        nowMs: now,
        resyncMs: this.d.resyncMs,
        setFinalizer: (present) => this.setFinalizer(cluster, present),
        closeSidecars: () => this.d.pool.closeCluster(key),
        runSteps: (plan, steps, ctx) => this.runSteps(key, plan, steps, ctx),
        log: this.d.log,
      });
    } catch (err) {
      error = `${action.kind}: ${apiMessage(err)}`;
      this.d.log.warn("reconcile step failed", { cluster: key, action: action.kind, error });
    }
    if (!outcome.writeStatus && !error) return outcome.requeueAfterMs === undefined ? {} : { requeueAfterMs: outcome.requeueAfterMs };
    await this.writeStatus(cluster, o, action, outcome.plan, error);
    if (error) throw new Error(error);
    return { requeueAfterMs: outcome.requeueAfterMs };
  }

  private context(o: Observation): ExecutorContext {
    if (!isResolved(o.spec)) throw new Error("executor called without a resolved spec");
    return { observation: o, spec: o.spec, kube: this.d.writes, sidecar: (m) => this.d.pool.client(o.key, m), randomBytes, log: this.d.log };
  }

  private syncSidecars(key: string, cluster: MdbCluster): void {
    const ns = cluster.metadata!.namespace!;
    const name = cluster.metadata!.name!;
    const tokenSecret = this.d.caches.secrets.get(sidecarSecretName(name), ns);
    if (!tokenSecret) return;
    const credentials = cluster.spec?.tls?.issuerRef
      ? operatorCredentials(this.d.caches.secrets.get(operatorTlsSecretName(name), ns), "cert-manager")
      : operatorCredentials(this.d.caches.secrets.get(caSecretName(name), ns), "own-ca");
    this.d.pool.sync(key, sidecarEndpoints({ name, namespace: ns }, this.d.caches.pods.list(ns), tokenSecret, credentials));
  }

  private async userSecretProblem(cluster: MdbCluster): Promise<string | undefined> {
    const secretName = cluster.spec?.auth?.secretName;
    if (!secretName) return undefined;
    try {
      const s = await this.d.kube.core.readNamespacedSecret({ name: secretName, namespace: cluster.metadata!.namespace! });
      if (!s.data?.password) return `spec.auth.secretName: Secret ${secretName} has no key "password"; add it (at least 16 characters)`;
      if (Buffer.from(s.data.password, "base64").length < 16) return `spec.auth.secretName: the password in Secret ${secretName} is shorter than 16 characters`;
      return undefined;
    } catch (err) {
      if (isNotFound(err)) return `spec.auth.secretName: Secret ${secretName} does not exist in namespace ${cluster.metadata!.namespace}; create it with a key "password" or remove spec.auth.secretName to have one generated`;
      throw err;
    }
  }

  private async setFinalizer(cluster: MdbCluster, present: boolean): Promise<void> {
    const finalizers = (cluster.metadata?.finalizers ?? []).filter((f) => f !== FINALIZER);
    if (present) finalizers.push(FINALIZER);
    const body = { ...cluster, metadata: { ...cluster.metadata, finalizers } };
    try {
      await this.d.kube.custom.replaceNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: cluster.metadata!.namespace!, name: cluster.metadata!.name!, body });
      this.wroteOver.set(`${cluster.metadata!.namespace}/${cluster.metadata!.name}`, cluster.metadata!.resourceVersion!);
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }

  private async writeStatus(cluster: MdbCluster, o: Observation, action: Action, plan: StoredPlan | undefined, error: string | undefined): Promise<void> {
    const keys = isResolved(o.spec) ? o.spec.placement.topologyKeys : DEFAULT_TOPOLOGY_KEYS;
    const status: MdbClusterStatus = computeStatus({ observation: o, action, ...(plan ? { plan } : {}), ...(error ? { error } : {}), topologyKeys: keys });
    this.d.metrics?.clusterStatus(cluster.metadata!.namespace!, cluster.metadata!.name!, cluster.status, status);
    if (statusEqual(cluster.status, status)) return;
    try {
      await this.d.kube.custom.replaceNamespacedCustomObjectStatus({
        group: GROUP, version: VERSION, plural: PLURAL, namespace: cluster.metadata!.namespace!, name: cluster.metadata!.name!,
        body: { ...cluster, status },
      });
      this.wroteOver.set(`${cluster.metadata!.namespace}/${cluster.metadata!.name}`, cluster.metadata!.resourceVersion!);
      for (const e of statusEvents(cluster.status, status)) this.d.events.record(cluster, e.type, e.reason, e.message);
    } catch (err) {
      // A conflict means the cache was behind; the update event brings the object back.
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }
}
