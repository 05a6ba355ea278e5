// The member's /metrics (docs/operations.md#member-metrics): Prometheus text from prom-client, on the
// port named `metrics`. Each scrape observes the engine first (joining an observation in flight) and
// renders engine-metrics.ts's samples of it, every series labelled with the member's cluster, member
// and shard. No token: Prometheus scrapes it as it is, so it serves nothing secret (no password, no
// token, no key names or values).
import { createServer, type Server } from "../../../common/http-server.ts";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import type { MemberIdentity } from "../../../common/member-env.ts";
import { MEMBER_METRICS, memberSamples, type MemberMetricsView } from "./engine-metrics.ts";

/** The labels every series of a member carries (those the sidecar knows). */
export function memberLabels(identity: MemberIdentity): Record<string, string> {
  const labels: Record<string, string> = {};
  if (identity.cluster) labels.cluster = identity.cluster;
  if (identity.member) labels.member = identity.member;
  if (identity.shard !== undefined) labels.shard = String(identity.shard);
  return labels;
}

export class MemberMetrics {
  readonly registry = new Registry();
  private readonly metrics = new Map<string, Gauge<string> | Counter<string>>();
  /** Metrics without labels: prom-client keeps a 0 for them after reset, and a value nobody reported is not 0. */
  private readonly unlabelled: (Gauge<string> | Counter<string>)[] = [];

  constructor(identity: MemberIdentity, opts: { processMetrics?: boolean } = {}) {
    this.registry.setDefaultLabels(memberLabels(identity));
    const registers = [this.registry];
    for (const d of MEMBER_METRICS) {
      const config = { name: d.name, help: d.help, labelNames: [...d.labelNames], registers };
      const metric = d.type === "counter" ? new Counter(config) : new Gauge(config);
      this.metrics.set(d.name, metric);
      if (d.labelNames.length === 0) this.unlabelled.push(metric);
    }
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "mdb_sidecar_" });
  }

  /** The exposition text for `view`: exactly its samples (a metric without one lists no value, not 0). */
  render(view: MemberMetricsView): Promise<string> {
    for (const metric of this.metrics.values()) metric.reset();
    for (const metric of this.unlabelled) metric.remove();
    for (const s of memberSamples(view)) {
      const metric = this.metrics.get(s.name)!;
      if (metric instanceof Counter) metric.inc(s.labels, s.value);
      else metric.set(s.labels, s.value);
    }
    return this.registry.metrics();
  }
}

export interface MetricsSource {
  /** The view after a fresh observation of the engine (or the latest one when that fails). */
  metricsView(): Promise<MemberMetricsView>;
}

export async function startMetricsServer(source: MetricsSource, metrics: MemberMetrics, hosts: string[], port: number): Promise<{ close(): Promise<void> }> {
  const servers: Server[] = [];
  for (const host of hosts) {
    const server = createServer((req, res) => {
      if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") return void res.writeHead(404, { "content-type": "text/plain" }).end("unknown path: use GET /metrics\n");
      source.metricsView().then((view) => metrics.render(view)).then(
        (text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`${err.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (err) => reject(new Error(`metrics server cannot listen on ${host}:${port}: ${err.message}`)));
      server.listen(port, host, () => resolve());
    });
    servers.push(server);
  }
  return { close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined) };
}
