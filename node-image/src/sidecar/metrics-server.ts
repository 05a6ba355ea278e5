// The member's /metrics (docs/operations.md#member-metrics): Prometheus text rendered by exposition.ts, on
// the port named `metrics`. Each scrape observes the engine first (joining an observation in flight) and
// renders engine-metrics.ts's samples of it, every series labelled with the member's cluster, member
// and shard, then the sidecar's own process metrics. No token: Prometheus scrapes it as it is, so it
// serves nothing secret (no password, no token, no key names or values).
import { createServer, type Server } from "../../../common/http-server.ts";
import type { MemberIdentity } from "../../../common/member-env.ts";
import { MEMBER_METRICS, memberSamples, type MemberMetricsView } from "./engine-metrics.ts";
import { EXPOSITION_CONTENT_TYPE, renderExposition } from "./exposition.ts";
import { PROCESS_METRICS, processSamples } from "./process-metrics.ts";

/** The labels every series of a member carries (those the sidecar knows). */
export function memberLabels(identity: MemberIdentity): Record<string, string> {
  const labels: Record<string, string> = {};
  if (identity.cluster) labels.cluster = identity.cluster;
  if (identity.member) labels.member = identity.member;
  if (identity.shard !== undefined) labels.shard = String(identity.shard);
  return labels;
}

export class MemberMetrics {
  readonly contentType = EXPOSITION_CONTENT_TYPE;
  private readonly labels: Record<string, string>;
  private readonly processMetrics: boolean;

  constructor(identity: MemberIdentity, opts: { processMetrics?: boolean } = {}) {
    this.labels = memberLabels(identity);
    this.processMetrics = opts.processMetrics ?? true;
  }

  /** The exposition text for `view`: exactly its samples (a metric without one lists no value, not 0). */
  async render(view: MemberMetricsView): Promise<string> {
    const text = renderExposition(MEMBER_METRICS, memberSamples(view), this.labels);
    return this.processMetrics ? text + renderExposition(PROCESS_METRICS, await processSamples(), this.labels) : text;
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
        (text) => res.writeHead(200, { "content-type": metrics.contentType }).end(text),
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
