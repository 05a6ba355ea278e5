import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { buildStatus, observationOf, significantPart } from "../../src/sidecar/status.ts";
import { downSnapshot, type EngineSnapshot } from "../../src/sidecar/engine.ts";
import { parseClusterNodes, parseInfo } from "../../../common/engine-replies.ts";

const a = "a".repeat(40), b = "b".repeat(40);

/** Fluent fixture: an engine snapshot as the observe loop would build it. */
function snapshot() {
  let nodes = `${a} 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-99 100-200 [300-<-${b}]\n${b} 10.0.0.2:6379@16379 master - 0 0 2 connected 201-16383\n`;
  const info: Record<string, string> = { role: "master", master_repl_offset: "500", used_memory: "1024", maxmemory: "4096", instantaneous_ops_per_sec: "42", connected_slaves: "1", db0: "keys=7,expires=0,avg_ttl=0", run_id: "r1" };
  const clusterInfo: Record<string, string> = { cluster_state: "ok", cluster_known_nodes: "2" };
  const b_ = {
    replicaOf: (id: string) => {
      nodes = `${a} 10.0.0.1:6379@16379 myself,slave ${id} 0 0 1 connected\n${b} 10.0.0.2:6379@16379 master - 0 0 2 connected 0-16383\n`;
      Object.assign(info, { role: "slave", master_host: "10.0.0.2", master_port: "6379", master_link_status: "up", master_sync_in_progress: "0", slave_repl_offset: "480" });
      return b_;
    },
    linkDown: () => ((info.master_link_status = "down"), b_),
    clusterFail: () => ((clusterInfo.cluster_state = "fail"), b_),
    obj: (): EngineSnapshot => {
      const parsed = parseClusterNodes(nodes);
      const text = (r: Record<string, string>) => Object.entries(r).map(([k, v]) => `${k}:${v}`).join("\r\n");
      return { up: true, error: "", runId: "r1", nodeId: a, nodes: parsed, myself: parsed.find((n) => n.myself), clusterInfo: parseInfo(text(clusterInfo)), info: parseInfo(text(info)), observedAtMs: 5 };
    },
  };
  return b_;
}

describe("buildStatus", () => {
  test("a primary: merged slot ranges, importing slots, counters, ready when ACTIVE", () => {
    const s = buildStatus("ACTIVE", snapshot().obj(), null, "");
    assert.deepEqual(s.slots, [{ start: 0, end: 200 }]);
    assert.equal(s.slotsOwned, 201);
    assert.deepEqual(s.importing, [{ slot: 300, nodeId: b }]);
    assert.deepEqual([s.role, s.keys, s.memoryUsedBytes, s.memoryMaxBytes, s.opsPerSecond, s.replication?.offset], ["PRIMARY", 7, 1024, 4096, 42, 500]);
    assert.deepEqual([s.ready, s.notReadyReason], [true, ""]);
  });
  test("a replica: primary, link and offset", () => {
    const s = buildStatus("STANDBY", snapshot().replicaOf(b).obj(), null, "");
    assert.deepEqual([s.role, s.replication?.primaryNodeId, s.replication?.primaryHost, s.replication?.linkUp, s.replication?.offset], ["REPLICA", b, "10.0.0.2", true, 480]);
    assert.equal(s.ready, true);
  });
  test("not ready, with the reason", () => {
    assert.match(buildStatus("STANDBY", snapshot().replicaOf(b).linkDown().obj(), null, "").notReadyReason, /link is down/);
    assert.match(buildStatus("ACTIVE", snapshot().clusterFail().obj(), null, "").notReadyReason, /cluster_state is fail/);
    const down = buildStatus("ACTIVE", downSnapshot("engine 10.0.0.1:6379 is not connected (reconnecting)", 9), null, "");
    assert.deepEqual([down.engineUp, down.ready, down.lastError], [false, false, "engine 10.0.0.1:6379 is not connected (reconnecting)"]);
  });
  test("peers it cannot reach: a link down or a node flagged failing; handshakes are not peers yet", () => {
    assert.deepEqual(buildStatus("ACTIVE", snapshot().obj(), null, "").unreachablePeers, []);
    const c = "c".repeat(40), d = "d".repeat(40), e = "e".repeat(40);
    const snap = snapshot().obj();
    const nodes = parseClusterNodes([
      `${a} 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-99`,
      `${b} 10.0.0.2:6379@16379 master - 0 0 2 disconnected 100-200`,
      `${c} 10.0.0.3:6379@16379 master,fail? - 0 0 3 connected 201-300`,
      `${d} 10.0.0.4:6379@16379 master - 0 0 4 connected 301-16383`,
      `${e} 10.0.0.5:6379@16379 handshake - 0 0 0 disconnected`,
    ].join("\n"));
    const s = buildStatus("ACTIVE", { ...snap, nodes, myself: nodes[0] }, null, "");
    assert.deepEqual(s.unreachablePeers, [{ nodeId: b, host: "10.0.0.2", port: 6379 }, { nodeId: c, host: "10.0.0.3", port: 6379 }]);
    assert.notEqual(significantPart(s), significantPart({ ...s, unreachablePeers: [] }), "a change of reachability is pushed at once");
  });
  test("counters alone are not a significant change; the state is", () => {
    const one = buildStatus("ACTIVE", snapshot().obj(), null, "");
    const other = { ...one, opsPerSecond: 99, keys: 8, observedAtMs: 77 };
    assert.equal(significantPart(one), significantPart(other));
    assert.notEqual(significantPart(one), significantPart({ ...one, state: "MIGRATING" }));
  });
  test("observationOf feeds the state machine", () => {
    assert.deepEqual(observationOf(snapshot().obj()), { nodeId: a, role: "primary", slotsOwned: 201, importingOrMigrating: true, knownPeers: 1, keys: 7 });
  });
});
