// The resident memory of a pod's container on the proving ground, read from this machine's /proc:
// on real nodes the container's processes are those of its cgroup (found by the container id the
// pod's status names); on the pod runner, the process its control socket reports. A container's
// main process is its largest (tini and sh stay small beside node or the engine).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { V1Pod } from "@kubernetes/client-node";
import { sendControl } from "../../local/podrunner/control.ts";

const MEMORY_CGROUPS = "/sys/fs/cgroup/memory";

/** VmRSS of a process in KiB, 0 when it is gone. */
export function rssKiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The main process's resident memory split: anonymous (heap, malloc) and file-backed (the binary's pages), in MiB. */
export interface RssSplit { anonMiB: number; fileMiB: number }

function rssSplit(pid: number | undefined): RssSplit {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { anonMiB: kib("RssAnon") / 1024, fileMiB: kib("RssFile") / 1024 };
  } catch {
    return { anonMiB: 0, fileMiB: 0 };
  }
}

/**
 * The resident memory of `pid` by kind of mapping, in MiB, from /proc/PID/smaps: the program's file,
 * other files, the main malloc heap ([heap]), anonymous mappings of 1 MiB or more (malloc's thread
 * arenas, V8's spaces) and smaller ones. What an anonymous total alone does not tell.
 */
export function mappingKinds(pid: number | undefined): Record<string, number> {
  const kinds: Record<string, number> = {};
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, "utf8");
  } catch {
    return kinds;
  }
  let kind = "";
  for (const line of text.split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const size = parseInt(head[2], 16) - parseInt(head[1], 16);
      const name = head[3];
      kind = name.endsWith("/node") ? "program" : name.startsWith("/") ? "files" : name === "[heap]" ? "malloc [heap]" : name ? name : size >= 2 ** 20 ? "anonymous ≥ 1 MiB" : "anonymous < 1 MiB";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kinds[kind] = (kinds[kind] ?? 0) + Number(rss[1]) / 1024;
  }
  return kinds;
}

/** The memory cgroup directory named `id` under `dir`, searched a few levels down. */
function findCgroup(dir: string, id: string, depth = 0): string | undefined {
  if (depth > 7) return undefined;
  let entries: string[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return undefined;
  }
  for (const name of entries) if (name === id || name.endsWith(id)) return join(dir, name);
  for (const name of entries) {
    const found = findCgroup(join(dir, name), id, depth + 1);
    if (found) return found;
  }
  return undefined;
}

export interface ContainerProbe {
  /** The main process's resident memory now, in MiB (0 once it is gone). */
  rssMiB(): number;
  /** The cgroup's memory usage in MiB (page cache included), where there is a cgroup. */
  cgroupMiB(): number | undefined;
  /** The main process's pid (the largest resident one), undefined once it is gone. */
  mainPid(): number | undefined;
  /** The main process's resident memory now, anonymous and file-backed. */
  split(): RssSplit;
}

/** Finds `container` of `pod` (Running) on this machine; throws naming what it looked for. */
export async function probeContainer(pod: V1Pod, container: string, stateDir: string | undefined): Promise<ContainerProbe> {
  const status = pod.status?.containerStatuses?.find((c) => c.name === container);
  const id = status?.containerID?.replace(/^[a-z]+:\/\//, "");
  const where = `${pod.metadata?.namespace}/${pod.metadata?.name} container ${container}`;
  const cgroup = id && existsSync(MEMORY_CGROUPS) ? findCgroup(MEMORY_CGROUPS, id) : undefined;
  let pids: () => number[];
  if (cgroup) {
    pids = () => { try { return readFileSync(join(cgroup, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number); } catch { return []; } };
  } else if (stateDir) {
    const reply = await sendControl(stateDir, { action: "status" });
    const pods = (reply.data as { pods: { pod: string; containers: { name: string; pid?: number }[] }[] }).pods;
    const pid = pods.find((p) => p.pod === `${pod.metadata?.namespace}/${pod.metadata?.name}`)?.containers.find((c) => c.name === container)?.pid;
    if (!pid) throw new Error(`${where}: no cgroup named ${id ?? "(no container id)"} and no process from the pod runner`);
    pids = () => [pid];
  } else {
    throw new Error(`${where}: not on a proving ground of this machine, so no process to read`);
  }
  if (pids().length === 0) throw new Error(`${where}: its cgroup ${cgroup} has no process`);
  const mainPid = () => pids().map((pid) => ({ pid, kib: rssKiB(pid) })).filter((p) => p.kib > 0).sort((a, b) => b.kib - a.kib)[0]?.pid;
  return {
    rssMiB: () => Math.max(0, ...pids().map(rssKiB)) / 1024,
    mainPid,
    split: () => rssSplit(mainPid()),
    cgroupMiB: () => {
      if (!cgroup) return undefined;
      try { return Number(readFileSync(join(cgroup, "memory.usage_in_bytes"), "utf8")) / 2 ** 20; } catch { return undefined; }
    },
  };
}

/** Samples `probes` every `intervalMs` until stopped; the peak of each, in MiB. */
export function samplePeaks(probes: Record<string, ContainerProbe>, intervalMs = 200): { stop(): Record<string, number> } {
  const peaks: Record<string, number> = Object.fromEntries(Object.keys(probes).map((k) => [k, 0]));
  const tick = () => { for (const [k, p] of Object.entries(probes)) peaks[k] = Math.max(peaks[k], p.rssMiB()); };
  tick();
  const timer = setInterval(tick, intervalMs);
  return { stop: () => { clearInterval(timer); tick(); return peaks; } };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The median of `n` readings `intervalMs` apart: one reading of a steady process. */
export async function steadyMiB(probe: ContainerProbe, n = 5, intervalMs = 500): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i) await new Promise((r) => setTimeout(r, intervalMs)); // sampling cadence, not a wait for a condition
    xs.push(probe.rssMiB());
  }
  return median(xs);
}
