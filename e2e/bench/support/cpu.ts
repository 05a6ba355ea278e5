// CPU accounting for the benchmark, from /proc (Linux): the whole machine's busy share and the CPU
// seconds the engines spent.
import { readFileSync } from "node:fs";
import type { EngineProcess } from "../../../testing/engines.ts";

/** Jiffies since boot over all cores: busy (not idle or iowait) and total; undefined off Linux. */
export function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - fields[3] - (fields[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat; undefined off Linux. */
function processCpuSeconds(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** The kernel's USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

export function enginesCpuSeconds(engines: readonly EngineProcess[]): number | undefined {
  let total = 0;
  for (const e of engines) {
    const s = processCpuSeconds(e.pid);
    if (s === undefined) return undefined;
    total += s;
  }
  return total;
}

