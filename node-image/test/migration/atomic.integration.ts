// The atomic move (CLUSTER MIGRATESLOTS) on real valkey-server 9 processes (127.0.1.x, ports 6395..):
// jobs sized by the latency guard under client traffic, one job without it, cancel, and the source or
// the target killed mid-job, each resumed with the same call. Each ends with every loaded key present
// and byte-equal, every acknowledged write read back and `redis-cli --cluster check` passing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { keyspaceChecksum, expectedChecksum, redisCliClusterCheck, startEngines, waitForClusterConsistent, type EngineProcess } from "../../../testing/engines.ts";
import { startTraffic, verifyAcknowledgedWrites, percentile } from "../../../testing/traffic.ts";
import type { MigrateSlotsInput } from "../../src/migration/index.ts";
import { JOB_LOG_ENTRIES } from "../../src/migration/atomic.ts";
import { PASSWORD, startMigrationCluster, address, ownedSlots, everyNthSlot, readyCluster, move, type MigrationClusterOptions } from "./fixtures.ts";

// Persistence so a killed engine comes back with what it acknowledged.
const durable: MigrationClusterOptions["extraConfig"] = { appendonly: "yes", appendfsync: "always" };
const valkey = (opts: MigrationClusterOptions) => startMigrationCluster({ ...opts, engine: "valkey" });

async function assertHealthy(engines: readonly EngineProcess[], keys: number): Promise<void> {
  await waitForClusterConsistent(engines);
  assert.deepEqual(await keyspaceChecksum(engines, { match: "key:*", password: PASSWORD }), expectedChecksum(keys, 100));
  const check = await redisCliClusterCheck(engines[0].host, engines[0].port, PASSWORD);
  assert.ok(check.ok, `redis-cli --cluster check failed:\n${check.output}`);
}

/** Every slot of `slots` is owned by exactly one of source and target, as both see it. */
async function assertOneOwner(source: EngineProcess, target: EngineProcess, slots: readonly number[]): Promise<void> {
  const [onSource, onTarget] = [new Set(await ownedSlots(source)), new Set(await ownedSlots(target))];
  for (const s of slots) assert.ok(onSource.has(s) !== onTarget.has(s), `slot ${s} has exactly one owner`);
}

test("valkey: a guarded move runs as several atomic jobs under client traffic; unguarded, as one; nothing lost", async (t) => {
  const keys = 100_000;
  const c = await valkey({ port: 6395, keys });
  t.after(c.stop);
  const [target] = c.empty;
  const cluster = await readyCluster(c.all);
  t.after(() => cluster.disconnect());
  const traffic = startTraffic(cluster, { opsPerSecond: 1000, loadedKeys: keys, valueBytes: 100 });
  const [first, second] = c.primaries;
  const guarded = await move({ source: address(first), target: address(target), slots: await everyNthSlot(first, 2), password: PASSWORD, otherPrimaries: c.primaries.slice(1).map(address) });
  const fastest = await move({
    source: address(second), target: address(target), slots: await everyNthSlot(second, 2), password: PASSWORD,
    otherPrimaries: [first, c.primaries[2]].map(address), guard: { disabled: true },
  });
  const report = await traffic.stop();
  for (const r of [guarded, fastest]) {
    assert.equal(r.method, "atomic");
    assert.deepEqual(r.failedSlots, []);
    assert.equal(r.slotsDone, r.slotsTotal);
  }
  assert.ok(guarded.atomicJobs > 1, `the guard split the move into jobs (${guarded.atomicJobs})`);
  assert.ok(guarded.guard && guarded.guard.baselineP99Ms > 0, "the guard ran");
  assert.equal(fastest.atomicJobs, 1, "without the guard the move is one job");
  assert.equal(fastest.guard, null);
  // Bookkeeping from the key counts taken before each job: about a sixth of the keys each.
  for (const r of [guarded, fastest]) {
    assert.ok(r.keysMoved > keys / 6 - 3000 && r.keysMoved < keys / 6 + 3000, `keysMoved ${r.keysMoved}`);
    assert.ok(r.bytesMoved > r.keysMoved * 100, `bytes sampled per job: ${r.bytesMoved} for ${r.keysMoved} keys`);
  }
  assert.equal(report.errors, 0, report.errorSamples.join("; "));
  assert.equal(report.readMismatches, 0);
  assert.deepEqual(await verifyAcknowledgedWrites(cluster, report.acknowledged), []);
  t.diagnostic(`guarded: ${guarded.atomicJobs} jobs, ${guarded.elapsedMs} ms; fastest: ${fastest.elapsedMs} ms; client p99 ${percentile(report.latenciesMs, 99).toFixed(2)} ms over ${report.ops} ops`);
  // Each source's job log was cut before its move, so every poll read at most JOB_LOG_ENTRIES entries.
  for (const source of [first, second]) {
    const conn = source.connect();
    try {
      assert.deepEqual(await conn.call("CONFIG", "GET", "cluster-slot-migration-log-max-len"), ["cluster-slot-migration-log-max-len", String(JOB_LOG_ENTRIES)]);
      const listed = (await conn.call("CLUSTER", "GETSLOTMIGRATIONS")) as unknown[];
      assert.ok(listed.length >= 1 && listed.length <= JOB_LOG_ENTRIES, `the source lists ${listed.length} jobs`);
    } finally {
      conn.disconnect();
    }
  }
  await assertHealthy(c.all, keys);
});

test("valkey: cancel between jobs leaves every slot with one owner; the same call again finishes the move", async (t) => {
  const keys = 60_000;
  const c = await valkey({ port: 6396, keys });
  t.after(c.stop);
  const [source] = c.primaries;
  const target = c.empty[0];
  const request: MigrateSlotsInput = { source: address(source), target: address(target), slots: await everyNthSlot(source, 2), password: PASSWORD, otherPrimaries: c.primaries.slice(1).map(address) };
  const controller = new AbortController();
  const cancelled = await move(request, { signal: controller.signal, progressIntervalMs: 20, onProgress: (p) => { if (p.slotsDone > 0) controller.abort(); } });
  assert.equal(cancelled.cancelled, true);
  assert.deepEqual(cancelled.failedSlots, []);
  assert.ok(cancelled.slotsDone > 0 && cancelled.slotsDone < request.slots.length, `done ${cancelled.slotsDone} of ${request.slots.length}`);
  await assertOneOwner(source, target, request.slots as number[]);
  const resumed = await move(request);
  assert.deepEqual(resumed.failedSlots, []);
  assert.equal(resumed.slotsDone, request.slots.length);
  assert.deepEqual((await ownedSlots(target)).sort((a, b) => a - b), [...request.slots as number[]].sort((a, b) => a - b));
  await assertHealthy(c.all, keys);
});

for (const victim of ["source", "target"] as const) {
  test(`valkey: the ${victim} killed mid-job: its job fails, the slots stay with the source, a resume moves them; nothing lost`, async (t) => {
    const keys = 60_000;
    const c = await valkey({ port: victim === "source" ? 6397 : 6398, keys, extraConfig: durable });
    t.after(c.stop);
    const [source] = c.primaries;
    const target = c.empty[0];
    const request: MigrateSlotsInput = { source: address(source), target: address(target), slots: await everyNthSlot(source, 2), password: PASSWORD, otherPrimaries: c.primaries.slice(1).map(address) };
    let killed: Promise<void> | undefined;
    const engine = victim === "source" ? source : target;
    const first = await move(request, { progressIntervalMs: 10, onProgress: (p) => { if (!killed && p.slotsDone > 0) killed = engine.kill("SIGKILL"); } });
    await killed;
    assert.ok(killed, `the ${victim} was killed during the move`);
    assert.ok(first.slotsFailed > 0, `slots failed after the kill: ${first.slotsFailed}`);
    assert.equal(first.slotsDone + first.slotsFailed, request.slots.length);
    await engine.restart();
    await waitForClusterConsistent(c.all);
    await assertOneOwner(source, target, request.slots as number[]);
    const resumed = await move(request);
    assert.deepEqual(resumed.failedSlots, []);
    assert.equal(resumed.slotsDone, request.slots.length);
    await assertHealthy(c.all, keys);
  });
}

test("slots do not move between different engines: redis 7.0 → valkey 9 is refused naming both, before any slot is touched", async (t) => {
  const redis = await startEngines({ engine: "redis", count: 1, ipBase: "127.0.1", port: 6399, password: PASSWORD });
  t.after(redis.stop);
  const valkeyEngine = await startEngines({ engine: "valkey", count: 1, ipBase: "127.0.2", port: 6399, password: PASSWORD });
  t.after(valkeyEngine.stop);
  await assert.rejects(
    move({ source: address(redis.engines[0]), target: address(valkeyEngine.engines[0]), slots: [0], password: PASSWORD }),
    /source 127\.0\.1\.1:6399 runs redis 7\.0\.\d+ and target 127\.0\.2\.1:6399 valkey 9\.1\.2: slots cannot move between different engines or versions/,
  );
});

test("valkey: a paced move (key by key) into a primary that has a replica: SETSLOT runs outside scripts, the engines stay up, every key arrives", async (t) => {
  const keys = 3000;
  const c = await valkey({ port: 6389, keys, primaries: 2, emptyPrimaries: 1 });
  t.after(c.stop);
  const [target] = c.empty;
  // A replica of the target: Valkey replicates SETSLOT to it before answering (no script may wait so).
  const replica = await startEngines({ engine: "valkey", count: 1, ipBase: "127.0.2", port: 6389, password: PASSWORD });
  t.after(replica.stop);
  const [r] = replica.engines;
  const rc = r.connect();
  t.after(() => rc.disconnect());
  const tc = target.connect();
  t.after(() => tc.disconnect());
  const targetId = String(await tc.call("CLUSTER", "MYID"));
  await rc.call("CLUSTER", "MEET", target.host, String(target.port));
  await waitForClusterConsistent([...c.all, r]);
  await rc.call("CLUSTER", "REPLICATE", targetId);
  const linked = async () => /master_link_status:up/.test(String(await rc.info("replication")));
  for (let i = 0; i < 200 && !(await linked()); i++) await new Promise((res) => setTimeout(res, 100));
  assert.ok(await linked(), "the replica follows the target");
  const pid = target.pid;
  const [source] = c.primaries;
  const slots = await everyNthSlot(source, 8);
  const result = await move({
    source: address(source), target: address(target), slots, password: PASSWORD, otherPrimaries: c.primaries.filter((p) => p !== source).map(address),
    rate: { keysPerSecond: 50_000 },
  });
  assert.equal(result.method, "keys", "a rate limit moves key by key");
  assert.deepEqual(result.failedSlots, []);
  assert.equal(result.slotsDone, slots.length);
  assert.equal(target.pid, pid, `the target's engine did not restart: ${target.logTail(5)}`);
  await assertOneOwner(source, target, slots);
  // The replica too: redis-cli's check compares every node's slot map, the replica's included.
  await assertHealthy([...c.all, r], keys);
});
