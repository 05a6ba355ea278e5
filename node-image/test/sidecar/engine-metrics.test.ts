// The member's /metrics rendered from what its sidecar observed (engine-metrics.ts through
// metrics-server.ts and exposition.ts): the exporter's names with the engine's own values, the
// member's state, slots, replication and the running migration's guard, labelled with who the member is.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseClusterNodes, parseInfo } from "../../../common/engine-replies.ts";
import { downSnapshot, type EngineSnapshot } from "../../src/sidecar/engine.ts";
import { MEMBER_METRICS, memberSamples, type MemberMetricsView } from "../../src/sidecar/engine-metrics.ts";
import { MemberMetrics } from "../../src/sidecar/metrics-server.ts";
import type { MigrationProgress } from "../../src/migration/request.ts";
import { memberStates } from "../../src/sidecar/state-machine.ts";

const a = "a".repeat(40), b = "b".repeat(40), c = "c".repeat(40);
const identity = { namespace: "ns", cluster: "demo", member: "demo-0-0", shard: 0 };
const L = 'cluster="demo",member="demo-0-0",shard="0"';

/** INFO as a Valkey 9 primary of a 3-shard cluster answers it (the sections the sidecar asks for). */
const PRIMARY_INFO = [
  "# Server", "redis_version:7.2.4", "server_name:valkey", "valkey_version:9.1.2", "run_id:0123", "uptime_in_seconds:120",
  "# Clients", "connected_clients:3",
  "# Memory", "used_memory:2048000", "maxmemory:268435456",
  "# Stats", "total_commands_processed:5000", "instantaneous_ops_per_sec:42", "keyspace_hits:10", "keyspace_misses:2", "expired_keys:1", "evicted_keys:0",
  "# Replication", "role:master", "connected_slaves:1", "slave0:ip=10.246.1.5,port=6379,state=online,offset=9000,lag=1", "master_repl_offset:9500",
  "# Keyspace", "db0:keys=1234,expires=10,avg_ttl=0",
].join("\r\n");
const CLUSTER_INFO = "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:6\r\ncluster_size:3\r\ncluster_current_epoch:6\r\ncluster_my_epoch:2";
const NODES = `${a} 10.246.1.4:6379@16379 myself,master - 0 0 2 connected 0-5460 [5460->-${b}]\n${b} 10.246.2.4:6379@16379 master - 0 0 3 connected 5461-10922\n`
  + `${c} 10.246.1.5:6379@16379 slave ${a} 0 0 2 connected\n`;

function snapshot(info = PRIMARY_INFO, nodes = NODES, clusterInfo = CLUSTER_INFO): EngineSnapshot {
  const parsed = parseClusterNodes(nodes);
  const me = parsed.find((n) => n.myself);
  return { up: true, error: "", runId: "0123", nodeId: me?.id ?? "", nodes: parsed, myself: me, clusterInfo: parseInfo(clusterInfo), info: parseInfo(info), observedAtMs: 1_000 };
}

const view = (over: Partial<MemberMetricsView> = {}): MemberMetricsView => ({ state: "MIGRATING", ready: true, snapshot: snapshot(), migration: undefined, nowMs: 1_250, ...over });

const render = (v: MemberMetricsView) => new MemberMetrics(identity, { processMetrics: false }).render(v);
/** The sample lines of the text (no HELP/TYPE). */
const samples = (text: string) => text.split("\n").filter((l) => l && !l.startsWith("#"));

describe("member metrics", () => {
  test("a primary: the engine's INFO and CLUSTER INFO under the exporter's names, every series labelled cluster, member, shard", async () => {
    const lines = samples(await render(view()));
    for (const line of [
      `redis_up{${L}} 1`,
      `redis_instance_info{role="master",redis_version="7.2.4",engine="valkey",engine_version="9.1.2",${L}} 1`,
      `redis_uptime_in_seconds{${L}} 120`,
      `redis_memory_used_bytes{${L}} 2048000`,
      `redis_memory_max_bytes{${L}} 268435456`,
      `redis_connected_clients{${L}} 3`,
      `redis_commands_processed_total{${L}} 5000`,
      `redis_instantaneous_ops_per_sec{${L}} 42`,
      `redis_keyspace_hits_total{${L}} 10`,
      `redis_db_keys{db="db0",${L}} 1234`,
      `redis_db_keys_expiring{db="db0",${L}} 10`,
      `redis_connected_slaves{${L}} 1`,
      `redis_master_repl_offset{${L}} 9500`,
      `redis_connected_slave_offset_bytes{slave_ip="10.246.1.5",slave_port="6379",slave_state="online",${L}} 9000`,
      `redis_connected_slave_lag_seconds{slave_ip="10.246.1.5",slave_port="6379",slave_state="online",${L}} 1`,
      `mdb_member_replica_lag_bytes{replica_ip="10.246.1.5",replica_port="6379",${L}} 500`,
      `redis_cluster_state{${L}} 1`,
      `redis_cluster_slots_assigned{${L}} 16384`,
      `redis_cluster_known_nodes{${L}} 6`,
      `redis_cluster_size{${L}} 3`,
      `redis_cluster_my_epoch{${L}} 2`,
      `mdb_member_slots{state="owned",${L}} 5461`,
      `mdb_member_slots{state="importing",${L}} 0`,
      `mdb_member_slots{state="migrating",${L}} 1`,
      `mdb_member_state{state="MIGRATING",${L}} 1`,
      `mdb_member_state{state="ACTIVE",${L}} 0`,
      `mdb_member_ready{${L}} 1`,
      `mdb_member_observation_age_seconds{${L}} 0.25`,
      `mdb_member_migration_running{${L}} 0`,
    ]) assert.ok(lines.includes(line), `missing ${line} in:\n${lines.join("\n")}`);
    assert.equal(lines.filter((l) => l.startsWith("mdb_member_state{")).length, memberStates.length, "one series per state");
    assert.ok(!lines.some((l) => l.startsWith("redis_master_link_up")), "a primary has no link to a primary");
    assert.ok(!lines.some((l) => l.startsWith("mdb_member_migration_guard")), "no migration, no guard");
  });

  test("a replica: its link to its primary, the offset it processed; an empty keyspace is 0 keys", async () => {
    const info = PRIMARY_INFO.replace("role:master", "role:slave\r\nmaster_host:10.246.1.4\r\nmaster_port:6379\r\nmaster_link_status:up\r\nmaster_last_io_seconds_ago:0\r\nmaster_sync_in_progress:0\r\nslave_repl_offset:9400")
      .replace(/slave0:[^\r]*\r\n/, "").replace("connected_slaves:1", "connected_slaves:0").replace(/db0:[^\r]*/, "");
    const nodes = `${a} 10.246.1.5:6379@16379 myself,slave ${b} 0 0 2 connected\n${b} 10.246.1.4:6379@16379 master - 0 0 2 connected 0-16383\n`;
    const lines = samples(await render(view({ state: "STANDBY", snapshot: snapshot(info, nodes) })));
    const M = 'master_host="10.246.1.4",master_port="6379"';
    for (const line of [
      `redis_master_link_up{${M},${L}} 1`, `redis_master_sync_in_progress{${M},${L}} 0`, `redis_master_last_io_seconds_ago{${M},${L}} 0`,
      `redis_slave_repl_offset{${M},${L}} 9400`, `redis_connected_slaves{${L}} 0`, `redis_db_keys{db="db0",${L}} 0`,
      `mdb_member_slots{state="owned",${L}} 0`, `mdb_member_state{state="STANDBY",${L}} 1`,
    ]) assert.ok(lines.includes(line), `missing ${line} in:\n${lines.join("\n")}`);
  });

  test("an engine that does not answer: redis_up 0 and the member's own state, no engine value (never a made-up 0)", async () => {
    const text = await render(view({ state: "ACTIVE", ready: false, snapshot: downSnapshot("engine 10.246.1.4:6379 is not connected (reconnecting)", 1_000) }));
    const lines = samples(text);
    assert.ok(lines.includes(`redis_up{${L}} 0`));
    assert.ok(lines.includes(`mdb_member_state{state="ACTIVE",${L}} 1`));
    assert.ok(lines.includes(`mdb_member_ready{${L}} 0`));
    for (const name of ["redis_memory_used_bytes", "redis_db_keys", "redis_cluster_state", "redis_commands_processed_total", "mdb_member_slots"]) {
      assert.ok(!lines.some((l) => l.startsWith(`${name}{`)), `${name} has no value while the engine is down:\n${text}`);
      assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), `${name} is still declared`);
    }
  });

  test("a migration this member drives: its slots, keys and the latency guard's probe", async () => {
    const progress: MigrationProgress = {
      slotsTotal: 8, slotsDone: 3, slotsFailed: 0, keysMoved: 30_000, bytesMoved: 3_000_000, keysPerSecond: 12_000, bytesPerSecond: 0, activeSlots: [5460], maxSourceBlockMs: 2,
      guard: { enabled: true, baselineP99Ms: 0.5, budgetMs: 2, observedP99Ms: 1.25, level: 0.5, keysPerSecond: 6000, batchKeys: 100, window: 2, parallelSlots: 2, lastAction: "decrease", increases: 1, decreases: 2 },
    };
    const lines = samples(await render(view({ migration: { slotsTotal: 8, progress } })));
    for (const line of [
      `mdb_member_migration_running{${L}} 1`, `mdb_member_migration_slots{state="total",${L}} 8`, `mdb_member_migration_slots{state="done",${L}} 3`,
      `mdb_member_migration_keys_moved{${L}} 30000`, `mdb_member_migration_keys_per_second{${L}} 12000`,
      `mdb_member_migration_guard_probe_p99_milliseconds{${L}} 1.25`, `mdb_member_migration_guard_baseline_p99_milliseconds{${L}} 0.5`,
      `mdb_member_migration_guard_budget_milliseconds{${L}} 2`, `mdb_member_migration_guard_level{${L}} 0.5`,
    ]) assert.ok(lines.includes(line), `missing ${line} in:\n${lines.join("\n")}`);
  });

  test("each scrape shows the view it was given: a value that went away is gone, counters are the engine's own", async () => {
    const metrics = new MemberMetrics(identity, { processMetrics: false });
    const first = samples(await metrics.render(view()));
    assert.ok(first.some((l) => l.startsWith("redis_connected_slave_offset_bytes{")));
    const info = PRIMARY_INFO.replace(/slave0:[^\r]*\r\n/, "").replace("total_commands_processed:5000", "total_commands_processed:7000");
    const second = samples(await metrics.render(view({ snapshot: snapshot(info) })));
    assert.ok(!second.some((l) => l.startsWith("redis_connected_slave_offset_bytes{")), "the replica that left is not shown any more");
    assert.ok(second.includes(`redis_commands_processed_total{${L}} 7000`));
  });

  test("without an identity (a pod of an older operator) the series carry no member labels", async () => {
    const text = await new MemberMetrics({ namespace: "", cluster: "", member: "", shard: undefined }, { processMetrics: false }).render(view());
    assert.ok(samples(text).includes("redis_up 1"), text);
  });

  test("docs/operations.md#member-metrics lists every metric", () => {
    const docs = readFileSync(new URL("../../../docs/operations.md", import.meta.url), "utf8");
    const section = docs.slice(docs.indexOf("### Member metrics"), docs.indexOf("\n## ", docs.indexOf("### Member metrics")));
    assert.deepEqual(MEMBER_METRICS.map((d) => d.name).filter((name) => !section.includes(`\`${name}\``)), []);
  });

  test("every sample is of a defined metric with its declared labels", () => {
    const defined = new Map(MEMBER_METRICS.map((d) => [d.name, d]));
    assert.equal(defined.size, MEMBER_METRICS.length, "no metric is defined twice");
    const progress = { slotsTotal: 1, slotsDone: 0, slotsFailed: 0, keysMoved: 0, bytesMoved: 0, keysPerSecond: 0, bytesPerSecond: 0, activeSlots: [], maxSourceBlockMs: 0, guard: null };
    for (const s of memberSamples(view({ migration: { slotsTotal: 1, progress } }))) {
      const d = defined.get(s.name);
      assert.ok(d, `${s.name} is defined`);
      assert.deepEqual(Object.keys(s.labels).sort(), [...d.labelNames].sort(), s.name);
      assert.ok(Number.isFinite(s.value), `${s.name} is a number`);
    }
  });
});
