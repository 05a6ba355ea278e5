// The member's Prometheus metrics (pure): the definitions, and their samples from what the sidecar
// last observed of its engine (INFO, CLUSTER INFO, CLUSTER NODES), its own state and the migration it
// drives (docs/operations.md#member-metrics). Engine metrics take the names the common Redis exporter
// gives them, so its dashboards and alerts apply; what only mdb knows is named mdb_member_*. Nothing
// is invented: a value the engine did not report is left out (an engine that does not answer has
// redis_up 0 and no engine series at all).
import { infoFields } from "../../../common/engine-replies.ts";
import { engineIdentityOf } from "../../../common/engine-image.ts";
import { countSlots } from "../../../common/slots.ts";
import type { MigrationProgress } from "../migration/request.ts";
import type { EngineSnapshot } from "./engine.ts";
import { memberStates, type MemberStateName } from "./state-machine.ts";

export type MetricType = "gauge" | "counter";

export interface MetricDefinition { name: string; type: MetricType; help: string; labelNames: readonly string[] }

export interface Sample { name: string; labels: Record<string, string>; value: number }

/** What the samples are taken from. */
export interface MemberMetricsView {
  state: MemberStateName;
  ready: boolean;
  snapshot: EngineSnapshot;
  /** The migration this member drives (as its target), with its last progress report. */
  migration: { slotsTotal: number; progress: MigrationProgress | undefined } | undefined;
  nowMs: number;
}

const def = (name: string, type: MetricType, help: string, labelNames: readonly string[] = []): MetricDefinition => ({ name, type, help, labelNames });
const PRIMARY_SIDE = ["slave_ip", "slave_port", "slave_state"] as const;
const REPLICA_SIDE = ["master_host", "master_port"] as const;

/** Every metric a member serves, in the order /metrics lists them (the docs' table follows it). */
export const MEMBER_METRICS: readonly MetricDefinition[] = [
  def("redis_up", "gauge", "1 when the engine answered the sidecar's last observation, else 0."),
  def("redis_instance_info", "gauge", "Always 1, labelled with the engine's role (master, slave), INFO redis_version and the engine and its version.", ["role", "redis_version", "engine", "engine_version"]),
  def("redis_uptime_in_seconds", "gauge", "Seconds since the engine process started."),
  def("redis_memory_used_bytes", "gauge", "Memory the engine's allocator holds (INFO used_memory)."),
  def("redis_memory_max_bytes", "gauge", "The engine's maxmemory in bytes; 0 = no limit."),
  def("redis_connected_clients", "gauge", "Client connections to the engine (the sidecar's own included)."),
  def("redis_commands_processed_total", "counter", "Commands the engine processed since it started."),
  def("redis_instantaneous_ops_per_sec", "gauge", "Commands per second, as the engine samples it."),
  def("redis_keyspace_hits_total", "counter", "Key lookups that found the key."),
  def("redis_keyspace_misses_total", "counter", "Key lookups that did not find the key."),
  def("redis_expired_keys_total", "counter", "Keys removed because they expired."),
  def("redis_evicted_keys_total", "counter", "Keys evicted under maxmemory."),
  def("redis_db_keys", "gauge", "Keys in the database (a cluster engine has db0 only).", ["db"]),
  def("redis_db_keys_expiring", "gauge", "Keys with an expiry in the database.", ["db"]),
  def("redis_connected_slaves", "gauge", "Replicas connected to this engine."),
  def("redis_master_repl_offset", "gauge", "The engine's replication offset (a primary's stream position; a replica's copy of its primary's)."),
  def("redis_connected_slave_offset_bytes", "gauge", "On a primary: the offset each replica acknowledged.", PRIMARY_SIDE),
  def("redis_connected_slave_lag_seconds", "gauge", "On a primary: seconds since each replica last acknowledged.", PRIMARY_SIDE),
  def("redis_master_link_up", "gauge", "On a replica: 1 while its link to its primary is up.", REPLICA_SIDE),
  def("redis_master_sync_in_progress", "gauge", "On a replica: 1 while a full sync from its primary runs.", REPLICA_SIDE),
  def("redis_master_last_io_seconds_ago", "gauge", "On a replica: seconds since its primary last sent anything (-1 while the link is down).", REPLICA_SIDE),
  def("redis_slave_repl_offset", "gauge", "On a replica: the offset of its primary's stream it has processed.", REPLICA_SIDE),
  def("redis_cluster_state", "gauge", "1 when the engine's cluster_state is ok (it serves), else 0."),
  def("redis_cluster_slots_assigned", "gauge", "Slots the engine sees assigned to some node."),
  def("redis_cluster_slots_ok", "gauge", "Assigned slots whose owner the engine sees healthy."),
  def("redis_cluster_slots_pfail", "gauge", "Assigned slots whose owner the engine suspects failed."),
  def("redis_cluster_slots_fail", "gauge", "Assigned slots whose owner the cluster agreed has failed."),
  def("redis_cluster_known_nodes", "gauge", "Nodes the engine knows, itself included."),
  def("redis_cluster_size", "gauge", "Primaries that own at least one slot, as the engine sees them."),
  def("redis_cluster_current_epoch", "gauge", "The cluster's current epoch as the engine sees it."),
  def("redis_cluster_my_epoch", "gauge", "The engine's own config epoch."),
  def("mdb_member_state", "gauge", "1 for the member's state in the sidecar's state machine, 0 for the others.", ["state"]),
  def("mdb_member_ready", "gauge", "1 while the member serves its role (its /readyz is 200)."),
  def("mdb_member_slots", "gauge", "Slots this engine owns, and those it is importing or migrating.", ["state"]),
  def("mdb_member_replica_lag_bytes", "gauge", "On a primary: how far each replica's acknowledged offset is behind the primary's.", ["replica_ip", "replica_port"]),
  def("mdb_member_observation_age_seconds", "gauge", "Age of the observation of the engine these values come from."),
  def("mdb_member_migration_running", "gauge", "1 while this member (a move's target) drives a slot migration."),
  def("mdb_member_migration_slots", "gauge", "Slots of the running migration by state (total, done, failed).", ["state"]),
  def("mdb_member_migration_keys_moved", "gauge", "Keys the running migration has moved."),
  def("mdb_member_migration_keys_per_second", "gauge", "Keys per second the running migration moves now."),
  def("mdb_member_migration_guard_probe_p99_milliseconds", "gauge", "The latency guard's p99 of its PING probes to source and target over its last window."),
  def("mdb_member_migration_guard_baseline_p99_milliseconds", "gauge", "The guard's idle p99 of the probes, measured before the move (or lower since)."),
  def("mdb_member_migration_guard_budget_milliseconds", "gauge", "The p99 the guard keeps the probes under."),
  def("mdb_member_migration_guard_level", "gauge", "The guard's pace level: 1 = the configured pace, lower = slowed for the clients."),
];

/** A number from an INFO-like map; undefined when the engine did not report it. */
function reported(map: ReadonlyMap<string, string>, key: string): number | undefined {
  const text = map.get(key);
  if (text === undefined || text === "") return undefined;
  const v = Number(text);
  return Number.isFinite(v) ? v : undefined;
}

/** The samples of every metric for this view (a metric with none is not served). */
export function memberSamples(view: MemberMetricsView): Sample[] {
  const out: Sample[] = [];
  const add = (name: string, value: number | undefined, labels: Record<string, string> = {}) => {
    if (value !== undefined) out.push({ name, labels, value });
  };
  const { snapshot: s } = view;
  add("redis_up", s.up ? 1 : 0);
  if (s.up) engineSamples(s, add);
  for (const state of memberStates) add("mdb_member_state", state === view.state ? 1 : 0, { state });
  add("mdb_member_ready", view.ready ? 1 : 0);
  if (s.up && s.myself) {
    add("mdb_member_slots", countSlots(s.myself.slots), { state: "owned" });
    add("mdb_member_slots", s.myself.importing.length, { state: "importing" });
    add("mdb_member_slots", s.myself.migrating.length, { state: "migrating" });
  }
  add("mdb_member_observation_age_seconds", Math.max(0, view.nowMs - s.observedAtMs) / 1000);
  migrationSamples(view.migration, add);
  return out;
}

type Add = (name: string, value: number | undefined, labels?: Record<string, string>) => void;

function engineSamples(s: EngineSnapshot, add: Add): void {
  const { info, clusterInfo } = s;
  const identity = engineIdentityOf(info);
  add("redis_instance_info", 1, { role: info.get("role") ?? "", redis_version: info.get("redis_version") ?? "", engine: identity?.name ?? "", engine_version: identity?.version ?? "" });
  const direct: [metric: string, field: string][] = [
    ["redis_uptime_in_seconds", "uptime_in_seconds"], ["redis_memory_used_bytes", "used_memory"], ["redis_memory_max_bytes", "maxmemory"],
    ["redis_connected_clients", "connected_clients"], ["redis_commands_processed_total", "total_commands_processed"],
    ["redis_instantaneous_ops_per_sec", "instantaneous_ops_per_sec"], ["redis_keyspace_hits_total", "keyspace_hits"],
    ["redis_keyspace_misses_total", "keyspace_misses"], ["redis_expired_keys_total", "expired_keys"], ["redis_evicted_keys_total", "evicted_keys"],
    ["redis_connected_slaves", "connected_slaves"], ["redis_master_repl_offset", "master_repl_offset"],
  ];
  for (const [metric, field] of direct) add(metric, reported(info, field));
  // INFO keyspace lists only databases that hold keys: an empty db0 is 0 keys, not unknown.
  const db0 = infoFields(info.get("db0") ?? "keys=0,expires=0");
  add("redis_db_keys", Number(db0.get("keys") ?? 0), { db: "db0" });
  add("redis_db_keys_expiring", Number(db0.get("expires") ?? 0), { db: "db0" });
  replicationSamples(info, add);
  add("redis_cluster_state", clusterInfo.get("cluster_state") === "ok" ? 1 : 0);
  for (const field of ["slots_assigned", "slots_ok", "slots_pfail", "slots_fail", "known_nodes", "size", "current_epoch", "my_epoch"]) {
    add(`redis_cluster_${field}`, reported(clusterInfo, `cluster_${field}`));
  }
}

function replicationSamples(info: ReadonlyMap<string, string>, add: Add): void {
  const primaryOffset = reported(info, "master_repl_offset");
  for (const [key, value] of info) {
    if (!/^slave\d+$/.test(key)) continue;
    const r = infoFields(value);
    const labels = { slave_ip: r.get("ip") ?? "", slave_port: r.get("port") ?? "", slave_state: r.get("state") ?? "" };
    const offset = reported(r, "offset");
    add("redis_connected_slave_offset_bytes", offset, labels);
    add("redis_connected_slave_lag_seconds", reported(r, "lag"), labels);
    if (offset !== undefined && primaryOffset !== undefined) add("mdb_member_replica_lag_bytes", Math.max(0, primaryOffset - offset), { replica_ip: labels.slave_ip, replica_port: labels.slave_port });
  }
  if (info.get("role") !== "slave") return;
  const labels = { master_host: info.get("master_host") ?? "", master_port: info.get("master_port") ?? "" };
  add("redis_master_link_up", info.get("master_link_status") === "up" ? 1 : 0, labels);
  add("redis_master_sync_in_progress", reported(info, "master_sync_in_progress"), labels);
  add("redis_master_last_io_seconds_ago", reported(info, "master_last_io_seconds_ago"), labels);
  add("redis_slave_repl_offset", reported(info, "slave_repl_offset"), labels);
}

function migrationSamples(migration: MemberMetricsView["migration"], add: Add): void {
  add("mdb_member_migration_running", migration ? 1 : 0);
  if (!migration) return;
  const p = migration.progress;
  add("mdb_member_migration_slots", migration.slotsTotal, { state: "total" });
  add("mdb_member_migration_slots", p?.slotsDone ?? 0, { state: "done" });
  add("mdb_member_migration_slots", p?.slotsFailed ?? 0, { state: "failed" });
  add("mdb_member_migration_keys_moved", p?.keysMoved ?? 0);
  add("mdb_member_migration_keys_per_second", p?.keysPerSecond ?? 0);
  const g = p?.guard;
  if (!g?.enabled) return;
  add("mdb_member_migration_guard_probe_p99_milliseconds", g.observedP99Ms);
  add("mdb_member_migration_guard_baseline_p99_milliseconds", g.baselineP99Ms);
  add("mdb_member_migration_guard_budget_milliseconds", g.budgetMs);
  add("mdb_member_migration_guard_level", g.level);
}
