// `npm run demo -- scale N` (docs/usage.md#scale): spec.shards of the demo's MdbCluster patched to N,
// then a live progress bar (status.migration, the plan's steps and waves) and each new Event of the
// cluster (WaveDone per wave, condition changes) until it is Ready with N shards owning slots.
import { sleep } from "../../common/wait.ts";
import type { MdbCluster } from "../../operator/src/api/generated/mdbcluster.ts";
import { DemoError, type Kube } from "./kube.ts";
import { stepsWaiting } from "./report.ts";
import { scaleDone, scaleLine } from "./scale-report.ts";

interface EventItem { metadata: { uid: string }; reason?: string; message?: string; type?: string; lastTimestamp?: string; eventTime?: string }

export interface ScaleOptions { name: string; namespace: string; shards: number; timeoutSeconds: number }

/** Parses the argument of `scale`: a whole number of shards from 1 to 16384. */
export function parseShards(raw: string | undefined): number {
  const n = Number(raw);
  if (!raw || !Number.isInteger(n) || n < 1 || n > 16384) {
    throw new DemoError("npm run demo -- scale N", `"${raw ?? ""}" is not a number of shards`, "give the shards wanted, e.g. npm run demo -- scale 6");
  }
  return n;
}

export async function scale(kube: Kube, o: ScaleOptions): Promise<MdbCluster> {
  const before = kube.getJson<MdbCluster>(["mdb", o.name, "-n", o.namespace]);
  if (!before) throw new DemoError(`MdbCluster ${o.namespace}/${o.name}`, "it does not exist", "run npm run demo first: it creates the demo cluster");
  const from = before.spec.shards ?? 3;
  // One second earlier than now: a plan the operator writes after the patch is never older than this.
  const since = new Date(Date.now() - 1000).toISOString();
  console.log(`  ${o.namespace}/${o.name}: ${from} → ${o.shards} shards`);
  console.log(`  ${kube.kubectl(["patch", "mdb", o.name, "-n", o.namespace, "--type=merge", "-p", JSON.stringify({ spec: { shards: o.shards } })]).trim()}`);
  const seen = new Set<string>();
  for (const e of events(kube, o)) seen.add(e.metadata.uid);
  const tty = Boolean(process.stdout.isTTY);
  const started = Date.now();
  const deadline = started + o.timeoutSeconds * 1000;
  let last = "";
  let lastPrinted = 0;
  for (;;) {
    const c = kube.getJson<MdbCluster>(["mdb", o.name, "-n", o.namespace]);
    if (!c) throw new DemoError(`MdbCluster ${o.namespace}/${o.name}`, "it vanished while the demo waited", "apply it again: npm run demo");
    const fresh = events(kube, o).filter((e) => !seen.has(e.metadata.uid));
    const elapsed = `[${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s]`;
    if (fresh.length > 0 && tty) process.stdout.write("\r\x1b[2K");
    for (const e of fresh) {
      seen.add(e.metadata.uid);
      console.log(`  ${elapsed} event ${e.type ?? "Normal"} ${e.reason ?? ""}: ${e.message ?? ""}`);
    }
    const line = `${elapsed} ${scaleLine(c, since)}`;
    const done = scaleDone(c, o.shards, since);
    // On a terminal the bar is redrawn in place; in a log, a line on each change and every 30 s.
    if (tty) {
      process.stdout.write(`\r\x1b[2K  ${line.slice(0, (process.stdout.columns || 160) - 3)}`);
      if (done) process.stdout.write("\n");
    } else if (line.replace(/^\[\s*\d+s\] /, "") !== last.replace(/^\[\s*\d+s\] /, "") || Date.now() - lastPrinted > 30_000 || done) {
      console.log(`  ${line}`);
      lastPrinted = Date.now();
    }
    last = line;
    if (done) {
      console.log(`  Ready with ${o.shards} shards after ${Math.round((Date.now() - started) / 1000)} s`);
      return c;
    }
    if (Date.now() > deadline) {
      if (tty) process.stdout.write("\n");
      throw new DemoError(`MdbCluster ${o.namespace}/${o.name} did not finish scaling to ${o.shards} shards`, [last, ...stepsWaiting(c)].join("\n"),
        `kubectl describe mdb ${o.name} -n ${o.namespace} shows the plan and its step messages; wait longer with MDB_DEMO_READY_TIMEOUT_SECONDS`);
    }
    await sleep(1000);
  }
}

/** The cluster's Events, oldest first. */
function events(kube: Kube, o: ScaleOptions): EventItem[] {
  const list = kube.getJson<{ items: EventItem[] }>(["events", "-n", o.namespace, "--field-selector", `involvedObject.name=${o.name},involvedObject.kind=MdbCluster`]);
  const when = (e: EventItem) => e.lastTimestamp ?? e.eventTime ?? "";
  return [...(list?.items ?? [])].sort((a, b) => when(a).localeCompare(when(b)));
}
