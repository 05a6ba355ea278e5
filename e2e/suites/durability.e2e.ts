// spec.durability end to end (issue 16): the API server refuses replicated without a standby and a
// change of mode, each naming spec.durability; a 1 × 1 cluster with durability replicated takes writes
// while its standby is in sync, refuses them (NOREPLICAS) from the moment the standby's pod is deleted
// until the operator has brought the member back and it has synced, then takes them again, and after
// its primary's pod is deleted the promoted standby refuses writes until the old member is back as its
// standby; a 1 × 1 async cluster keeps taking writes through a lost standby (and WAIT tells the client
// no standby has them). Reads only KUBECONFIG; with it unset, runs on a proving ground it starts.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Cluster, Redis } from "ioredis";
import { sleep, waitFor } from "../../common/wait.ts";
import type { MdbCluster } from "../../operator/src/api/types.ts";
import { REPO_ROOT } from "../local/controlplane/cluster.ts";
import { acquireGround, releaseGround, type Ground } from "../support/ground.ts";
import {
  clusterManifest, removeSuiteObjects, conditionOf, createNamespace, installOperator, isReady, Kube, waitForCluster, waitForOperatorReady, type OperatorRelease,
} from "../support/mdb.ts";

const RUN = Date.now().toString(36);
const OPERATOR: OperatorRelease = { release: `dur-${RUN}`, namespace: `mdb-dur-${RUN}-system`, watchNamespace: `mdb-dur-${RUN}`, replicas: 1 };
const NS = OPERATOR.watchNamespace;
const READY_TIMEOUT_MS = 180_000;
const BACK_TIMEOUT_MS = 120_000;

const log = (line: string) => console.log(`  [durability e2e] ${line}`);

/** Ready with every member listed ready. */
const whole = (members: number) => (c: MdbCluster | undefined) =>
  isReady(c) && conditionOf(c, "Degraded")?.status === "False" && c!.status!.readyMembers === members
  && (c!.status!.members ?? []).length === members && c!.status!.members!.every((m) => m.ready);

const manifest = (name: string, replicasPerShard: number, durability: "async" | "replicated") =>
  `${clusterManifest(name, { shards: 1, replicasPerShard })}  durability: ${durability}\n`;

type Outcome = { ok: true } | { ok: false; error: string };

describe("durability: replicated refuses writes no standby can take, async does not", { timeout: 600_000 }, () => {
  let ground: Ground | undefined;
  let kube: Kube;
  let helmInstalled = false;
  const clients: (Redis | Cluster)[] = [];

  /**
   * A plain client on the shard's primary (1 shard: it owns every slot), a cluster client as
   * docs/usage.md#durability has it, and the shard as the status has it.
   */
  async function primaryOf(name: string): Promise<{ client: Redis; cluster: Cluster; primary: string; standby: string }> {
    const shard = (await kube.getCluster(NS, name))!.status!.shardDetails![0];
    return { ...(await connectTo(name, shard.primary!)), primary: shard.primary!, standby: shard.standbys![0] };
  }

  async function connectTo(name: string, member: string): Promise<{ client: Redis; cluster: Cluster }> {
    const c = (await kube.getCluster(NS, name))!;
    const ip = c.status!.members!.find((m) => m.name === member)!.ip!;
    const secret = await kube.core.readNamespacedSecret({ name: c.status!.secretName!, namespace: NS });
    const password = Buffer.from(secret.data!.password, "base64").toString("utf8");
    const client = new Redis({ host: ip, port: 6379, password, maxRetriesPerRequest: 1, commandTimeout: 2_000 });
    const cluster = new Cluster([{ host: ip, port: 6379 }], { redisOptions: { password, commandTimeout: 2_000 } });
    for (const x of [client, cluster]) x.on("error", () => undefined); // each command reports its own outcome
    clients.push(client, cluster);
    return { client, cluster };
  }

  /** docs/usage.md#durability's setReplicated: true once a standby has the write too. */
  async function setReplicated(client: Cluster, key: string, value: string, timeoutMs = 500): Promise<boolean> {
    const [[setError], [waitError, standbys]] = (await client.pipeline().set(key, value).wait(1, timeoutMs).exec())!;
    if (setError) throw setError;
    if (waitError) throw waitError;
    return (standbys as number) >= 1;
  }

  const write = async (client: Redis, key: string): Promise<Outcome> => {
    try {
      await client.set(key, "v");
      return { ok: true };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  };
  const replication = async (client: Redis) => Object.fromEntries(String(await client.info("replication")).split("\r\n").filter((l) => l.includes(":")).map((l) => l.split(":")));
  const configOf = async (client: Redis, key: string) => ((await client.config("GET", key)) as string[])[1];

  before(async () => {
    ground = await acquireGround();
    kube = new Kube(ground);
    // This tree's CRD: helm installs a chart's crds/ only when the CRD is missing.
    await kube.must("kubectl", ["apply", "--server-side", "--force-conflicts", "-f", join(REPO_ROOT, "crds/mdbcluster.yaml")]);
    await createNamespace(kube, OPERATOR.namespace);
    await createNamespace(kube, NS);
    await installOperator(kube, OPERATOR);
    helmInstalled = true;
    await waitForOperatorReady(kube, OPERATOR);
    // Both clusters form side by side; each test waits for its own.
    await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], manifest("dur-r", 1, "replicated"));
    await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], manifest("dur-a", 1, "async"));
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    if (!kube) return;
    try {
      await removeSuiteObjects(kube, OPERATOR, ["dur-r", "dur-a"], helmInstalled);
    } finally {
      await releaseGround(ground);
    }
  });

  test("the API server refuses replicated without a standby, naming spec.durability", async () => {
    const r = await kube.run("kubectl", ["apply", "--dry-run=server", "-n", NS, "-f", "-"], manifest("dur-0", 0, "replicated"));
    assert.notEqual(r.code, 0, `accepted: ${r.stdout}`);
    assert.match(r.stderr, /spec\.durability: .*spec\.durability replicated needs spec\.replicasPerShard of at least 1/, r.stderr);
    const ok = await kube.run("kubectl", ["apply", "--dry-run=server", "-n", NS, "-f", "-"], manifest("dur-0", 0, "async"));
    assert.equal(ok.code, 0, `async without a standby is fine: ${ok.stderr}`);
  });

  test("1 × 1 replicated: writes taken while the standby is in sync, refused (NOREPLICAS) while its pod is gone, taken again once it is back", async () => {
    await waitForCluster(kube, NS, "dur-r", "dur-r Ready", whole(2), READY_TIMEOUT_MS, (l) => log(`dur-r: ${l}`));
    const patch = await kube.run("kubectl", ["patch", "mdb", "dur-r", "-n", NS, "--type", "merge", "-p", '{"spec":{"durability":"async"}}']);
    assert.notEqual(patch.code, 0, "the mode cannot change on a running cluster");
    assert.match(patch.stderr, /spec\.durability: .*cannot change on a running cluster/, patch.stderr);

    const { client, cluster, primary, standby } = await primaryOf("dur-r");
    assert.deepEqual([await configOf(client, "min-replicas-to-write"), await configOf(client, "min-replicas-max-lag")], ["1", "5"],
      "replicated: one standby in sync, lag bound = the node timeout (5000 ms) in seconds");
    await waitFor(async () => (await write(client, "dur-r:before")).ok, { what: "a write to dur-r's primary while its standby is in sync", timeoutMs: 20_000, intervalMs: 100 });
    assert.equal(await client.wait(1, 2_000), 1, "WAIT 1: the write reached the standby");
    assert.equal(await setReplicated(cluster, "dur-r:cluster-client", "v", 2_000), true, "the documented cluster-client example");

    const t0 = Date.now();
    await kube.must("kubectl", ["delete", "pod", standby, "-n", NS, "--wait=false"]);
    const refused = await waitFor(async () => {
      const r = await write(client, "dur-r:during");
      return r.ok ? undefined : r;
    }, { what: `dur-r's primary to refuse writes once ${standby}'s pod is deleted`, timeoutMs: 60_000, intervalMs: 50 });
    const refusedMs = Date.now() - t0;
    assert.match(refused.error, /^NOREPLICAS/, "refused because no standby is in sync, not for another reason");
    await assert.rejects(setReplicated(cluster, "dur-r:cluster-client", "v"), /NOREPLICAS/, "the cluster client sees the refusal too");
    log(`${standby} deleted: writes refused after ${refusedMs} ms (${refused.error})`);

    // Every write from now on is refused with NOREPLICAS until the first one taken, and that one is
    // taken only with a standby in sync again.
    let refusals = 0;
    const otherErrors: string[] = [];
    await waitFor(async () => {
      const r = await write(client, `dur-r:n${refusals}`);
      if (r.ok) return true;
      if (/^NOREPLICAS/.test(r.error)) refusals++;
      else otherErrors.push(r.error);
      return false;
    }, { what: `dur-r's primary to take writes again once ${standby} is back`, timeoutMs: BACK_TIMEOUT_MS, intervalMs: 100 });
    const backMs = Date.now() - t0;
    assert.deepEqual(otherErrors, [], "while the standby is gone every refusal is NOREPLICAS");
    const info = await replication(client);
    assert.ok(Number(info.min_slaves_good_slaves) >= 1, `a write is taken again only with a standby in sync: ${JSON.stringify(info)}`);
    assert.equal(await client.wait(1, 2_000), 1, "WAIT 1: the write after the gap reached the new standby");
    log(`writes taken again after ${backMs} ms (${refusals} refused in between)`);

    const back = (await waitForCluster(kube, NS, "dur-r", "dur-r whole again", whole(2), BACK_TIMEOUT_MS))!;
    assert.equal(back.status!.shardDetails![0].primary, primary, "no failover for a lost standby");
    assert.deepEqual(back.status!.shardDetails![0].standbys, [standby], "the member is back as the standby");
  });

  test("1 × 1 replicated: the primary's pod deleted → its standby takes over and refuses writes (NOREPLICAS) until the old member is back as its standby", async () => {
    const before = (await kube.getCluster(NS, "dur-r"))!;
    const shard = before.status!.shardDetails![0];
    const [oldPrimary, promoted] = [shard.primary!, shard.standbys![0]];
    const { client: newPrimary } = await connectTo("dur-r", promoted);
    const t0 = Date.now();
    await kube.must("kubectl", ["delete", "pod", oldPrimary, "-n", NS, "--wait=false"]);
    // Before the takeover the standby redirects (MOVED) or the cluster is down; after it, with no
    // standby of its own yet, it refuses (NOREPLICAS); once the old member is back and synced, it takes the write.
    const seen = new Map<string, number>();
    let noReplicasMs: number | undefined;
    await waitFor(async () => {
      const r = await write(newPrimary, "dur-r:after-failover");
      if (r.ok) return true;
      const kind = r.error.split(" ")[0];
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
      if (kind === "NOREPLICAS") noReplicasMs ??= Date.now() - t0;
      return false;
    }, { what: `${promoted} to take writes as the primary with ${oldPrimary} back as its standby`, timeoutMs: BACK_TIMEOUT_MS, intervalMs: 50 });
    const takenMs = Date.now() - t0;
    log(`${oldPrimary} deleted: ${promoted} refused writes (NOREPLICAS) from ${noReplicasMs} ms, took them from ${takenMs} ms; errors seen: ${JSON.stringify(Object.fromEntries(seen))}`);
    assert.ok((seen.get("NOREPLICAS") ?? 0) > 0, `the promoted primary refused writes while it had no standby: ${JSON.stringify(Object.fromEntries(seen))}`);
    assert.ok(Number((await replication(newPrimary)).min_slaves_good_slaves) >= 1, "and takes them only with a standby in sync");
    const after = (await waitForCluster(kube, NS, "dur-r", "dur-r whole again after the failover", whole(2), BACK_TIMEOUT_MS))!;
    assert.deepEqual([after.status!.shardDetails![0].primary, after.status!.shardDetails![0].standbys], [promoted, [oldPrimary]]);
  });

  test("1 × 1 async: the primary keeps taking writes while its standby's pod is gone; WAIT tells the client no standby has them", async () => {
    await waitForCluster(kube, NS, "dur-a", "dur-a Ready", whole(2), READY_TIMEOUT_MS, (l) => log(`dur-a: ${l}`));
    const { client, cluster, standby } = await primaryOf("dur-a");
    assert.equal(await configOf(client, "min-replicas-to-write"), "0", "async never waits for a standby");
    const outcomes: Outcome[] = [];
    let stop = false;
    const writer = (async () => {
      for (let n = 0; !stop; n++) {
        outcomes.push(await write(client, `dur-a:${n}`));
        await sleep(20);
      }
    })();
    try {
      await kube.must("kubectl", ["delete", "pod", standby, "-n", NS, "--wait=false"]);
      await waitFor(async () => (await replication(client)).connected_slaves === "0", { what: "dur-a's primary to lose its standby", timeoutMs: 60_000, intervalMs: 50 });
      assert.deepEqual(await write(client, "dur-a:alone"), { ok: true }, "async: the write is acknowledged without a standby");
      assert.equal(await client.wait(1, 200), 0, "and WAIT 1 says no standby has it (what a failover now would lose)");
      assert.equal(await setReplicated(cluster, "dur-a:cluster-client", "v", 200), false, "the documented cluster-client example says so too");
      await waitForCluster(kube, NS, "dur-a", "dur-a whole again", whole(2), BACK_TIMEOUT_MS);
    } finally {
      stop = true;
      await writer;
    }
    const failed = outcomes.filter((o) => !o.ok);
    log(`dur-a: ${outcomes.length} writes while ${standby} was replaced, ${failed.length} refused`);
    assert.deepEqual(failed, [], "async takes every write");
    assert.ok(outcomes.length > 20, `the writer kept writing (${outcomes.length})`);
  });
});
