// The latency guard on real engines: an artificial load on the source mid-move (DEBUG SLEEP bursts,
// which block the engine as a slow command or a lost core would) makes the guard slow the move down,
// and when the load goes away it speeds up again; the move itself stays lossless.
import { test } from "node:test";
import assert from "node:assert/strict";
import { keyspaceChecksum, expectedChecksum, redisCliClusterCheck, waitForClusterConsistent } from "../../../testing/engines.ts";
import { waitFor, sleep } from "../../../common/wait.ts";
import type { GuardStatus, MigrationProgress } from "../../src/migration/index.ts";
import { PASSWORD, startMigrationCluster, address, ownedSlots, move } from "./fixtures.ts";

test("the guard halves the pace while DEBUG SLEEP bursts block the source, and speeds up once they stop; nothing lost", async (t) => {
  const keys = 240_000;
  const c = await startMigrationCluster({ port: 6388, keys, extraConfig: { "enable-debug-command": "local" } });
  t.after(c.stop);
  const [source] = c.primaries;
  const slots = await ownedSlots(source); // ~80k keys
  const seen: { at: number; guard: GuardStatus; keysMoved: number }[] = [];
  let latest: MigrationProgress | undefined;
  const moving = move({
    source: address(source), target: address(c.empty[0]), slots, password: PASSWORD, otherPrimaries: c.primaries.slice(1).map(address),
    // An absolute budget above this shared machine's own noise, below the 40 ms bursts.
    guard: { budgetMs: 15, floorKeysPerSecond: 300 },
  }, { progressIntervalMs: 20, onProgress: (p) => { latest = p; if (p.guard) seen.push({ at: Date.now(), guard: p.guard, keysMoved: p.keysMoved }); } });
  let done = false;
  void moving.finally(() => { done = true; });

  // 1. Unloaded, the guard ramps up from 1/4 of the configured pace.
  await waitFor(() => done || (latest?.guard?.level ?? 0) >= 0.5, { what: "the guard to ramp up to half the configured pace", timeoutMs: 20_000 });
  assert.equal(done, false, "the move ended before the load could start; it needs more keys");
  const before = latest?.guard as GuardStatus;

  // 2. The load: the source sleeps 40 ms out of every 50 ms for 1.5 s.
  const hog = source.connect();
  t.after(() => hog.disconnect());
  const loadStart = Date.now();
  while (Date.now() - loadStart < 1500) {
    await hog.call("DEBUG", "SLEEP", "0.04");
    await sleep(10);
  }
  const underLoad = latest?.guard as GuardStatus;
  const loadEnd = Date.now();

  // 3. The load is gone: the guard speeds up again.
  const recovered = await waitFor(() => (done ? "done" : (latest?.guard?.level ?? 0) >= 4 * underLoad.level ? latest?.guard : undefined), { what: "the guard to speed up after the load", timeoutMs: 20_000 });
  const result = await moving;

  t.diagnostic(`before the load ${JSON.stringify(before)}`);
  t.diagnostic(`end of the load ${JSON.stringify(underLoad)}`);
  t.diagnostic(`after ${JSON.stringify(recovered)}; move ${result.elapsedMs} ms`);
  assert.ok(underLoad.decreases > before.decreases, "the guard decreased the pace under load");
  assert.ok(underLoad.level <= before.level / 4, `level under load ${underLoad.level}, before ${before.level}`);
  assert.ok(underLoad.batchKeys < before.batchKeys, "smaller batches under load");
  assert.ok(underLoad.keysPerSecond === 0 || underLoad.keysPerSecond >= 300, "a guard rate, when set, is never below the floor");
  assert.notEqual(recovered, "done", "the guard sped up before the move ended");
  if (recovered !== "done" && recovered) assert.ok(recovered.increases > underLoad.increases);
  // What really moved tells the same: during the load the move crawled, afterwards it ran again.
  const rateBetween = (from: number, to: number) => {
    const a = seen.filter((s) => s.at >= from)[0];
    const b = seen.filter((s) => s.at <= to).at(-1);
    return a && b && b.at > a.at ? ((b.keysMoved - a.keysMoved) * 1000) / (b.at - a.at) : NaN;
  };
  const during = rateBetween(loadStart + 500, loadEnd);
  const after = rateBetween(loadEnd + 200, Date.now());
  t.diagnostic(`moved during the load (after 500 ms) ${Math.round(during)} keys/s, after it ${Math.round(after)} keys/s`);
  assert.ok(after > 2 * during, `moved ${Math.round(after)} keys/s after the load vs ${Math.round(during)} during`);

  assert.deepEqual(result.failedSlots, []);
  assert.equal(result.slotsDone, slots.length);
  assert.deepEqual(await keyspaceChecksum(c.all, { password: PASSWORD }), expectedChecksum(keys, 100));
  await waitForClusterConsistent(c.all);
  const check = await redisCliClusterCheck(c.all[0].host, c.all[0].port, PASSWORD);
  assert.ok(check.ok, check.output);
});
