// temporary experiment (not committed): native failover timing on bare engines, no operator.
import { startEngines } from "../../../testing/engines.ts";
import { formCluster } from "../../../testing/cluster.ts";
import { waitFor } from "../../../common/wait.ts";

const { engines, stop } = await startEngines({ count: 6, ipBase: "127.0.23", password: "exp-password-0123456789", nodeTimeoutMs: 5000,
  baseDir: "/dev/shm", extraConfig: { "cluster-replica-validity-factor": 0, "cluster-allow-replica-migration": "no", "cluster-require-full-coverage": "yes", appendonly: "yes" } });
try {
  const c = await formCluster(engines, { primaries: 3, replicasPerPrimary: 1 });
  const idOf = (e: typeof engines[number]) => c.nodeIds.get(`${e.host}:${e.port}`)!;
  const role = async (e: typeof engines[number]) => { const r = e.connect(); try { return String(((await r.call("ROLE")) as unknown[])[0]); } catch { return "down"; } finally { r.disconnect(); } };
  for (let k = 0; k < Number(process.argv[2] ?? 8); k++) {
    const shard = k % 3;
    // current primary of the shard: the pair (shard, shard+3)
    const pair = [engines[shard], engines[shard + 3]];
    const roles = await Promise.all(pair.map(role));
    const victim = pair[roles.indexOf("master")];
    const other = pair.find((e) => e !== victim)!;
    const t0 = Date.now();
    await victim.kill("SIGKILL");
    const meet = process.env.MEET === "1";
    let stopMeet = false;
    const meeter = (async () => {
      while (meet && !stopMeet) {
        const live = engines.filter((e) => e !== victim);
        const seed = live[0];
        for (const e of live.slice(1)) { const r = e.connect(); try { await r.call("CLUSTER", "MEET", seed.host, String(seed.port)); } catch { /* */ } finally { r.disconnect(); } }
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    await waitFor(async () => (await role(other)) === "master", { what: "promotion", timeoutMs: 120_000, intervalMs: 20 });
    stopMeet = true;
    await meeter;
    const ms = Date.now() - t0;
    console.log(`kill ${k} shard ${shard} ${victim.host}: replica ${other.host} master after ${ms} ms`);
    await victim.restart();
    await waitFor(async () => { const r = victim.connect(); try { return String(await r.info("replication")).includes("master_link_status:up"); } catch { return false; } finally { r.disconnect(); } }, { what: "rejoin", timeoutMs: 60_000, intervalMs: 100 });
    await new Promise((r) => setTimeout(r, 500));
  }
  void idOf;
} finally {
  await stop();
}
