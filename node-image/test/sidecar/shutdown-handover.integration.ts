// A primary stopped by SIGTERM (its pod deleted) on real engines (127.0.6.1–6): with the flag the sidecar
// sets (shutdown-handover.ts), Valkey hands the slots to the standby by a coordinated failover before it
// exits, and every write it acknowledged is on the new primary; Redis 7.0 refuses the flag (the operator
// fails over once the engine stopped: controller/recovery.ts).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { ShutdownHandover } from "../../src/sidecar/shutdown-handover.ts";
import { formCluster, startEngines, testEngines, waitFor, type Engines } from "../../../testing/engines.ts";
import type { FormedCluster } from "../../../testing/cluster.ts";

const PASSWORD = "handover-it-password-0123";
const quiet = { info: () => {} };

for (const [n, engine] of testEngines().entries()) describe(`a primary stopped by SIGTERM on ${engine}`, { timeout: 120_000 }, () => {
  let engines: Engines;
  let cluster: FormedCluster;
  const conns: Redis[] = [];
  const connect = (i: number) => { const c = cluster.primaries.concat(cluster.replicas)[i].connect(); conns.push(c); return c; };

  before(async () => {
    engines = await startEngines({ count: 6, engine, ipBase: "127.0.6", port: 6390 + n, password: PASSWORD, nodeTimeoutMs: 2000 });
    cluster = await formCluster(engines.engines, { primaries: 3, replicasPerPrimary: 1 });
  });

  after(async () => {
    for (const c of conns) c.disconnect();
    await engines?.stop();
  });

  test(engine === "valkey" ? "the standby serves the slots before the old primary exits, with every acknowledged write" : "the engine refuses the flag; it stops after its standby caught up", async () => {
    const primary = cluster.primaries[0];
    const p = connect(0);
    const handover = new ShutdownHandover({ call: (...args) => p.call(String(args[0]), ...args.slice(1).map(String)) }, quiet);
    await handover.keep({ runId: "run-1" });
    assert.equal(handover.enabled, engine === "valkey");
    let standby: Redis | undefined;
    for (const r of cluster.replicas) {
      const c = r.connect();
      conns.push(c);
      if (String(await c.info("replication")).includes(`master_host:${primary.host}\r\nmaster_port:${primary.port}`)) standby = c;
    }
    assert.ok(standby, "primary 0 has a standby");
    const s = standby;
    await waitFor(async () => /master_link_status:up/.test(String(await s.info("replication"))), { what: "the standby in sync", timeoutMs: 20_000 });
    // A hash tag in one of primary 0's slots.
    const mine = String(await p.call("CLUSTER", "NODES")).split("\n").find((l) => l.includes("myself"))!.split(" ").slice(8);
    const owns = (slot: number) => mine.some((r) => { const [a, b] = r.split("-").map(Number); return slot >= a && slot <= (b ?? a); });
    let tag = "";
    for (let i = 0; !tag; i++) if (owns(Number(await p.call("CLUSTER", "KEYSLOT", `t${i}`)))) tag = `t${i}`;
    // A writer on the primary's slots; each acknowledged key is remembered.
    const acked: string[] = [];
    let stop = false;
    const writing = (async () => {
      for (let i = 0; !stop; i++) {
        const key = `{${tag}}k${i}`;
        try { await p.set(key, "v"); acked.push(key); } catch { break; }
      }
    })();
    await waitFor(() => acked.length > 200, { what: "writes on the primary", timeoutMs: 10_000 });
    const t0 = Date.now();
    await primary.kill("SIGTERM");
    stop = true;
    await writing;
    const role = String(await s.info("replication"));
    if (engine === "valkey") assert.match(role, /role:master/, `the standby took over before the old primary exited (${Date.now() - t0} ms)`);
    else await s.call("CLUSTER", "FAILOVER", "FORCE");
    await waitFor(async () => /role:master/.test(String(await s.info("replication"))), { what: "the standby to be primary", timeoutMs: 10_000 });
    const values = await Promise.all(acked.map((k) => s.get(k)));
    assert.deepEqual(acked.filter((_, i) => values[i] !== "v"), [], `every write the old primary acknowledged (${acked.length}) is on the new primary`);
  });
});
