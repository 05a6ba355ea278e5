// The operator's Prometheus metrics (docs/operations.md#metrics) on /metrics of the port named
// `metrics`: the reconcile loop (duration, errors, queue depth, leadership) and, per cluster, what
// its last status says (members by state, slots served, plan steps by kind and state, keys and bytes
// moved), plus counters of plans by kind and result and the duration of failovers.
import { createServer, type Server } from "../../../common/http-server.ts";
import { countDistinctSlots } from "../../../common/slots.ts";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { MdbClusterStatus } from "../api/types.ts";

export class OperatorMetrics {
  readonly registry = new Registry();
  private readonly reconcileSeconds: Histogram<"result">;
  private readonly reconcileErrors: Counter<"action">;
  private readonly leader: Gauge;
  private readonly members: Gauge<"namespace" | "cluster" | "state">;
  private readonly slots: Gauge<"namespace" | "cluster" | "state">;
  private readonly steps: Gauge<"namespace" | "cluster" | "kind" | "state">;
  private readonly moved: Gauge<"namespace" | "cluster" | "unit">;
  private readonly plans: Counter<"kind" | "result">;
  private readonly failoverSeconds: Histogram;
  /** Label sets written per cluster, so a deleted cluster's series go away. */
  private readonly written = new Map<string, { gauge: Gauge<string>; labels: Record<string, string> }[]>();

  constructor(queueDepth: () => number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "mdb_operator_" });
    this.reconcileSeconds = new Histogram({ name: "mdb_operator_reconcile_duration_seconds", help: "Duration of one reconcile pass.", labelNames: ["result"], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers });
    this.reconcileErrors = new Counter({ name: "mdb_operator_reconcile_errors_total", help: "Reconcile passes that failed, by the action they tried.", labelNames: ["action"], registers });
    new Gauge({ name: "mdb_operator_workqueue_depth", help: "Clusters waiting in the work queue.", registers, collect() { this.set(queueDepth()); } });
    this.leader = new Gauge({ name: "mdb_operator_leader", help: "1 while this replica holds the Lease and reconciles.", registers });
    this.members = new Gauge({ name: "mdb_cluster_members", help: "Members of a cluster by state (ACTIVE, STANDBY, Lost, …).", labelNames: ["namespace", "cluster", "state"], registers });
    this.slots = new Gauge({ name: "mdb_cluster_slots", help: "Hash slots served by a ready primary, and not.", labelNames: ["namespace", "cluster", "state"], registers });
    this.steps = new Gauge({ name: "mdb_cluster_plan_steps", help: "Steps of the cluster's last plan by kind and state.", labelNames: ["namespace", "cluster", "kind", "state"], registers });
    this.moved = new Gauge({ name: "mdb_cluster_migration_moved", help: "Keys and bytes the cluster's last plan moved.", labelNames: ["namespace", "cluster", "unit"], registers });
    this.plans = new Counter({ name: "mdb_operator_plans_total", help: "Plans that ended, by kind and result (Succeeded, Failed, Superseded).", labelNames: ["kind", "result"], registers });
    this.failoverSeconds = new Histogram({ name: "mdb_operator_failover_duration_seconds", help: "From a failover plan written to its end.", buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60], registers });
  }

  reconciled(seconds: number, error?: string): void {
    this.reconcileSeconds.observe({ result: error ? "error" : "ok" }, seconds);
    if (error) this.reconcileErrors.inc({ action: error.split(":")[0] });
  }

  setLeader(leading: boolean): void {
    this.leader.set(leading ? 1 : 0);
  }

  /** A cluster's new status (and the one before it: plans that ended are counted once). */
  clusterStatus(namespace: string, cluster: string, before: MdbClusterStatus | undefined, after: MdbClusterStatus): void {
    const key = `${namespace}/${cluster}`;
    this.forget(key);
    const series: { gauge: Gauge<string>; labels: Record<string, string> }[] = [];
    const set = (gauge: Gauge<string>, labels: Record<string, string>, value: number) => {
      gauge.set(labels, value);
      series.push({ gauge, labels });
    };
    const byState = new Map<string, number>();
    for (const m of after.members ?? []) byState.set(m.state ?? "Pending", (byState.get(m.state ?? "Pending") ?? 0) + 1);
    for (const [state, n] of byState) set(this.members as Gauge<string>, { namespace, cluster, state }, n);
    const served = servedSlots(after);
    set(this.slots as Gauge<string>, { namespace, cluster, state: "served" }, served);
    set(this.slots as Gauge<string>, { namespace, cluster, state: "unserved" }, 16384 - served);
    const plan = after.plan;
    if (plan) {
      const counts = new Map<string, number>();
      for (const s of plan.steps ?? []) counts.set(`${s.kind}|${s.state}`, (counts.get(`${s.kind}|${s.state}`) ?? 0) + 1);
      for (const [k, n] of counts) set(this.steps as Gauge<string>, { namespace, cluster, kind: k.split("|")[0], state: k.split("|")[1] }, n);
      set(this.moved as Gauge<string>, { namespace, cluster, unit: "keys" }, plan.progress?.keysMoved ?? 0);
      set(this.moved as Gauge<string>, { namespace, cluster, unit: "bytes" }, plan.progress?.bytesMoved ?? 0);
      const ended = plan.phase !== "Running" && (before?.plan?.id !== plan.id || before?.plan?.phase === "Running");
      if (ended && plan.phase) {
        this.plans.inc({ kind: plan.kind ?? "", result: plan.phase });
        if (plan.kind === "failover" && plan.phase === "Succeeded" && plan.startedAt && plan.finishedAt) {
          this.failoverSeconds.observe((Date.parse(plan.finishedAt) - Date.parse(plan.startedAt)) / 1000);
        }
      }
    }
    this.written.set(key, series);
  }

  /** A deleted cluster's series are removed. */
  forget(key: string): void {
    for (const { gauge, labels } of this.written.get(key) ?? []) gauge.remove(labels);
    this.written.delete(key);
  }
}

/** Slots the shards serve, each once (two shards may both report a slot mid-move). */
function servedSlots(status: MdbClusterStatus): number {
  return countDistinctSlots((status.shardDetails ?? []).flatMap((d) => (d.slots ?? "").split(",").filter(Boolean).map((r) => {
    const [start, end] = r.split("-").map(Number);
    return { start, end: end ?? start };
  })));
}

export function startMetricsServer(port: number, metrics: OperatorMetrics): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== "/metrics") return void res.writeHead(404).end();
    metrics.registry.metrics().then(
      (text) => { res.writeHead(200, { "content-type": metrics.registry.contentType }); res.end(text); },
      (err: Error) => { res.writeHead(500).end(err.message); },
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "0.0.0.0", () => resolve(server));
  });
}
