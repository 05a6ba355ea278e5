// The migration engine against real redis-server processes (127.0.1.x). Each scenario ends with the
// key space checksum equal to the generator's and `redis-cli --cluster check` passing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { waitFor, keyspaceChecksum, expectedChecksum, redisCliClusterCheck, keySlot, waitForClusterConsistent, type EngineProcess } from "../../../testing/engines.ts";
import { startTraffic, verifyAcknowledgedWrites, percentile } from "../../../testing/traffic.ts";
import { probeAtomicSlotMigration, type MigrateSlotsInput, type MigrationProgress } from "../../src/migration/index.ts";
import {
  PASSWORD, startMigrationCluster, address, ownedSlots, everyNthSlot, viewOf, readyCluster, move,
} from "./fixtures.ts";

async function assertHealthy(engines: readonly EngineProcess[]): Promise<void> {
  await waitForClusterConsistent(engines);
  const check = await redisCliClusterCheck(engines[0].host, engines[0].port, PASSWORD);
  assert.ok(check.ok, `redis-cli --cluster check failed:\n${check.output}`);
}

async function assertNoOpenSlots(engines: readonly EngineProcess[]): Promise<void> {
  for (const e of engines) {
    const view = await viewOf(e);
    assert.deepEqual([...view.migrating.keys(), ...view.importing.keys()], [], `${e.host} has open (migrating/importing) slots`);
  }
}

test("migrates a quarter of every primary's slots to a new primary under client traffic; no key lost, values byte-equal", async (t) => {
  const keys = 200_000;
  const c = await startMigrationCluster({ port: 6379, keys });
  t.after(c.stop);
  const [newPrimary] = c.empty;
  const cluster = await readyCluster(c.all);
  t.after(() => cluster.disconnect());
  const traffic = startTraffic(cluster, { opsPerSecond: 1000, loadedKeys: keys, valueBytes: 100 });

  const plans = await Promise.all(c.primaries.map(async (source) => ({ source, slots: await everyNthSlot(source, 4) })));
  const results = await Promise.all(plans.map(({ source, slots }) => move({
    source: address(source), target: address(newPrimary), slots, password: PASSWORD,
    otherPrimaries: c.primaries.filter((p) => p !== source).map(address),
  })));
  const report = await traffic.stop();

  for (const r of results) {
    assert.deepEqual(r.failedSlots, []);
    assert.equal(r.cancelled, false);
    assert.equal(r.method, "keys");
    assert.equal(r.slotsDone, r.slotsTotal);
  }
  const slotsMoved = plans.reduce((n, p) => n + p.slots.length, 0);
  assert.equal((await ownedSlots(newPrimary)).length, slotsMoved);
  const keysMoved = results.reduce((n, r) => n + r.keysMoved, 0);
  // The moved slots hold about a quarter of the keys (plus the client's own writes there).
  assert.ok(keysMoved > keys * 0.2 && keysMoved < keys * 0.3 + 10_000, `keysMoved ${keysMoved}`);
  assert.deepEqual(await keyspaceChecksum(c.all, { match: "key:*", password: PASSWORD }), expectedChecksum(keys, 100));
  assert.equal(report.errors, 0, report.errorSamples.join("; "));
  assert.equal(report.readMismatches, 0);
  assert.ok(report.ops > 0);
  assert.deepEqual(await verifyAcknowledgedWrites(cluster, report.acknowledged), []);
  t.diagnostic(`moved ${keysMoved} keys in ${Math.max(...results.map((r) => r.elapsedMs))} ms; client ops ${report.ops}, p99 ${percentile(report.latenciesMs, 99).toFixed(2)} ms; max source block ${Math.max(...results.map((r) => r.maxSourceBlockMs))} ms`);
  await assertNoOpenSlots(c.all);
  await assertHealthy(c.all);
});

test("a second identical call is an idempotent no-op: every slot already owned by the target is done", async (t) => {
  const c = await startMigrationCluster({ port: 6380, keys: 20_000 });
  t.after(c.stop);
  const [source] = c.primaries;
  const request: MigrateSlotsInput = {
    source: address(source), target: address(c.empty[0]), slots: await everyNthSlot(source, 8), password: PASSWORD,
    otherPrimaries: c.primaries.slice(1).map(address),
  };
  const first = await move(request);
  assert.deepEqual(first.failedSlots, []);
  assert.ok(first.keysMoved > 0);
  const second = await move(request);
  assert.deepEqual(second.failedSlots, []);
  assert.equal(second.slotsDone, request.slots.length);
  assert.equal(second.keysMoved, 0);
  const probe = source.connect();
  try {
    assert.equal(await probeAtomicSlotMigration(probe), false, "redis 7 has no CLUSTER MIGRATESLOTS");
  } finally {
    probe.disconnect();
  }
  assert.deepEqual(await keyspaceChecksum(c.all, { password: PASSWORD }), expectedChecksum(20_000, 100));
  await assertHealthy(c.all);
});

test("kill the source engine mid-migration, restart it, resume: every slot moves, no key lost", async (t) => {
  const keys = 40_000;
  // The source must keep its data across the kill: AOF fsynced before MIGRATE's reply.
  const c = await startMigrationCluster({ port: 6381, keys, extraConfig: { appendonly: "yes", appendfsync: "always" } });
  t.after(c.stop);
  const [source] = c.primaries;
  const request: MigrateSlotsInput = {
    source: address(source), target: address(c.empty[0]), slots: await everyNthSlot(source, 2), password: PASSWORD,
    otherPrimaries: c.primaries.slice(1).map(address),
    rate: { keysPerSecond: 15_000 }, // slow enough to be killed in the middle
  };
  let killed: Promise<void> | undefined;
  const first = await move(request, {
    progressIntervalMs: 50,
    onProgress: (p) => { if (!killed && p.keysMoved >= 3000) killed = source.kill("SIGKILL"); },
  });
  await killed;
  assert.ok(killed, "the source was killed during the migration");
  assert.ok(first.slotsDone > 0 && first.slotsFailed > 0, `mid-migration: done ${first.slotsDone}, failed ${first.slotsFailed}`);
  assert.equal(first.slotsDone + first.slotsFailed, request.slots.length);

  await source.restart();
  await waitForClusterConsistent(c.all);
  const resumed = await move({ ...request, rate: undefined });
  assert.deepEqual(resumed.failedSlots, []);
  assert.equal(resumed.slotsDone, request.slots.length);
  assert.deepEqual((await ownedSlots(c.empty[0])).sort((a, b) => a - b), [...request.slots as number[]].sort((a, b) => a - b));
  assert.deepEqual(await keyspaceChecksum(c.all, { password: PASSWORD }), expectedChecksum(keys, 100));
  await assertNoOpenSlots(c.all);
  await assertHealthy(c.all);
});

test("cancel mid-migration: in-flight slots finish, every slot has exactly one owner, nothing lost", async (t) => {
  const keys = 40_000;
  const c = await startMigrationCluster({ port: 6382, keys });
  t.after(c.stop);
  const [source] = c.primaries;
  const target = c.empty[0];
  const slots = await everyNthSlot(source, 2);
  const controller = new AbortController();
  const progress: MigrationProgress[] = [];
  const result = await move({
    source: address(source), target: address(target), slots, password: PASSWORD,
    otherPrimaries: c.primaries.slice(1).map(address), rate: { keysPerSecond: 20_000 },
  }, {
    signal: controller.signal, progressIntervalMs: 50,
    onProgress: (p) => { progress.push(p); if (p.keysMoved >= 5000) controller.abort(); },
  });
  assert.equal(result.cancelled, true);
  assert.deepEqual(result.failedSlots, []);
  assert.ok(result.slotsDone > 0 && result.slotsDone < slots.length, `done ${result.slotsDone} of ${slots.length}`);
  assert.ok(progress.some((p) => p.activeSlots.length > 0), "progress reported active slots");
  const onTarget = new Set(await ownedSlots(target));
  const onSource = new Set(await ownedSlots(source));
  assert.equal(onTarget.size, result.slotsDone);
  for (const s of slots) assert.ok(onTarget.has(s) !== onSource.has(s), `slot ${s} has exactly one owner`);
  await assertNoOpenSlots(c.all);
  assert.deepEqual(await keyspaceChecksum(c.all, { password: PASSWORD }), expectedChecksum(keys, 100));
  await assertHealthy(c.all);
});

test("a 50 MB hash moves intact and its source block time is reported", async (t) => {
  const c = await startMigrationCluster({ port: 6383, keys: 5_000 });
  t.after(c.stop);
  const bigKey = "big:{hash}";
  const slot = keySlot(bigKey);
  const owner = (await Promise.all(c.primaries.map(async (p) => ((await ownedSlots(p)).includes(slot) ? p : undefined)))).find(Boolean);
  assert.ok(owner);
  const conn = owner.connect();
  t.after(() => conn.disconnect());
  const fields = 500_000;
  for (let start = 0; start < fields; start += 5000) {
    const args: string[] = [];
    for (let f = start; f < start + 5000; f++) args.push(`f${f}`, `${f}:`.padEnd(100, "x"));
    await conn.hset(bigKey, ...args);
  }
  const usage = Number(await conn.call("MEMORY", "USAGE", bigKey));
  assert.ok(usage >= 50_000_000, `the hash uses ${usage} bytes`);
  const before = await keyspaceChecksum(c.all, { password: PASSWORD });

  const result = await move({
    source: address(owner), target: address(c.empty[0]), slots: [slot], password: PASSWORD,
    otherPrimaries: c.primaries.filter((p) => p !== owner).map(address),
  });
  assert.deepEqual(result.failedSlots, []);
  assert.ok(result.bytesMoved >= 50_000_000, `bytesMoved ${result.bytesMoved}`);
  assert.ok(result.maxSourceBlockMs > 0);
  t.diagnostic(`50 MB hash: source blocked ${result.maxSourceBlockMs} ms (longest MIGRATE), ${result.elapsedMs} ms total`);
  assert.deepEqual(await ownedSlots(c.empty[0]), [slot]);
  assert.deepEqual(await keyspaceChecksum(c.all, { password: PASSWORD }), before);
  await assertHealthy(c.all);
});

test("BUSYKEY: an equal copy on the target is replaced; a different copy fails the slot without claiming it", async (t) => {
  const c = await startMigrationCluster({ port: 6384, keys: 0 });
  t.after(c.stop);
  const [source] = c.primaries;
  const target = c.empty[0];
  const [equalSlot, differentSlot] = await everyNthSlot(source, 100, 2);
  const keyIn = (slot: number, tag: string): string => {
    for (let i = 0; ; i++) if (keySlot(`${tag}${i}`) === slot) return `${tag}${i}`;
  };
  const equalKey = keyIn(equalSlot, "eq");
  const differentKey = keyIn(differentSlot, "df");
  const src = source.connect();
  const tgt = target.connect();
  t.after(() => { src.disconnect(); tgt.disconnect(); });
  const sourceId = String(await src.call("CLUSTER", "MYID"));
  await src.set(equalKey, "same");
  await src.set(differentKey, "source copy");
  // Leftovers of an interrupted move: the target imports the slots and already holds copies.
  for (const [slot, key, value] of [[equalSlot, equalKey, "same"], [differentSlot, differentKey, "target copy"]] as const) {
    await tgt.call("CLUSTER", "SETSLOT", String(slot), "IMPORTING", sourceId);
    await tgt.pipeline().call("ASKING").set(key, value).exec();
  }

  const result = await move({
    source: address(source), target: address(target), slots: [equalSlot, differentSlot], password: PASSWORD,
    otherPrimaries: c.primaries.slice(1).map(address),
  });
  assert.equal(result.slotsDone, 1);
  assert.equal(result.failedSlots.length, 1);
  assert.equal(result.failedSlots[0].slot, differentSlot);
  assert.match(result.failedSlots[0].error, new RegExp(`different values \\(${differentKey}\\)`));
  assert.deepEqual(await ownedSlots(target), [equalSlot]);
  assert.equal(await src.get(differentKey), "source copy", "the source keeps its copy of the failed slot");
  assert.equal(Number(await src.call("CLUSTER", "COUNTKEYSINSLOT", String(equalSlot))), 0, "the source's duplicate was dropped");
  assert.equal(await tgt.get(equalKey), "same");
  const sourceView = await viewOf(source);
  assert.equal(sourceView.migrating.has(differentSlot), true, "the failed slot stays MIGRATING so a resume continues it");

  // The operator resolves the conflict (drops the target's copy) and resumes.
  await tgt.pipeline().call("ASKING").del(differentKey).exec();
  const resumed = await move({ source: address(source), target: address(target), slots: [equalSlot, differentSlot], password: PASSWORD, otherPrimaries: c.primaries.slice(1).map(address) });
  assert.deepEqual(resumed.failedSlots, []);
  await waitFor(async () => (await ownedSlots(target)).length === 2, { what: "the target to own both slots" });
  await assertNoOpenSlots(c.all);
  await assertHealthy(c.all);
});

test("a target that stops answering for a moment (MIGRATE's IOERR) is retried; every slot moves, no key lost", async (t) => {
  const keys = 5_000;
  const c = await startMigrationCluster({ port: 6393, keys });
  t.after(c.stop);
  const [source] = c.primaries;
  const target = c.empty[0];
  const slots = await everyNthSlot(source, 50, 20);
  const src = source.connect();
  const tgt = target.connect();
  t.after(() => { src.disconnect(); tgt.disconnect(); });
  // The slots are already open on both sides (an interrupted move), so the move's first command to
  // the target is a batch's RESTORE: a pause would hold a SETSLOT as well.
  const [sourceId, targetId] = [String(await src.call("CLUSTER", "MYID")), String(await tgt.call("CLUSTER", "MYID"))];
  for (const slot of slots) {
    await tgt.call("CLUSTER", "SETSLOT", String(slot), "IMPORTING", sourceId);
    await src.call("CLUSTER", "SETSLOT", String(slot), "MIGRATING", targetId);
  }
  // The target takes no write until told: the first batch's RESTORE waits there, MIGRATE (timeout
  // 100 ms) gets IOERR, and only then does the target answer again.
  await tgt.call("CLIENT", "PAUSE", "30000", "WRITE");
  const moving = move({
    source: address(source), target: address(target), slots, password: PASSWORD, migrateTimeoutMs: 100,
    otherPrimaries: c.primaries.slice(1).map(address),
  });
  const watcher = target.connect();
  t.after(() => watcher.disconnect());
  await waitFor(async () => /blocked_clients:[1-9]/.test(String(await watcher.info("clients"))), { what: "a RESTORE held by the pause" });
  await new Promise((resolve) => setTimeout(resolve, 400));
  await watcher.call("CLIENT", "UNPAUSE");
  const result = await moving;
  assert.deepEqual(result.failedSlots, []);
  assert.equal(result.slotsDone, slots.length);
  assert.deepEqual(await ownedSlots(target), [...slots].sort((a, b) => a - b));
  assert.deepEqual(await keyspaceChecksum(c.all, { match: "key:*", password: PASSWORD }), expectedChecksum(keys, 100));
  await assertNoOpenSlots(c.all);
  await assertHealthy(c.all);
});

test("refuses engines that cannot take part before touching any slot", async (t) => {
  const c = await startMigrationCluster({ port: 6385, keys: 0, emptyPrimaries: 1 });
  t.after(c.stop);
  const [a, b] = c.primaries;
  const slotOfB = (await ownedSlots(b))[0];
  const result = await move({ source: address(a), target: address(c.empty[0]), slots: [slotOfB], password: PASSWORD });
  assert.equal(result.failedSlots.length, 1);
  assert.match(result.failedSlots[0].error, /is owned by node [0-9a-f]+, not by the source/);
  await assert.rejects(
    move({ source: address(a), target: address(c.empty[0]), slots: [0], password: "wrong" }),
    /cannot connect to 127\.0\.1\.1:6385 .*check the address and password/,
  );
  await assertHealthy(c.all);
});

/** A field of CLUSTER INFO as a number. */
async function clusterInfoNumber(e: EngineProcess, field: string): Promise<number> {
  const conn = e.connect();
  try {
    const info = String(await conn.call("CLUSTER", "INFO"));
    return Number(new RegExp(`${field}:(\\d+)`).exec(info)?.[1] ?? NaN);
  } finally {
    conn.disconnect();
  }
}

/** Config epoch per node id, as `e` sees them (CLUSTER NODES, 7th field). */
async function configEpochs(e: EngineProcess): Promise<Map<string, number>> {
  const conn = e.connect();
  try {
    const lines = String(await conn.call("CLUSTER", "NODES")).trim().split("\n");
    return new Map(lines.map((l) => { const f = l.split(" "); return [f[0], Number(f[6])] as [string, number]; }));
  } finally {
    conn.disconnect();
  }
}

test("the target claims its new slots without a PONG broadcast per slot, and ends with the highest config epoch", async (t) => {
  const c = await startMigrationCluster({ port: 6386, keys: 5_000 });
  t.after(c.stop);
  const [source] = c.primaries;
  const target = c.empty[0];
  const slots = await everyNthSlot(source, 4); // ~1365 slots
  const pongsBefore = await clusterInfoNumber(target, "cluster_stats_messages_pong_sent");
  const result = await move({
    source: address(source), target: address(target), slots, password: PASSWORD, otherPrimaries: c.primaries.slice(1).map(address),
  });
  assert.deepEqual(result.failedSlots, []);
  const pongs = (await clusterInfoNumber(target, "cluster_stats_messages_pong_sent")) - pongsBefore;
  // SETSLOT NODE on a slot still IMPORTING broadcasts to all 4 other nodes: that would be > 5000 here.
  assert.ok(pongs < slots.length / 4, `the target sent ${pongs} PONGs while claiming ${slots.length} slots`);
  const targetView = await viewOf(target);
  const epochs = await configEpochs(target);
  const mine = epochs.get(targetView.myId) ?? -1;
  for (const [id, epoch] of epochs) if (id !== targetView.myId) assert.ok(mine > epoch, `target epoch ${mine} is not above ${id}'s ${epoch}`);
  for (const s of slots) assert.equal(targetView.owners[s], targetView.myId, `slot ${s} is not owned by the target`);
  assert.deepEqual(await keyspaceChecksum(c.all, { password: PASSWORD }), expectedChecksum(5_000, 100));
  await assertNoOpenSlots(c.all);
  await assertHealthy(c.all);
});

test("a user without scripting rights still migrates: SETSLOTs and batches go through pipelines instead", async (t) => {
  const c = await startMigrationCluster({ port: 6387, keys: 5_000 });
  t.after(c.stop);
  for (const e of c.all) {
    const conn = e.connect();
    await conn.call("ACL", "SETUSER", "mover", "on", ">mover-pw", "~*", "&*", "+@all", "-@scripting");
    conn.disconnect();
  }
  // The user really cannot run scripts: otherwise this test would not reach the pipeline fallbacks.
  const denied = c.primaries[0].connect();
  try {
    await denied.call("AUTH", "mover", "mover-pw");
    await assert.rejects(denied.call("EVAL", "return 1", "0"), /NOPERM/);
  } finally {
    denied.disconnect();
  }
  const [source] = c.primaries;
  const slots = await everyNthSlot(source, 16);
  const result = await move({
    source: address(source), target: address(c.empty[0]), slots, username: "mover", password: "mover-pw",
    otherPrimaries: c.primaries.slice(1).map(address),
  });
  assert.deepEqual(result.failedSlots, []);
  assert.equal(result.slotsDone, slots.length);
  assert.ok(result.keysMoved > 0);
  assert.deepEqual(await keyspaceChecksum(c.all, { password: PASSWORD }), expectedChecksum(5_000, 100));
  await assertNoOpenSlots(c.all);
  await assertHealthy(c.all);
});

for (const [engine, port] of [["redis", 6391], ["valkey", 6392]] as const) {
  test(`${engine}: a slot the source gave away but the target never claimed (its sidecar killed between the steps) is claimed on resume`, async (t) => {
    const c = await startMigrationCluster({ port, keys: 0, engine });
    t.after(c.stop);
    const [source] = c.primaries;
    const target = c.empty[0];
    const slots = await everyNthSlot(source, 512);
    const targetId = (await viewOf(target)).myId;
    // The source's step 3 ran (NODE <target>) but the target's claim did not: no engine serves the slots.
    const conn = source.connect();
    try {
      for (const s of slots) await conn.call("CLUSTER", "SETSLOT", String(s), "NODE", targetId);
    } finally {
      conn.disconnect();
    }
    const stuck = await viewOf(target);
    for (const s of slots) assert.notEqual(stuck.owners[s], targetId, `slot ${s}: the target must not claim it before the resume`);
    const result = await move({ source: address(source), target: address(target), slots, password: PASSWORD, otherPrimaries: c.primaries.slice(1).map(address) });
    assert.deepEqual(result.failedSlots, []);
    assert.equal(result.slotsDone, slots.length);
    for (const e of c.all) {
      const view = await viewOf(e);
      for (const s of slots) assert.equal(view.owners[s], targetId, `${e.host}: slot ${s} is not the target's`);
    }
    const cluster = await readyCluster(c.all);
    t.after(() => cluster.disconnect());
    let i = 0;
    while (keySlot(`k${i}`) !== slots[0]) i++;
    await cluster.set(`k${i}`, "written after the claim");
    assert.equal(await cluster.get(`k${i}`), "written after the claim");
    await assertNoOpenSlots(c.all);
    await assertHealthy(c.all);
  });
}
