// The operator's metrics: what a cluster's status says, counted once per plan, and served on /metrics.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { MdbClusterStatus } from "../../src/api/types.ts";
import { OperatorMetrics, startMetricsServer } from "../../src/runtime/metrics.ts";

const status = (phase: "Running" | "Succeeded", extra: Partial<MdbClusterStatus> = {}): MdbClusterStatus => ({
  members: [{ name: "c-0-0", state: "ACTIVE" }, { name: "c-0-1", state: "STANDBY" }, { name: "c-1-0", state: "ACTIVE" }, { name: "c-1-1", state: "Lost" }],
  shardDetails: [{ index: 0, slots: "0-8191" }, { index: 1, slots: "8192-16000" }],
  plan: {
    id: "failover-1", kind: "failover", phase, startedAt: "2026-12-06T10:00:00.000Z", ...(phase === "Succeeded" ? { finishedAt: "2026-12-06T10:00:01.500Z" } : {}),
    steps: [{ id: "switchover/1/c-1-1", kind: "switchover", state: phase === "Running" ? "running" : "done" }], progress: { keysMoved: 0, bytesMoved: 0 },
  },
  ...extra,
});

describe("operator metrics", () => {
  test("members by state, slots served, steps by kind and state; a plan that ends is counted once with its failover duration", async () => {
    const m = new OperatorMetrics(() => 3);
    m.setLeader(true);
    m.clusterStatus("ns", "c", undefined, status("Running"));
    m.clusterStatus("ns", "c", status("Running"), status("Succeeded"));
    m.clusterStatus("ns", "c", status("Succeeded"), status("Succeeded"));
    m.reconciled(0.02);
    m.reconciled(0.5, "start-plan: conflict");
    const text = await m.registry.metrics();
    for (const line of [
      'mdb_cluster_members{namespace="ns",cluster="c",state="ACTIVE"} 2',
      'mdb_cluster_members{namespace="ns",cluster="c",state="Lost"} 1',
      'mdb_cluster_slots{namespace="ns",cluster="c",state="served"} 16001',
      'mdb_cluster_slots{namespace="ns",cluster="c",state="unserved"} 383',
      'mdb_cluster_plan_steps{namespace="ns",cluster="c",kind="switchover",state="done"} 1',
      'mdb_operator_plans_total{kind="failover",result="Succeeded"} 1',
      "mdb_operator_failover_duration_seconds_sum 1.5",
      "mdb_operator_workqueue_depth 3",
      "mdb_operator_leader 1",
      'mdb_operator_reconcile_errors_total{action="start-plan"} 1',
    ]) assert.ok(text.includes(line), `${line} in:\n${text.split("\n").filter((l) => l.startsWith("mdb_c") || l.startsWith("mdb_operator_p")).join("\n")}`);
    assert.ok(!text.includes('state="running"} 1'), "the running step's series went away when it was done");
    m.forget("ns/c");
    assert.ok(!(await m.registry.metrics()).includes('cluster="c"'), "a deleted cluster's series are removed");
  });

  test("served on /metrics in the Prometheus text format", async () => {
    const m = new OperatorMetrics(() => 0);
    const server = await startMetricsServer(0, m);
    try {
      const port = (server.address() as { port: number }).port;
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /text\/plain/);
      assert.match(await res.text(), /^# HELP mdb_operator_reconcile_duration_seconds/m);
      assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
    } finally {
      server.close();
    }
  });
});
