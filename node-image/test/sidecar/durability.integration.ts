// spec.durability on real engines (127.0.4.1–2): a primary running the min-replicas directives that
// mdb-engine renders for durability replicated (node timeout 2000 ms: lag bound 2 s) refuses writes
// (NOREPLICAS) until a standby is in sync; a standby that goes silent without closing the connection
// counts out after the lag bound, one whose connection closes counts out at once. Async renders no
// such bound: engine-config.test.ts.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { parseEngineSettings, renderEngineConfig } from "../../src/sidecar/engine-config.ts";
import { clusterNodeId, startEngines, waitFor, type Engines } from "../../../testing/engines.ts";

const PASSWORD = "durability-it-password-0123";

/** The min-replicas-* lines of the redis.conf mdb-engine renders for a replicated 1-standby pod. */
function renderedDirectives(): Record<string, string> {
  const conf = renderEngineConfig(parseEngineSettings({ MDB_POD_IP: "127.0.4.1", MDB_DURABILITY: "replicated", MDB_REPLICAS: "1", MDB_NODE_TIMEOUT_MS: "2000" }), PASSWORD);
  return Object.fromEntries(conf.split("\n").filter((l) => l.startsWith("min-replicas-")).map((l) => l.split(" ") as [string, string]));
}

describe("durability replicated on real engines", { timeout: 90_000 }, () => {
  let engines: Engines;
  let primary: Redis;
  let standby: Redis;

  const write = async (key: string): Promise<string> => {
    try {
      return String(await primary.set(key, "v"));
    } catch (err) {
      return (err as Error).message;
    }
  };
  const goodStandbys = async () => Number(/min_slaves_good_slaves:(\d+)/.exec(String(await primary.info("replication")))?.[1] ?? -1);

  before(async () => {
    const directives = renderedDirectives();
    assert.deepEqual(directives, { "min-replicas-to-write": "1", "min-replicas-max-lag": "2" });
    engines = await startEngines({ count: 2, ipBase: "127.0.4", password: PASSWORD, nodeTimeoutMs: 2000, extraConfig: directives });
    [primary, standby] = engines.engines.map((e) => e.connect());
    await primary.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
    await waitFor(async () => /cluster_state:ok/.test(String(await primary.call("CLUSTER", "INFO"))), { what: "cluster_state ok on 127.0.4.1", timeoutMs: 15_000 });
  });

  after(async () => {
    for (const c of [primary, standby]) c?.disconnect();
    await engines?.stop();
  });

  test("without a standby the primary refuses writes: NOREPLICAS", async () => {
    assert.match(await write("k0"), /^NOREPLICAS/);
  });

  test("with a standby in sync it takes them, and WAIT 1 confirms the standby has them", async () => {
    await standby.call("CLUSTER", "MEET", "127.0.4.1", "6379");
    const primaryId = await clusterNodeId(primary);
    await waitFor(async () => String(await standby.call("CLUSTER", "NODES")).includes(primaryId), { what: "the standby to know the primary", timeoutMs: 15_000 });
    await standby.call("CLUSTER", "REPLICATE", primaryId);
    await waitFor(async () => (await goodStandbys()) === 1, { what: "one good standby on the primary", timeoutMs: 20_000, intervalMs: 100 });
    assert.equal(await write("k1"), "OK");
    assert.equal(await primary.wait(1, 2_000), 1);
  });

  test("a standby gone silent (connection open) counts out after the lag bound, not at once; back, it counts again", async () => {
    const engine = engines.engines[1];
    const t0 = Date.now();
    process.kill(engine.pid, "SIGSTOP");
    let takenWhileSilent = 0;
    try {
      await waitFor(async () => {
        const r = await write(`silent:${takenWhileSilent}`);
        if (r === "OK") { takenWhileSilent++; return false; }
        return /^NOREPLICAS/.test(r);
      }, { what: "writes refused once the silent standby's lag passes 2 s", timeoutMs: 15_000, intervalMs: 50 });
    } finally {
      process.kill(engine.pid, "SIGCONT");
    }
    const refusedMs = Date.now() - t0;
    // The standby acked at most 1 s before it stopped; refused once its lag exceeds 2 whole seconds,
    // checked once a second.
    assert.ok(refusedMs >= 1_000 && refusedMs <= 6_000, `refused after ${refusedMs} ms (lag bound 2 s)`);
    assert.ok(takenWhileSilent > 0, "writes are taken inside the bound: what a failover then could lose unless the client WAITs");
    await waitFor(async () => (await write("k2")) === "OK", { what: "writes taken again once the standby answers", timeoutMs: 15_000, intervalMs: 100 });
  });

  test("a standby whose connection closes counts out at once", async () => {
    await engines.engines[1].kill("SIGKILL");
    const t0 = Date.now();
    await waitFor(async () => /^NOREPLICAS/.test(await write("k3")), { what: "writes refused once the standby's connection closed", timeoutMs: 5_000, intervalMs: 20 });
    assert.ok(Date.now() - t0 < 1_000, `refused after ${Date.now() - t0} ms`);
  });
});
