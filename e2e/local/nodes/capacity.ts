// A real kubelet reports the machine's CPUs and memory as its capacity. The topology file's capacity is
// honoured by holding the difference back (systemReserved), so allocatable — what the scheduler and
// the kubelet's admission use — is the topology's; a topology asking for more than the machine has
// gets the machine's, with a warning.
import { cpus, totalmem } from "node:os";
import type { NodeCapacity } from "../controlplane/topology.ts";

export interface Machine { milliCpu: number; memoryBytes: number }

export function machineCapacity(): Machine {
  return { milliCpu: cpus().length * 1000, memoryBytes: totalmem() };
}

/** The kubelet's hard eviction threshold for memory (configs.ts): allocatable is also reduced by it. */
export const EVICTION_MEMORY_BYTES = 100 * 2 ** 20;

const UNITS: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

export function parseCpu(q: string): number {
  return q.endsWith("m") ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000);
}

export function parseBytes(q: string): number {
  const m = /^([0-9.]+)([kMGT]i?)?$/.exec(q);
  if (!m) throw new Error(`memory quantity '${q}' is not understood (use e.g. 512Mi, 4Gi)`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? ""]);
}

/** systemReserved that turns the machine's capacity into the topology's (never negative). */
export function systemReservedFor(wanted: NodeCapacity, machine: Machine): { systemReserved: Record<string, string>; warning?: string } {
  const systemReserved: Record<string, string> = {};
  const over: string[] = [];
  const cpu = parseCpu(wanted.cpu);
  if (cpu < machine.milliCpu) systemReserved.cpu = `${machine.milliCpu - cpu}m`;
  else if (cpu > machine.milliCpu) over.push(`cpu ${wanted.cpu} (machine: ${machine.milliCpu / 1000})`);
  const mem = parseBytes(wanted.memory);
  if (mem + EVICTION_MEMORY_BYTES < machine.memoryBytes) systemReserved.memory = `${Math.floor((machine.memoryBytes - mem - EVICTION_MEMORY_BYTES) / 2 ** 20)}Mi`;
  else if (mem > machine.memoryBytes) over.push(`memory ${wanted.memory} (machine: ${Math.floor(machine.memoryBytes / 2 ** 30)}Gi)`);
  return over.length === 0 ? { systemReserved } : {
    systemReserved,
    warning: `the topology asks for more than this machine has: ${over.join(", ")}; the node reports the machine's value (a real kubelet cannot report more)`,
  };
}
