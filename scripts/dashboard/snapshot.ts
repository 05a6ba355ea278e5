// `npm run dashboard:snapshot`: a picture of the Grafana dashboard (charts/mdb-operator/dashboards/
// mdbcluster.json) from a real run. On the proving ground named by KUBECONFIG (or one brought up here):
// a local Prometheus scraping the operator's and the members' pods; the operator and a 3-shard
// MdbCluster as `npm run demo` installs them; a client writing the whole time; a primary's pod deleted
// (a failover) and a scale to 4 shards (a migration, its pace capped so it lasts about a minute); then every panel's query over the run from
// Prometheus' HTTP API, drawn by render.py into docs/images/dashboard.png. Everything it started
// (Prometheus, the writer, the MdbCluster, the proving ground when it brought it up) is stopped at the end.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acquireGround, releaseGround, type Ground } from "../../e2e/support/ground.ts";
import { Writer } from "../../e2e/support/writer.ts";
import { REPO_ROOT } from "../../e2e/local/controlplane/cluster.ts";
import { sleep } from "../../common/wait.ts";
import type { MdbCluster } from "../../operator/src/api/generated/mdbcluster.ts";
import { Kube } from "../demo/kube.ts";
import { isReady } from "../demo/report.ts";
import { LocalPrometheus, PROMETHEUS_BIN, SCRAPE_SECONDS, targetsOf, type Series } from "./prometheus.ts";

const NAMESPACE = process.env.MDB_SNAPSHOT_NAMESPACE || "mdb-dashboard";
const NAME = "demo"; // the name in examples/mdbcluster.yaml, which the demo applies
const PHASE_SECONDS = Number(process.env.MDB_SNAPSHOT_PHASE_SECONDS || 60);
const MIGRATION_KEYS_PER_SECOND = Number(process.env.MDB_SNAPSHOT_MIGRATION_KEYS_PER_SECOND || 100);
const PYTHON = process.env.MDB_SNAPSHOT_PYTHON || "/usr/bin/python3";
const DASHBOARD = join(REPO_ROOT, "charts/mdb-operator/dashboards/mdbcluster.json");
const OUT = process.env.MDB_SNAPSHOT_OUT || join(REPO_ROOT, "docs/images/dashboard.png");
const RATE_INTERVAL = `${4 * SCRAPE_SECONDS}s`; // Grafana's $__rate_interval for this scrape interval

const log = (line: string) => console.log(`[snapshot] ${line}`);

interface Panel { type: string; title: string; gridPos: { x: number; y: number; w: number; h: number };
  fieldConfig?: { defaults?: { unit?: string; custom?: { stacking?: { mode?: string } } } }; targets?: { expr: string; legendFormat?: string }[] }

/** Runs `npm run demo` (or `npm run demo -- scale N`) against the ground, its output prefixed. */
async function demo(ground: Ground, args: string[]): Promise<void> {
  const env = { ...process.env, KUBECONFIG: ground.kubeconfig, MDB_DEMO_NAMESPACE: NAMESPACE, MDB_DEMO_RELEASE: "mdb-operator", MDB_DEMO_OPERATOR_NAMESPACE: "mdb-system", PATH: `${ground.binDir ? `${ground.binDir}:` : ""}${process.env.PATH}` };
  const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, "scripts/demo/main.ts"), ...args], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  for (const stream of [child.stdout, child.stderr]) stream.on("data", (b: Buffer) => { for (const l of b.toString().split("\n")) if (l.trim()) console.log(`  [demo] ${l}`); });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`npm run demo ${args.join(" ")} failed (exit ${code})`);
}

async function waitReady(kube: Kube, what: string, timeoutMs = 600_000): Promise<MdbCluster> {
  const deadline = Date.now() + timeoutMs;
  await sleep(5_000); // the operator sees the change first
  for (;;) {
    const c = kube.getJson<MdbCluster>(["mdb", NAME, "-n", NAMESPACE]);
    if (c && isReady(c) && c.status?.plan?.phase !== "Running") return c;
    if (Date.now() > deadline) throw new Error(`${NAMESPACE}/${NAME} not Ready ${timeoutMs / 1000} s after ${what}`);
    await sleep(2_000);
  }
}

const seeds = (c: MdbCluster) => (c.status?.members ?? []).filter((m) => m.ip).map((m) => ({ host: m.ip!, port: 6379 }));

/** The panels of the dashboard with their series from Prometheus over [start, end]. */
async function panelData(prom: LocalPrometheus, start: number, end: number) {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { title: string; panels: Panel[] };
  const step = Math.max(SCRAPE_SECONDS, Math.ceil((end - start) / 300));
  const vars = (s: string) => s.replaceAll("$namespace", NAMESPACE).replaceAll("$cluster", NAME).replaceAll("$__rate_interval", RATE_INTERVAL);
  const legend = (format: string | undefined, metric: Record<string, string>) =>
    (format ?? "").replace(/\{\{\s*(\w+)\s*\}\}/g, (_, l: string) => metric[l] ?? "") || JSON.stringify(metric);
  const panels = [];
  for (const p of dashboard.panels) {
    const series: { label: string; t: number[]; v: (number | null)[] }[] = [];
    for (const target of p.targets ?? []) {
      const result: Series[] = await prom.queryRange(vars(target.expr), start, end, step);
      for (const s of result) series.push({ label: legend(target.legendFormat, s.metric), t: s.values.map(([t]) => t - start), v: s.values.map(([, v]) => (Number.isFinite(Number(v)) ? Number(v) : null)) });
    }
    panels.push({ type: p.type, title: p.title, gridPos: p.gridPos, unit: p.fieldConfig?.defaults?.unit ?? "short", stacked: p.fieldConfig?.defaults?.custom?.stacking?.mode === "normal", series });
  }
  return { title: `${dashboard.title} — ${NAMESPACE}/${NAME}`, start, end, panels };
}

async function main(): Promise<void> {
  if (!statSync(PROMETHEUS_BIN, { throwIfNoEntry: false })) throw new Error(`${PROMETHEUS_BIN} is missing: apt-get install -y prometheus (or set MDB_PROMETHEUS_BIN)`);
  if (spawnSync(PYTHON, ["-c", "import matplotlib"]).status !== 0) throw new Error(`${PYTHON} has no matplotlib: apt-get install -y python3-matplotlib (or set MDB_SNAPSHOT_PYTHON)`);
  const dir = mkdtempSync(join(tmpdir(), "mdb-dashboard-"));
  let ground: Ground | undefined;
  const prom = new LocalPrometheus(dir);
  let writer: Writer | undefined;
  let refresh: NodeJS.Timeout | undefined;
  let kube: Kube | undefined;
  let operatorInstalledHere = false;
  try {
    ground = await acquireGround((l) => log(`cluster:up ${l}`));
    kube = new Kube(ground.binDir, ground.kubeconfig);
    await prom.start();
    log(`prometheus (pid ${prom.pid}) at ${prom.url}, data in ${dir}`);
    const k = kube;
    const sync = () => {
      try {
        const pods = k.getJson<{ items: Parameters<typeof targetsOf>[0] }>(["pods", "-A"])?.items ?? [];
        prom.writeTargets(targetsOf(pods));
      } catch (err) { log(`targets: ${(err as Error).message}`); }
    };
    sync();
    refresh = setInterval(sync, 3_000);
    const start = Math.floor(Date.now() / 1000);
    operatorInstalledHere = !kube.run("helm", ["status", "mdb-operator", "-n", "mdb-system"]).ok;

    log("operator and MdbCluster, as npm run demo installs them");
    await demo(ground, []);
    const ready = await waitReady(kube, "the demo");
    const secret = kube.kubectl(["get", "secret", ready.status!.secretName!, "-n", NAMESPACE, "-o", "jsonpath={.data.password}"]);
    writer = new Writer(seeds(ready), Buffer.from(secret, "base64").toString("utf8"), "dashboard");
    writer.start(2);
    log(`a client writes; targets: ${(await prom.activeTargets()).map((t) => `${t.scrapeUrl} ${t.health}`).join(", ")}`);
    await sleep(PHASE_SECONDS * 1000);

    const primary = ready.status?.members?.find((m) => m.role === "primary" && m.shard === 0) ?? ready.status?.members?.find((m) => m.role === "primary");
    log(`failover: deleting the primary's pod ${NAMESPACE}/${primary?.name}`);
    kube.kubectl(["delete", "pod", primary!.name!, "-n", NAMESPACE, "--wait=false"]);
    await waitReady(kube, "the failover");
    await sleep(PHASE_SECONDS * 1000);

    // A cap per slot stream, so the move lasts long enough for the scrapes to see it and its latency guard.
    log(`scale: 3 → 4 shards, slots moved at most ${MIGRATION_KEYS_PER_SECOND} keys/s per stream`);
    kube.kubectl(["patch", "mdb", NAME, "-n", NAMESPACE, "--type=merge", "-p", JSON.stringify({ spec: { migration: { rate: { keysPerSecond: MIGRATION_KEYS_PER_SECOND } } } })]);
    await demo(ground, ["scale", "4"]);
    await waitReady(kube, "the scale");
    await sleep(PHASE_SECONDS * 1000);

    const after = kube.getJson<MdbCluster>(["mdb", NAME, "-n", NAMESPACE]);
    const report = await writer.stop(after ? seeds(after) : undefined);
    writer = undefined;
    log(`writer: ${report.acknowledged} acknowledged, ${report.failed} failed, ${report.unknown} unknown, ${report.lost.length} lost`);
    await sleep(2 * SCRAPE_SECONDS * 1000);

    const end = Math.floor(Date.now() / 1000);
    const data = await panelData(prom, start, end);
    for (const p of data.panels) if (p.type === "timeseries") log(`${p.title}: ${p.series.length} series`);
    writeFileSync(join(dir, "panels.json"), JSON.stringify(data));
    mkdirSync(join(OUT, ".."), { recursive: true });
    const r = spawnSync(PYTHON, [join(REPO_ROOT, "scripts/dashboard/render.py"), join(dir, "panels.json"), OUT], { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`render.py failed (exit ${r.status})`);
    log(`wrote ${OUT} (${Math.round(statSync(OUT).size / 1024)} KB)`);
  } finally {
    if (refresh) clearInterval(refresh);
    await writer?.abort();
    await prom.stop();
    if (kube && process.env.MDB_SNAPSHOT_KEEP !== "1" && !ground?.startedHere) {
      kube.run("kubectl", ["delete", "mdb", NAME, "-n", NAMESPACE, "--timeout=120s"]);
      kube.run("kubectl", ["delete", "namespace", NAMESPACE, "--timeout=120s"]);
      if (operatorInstalledHere) kube.run("helm", ["uninstall", "mdb-operator", "-n", "mdb-system"]);
    }
    await releaseGround(ground, (l) => log(`cluster:down ${l}`));
    if (process.env.MDB_SNAPSHOT_KEEP !== "1") rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(`✖ dashboard:snapshot failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
