// A local Prometheus for `npm run dashboard:snapshot`: the packaged binary (/usr/bin/prometheus) with a
// temporary config and storage directory, listening on 127.0.0.1 only. Its targets are files it
// watches (file_sd): the operator's pods and the member pods, by pod IP and their container port
// named `metrics`, rewritten from the cluster's pods as they come and go. Queries go to its HTTP API.
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, renameSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { sleep } from "../../common/wait.ts";

export const PROMETHEUS_BIN = process.env.MDB_PROMETHEUS_BIN || "/usr/bin/prometheus";
export const SCRAPE_SECONDS = 5;

interface Pod {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { containers: { ports?: { name?: string; containerPort: number }[] }[] };
  status: { podIP?: string; phase?: string };
}
interface TargetGroup { targets: string[]; labels: Record<string, string> }

/** The scrape targets of the pods: the operator's (chart label name=mdb-operator) and the members' (component=member). */
export function targetsOf(pods: Pod[]): { operator: TargetGroup[]; members: TargetGroup[] } {
  const operator: TargetGroup[] = [];
  const members: TargetGroup[] = [];
  for (const p of pods) {
    if (!p.status.podIP || p.status.phase !== "Running" || p.metadata.deletionTimestamp) continue;
    const port = p.spec.containers.flatMap((c) => c.ports ?? []).find((x) => x.name === "metrics")?.containerPort;
    if (!port) continue;
    const group = { targets: [`${p.status.podIP}:${port}`], labels: { namespace: p.metadata.namespace, pod: p.metadata.name } };
    const labels = p.metadata.labels ?? {};
    if (labels["app.kubernetes.io/name"] === "mdb-operator") operator.push(group);
    else if (labels["app.kubernetes.io/component"] === "member") members.push(group);
  }
  return { operator, members };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Series { metric: Record<string, string>; values: [number, string][] }

export class LocalPrometheus {
  private child?: ChildProcess;
  url = "";

  constructor(private readonly dir: string) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts Prometheus with an operator job (honoring the series' own namespace label) and a members job. */
  async start(): Promise<void> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.writeTargets({ operator: [], members: [] });
    const job = (name: string, file: string, honor: boolean) => [
      `  - job_name: ${name}`, `    honor_labels: ${honor}`,
      `    file_sd_configs: [{ files: [${JSON.stringify(join(this.dir, file))}], refresh_interval: ${SCRAPE_SECONDS}s }]`,
    ];
    writeFileSync(join(this.dir, "prometheus.yml"), [
      "global:", `  scrape_interval: ${SCRAPE_SECONDS}s`, `  scrape_timeout: ${SCRAPE_SECONDS - 1}s`, `  evaluation_interval: ${SCRAPE_SECONDS}s`,
      "scrape_configs:", ...job("mdb-operator", "operator.json", true), ...job("mdb-members", "members.json", false), "",
    ].join("\n"));
    const log = openSync(join(this.dir, "prometheus.log"), "a");
    this.child = spawn(PROMETHEUS_BIN, [
      `--config.file=${join(this.dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(this.dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`, "--storage.tsdb.retention.time=1d",
    ], { stdio: ["ignore", log, log] });
    const exited = new Promise<never>((_, reject) => this.child!.once("exit", (code) => reject(new Error(`prometheus exited (${code}); see ${join(this.dir, "prometheus.log")}`))));
    exited.catch(() => undefined);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await fetch(`${this.url}/-/ready`).then((r) => r.ok, () => false);
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`prometheus did not become ready at ${this.url}; see ${join(this.dir, "prometheus.log")}`);
      await Promise.race([sleep(500), exited]);
    }
  }

  /** Rewrites the target files (written aside and renamed, so Prometheus never reads half a file). */
  writeTargets(t: { operator: TargetGroup[]; members: TargetGroup[] }): void {
    for (const [file, groups] of [["operator.json", t.operator], ["members.json", t.members]] as const) {
      const path = join(this.dir, file);
      writeFileSync(`${path}.tmp`, JSON.stringify(groups));
      renameSync(`${path}.tmp`, path);
    }
  }

  /** The targets Prometheus scrapes now, with their health. */
  async activeTargets(): Promise<{ scrapeUrl: string; health: string }[]> {
    const r = await fetch(`${this.url}/api/v1/targets?state=active`);
    const body = await r.json() as { data: { activeTargets: { scrapeUrl: string; health: string }[] } };
    return body.data.activeTargets;
  }

  /** query_range over [start, end] (seconds) with the given step. */
  async queryRange(expr: string, start: number, end: number, step: number): Promise<Series[]> {
    const q = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: String(step) });
    const r = await fetch(`${this.url}/api/v1/query_range?${q}`);
    const body = await r.json() as { status: string; error?: string; data?: { result: Series[] } };
    if (body.status !== "success") throw new Error(`query_range ${expr}: ${body.error ?? r.status}`);
    return body.data?.result ?? [];
  }

  /** Stops the process it started (SIGTERM by pid, SIGKILL after 10 s). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(timer);
  }
}
