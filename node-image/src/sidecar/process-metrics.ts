// The sidecar's own process metrics (mdb_sidecar_process_*, mdb_sidecar_nodejs_*), read at each scrape:
// the names and meanings Prometheus's client libraries give them, so the usual process dashboards read
// them. Nothing runs between scrapes (no timer, no observer of the collector).
import { readdirSync } from "node:fs";
import type { MetricDefinition, MetricType, Sample } from "./engine-metrics.ts";

const PREFIX = "mdb_sidecar_";
const def = (name: string, type: MetricType, help: string, labelNames: readonly string[] = []): MetricDefinition => ({ name: PREFIX + name, type, help, labelNames });

export const PROCESS_METRICS: readonly MetricDefinition[] = [
  def("process_cpu_user_seconds_total", "counter", "User CPU time spent in seconds."),
  def("process_cpu_system_seconds_total", "counter", "System CPU time spent in seconds."),
  def("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds."),
  def("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds."),
  def("process_resident_memory_bytes", "gauge", "Resident memory size in bytes."),
  def("process_open_fds", "gauge", "Number of open file descriptors."),
  def("nodejs_heap_size_total_bytes", "gauge", "Process heap size from Node.js in bytes."),
  def("nodejs_heap_size_used_bytes", "gauge", "Process heap size used from Node.js in bytes."),
  def("nodejs_external_memory_bytes", "gauge", "Node.js external memory size in bytes."),
  def("nodejs_eventloop_lag_seconds", "gauge", "Lag of the event loop in seconds, measured at the scrape."),
  def("nodejs_version_info", "gauge", "Node.js version info.", ["version", "major", "minor", "patch"]),
];

const startTimeSeconds = Math.round(Date.now() / 1000 - process.uptime());

function openFds(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length - 1; // less the descriptor that reads the directory
  } catch {
    return undefined; // not Linux: the metric is left out
  }
}

/** How long a callback queued now waits for the event loop, in seconds. */
function eventLoopLag(): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => setImmediate(() => resolve(Number(process.hrtime.bigint() - start) / 1e9)));
}

export async function processSamples(): Promise<Sample[]> {
  const lag = await eventLoopLag();
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  const [major, minor, patch] = process.versions.node.split(".");
  const samples: Sample[] = [];
  const add = (name: string, value: number | undefined, labels: Record<string, string> = {}) => {
    if (value !== undefined) samples.push({ name: PREFIX + name, labels, value });
  };
  add("process_cpu_user_seconds_total", cpu.user / 1e6);
  add("process_cpu_system_seconds_total", cpu.system / 1e6);
  add("process_cpu_seconds_total", (cpu.user + cpu.system) / 1e6);
  add("process_start_time_seconds", startTimeSeconds);
  add("process_resident_memory_bytes", memory.rss);
  add("process_open_fds", openFds());
  add("nodejs_heap_size_total_bytes", memory.heapTotal);
  add("nodejs_heap_size_used_bytes", memory.heapUsed);
  add("nodejs_external_memory_bytes", memory.external);
  add("nodejs_eventloop_lag_seconds", lag);
  add("nodejs_version_info", 1, { version: process.version, major, minor, patch });
  return samples;
}
