// A member's Prometheus metrics as the suites read them: the sidecar's port named `metrics`, from the
// pod IP, without a token (docs/operations.md#member-metrics).
import type { V1Pod } from "@kubernetes/client-node";
import { Redis } from "ioredis";

/** The value of one series (`name{labels}`) in a Prometheus text exposition, or undefined. */
export function metricValue(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The member's /metrics and, just before, its engine's DBSIZE. */
export async function scrapeMember(pod: V1Pod, password: string): Promise<{ status: number; text: string; dbsize: number }> {
  const sidecar = pod.spec!.containers.find((c) => c.name === "sidecar")!;
  const port = sidecar.ports!.find((p) => p.name === "metrics")!.containerPort;
  const engine = new Redis({ host: pod.status!.podIP!, port: 6379, password, lazyConnect: true, maxRetriesPerRequest: 1 });
  engine.on("error", () => undefined);
  try {
    const dbsize = await engine.dbsize();
    const res = await fetch(`http://${pod.status!.podIP}:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, text: await res.text(), dbsize };
  } finally {
    engine.disconnect();
  }
}
