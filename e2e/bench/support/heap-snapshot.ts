// Heap snapshots of a process in a container of this machine (bench:footprint's BENCH_HEAP_SNAPSHOTS):
// the process runs with --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=/tmp, so SIGUSR2 makes it
// write Heap.*.heapsnapshot into its /tmp, which the host reads through /proc/<pid>/root. Summaries
// group the snapshot's nodes by type and constructor name, with their self sizes.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { sleep } from "../../../common/wait.ts";

/** The operator's NODE_OPTIONS for the chart with heap snapshots on SIGUSR2 (the chart's default flags first). */
export const SNAPSHOT_NODE_OPTIONS = "--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=/tmp";

/** Signals `pid`, waits for its snapshot to be written and copies it to `dir` as `name`.heapsnapshot. */
export async function takeHeapSnapshot(pid: number, dir: string, name: string): Promise<string> {
  const tmp = `/proc/${pid}/root/tmp`;
  const before = new Set(readdirSync(tmp));
  process.kill(pid, "SIGUSR2");
  for (let i = 0; i < 600; i++) {
    await sleep(500);
    const file = readdirSync(tmp).find((f) => f.endsWith(".heapsnapshot") && !before.has(f));
    if (!file) continue;
    const path = join(tmp, file);
    const size = statSync(path).size;
    await sleep(1000);
    if (size === 0 || statSync(path).size !== size) continue;
    mkdirSync(dir, { recursive: true });
    const out = join(dir, `${name}.heapsnapshot`);
    copyFileSync(path, out);
    rmSync(path, { force: true });
    return out;
  }
  throw new Error(`pid ${pid} wrote no heap snapshot into ${tmp} within 5 minutes (was it started with ${SNAPSHOT_NODE_OPTIONS}?)`);
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size by "type:name" (e.g. "object:Map", "string", "code"), largest first. */
export function heapSummary(file: string): Map<string, { count: number; bytes: number }> {
  const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const types = snap.snapshot.meta.node_types[0];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt]];
    const key = type === "object" || type === "closure" ? `${type}:${snap.strings[snap.nodes[i + nameAt]]}` : type;
    const entry = out.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snap.nodes[i + sizeAt];
    out.set(key, entry);
  }
  return new Map([...out].sort((a, b) => b[1].bytes - a[1].bytes));
}
