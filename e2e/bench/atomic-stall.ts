// npm run bench:atomic-stall — where an atomic slot migration job (Valkey ≥ 9, CLUSTER MIGRATESLOTS)
// stalls its source, and how that grows with the job (docs/benchmarks.md#the-guarded-atomic-target).
// One source holding BENCH_KEYS keys × 100 B over every slot, one empty target, both on loopback
// (127.0.21.x) with files in /dev/shm. Jobs of growing size (BENCH_SLOTS, slots per job) move in turn
// while a second connection PINGs the source back to back: a PING waits for whatever the source's
// main thread does (and for a core), so the gaps are what every client of the source waits. Per job:
// its keys, its time, the PINGs' p50 and worst, the time spent in PINGs over 1 ms, and when in the job
// each of them came. The engines' settings are the member's (engine-config.ts) as far as they matter
// here: cluster mode, no persistence. The last line is one JSON object.
import { performance } from "node:perf_hooks";
import { startEngines } from "../../testing/engines.ts";
import { sleep } from "../../common/wait.ts";

const KEYS = Number(process.env.BENCH_KEYS ?? 300_000);
const SLOTS = (process.env.BENCH_SLOTS ?? "16,64,256,1024,2048,4096").split(",").map(Number);
const log = (line: string) => console.error(`[bench:atomic-stall] ${line}`);

interface JobStall { slots: number; keys: number; state: string; jobMs: number; pings: number; p50Ms: number; worstMs: number; stalledMs: number; stallsAt: string[] }

const { engines, stop } = await startEngines({ count: 2, engine: "valkey", ipBase: "127.0.21", port: 6390, clusterEnabled: true, baseDir: "/dev/shm" });
try {
  const [source, target] = engines.map((e) => e.connect());
  await source.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
  await target.call("CLUSTER", "MEET", engines[0].host, String(engines[0].port));
  const targetId = String(await target.call("CLUSTER", "MYID"));
  for (let i = 0; !(String(await source.call("CLUSTER", "NODES")).includes(`${targetId} `)); i++) {
    if (i > 300) throw new Error("the source never learned of the target (CLUSTER MEET)");
    await sleep(50);
  }
  for (let i = 0; !/cluster_state:ok/.test(String(await source.call("CLUSTER", "INFO"))); i++) {
    if (i > 300) throw new Error("the source's cluster_state never became ok");
    await sleep(50);
  }
  for (let i = 0; i < KEYS; i += 5000) {
    const p = source.pipeline();
    for (let j = i; j < Math.min(KEYS, i + 5000); j++) p.set(`k:{${j % 16384}}:${j}`, "x".repeat(100));
    const failed = (await p.exec())?.find(([err]) => err);
    if (failed) throw new Error(`loading the source: ${failed[0]?.message}`);
  }
  log(`loaded ${await source.dbsize()} keys`);
  const probe = engines[0].connect();
  const jobs: JobStall[] = [];
  let next = 0;
  for (const slots of SLOTS) {
    const from = next, to = next + slots - 1;
    next = to + 1;
    const keys = Number(await source.eval(`local n = 0 for s = ${from}, ${to} do n = n + redis.call('CLUSTER', 'COUNTKEYSINSLOT', s) end return n`, 0));
    const samples: [number, number][] = [];
    let probing = true;
    const t0 = performance.now();
    const loop = (async () => {
      while (probing) { const s = performance.now(); await probe.ping(); samples.push([s - t0, performance.now() - s]); }
    })();
    await sleep(100);
    const start = performance.now() - t0;
    await source.call("CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", String(from), String(to), "NODE", targetId);
    let state = "";
    while (!["success", "failed", "cancelled"].includes(state)) {
      const [newest] = (await source.call("CLUSTER", "GETSLOTMIGRATIONS")) as string[][];
      state = newest[newest.indexOf("state") + 1];
      await sleep(2);
    }
    const end = performance.now() - t0;
    await sleep(150);
    probing = false;
    await loop;
    const during = samples.filter(([at]) => at >= start - 5 && at <= end + 100);
    const rtts = during.map(([, ms]) => ms).sort((a, b) => a - b);
    const slow = during.filter(([, ms]) => ms > 1);
    const job: JobStall = {
      slots, keys, state, jobMs: round(end - start), pings: rtts.length, p50Ms: round(rtts[Math.floor(rtts.length / 2)]), worstMs: round(rtts.at(-1) ?? 0),
      stalledMs: round(slow.reduce((sum, [, ms]) => sum + ms, 0)), stallsAt: slow.filter(([, ms]) => ms > 5).map(([at, ms]) => `${Math.round(at - start)} ms: ${round(ms)}`),
    };
    jobs.push(job);
    log(JSON.stringify(job));
  }
  for (const c of [source, target, probe]) c.disconnect();
  console.log(JSON.stringify({ bench: "atomic-stall", keys: KEYS, valueBytes: 100, cores: (await import("node:os")).cpus().length, jobs, units: "ms" }));
} finally {
  await stop();
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
