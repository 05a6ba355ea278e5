// The shared engine harness itself: a formed cluster, loaded data and the checksum agree with the
// generator, and `redis-cli --cluster check` sees a healthy cluster.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  startEngines, formCluster, loadKeys, keyspaceChecksum, expectedChecksum, redisCliClusterCheck, keySlot,
} from "../../../testing/engines.ts";

test("harness: 3 primaries + 3 replicas form, load, checksum and pass redis-cli check", async (t) => {
  const { engines, stop } = await startEngines({ count: 6, ipBase: "127.0.2", password: "harness-pw" });
  t.after(stop);
  const formed = await formCluster(engines, { primaries: 3, replicasPerPrimary: 1 });
  assert.equal(formed.primaries.length, 3);
  assert.equal(formed.replicas.length, 3);
  await loadKeys(engines, 5000, 64);
  const actual = await keyspaceChecksum(engines);
  assert.deepEqual(actual, expectedChecksum(5000, 64));
  // A changed value changes the digest (the checksum can fail).
  const conn = engines[0].connect();
  try {
    const key = ["key:1", "key:2", "key:3", "key:4"].find((k) => keySlot(k) < 5461);
    assert.ok(key);
    await conn.set(key, "different");
  } finally {
    conn.disconnect();
  }
  assert.notEqual((await keyspaceChecksum(engines)).digest, actual.digest);
  const check = await redisCliClusterCheck(engines[0].host, engines[0].port, "harness-pw");
  assert.ok(check.ok, check.output);
});

test("harness: keySlot matches the engine's CLUSTER KEYSLOT", async (t) => {
  const { engines, stop } = await startEngines({ count: 1, ipBase: "127.0.2", port: 6390 });
  t.after(stop);
  const conn = engines[0].connect();
  try {
    for (const key of ["key:1", "foo", "{user1}.following", "a{}b", "{}{x}", "ümlaut"]) {
      assert.equal(keySlot(key), Number(await conn.call("CLUSTER", "KEYSLOT", key)), key);
    }
  } finally {
    conn.disconnect();
  }
});
