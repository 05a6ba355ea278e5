// The sidecar drives a real cluster: 7 engines on 127.0.3.1–7 (redis-server; valkey-server on
// 127.0.4.1–7: the suite runs once per engine of testEngines()), each with its own mdb-sidecar child
// process, called only through the operator's GrpcSidecarClient.
//   m0 m1 m2  the first 3 primaries      m3  the new primary (MigrateSlots target)
//   m4 m5 m6  standbys of m0, m1, m2
// The tests run in order and build on each other, like an operator's life of a cluster.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Cluster } from "ioredis";
import {
  startEngines, waitFor, loadKeys, keyspaceChecksum, expectedChecksum, redisCliClusterCheck, valueForKey, testEngines,
  type Engines,
} from "../../../testing/engines.ts";
import { SidecarProcess } from "./sidecar-process.ts";
import { SidecarCallError, type MemberStatus, type MigrateSlotsParams, type MigrationProgress, type ReplicationProgress, type SidecarClient } from "../../../operator/src/sidecar/client.ts";
import type { GrpcSidecarClient } from "../../../operator/src/sidecar/grpc-client.ts";

const PASSWORD = "sidecar-it-password-0123456789";
const TOKEN = "sidecar-it-token-".padEnd(48, "k");
const PORT = 6379;
const KEYS = 50_000;
const VALUE_BYTES = 100;
const NODE_TIMEOUT_MS = 3000;

let engines: Engines;
let sidecars: SidecarProcess[];
let m: GrpcSidecarClient[];

/** The engines' first three octets: the running suite's (one per engine). */
let ipBase = "127.0.3";
const addr = (i: number) => ({ host: `${ipBase}.${i + 1}`, port: PORT });
const nodeIds: string[] = [];

async function engineNodeTimeout(i: number): Promise<number> {
  const r = engines.engines[i].connect();
  try {
    return Number(((await r.call("CONFIG", "GET", "cluster-node-timeout")) as string[])[1]);
  } finally {
    r.disconnect();
  }
}

async function statusOf(i: number): Promise<MemberStatus> {
  return m[i].status();
}

async function waitForMember(i: number, what: string, pred: (s: MemberStatus) => boolean, timeoutMs = 30_000): Promise<MemberStatus> {
  let last: MemberStatus | undefined;
  try {
    return await waitFor(async () => { last = await statusOf(i); return pred(last) ? last : undefined; }, { timeoutMs, intervalMs: 100, what: `m${i} ${what}` });
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast status: ${JSON.stringify(last && { state: last.state, role: last.role, ready: last.ready, reason: last.notReadyReason, slots: last.slots, err: last.lastError })}\nsidecar log:\n${sidecars[i].logTail(15)}`);
  }
}

async function clusterCheck(entry: number): Promise<void> {
  // Gossip settles a moment after the last command; the check must pass once it has.
  let output = "";
  await waitFor(async () => {
    const r = await redisCliClusterCheck(addr(entry).host, PORT, PASSWORD);
    output = r.output;
    return r.ok;
  }, { timeoutMs: 30_000, intervalMs: 500, what: `redis-cli --cluster check via m${entry}` }).catch((err: Error) => {
    throw new Error(`${err.message}\n${output}`);
  });
}

async function expectCallError(call: () => Promise<unknown>, code: string, pattern: RegExp): Promise<SidecarCallError> {
  try {
    await call();
  } catch (err) {
    assert.ok(err instanceof SidecarCallError, `expected a SidecarCallError, got ${String(err)}`);
    assert.equal(err.code, code, `wrong code for: ${err.message}`);
    assert.match(err.details, pattern);
    return err;
  }
  assert.fail(`expected ${code} matching ${pattern}, but the call succeeded`);
}

const verbose = process.env.MDB_IT_VERBOSE === "1";
async function drainLogged(it: AsyncIterable<MigrationProgress>): Promise<MigrationProgress[]> {
  const out: MigrationProgress[] = [];
  for await (const x of it) {
    if (verbose) console.log(new Date().toISOString(), "progress", x.slotsDone, x.keysMoved, x.activeSlots.length, x.done);
    out.push(x);
  }
  return out;
}

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const openClients: { disconnect(): void }[] = [];

/** A cluster client that writes unique keys and reads loaded keys until stopped; counts what it saw. */
function startTraffic(prefix: string) {
  const client = new Cluster([addr(0), addr(1), addr(2)], {
    redisOptions: { password: PASSWORD }, scaleReads: "master", maxRedirections: 64, retryDelayOnTryAgain: 50, retryDelayOnClusterDown: 100,
  });
  client.on("error", () => { /* counted per command */ });
  openClients.push(client);
  const acked: string[] = [];
  const stats = { writes: 0, reads: 0, errors: 0, mismatches: 0, lastError: "" };
  let stop = false;
  const loop = (async () => {
    let i = 0;
    while (!stop) {
      const key = `${prefix}:${i++}`;
      try {
        await client.set(key, valueForKey(key, 64));
        acked.push(key);
        stats.writes++;
        const probe = `key:${(i * 7919) % KEYS}`;
        const got = await client.getBuffer(probe);
        stats.reads++;
        if (!got || !got.equals(valueForKey(probe, VALUE_BYTES))) stats.mismatches++;
      } catch (err) {
        stats.errors++;
        stats.lastError = (err as Error).message;
        await new Promise((r) => setTimeout(r, 10));
      }
      // Never starve the event loop, even if the client answers from memory.
      await new Promise((r) => setImmediate(r));
    }
  })();
  return {
    stats, acked,
    async stop() { stop = true; await loop; },
    async verifyAcked(): Promise<string[]> {
      const lost: string[] = [];
      for (let start = 0; start < acked.length; start += 500) {
        const batch = acked.slice(start, start + 500);
        const values = await Promise.all(batch.map((k) => client.getBuffer(k)));
        batch.forEach((k, j) => { if (!values[j] || !values[j]!.equals(valueForKey(k, 64))) lost.push(k); });
      }
      return lost;
    },
    close() { client.disconnect(); },
  };
}

for (const [n, engine] of testEngines().entries()) describe(`mdb-sidecar on a real cluster of ${engine}`, { timeout: 480_000 }, () => {
  before(async () => {
    ipBase = `127.0.${3 + n}`;
    nodeIds.length = 0;
    engines = await startEngines({ engine, count: 7, ipBase, port: PORT, password: PASSWORD, nodeTimeoutMs: NODE_TIMEOUT_MS });
    // As in a pod: the sidecar knows the spec's node timeout the engine was started with.
    sidecars = engines.engines.map((engine) => new SidecarProcess({ engine, password: PASSWORD, token: TOKEN, extraEnv: { MDB_NODE_TIMEOUT_MS: String(NODE_TIMEOUT_MS) } }));
    await Promise.all(sidecars.map((s) => s.start()));
    m = sidecars.map((s) => s.client());
  });

  after(async () => {
    for (const c of openClients) c.disconnect();
    for (const c of m ?? []) c.close();
    await Promise.all((sidecars ?? []).map((s) => s.stop()));
    await engines?.stop();
  });

  test("every member starts ONLINE, not ready", { timeout: 120_000 }, async () => {
    for (let i = 0; i < 7; i++) {
      const s = await waitForMember(i, "ONLINE", (x) => x.state === "ONLINE" && x.engineUp);
      assert.equal(s.ready, false);
      assert.match(s.nodeId, /^[0-9a-f]{40}$/);
      nodeIds[i] = s.nodeId;
      assert.equal((await sidecars[i].probe("/readyz")).status, 503);
      assert.equal((await sidecars[i].probe("/livez")).status, 200);
      assert.equal(await engineNodeTimeout(i), 1000, `m${i}: an engine that knows no slot owner runs the 1 s formation timeout, not the spec's ${NODE_TIMEOUT_MS} ms`);
    }
  });

  test("forms a 3-primary cluster through sidecar calls only", { timeout: 120_000 }, async () => {
    const joined = await m[0].join([addr(1), addr(2)]);
    assert.ok(joined.knownNodes >= 3);
    const ranges = [{ start: 0, end: 5460 }, { start: 5461, end: 10922 }, { start: 10923, end: 16383 }];
    for (let i = 0; i < 3; i++) {
      const s = await m[i].assignSlots([ranges[i]]);
      assert.equal(s.state, "ACTIVE");
      assert.deepEqual(s.slots, [ranges[i]]);
    }
    for (let i = 0; i < 3; i++) await waitForMember(i, "ACTIVE and ready", (s) => s.state === "ACTIVE" && s.ready && s.clusterState === "ok");
    assert.equal((await sidecars[0].probe("/readyz")).status, 200);
    for (let i = 0; i < 3; i++) {
      await waitFor(async () => (await engineNodeTimeout(i)) === NODE_TIMEOUT_MS, { timeoutMs: 5000, intervalMs: 100, what: `m${i}: the spec's node timeout back once cluster_state is ok` });
    }
    assert.equal(await engineNodeTimeout(3), 1000, "m3 (not met yet) still forms");
    await clusterCheck(0);
  });

  test(`loads ${KEYS} keys`, { timeout: 120_000 }, async () => {
    await loadKeys([0, 1, 2].map((i) => ({ ...addr(i), password: PASSWORD })), KEYS, VALUE_BYTES);
    assert.deepEqual(await keyspaceChecksum([0, 1, 2].map((i) => ({ ...addr(i), password: PASSWORD }))), expectedChecksum(KEYS, VALUE_BYTES));
    const s = await statusOf(0);
    assert.ok(s.keys > KEYS / 4, `m0 reports ${s.keys} keys`);
  });

  test("MigrateSlots moves slots to a new primary while a cluster client writes and reads: no key lost", { timeout: 120_000 }, async (t) => {
    await m[3].join([addr(0)]);
    for (let i = 0; i < 4; i++) await waitForMember(i, "to know 4 nodes", (s) => s.clusterKnownNodes === 4);
    const traffic = startTraffic("mig");
    if (verbose) console.log(new Date().toISOString(), "traffic started");
    try {
      // The first move runs with the latency guard's defaults, the second with the guard off.
      const moves = [{ source: 0, slots: { start: 0, end: 1364 }, guardOff: false }, { source: 1, slots: { start: 5461, end: 6825 }, guardOff: true }];
      for (const move of moves) {
        const progress = await drainLogged(m[3].migrateSlots({
          source: addr(move.source), slots: [move.slots], batchKeys: 100, window: 4, parallelSlots: 4, progressIntervalMs: 100,
          ...(move.guardOff ? { guard: { disabled: true } } : {}),
        }));
        const last = progress[progress.length - 1];
        assert.ok(progress.length >= 2, `expected progress messages, got ${progress.length}`);
        assert.equal(last.done, true);
        assert.equal(last.cancelled, false);
        assert.deepEqual(last.failedSlots, []);
        assert.equal(last.slotsDone, 1365);
        assert.ok(last.keysMoved > 3000 && last.bytesMoved > last.keysMoved * VALUE_BYTES, `keys ${last.keysMoved} bytes ${last.bytesMoved}`);
        assert.ok(progress.every((p, j) => j === 0 || p.slotsDone >= progress[j - 1].slotsDone), "slotsDone never goes back");
        assert.ok(progress.every((p) => p.migrationId === last.migrationId && p.migrationId !== ""));
        if (move.guardOff) {
          assert.ok(progress.every((p) => p.guard === null), "no guard decisions with the guard off");
        } else {
          const g = last.guard;
          assert.ok(g?.enabled && g.budgetMs >= g.baselineP99Ms && g.budgetMs > 0 && g.level > 0 && g.batchKeys > 0, `guard status streamed: ${JSON.stringify(g)}`);
          t.diagnostic(`guard: ${JSON.stringify(g)}`);
        }
        t.diagnostic(`m${move.source} → m3: ${last.slotsDone} slots, ${last.keysMoved} keys, ${last.bytesMoved} bytes in ${last.elapsedMs} ms, ${progress.length} progress messages`);
      }
      // Let the client keep going over the new layout for a moment.
      if (verbose) console.log(new Date().toISOString(), "migrations done", JSON.stringify(traffic.stats));
      const after = traffic.stats.writes;
      await waitFor(() => traffic.stats.writes > after + 200, { timeoutMs: 20_000, what: "200 more writes after the migration" });
    } finally {
      if (verbose) console.log(new Date().toISOString(), "stopping traffic", JSON.stringify(traffic.stats));
      await traffic.stop();
      if (verbose) console.log(new Date().toISOString(), "stopped traffic", JSON.stringify(traffic.stats));
    }
    try {
      assert.deepEqual(await traffic.verifyAcked(), [], "acknowledged writes lost");
      assert.equal(traffic.stats.mismatches, 0, "reads returned a wrong value");
      assert.equal(traffic.stats.errors, 0, `client errors (last: ${traffic.stats.lastError})`);
      assert.ok(traffic.stats.writes > 100, `only ${traffic.stats.writes} writes`);
      t.diagnostic(`client during the moves: ${traffic.stats.writes} writes, ${traffic.stats.reads} reads, ${traffic.stats.errors} errors`);
    } finally {
      traffic.close();
    }
    const s3 = await waitForMember(3, "ACTIVE with 2730 slots", (s) => s.state === "ACTIVE" && s.slotsOwned === 2730 && s.ready);
    assert.deepEqual(s3.slots, [{ start: 0, end: 1364 }, { start: 5461, end: 6825 }]);
    await waitForMember(0, "ACTIVE again after exporting", (s) => s.state === "ACTIVE" && s.slotsOwned === 4096 && s.migrating.length === 0);
    await waitForMember(1, "ACTIVE again after exporting", (s) => s.state === "ACTIVE" && s.slotsOwned === 4097);
    const primaries = [0, 1, 2, 3].map((i) => ({ ...addr(i), password: PASSWORD }));
    assert.deepEqual(await keyspaceChecksum(primaries, { match: "key:*" }), expectedChecksum(KEYS, VALUE_BYTES));
    await clusterCheck(0);
  });

  test("CancelMigration stops a running migration; every slot keeps exactly one owner", { timeout: 120_000 }, async () => {
    const seen: MigrationProgress[] = [];
    const stream = m[3].migrateSlots({ source: addr(2), slots: [{ start: 10923, end: 12287 }], rate: { keysPerSecond: 300 }, progressIntervalMs: 100 });
    let cancelled = false;
    for await (const p of stream) {
      seen.push(p);
      if (!cancelled && p.slotsDone + p.activeSlots.length > 0 && p.keysMoved > 0) {
        const st = await statusOf(3);
        assert.equal(st.state, "MIGRATING");
        assert.equal(st.migration?.migrationId, p.migrationId);
        assert.deepEqual(await m[3].cancelMigration(p.migrationId), { wasRunning: true });
        cancelled = true;
      }
    }
    const last = seen[seen.length - 1];
    assert.equal(last.done, true);
    assert.equal(last.cancelled, true);
    assert.ok(last.slotsDone < 1365, `cancel came too late: ${last.slotsDone} slots done`);
    assert.deepEqual(await m[3].cancelMigration(), { wasRunning: false });
    await waitForMember(3, "ACTIVE after the cancel", (s) => s.state === "ACTIVE" && s.importing.length === 0);
    await waitForMember(2, "ACTIVE after the cancel", (s) => s.state === "ACTIVE" && s.migrating.length === 0);
    const primaries = [0, 1, 2, 3].map((i) => ({ ...addr(i), password: PASSWORD }));
    assert.deepEqual(await keyspaceChecksum(primaries, { match: "key:*" }), expectedChecksum(KEYS, VALUE_BYTES));
    await clusterCheck(0);
  });

  test("closing the MigrateSlots stream cancels the migration as well", { timeout: 120_000 }, async () => {
    const controller = new AbortController();
    let seen = 0;
    for await (const p of m[3].migrateSlots({ source: addr(2), slots: [{ start: 12288, end: 13000 }], rate: { keysPerSecond: 300 }, progressIntervalMs: 100 }, { signal: controller.signal })) {
      seen++;
      if (p.keysMoved > 0) controller.abort();
    }
    assert.ok(seen >= 1);
    const s = await waitForMember(3, "ACTIVE with no migration left", (x) => x.state === "ACTIVE" && x.migration === null && x.importing.length === 0);
    assert.ok(!s.slots.some((r) => r.end >= 12288 && r.start <= 13000 && r.end - r.start >= 700), "the cancelled range was not claimed whole");
    await waitForMember(2, "no slot left MIGRATING", (x) => x.migrating.length === 0);
    const primaries = [0, 1, 2, 3].map((i) => ({ ...addr(i), password: PASSWORD }));
    assert.deepEqual(await keyspaceChecksum(primaries, { match: "key:*" }), expectedChecksum(KEYS, VALUE_BYTES));
    await clusterCheck(0);
  });

  test("standbys reach STANDBY after a full sync, with progress", { timeout: 120_000 }, async () => {
    for (const [standby, primary] of [[4, 0], [5, 1], [6, 2]] as const) {
      await m[standby].join([addr(0)]);
      await waitForMember(standby, `to know node ${primary}`, (s) => s.clusterKnownNodes === 5 + (standby - 4));
      const progress: ReplicationProgress[] = await drain(m[standby].replicateFrom(nodeIds[primary]));
      const last = progress[progress.length - 1];
      assert.equal(last.done, true);
      assert.equal(last.state, "STANDBY");
      assert.equal(last.linkUp, true);
      assert.ok(progress.length >= 2 && !progress[0].done, "progress before the sync completes");
      assert.ok(last.primaryOffset - last.offset < 1 << 20, `offset ${last.offset} vs primary ${last.primaryOffset}`);
      const s = await waitForMember(standby, "STANDBY and ready", (x) => x.state === "STANDBY" && x.ready);
      assert.equal(s.replication?.primaryNodeId, nodeIds[primary]);
      assert.ok(s.keys > 0, "the standby holds the primary's keys");
    }
    await clusterCheck(0);
  });

  test("invalid transitions, malformed requests and unauthenticated calls get clear errors; the sidecar keeps serving", { timeout: 120_000 }, async () => {
    await expectCallError(() => m[1].promote("GRACEFUL"), "FAILED_PRECONDITION", /already ACTIVE/);
    await expectCallError(() => m[1].reset(), "FAILED_PRECONDITION", /Reset is allowed only when the member is ONLINE or RECOVERED; it is ACTIVE/);
    await expectCallError(() => m[1].leave(), "FAILED_PRECONDITION", /still owns slots 6826-10922; migrate them/);
    await expectCallError(() => m[4].assignSlots([{ start: 100, end: 200 }]), "FAILED_PRECONDITION", /AssignSlots is allowed only when the member is ONLINE or ACTIVE; it is STANDBY/);
    await expectCallError(() => m[1].replicateFrom(nodeIds[0])[Symbol.asyncIterator]().next(), "FAILED_PRECONDITION", /it is ACTIVE/);
    await expectCallError(() => m[1].assignSlots([{ start: 0, end: 16384 }]), "INVALID_ARGUMENT", /^slots\[0\]\.end: 16384 is not a slot in 0\.\.16383/);
    await expectCallError(() => drain(m[3].migrateSlots({ source: { host: "999.1.1.1", port: PORT }, slots: [{ start: 1, end: 2 }] })), "INVALID_ARGUMENT", /^source\.host: "999\.1\.1\.1" is not an IPv4/);
    await expectCallError(() => drain(m[3].migrateSlots({ source: addr(0) } as MigrateSlotsParams)), "INVALID_ARGUMENT", /^slots: must name at least one slot range/);
    await expectCallError(() => drain(m[3].migrateSlots({ slots: [{ start: 1, end: 2 }] } as MigrateSlotsParams)), "INVALID_ARGUMENT", /^source: is required/);
    await expectCallError(() => m[0].join([]), "INVALID_ARGUMENT", /^peers: must name at least one/);
    await expectCallError(() => m[0].join([{ host: "10.0.0.1", port: 70000 }]), "INVALID_ARGUMENT", /^peers\[0\]\.port: 70000 is not a port/);
    await expectCallError(() => m[0].forget("not-a-node-id"), "INVALID_ARGUMENT", /^nodeId: "not-a-node-id" is not an engine node id/);
    await expectCallError(() => m[4].promote("PROMOTE_MODE_UNSPECIFIED" as "GRACEFUL"), "INVALID_ARGUMENT", /^mode: /);
    await expectCallError(() => m[4].promote("GRACEFUL", { fenceToken: "x" }), "INVALID_ARGUMENT", /^fenceToken: is only used with mode TAKEOVER/);

    const anonymous: SidecarClient = sidecars[0].client({ bearerToken: undefined });
    const wrong: SidecarClient = sidecars[0].client({ bearerToken: "w".repeat(48) });
    try {
      await expectCallError(() => anonymous.status(), "UNAUTHENTICATED", /missing authorization/);
      await expectCallError(() => wrong.status(), "UNAUTHENTICATED", /does not match/);
      await expectCallError(() => wrong.promote("FORCE"), "UNAUTHENTICATED", /does not match/);
      await expectCallError(() => drain(anonymous.watch()), "UNAUTHENTICATED", /missing authorization/);
      await expectCallError(() => drain(wrong.migrateSlots({ source: addr(1), slots: [{ start: 1, end: 1 }] })), "UNAUTHENTICATED", /does not match/);
    } finally {
      anonymous.close();
      wrong.close();
    }
    const s = await statusOf(0);
    assert.equal(s.state, "ACTIVE");
    assert.equal(s.ready, true);
    await clusterCheck(0);
  });

  test("WatchStatus sends a heartbeat at least once a second", { timeout: 120_000 }, async () => {
    const controller = new AbortController();
    const received: number[] = [];
    const started = Date.now();
    for await (const s of m[3].watch(controller.signal)) {
      assert.equal(s.state, "ACTIVE");
      received.push(Date.now() - started);
      if (Date.now() - started > 3200) controller.abort();
    }
    // 0 ms (initial), then at most ~1 s apart.
    assert.ok(received.length >= 4, `got ${received.length} messages in 3.2 s: ${received}`);
    for (let i = 1; i < received.length; i++) assert.ok(received[i] - received[i - 1] < 1500, `gap ${received[i] - received[i - 1]} ms`);
  });

  test("a graceful switchover loses no acknowledged write", { timeout: 120_000 }, async (t) => {
    const traffic = startTraffic("sw");
    let pauseMs = 0;
    try {
      await waitFor(() => traffic.stats.writes > 200, { timeoutMs: 20_000, what: "writes before the switchover" });
      const r = await m[4].promote("GRACEFUL");
      pauseMs = r.pauseMs;
      assert.equal(r.status.state, "ACTIVE");
      assert.equal(r.status.role, "PRIMARY");
      const afterPromote = traffic.stats.writes;
      await waitFor(() => traffic.stats.writes > afterPromote + 300, { timeoutMs: 20_000, what: "writes after the switchover" });
    } finally {
      await traffic.stop();
    }
    try {
      assert.deepEqual(await traffic.verifyAcked(), [], "acknowledged writes lost in the switchover");
      assert.equal(traffic.stats.mismatches, 0);
    } finally {
      traffic.close();
    }
    await waitForMember(4, "ACTIVE and ready", (s) => s.state === "ACTIVE" && s.ready && s.slotsOwned === 4096);
    await waitForMember(0, "STANDBY of m4 (switched over)", (s) => s.state === "STANDBY" && s.replication?.primaryNodeId === nodeIds[4] && s.ready);
    assert.ok(pauseMs < 20_000, `switchover took ${pauseMs} ms`);
    t.diagnostic(`switchover: ${pauseMs} ms from CLUSTER FAILOVER to primary; ${traffic.acked.length} acknowledged writes, all readable`);
    await clusterCheck(4);
  });

  test("forced failover when the primary is gone; FORCE refused while it is reachable", { timeout: 120_000 }, async () => {
    await expectCallError(() => m[5].promote("FORCE"), "FAILED_PRECONDITION", /is reachable \(replication link up\); use GRACEFUL/);
    await engines.engines[1].kill("SIGKILL");
    await waitForMember(5, "to see its primary's link down", (s) => s.replication?.linkUp === false);
    await waitForMember(1, "to report its engine down", (s) => !s.engineUp && !s.ready);
    assert.equal((await sidecars[1].probe("/readyz")).status, 503);
    assert.equal((await sidecars[1].probe("/livez")).status, 200, "the sidecar itself is alive");
    await expectCallError(() => m[5].promote("GRACEFUL"), "FAILED_PRECONDITION", /replication link to primary [0-9a-f]{40} is down.*use FORCE if the primary is gone/);
    const r = await m[5].promote("FORCE");
    assert.equal(r.status.state, "ACTIVE");
    await waitForMember(5, "ACTIVE and ready", (s) => s.state === "ACTIVE" && s.ready && s.slotsOwned === 4097);
    const primaries = [2, 3, 4, 5].map((i) => ({ ...addr(i), password: PASSWORD }));
    assert.deepEqual(await keyspaceChecksum(primaries, { match: "key:*" }), expectedChecksum(KEYS, VALUE_BYTES));
  });

  test("a member whose engine lost its data comes back RECOVERED (sidecar restarted too), then resyncs to STANDBY", { timeout: 120_000 }, async () => {
    const oldId = nodeIds[1];
    await sidecars[1].kill();
    // The engine restarts with an empty data dir: no nodes.conf, so a new node id and no cluster.
    rmSync(join(engines.engines[1].dir, "nodes.conf"), { force: true });
    await engines.engines[1].restart();
    await sidecars[1].start();
    const s = await waitForMember(1, "RECOVERED", (x) => x.engineUp && x.state === "RECOVERED");
    assert.notEqual(s.nodeId, oldId);
    assert.equal(s.ready, false);
    await expectCallError(() => m[1].promote("GRACEFUL"), "FAILED_PRECONDITION", /RECOVERED → ACTIVE.*the member is RECOVERED; from RECOVERED it may go to STANDBY/);
    // The operator's part: every other member forgets the lost node, the member re-joins and resyncs.
    // Valkey spreads a FORGET over the bus, so a later member may already have forgotten it (NOT_FOUND).
    for (const i of [0, 2, 3, 4, 5, 6]) await m[i].forget(oldId).catch((err: unknown) => { if ((err as { code?: string }).code !== "NOT_FOUND") throw err; });
    for (const i of [0, 2, 3, 4, 5, 6]) await waitForMember(i, "to have forgotten the lost node", (x) => x.clusterKnownNodes === 6);
    await expectCallError(() => m[2].forget(oldId), "NOT_FOUND", /not known/);
    await m[1].join([addr(5)]);
    await waitForMember(1, "to know the 7 members", (x) => x.clusterKnownNodes === 7);
    const progress = await drain(m[1].replicateFrom(nodeIds[5]));
    assert.equal(progress[progress.length - 1].state, "STANDBY");
    nodeIds[1] = s.nodeId;
    await waitForMember(1, "STANDBY and ready", (x) => x.state === "STANDBY" && x.ready && x.replication?.primaryNodeId === nodeIds[5]);
    await clusterCheck(5);
  });

  test("a restarted sidecar with its engine intact comes back in the same state", { timeout: 120_000 }, async () => {
    const before3 = await statusOf(3);
    await sidecars[3].restart();
    const s = await waitForMember(3, "restored", (x) => x.engineUp && x.state !== "OFFLINE");
    assert.equal(s.state, before3.state);
    assert.equal(s.state, "ACTIVE");
    assert.equal(s.nodeId, before3.nodeId);
    await waitForMember(3, "ready", (x) => x.ready);
  });

  test("TAKEOVER only with the fence token this member issued", { timeout: 120_000 }, async () => {
    await expectCallError(() => m[6].promote("TAKEOVER"), "FAILED_PRECONDITION", /needs fenceToken: call PrepareTakeover/);
    const grant = await m[6].prepareTakeover();
    assert.equal(grant.primaryNodeId, nodeIds[2]);
    assert.match(grant.fenceToken, /^[0-9a-f]{48}$/);
    await expectCallError(() => m[6].promote("TAKEOVER", { fenceToken: "0".repeat(48) }), "FAILED_PRECONDITION", /does not match the token this member issued/);
    // Fence the old primary (the operator deletes its pod); then the token proves it.
    await engines.engines[2].kill("SIGKILL");
    const watch = new AbortController();
    const states: string[] = [];
    const watching = (async () => { for await (const s of m[6].watch(watch.signal)) { states.push(s.state); if (s.state === "ACTIVE") watch.abort(); } })();
    try {
      const r = await m[6].promote("TAKEOVER", { fenceToken: grant.fenceToken });
      assert.equal(r.status.state, "ACTIVE");
      await waitFor(() => states.includes("ACTIVE"), { timeoutMs: 10_000, what: "WatchStatus to push the change to ACTIVE" });
    } finally {
      watch.abort();
      await watching;
    }
    assert.equal(states[0], "STANDBY");
    await waitForMember(6, "ACTIVE and ready", (s) => s.state === "ACTIVE" && s.ready);
    // The fenced engine comes back without its data (the harness engines do not persist) and the cluster
    // demotes it to a replica of m6. Its sidecar says RECOVERED (restarted empty) or, if the engine
    // finished its full sync before the sidecar's next look, STANDBY; a RECOVERED member resyncs.
    await engines.engines[2].restart();
    const back = await waitForMember(2, "a replica of m6, RECOVERED or STANDBY", (s) => s.engineUp && s.role === "REPLICA" &&
      s.replication?.primaryNodeId === nodeIds[6] && (s.state === "RECOVERED" || s.state === "STANDBY"));
    if (back.state === "RECOVERED") {
      const progress = await drain(m[2].replicateFrom(nodeIds[6]));
      assert.equal(progress[progress.length - 1].state, "STANDBY");
    }
    await waitForMember(2, "STANDBY and ready", (s) => s.state === "STANDBY" && s.ready);
    const primaries = [3, 4, 5, 6].map((i) => ({ ...addr(i), password: PASSWORD }));
    assert.deepEqual(await keyspaceChecksum(primaries, { match: "key:*" }), expectedChecksum(KEYS, VALUE_BYTES));
    await clusterCheck(6);
  });

  test("a standby leaves the cluster and resets; LeaveCluster is refused while slots are owned", { timeout: 120_000 }, async () => {
    await expectCallError(() => m[3].leave(), "FAILED_PRECONDITION", /still owns slots 0-1364,5461-6825/);
    // LeaveCluster asks every peer it does not see as failed: wait until m0 sees all six (the test before
    // restarted an engine, which m0 may still flag for a moment on a loaded machine).
    await waitForMember(0, "to see its six peers reachable", (x) => x.clusterKnownNodes === 7 && x.unreachablePeers.length === 0);
    const left = await m[0].leave();
    assert.equal(left.forgottenBy.length, 6);
    const s = await waitForMember(0, "ONLINE, alone", (x) => x.state === "ONLINE" && x.clusterKnownNodes === 1);
    assert.notEqual(s.nodeId, nodeIds[0]);
    const reset = await m[0].reset();
    assert.match(reset.newNodeId, /^[0-9a-f]{40}$/);
    for (const i of [3, 4]) await waitForMember(i, "to know 6 nodes", (x) => x.clusterKnownNodes === 6);
    await clusterCheck(4);
    const primaries = [3, 4, 5, 6].map((i) => ({ ...addr(i), password: PASSWORD }));
    assert.deepEqual(await keyspaceChecksum(primaries, { match: "key:*" }), expectedChecksum(KEYS, VALUE_BYTES));
  });
});
