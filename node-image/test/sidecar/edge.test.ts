// The gRPC edge: requests become checked commands (requests.ts), results become messages
// (responses.ts), and only the server's files speak proto.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  assignSlotsCommand, cancelMigrationCommand, forgetNodeCommand, joinClusterCommand, promoteCommand, replicateFromCommand,
} from "../../src/sidecar/requests.ts";
import { migrationProgressMessage, statusMessage } from "../../src/sidecar/responses.ts";
import { InvalidArgumentError } from "../../src/sidecar/errors.ts";
import type { MemberStatus } from "../../src/sidecar/status.ts";

const refusesField = (fn: () => unknown, field: string, pattern = /./) =>
  assert.throws(fn, (err: unknown) => err instanceof InvalidArgumentError && err.field === field && pattern.test(err.message));
const NODE = "a".repeat(40);

describe("requests become checked commands", () => {
  test("JoinCluster: addresses with bus ports, the default timeout", () =>
    assert.deepEqual(joinClusterCommand({ peers: [{ host: "10.0.0.2", port: 6379, busPort: 0 }], timeoutMs: 0 }), { peers: [{ host: "10.0.0.2", port: 6379, busPort: 16379 }], timeoutMs: 10_000 }));
  test("JoinCluster: no peers", () => refusesField(() => joinClusterCommand({ peers: [], timeoutMs: 0 }), "peers"));
  test("JoinCluster: a DNS name cannot be met", () =>
    refusesField(() => joinClusterCommand({ peers: [{ host: "m-0.mdb.ns.svc", port: 6379, busPort: 0 }], timeoutMs: 0 }), "peers[0].host", /must be an IP address/));
  test("JoinCluster: a timeout too long", () => refusesField(() => joinClusterCommand({ peers: [{ host: "10.0.0.2", port: 6379, busPort: 0 }], timeoutMs: 200_000 }), "timeoutMs"));
  test("AssignSlots: sorted ranges", () => assert.deepEqual(assignSlotsCommand({ slots: [{ start: 9, end: 9 }, { start: 0, end: 3 }] }), { slots: [{ start: 0, end: 3 }, { start: 9, end: 9 }] }));
  test("ReplicateFrom: the node id first", () => refusesField(() => replicateFromCommand({ primaryNodeId: "x", timeoutMs: 1 }), "primaryNodeId"));
  test("ReplicateFrom: the default timeout", () => assert.deepEqual(replicateFromCommand({ primaryNodeId: NODE, timeoutMs: 0 }), { primaryNodeId: NODE, timeoutMs: 600_000 }));
  test("Promote: the mode by name or number, a fence token only with TAKEOVER", () => {
    assert.deepEqual(promoteCommand({ mode: "GRACEFUL", fenceToken: "", timeoutMs: 0 }), { mode: "GRACEFUL", fenceToken: "", timeoutMs: 30_000 });
    refusesField(() => promoteCommand({ mode: "FORCE", fenceToken: "tok", timeoutMs: 0 }), "fenceToken", /only used with mode TAKEOVER, not FORCE/);
    refusesField(() => promoteCommand({ mode: "PROMOTE_MODE_UNSPECIFIED", fenceToken: "", timeoutMs: 0 }), "mode");
    assert.equal(promoteCommand({ mode: "TAKEOVER", fenceToken: "tok", timeoutMs: 5 }).fenceToken, "tok");
  });
  test("CancelMigration: \"\" is whichever runs", () => assert.deepEqual(cancelMigrationCommand({ migrationId: "" }), { migrationId: "" }));
  test("ForgetNode: a node id", () => refusesField(() => forgetNodeCommand({ nodeId: "zz" }), "nodeId", /"zz" is not an engine node id/));
});

describe("results become messages", () => {
  const status: MemberStatus = {
    state: "OFFLINE", role: "UNKNOWN", nodeId: "", slots: [], importing: [], migrating: [], replication: null, memoryUsedBytes: 0, memoryMaxBytes: 0,
    keys: 0, opsPerSecond: 0, engineUp: false, clusterState: "", clusterKnownNodes: 0, slotsOwned: 0,
    migration: { migrationId: "m-1", source: { host: "10.0.0.2", port: 6379, busPort: 16379 }, slotsTotal: 2, slotsDone: 1, keysMoved: 5 },
    ready: false, notReadyReason: "engine down", observedAtMs: 7, lastError: "",
    engine: { name: "valkey", version: "9.1.2", capabilities: ["atomic-slot-migration"], unsupportedReason: "" }, unreachablePeers: [{ nodeId: "b".repeat(40), host: "10.0.0.3", port: 6379 }], tlsDigest: "d1",
  };
  test("a status: every field, an unknown role as the proto's unspecified", () => {
    const m = statusMessage(status);
    assert.deepEqual({ ...m, role: "UNKNOWN" }, status);
    assert.equal(m.role, "ENGINE_ROLE_UNSPECIFIED");
  });
  test("a migration's progress: every field", () => {
    const report = {
      migrationId: "m-1", slotsTotal: 2, slotsDone: 2, slotsFailed: 0, keysMoved: 10, bytesMoved: 100, keysPerSecond: 5, bytesPerSecond: 50, activeSlots: [],
      maxSourceBlockMs: 1, done: true, cancelled: false, failedSlots: [{ slot: 3, error: "x" }], elapsedMs: 9,
      guard: { enabled: true, baselineP99Ms: 1, budgetMs: 2, observedP99Ms: 1.5, level: 1, keysPerSecond: 0, batchKeys: 100, window: 2, parallelSlots: 4, lastAction: "hold", increases: 1, decreases: 0 },
    };
    assert.deepEqual(migrationProgressMessage(report), report);
  });
});

describe("only the gRPC server's files speak proto", () => {
  const src = fileURLToPath(new URL("../../src/", import.meta.url));
  const edge = new Set(["sidecar/server.ts", "sidecar/requests.ts", "sidecar/migrate-request.ts", "sidecar/responses.ts", "sidecar/leader-fence.ts"]);
  const files = readdirSync(src, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  test("no other file of node-image/src imports proto/", () => {
    const speaking = files.filter((f) => /from "(\.\.\/)+proto\//.test(readFileSync(join(src, f), "utf8")));
    assert.deepEqual(speaking.filter((f) => !edge.has(f)), [], "a member or command file imports proto: convert at the edge (requests.ts, responses.ts)");
  });
});
