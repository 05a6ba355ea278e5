// A member's /metrics and log lines on real processes: one engine on 127.0.6.1 (redis-server;
// valkey-server on 127.0.7.1: once per engine of testEngines()) with its mdb-sidecar, driven through the
// operator's GrpcSidecarClient. /metrics is scraped as Prometheus does (no token) and must show what
// the engine really holds and the member's state; the sidecar's log lines must be the operator's
// format, naming the member and, while it serves a call made for a plan step, the plan and the step.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { withLogContext } from "../../../common/log.ts";
import { startEngines, testEngines, waitFor, type Engines } from "../../../testing/engines.ts";
import { SidecarProcess } from "./sidecar-process.ts";
import type { GrpcSidecarClient } from "../../../operator/src/sidecar/grpc-client.ts";

const PASSWORD = "metrics-it-password-0123456789";
const TOKEN = "metrics-it-token-".padEnd(48, "t");
const KEYS = 1_000;
const EXPIRING = 25;
const IDENTITY = { MDB_NAMESPACE: "it", MDB_CLUSTER: "metrics", MDB_MEMBER: "metrics-0-0", MDB_SHARD: "0" };
const L = 'cluster="metrics",member="metrics-0-0",shard="0"';

/** The value of the one sample `name{labels}` in a scrape (undefined when it is not there). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

for (const [n, engine] of testEngines().entries()) describe(`a member's /metrics and log lines (${engine})`, { timeout: 120_000 }, () => {
  let engines: Engines;
  let sidecar: SidecarProcess;
  let client: GrpcSidecarClient;

  before(async () => {
    engines = await startEngines({ engine, count: 1, ipBase: `127.0.${6 + n}`, password: PASSWORD });
    sidecar = new SidecarProcess({ engine: engines.engines[0], password: PASSWORD, token: TOKEN, extraEnv: { ...IDENTITY, MDB_LOG_LEVEL: "debug" } });
    await sidecar.start();
    client = sidecar.client();
  });

  after(async () => {
    client?.close();
    await sidecar?.stop();
    await engines?.stop();
  });

  test("before it holds anything: no token needed, the engine up, the member ONLINE with no keys", async () => {
    // The first scrape may come before the sidecar has reached its engine (a loaded machine): redis_up 0 then.
    const { status, contentType, text } = await waitFor(async () => {
      const r = await sidecar.scrape();
      return r.status === 200 && sample(r.text, `redis_up{${L}}`) === 1 && r;
    }, { what: "a scrape with the engine up", timeoutMs: 15_000, intervalMs: 200 });
    assert.equal(status, 200, text);
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    assert.equal(sample(text, `redis_up{${L}}`), 1, text);
    assert.equal(sample(text, `mdb_member_state{state="ONLINE",${L}}`), 1);
    assert.equal(sample(text, `redis_db_keys{db="db0",${L}}`), 0);
    assert.equal(sample(text, `mdb_member_slots{state="owned",${L}}`), 0);
    assert.equal(sample(text, `redis_cluster_state{${L}}`), 0, "no slots: the engine's cluster_state is fail");
    assert.ok((sample(text, `mdb_sidecar_process_resident_memory_bytes{${L}}`) ?? 0) > 0, "the sidecar's own process metrics");
  });

  test(`after the member takes every slot and ${KEYS} keys are written: redis_db_keys is ${KEYS}, the member ACTIVE, as the engine says`, async () => {
    await withLogContext({ plan: "it-plan-1", step: "assign-slots/metrics-0-0" }, () => client.assignSlots([{ start: 0, end: 16383 }]));
    const redis = engines.engines[0].connect();
    try {
      await waitFor(async () => /cluster_state:ok/.test(String(await redis.call("CLUSTER", "INFO"))), { what: "cluster_state ok", timeoutMs: 15_000 });
      const pipeline = redis.pipeline();
      for (let i = 0; i < KEYS; i++) {
        if (i < EXPIRING) pipeline.set(`metrics:${i}`, `v${i}`, "EX", 600);
        else pipeline.set(`metrics:${i}`, `v${i}`);
      }
      await pipeline.exec();
      const dbsize = await redis.dbsize();
      assert.equal(dbsize, KEYS, "the engine holds the keys written");
      const before = Number(/total_commands_processed:(\d+)/.exec(await redis.info("stats"))![1]);
      const { text } = await sidecar.scrape();
      assert.equal(sample(text, `redis_db_keys{db="db0",${L}}`), dbsize, text);
      assert.equal(sample(text, `redis_db_keys_expiring{db="db0",${L}}`), EXPIRING);
      assert.equal(sample(text, `mdb_member_state{state="ACTIVE",${L}}`), 1);
      assert.equal(sample(text, `mdb_member_state{state="ONLINE",${L}}`), 0);
      assert.equal(sample(text, `mdb_member_ready{${L}}`), 1);
      assert.equal(sample(text, `mdb_member_slots{state="owned",${L}}`), 16384);
      assert.equal(sample(text, `redis_cluster_state{${L}}`), 1);
      assert.equal(sample(text, `redis_cluster_slots_assigned{${L}}`), 16384);
      assert.equal(sample(text, `redis_connected_slaves{${L}}`), 0);
      const processed = sample(text, `redis_commands_processed_total{${L}}`)!;
      assert.ok(processed >= before && processed >= KEYS, `commands processed ${processed}: at least the ${KEYS} SETs and what INFO said before the scrape (${before})`);
      assert.ok((sample(text, `redis_memory_used_bytes{${L}}`) ?? 0) > 0);
      assert.ok((sample(text, `redis_connected_clients{${L}}`) ?? 0) >= 2, "the sidecar's connection and this test's");
      assert.ok((sample(text, `mdb_member_observation_age_seconds{${L}}`) ?? Infinity) < 1, "the scrape observed the engine just now");
      for (const secret of [PASSWORD, TOKEN, "metrics:1"]) assert.ok(!text.includes(secret), `/metrics must not show ${secret}`);

      const deletes = redis.pipeline();
      for (let i = 0; i < 100; i++) deletes.del(`metrics:${i}`);
      await deletes.exec();
      assert.equal(sample((await sidecar.scrape()).text, `redis_db_keys{db="db0",${L}}`), KEYS - 100, "each scrape reads the engine anew");
    } finally {
      redis.disconnect();
    }
  });

  test("only GET /metrics is served", async () => {
    const res = await fetch(`http://${sidecar.host}:7072/`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 404);
  });

  test("every log line is the operator's format naming the member; the call made for a plan step names the plan and the step", () => {
    const lines = sidecar.logLines().map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(lines.length > 0);
    for (const l of lines) {
      assert.deepEqual(Object.keys(l).slice(0, 2), ["time", "level"], JSON.stringify(l));
      assert.ok(!Number.isNaN(Date.parse(String(l.time))), JSON.stringify(l));
      assert.deepEqual([l.cluster, l.member, l.shard], ["it/metrics", "metrics-0-0", 0], JSON.stringify(l));
      assert.equal(typeof l.message, "string");
    }
    const serving = lines.find((l) => l.message === "mdb-sidecar serving");
    assert.equal(serving?.logLevel, "debug");
    const ofStep = lines.filter((l) => l.plan === "it-plan-1");
    assert.deepEqual(ofStep.map((l) => l.message).filter((m) => m === "AssignSlots received" || String(m).startsWith("state ")),
      ["AssignSlots received", "state ONLINE → MIGRATING", "state MIGRATING → ACTIVE"], JSON.stringify(ofStep));
    assert.ok(ofStep.every((l) => l.step === "assign-slots/metrics-0-0"));
    assert.ok(lines.filter((l) => l.message === "member restored as ONLINE").every((l) => l.plan === undefined), "lines outside a call name no plan");
    const text = sidecar.logLines().join("\n");
    for (const secret of [PASSWORD, TOKEN]) assert.ok(!text.includes(secret), `the log must not show ${secret}`);
  });
});
