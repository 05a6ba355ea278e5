// Scaling end to end (issue 17): a loaded 3 × 1 cluster under a cluster-aware client doing mixed reads
// and writes at a fixed rate the whole time goes 3 → 5 → 4 shards (`kubectl scale`, then an edit) and
// 1 → 2 → 1 standbys. After each change: Ready, the plan Succeeded, every slot owned by exactly one
// engine in every engine's view with none left importing or migrating, the shards balanced ± 1 slot.
// At the end: no key lost, no client error after redirects, no wrong read. Reads only KUBECONFIG;
// with it unset, runs on a proving ground it starts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { countSlots, parseSlotRanges } from "../../common/slots.ts";
import { waitFor } from "../../common/wait.ts";
import type { MdbCluster } from "../../operator/src/api/types.ts";
import { acquireGround, releaseGround, type Ground } from "../support/ground.ts";
import {
  clusterManifest, clusterProgress, conditionOf, createNamespace, installOperator, isReady, Kube, removeSuiteObjects, waitForCluster, waitForOperatorReady, type OperatorRelease,
} from "../support/mdb.ts";
import { connectCluster, MixedClient } from "../support/mixed-client.ts";

const RUN = Date.now().toString(36);
const OPERATOR: OperatorRelease = { release: `sc-${RUN}`, namespace: `mdb-sc-${RUN}-system`, watchNamespace: `mdb-sc-${RUN}`, replicas: 1 };
const NS = OPERATOR.watchNamespace;
const NAME = "sc";
const KEYS = 20_000;
const SCALE_TIMEOUT_MS = 300_000;

const log = (line: string) => console.log(`  [scaling e2e] ${line}`);

describe("scaling: shards and standbys change online under a reading and writing client", { timeout: 1_500_000 }, () => {
  let ground: Ground | undefined;
  let kube: Kube;
  let helmInstalled = false;
  let client: MixedClient | undefined;
  let password = "";

  before(async () => {
    ground = await acquireGround();
    kube = new Kube(ground);
    await createNamespace(kube, OPERATOR.namespace);
    await createNamespace(kube, NS);
    await installOperator(kube, OPERATOR);
    helmInstalled = true;
    await waitForOperatorReady(kube, OPERATOR);
  });

  after(async () => {
    await client?.abort();
    if (!kube) return;
    try {
      await removeSuiteObjects(kube, OPERATOR, [NAME], helmInstalled);
    } finally {
      await releaseGround(ground);
    }
  });

  /** Ready, the last plan of `kind` Succeeded, `shards` × `members` ready, slots balanced over the shards. */
  const settled = (kind: string, shards: number, members: number) => (c: MdbCluster | undefined) => {
    if (!isReady(c) || conditionOf(c, "Degraded")?.status !== "False" || c!.status!.readyMembers !== members || c!.status!.members?.length !== members) return false;
    if (c!.status!.plan?.kind !== kind || c!.status!.plan.phase !== "Succeeded") return false;
    const counts = (c!.status!.shardDetails ?? []).map((d) => countSlots(parseSlotRanges(d.slots ?? "")));
    return counts.length === shards && counts.reduce((a, b) => a + b, 0) === 16384 && Math.max(...counts) - Math.min(...counts) <= 1;
  };

  /** Every engine's view: each slot owned by exactly one primary, none importing or migrating. */
  async function checkEngines(c: MdbCluster): Promise<void> {
    const admin = connectCluster(c.status!.members!.map((m) => ({ host: m.ip!, port: 6379 })), password);
    try {
      await admin.cluster("SLOTS");
      for (const node of admin.nodes("master")) {
        const text = String(await node.cluster("NODES"));
        assert.ok(!/\[\d+-[<>]-/.test(text), `no slot left importing or migrating in ${node.options.host}'s view:\n${text}`);
        const owner = new Int32Array(16384).fill(-1);
        for (const line of text.split("\n").filter(Boolean)) {
          const [id, , flags, , , , , , ...slots] = line.split(" ");
          if (!flags.includes("master")) continue;
          for (const r of slots.filter((s) => !s.startsWith("["))) {
            const [a, b] = r.split("-").map(Number);
            for (let s = a; s <= (b ?? a); s++) {
              assert.equal(owner[s], -1, `slot ${s} owned twice in ${node.options.host}'s view (${id})`);
              owner[s] = 1;
            }
          }
        }
        assert.ok(owner.every((o) => o === 1), `every slot owned in ${node.options.host}'s view`);
      }
    } finally {
      admin.disconnect();
    }
  }

  async function change(what: string, args: string[], kind: string, shards: number, members: number): Promise<void> {
    const t0 = Date.now();
    await kube.must("kubectl", args);
    const c = (await waitForCluster(kube, NS, NAME, `${NAME} ${what}`, settled(kind, shards, members), SCALE_TIMEOUT_MS,
      (line) => log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`)))!;
    log(`${what}: Ready after ${Date.now() - t0} ms: ${clusterProgress(c)}`);
    await checkEngines(c);
  }

  test("3 → 5 → 4 shards and 1 → 2 → 1 standbys: no key lost, no client error, every slot owned once, balanced", async () => {
    await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], clusterManifest(NAME, { shards: 3, replicasPerShard: 1 }));
    const ready = (await waitForCluster(kube, NS, NAME, `${NAME} Ready`, (c) => isReady(c) && c!.status!.readyMembers === 6, 240_000))!;
    const s = await kube.core.readNamespacedSecret({ name: `${NAME}-auth`, namespace: NS });
    password = Buffer.from(s.data?.password ?? "", "base64").toString("utf8");
    client = new MixedClient(ready.status!.members!.map((m) => ({ host: m.ip!, port: 6379 })), password, "sc");
    await client.load(KEYS);
    client.start(200);
    await change("scaled out 3 → 5 shards (kubectl scale)", ["scale", "mdb", NAME, "-n", NS, "--replicas=5"], "scale-out", 5, 10);
    await change("scaled in 5 → 4 shards", ["patch", "mdb", NAME, "-n", NS, "--type=merge", "-p", '{"spec":{"shards":4}}'], "scale-in", 4, 8);
    await change("1 → 2 standbys per shard", ["patch", "mdb", NAME, "-n", NS, "--type=merge", "-p", '{"spec":{"replicasPerShard":2}}'], "scale-out", 4, 12);
    await change("2 → 1 standbys per shard", ["patch", "mdb", NAME, "-n", NS, "--type=merge", "-p", '{"spec":{"replicasPerShard":1}}'], "scale-in", 4, 8);
    const report = await client.stop();
    client = undefined;
    log(`client: ${report.ops} ops (${report.reads} reads, ${report.writes} writes), ${report.failed} failed, ${report.unknown} unknown, ${report.wrongReads} wrong reads, ${report.lost.length} of ${report.keys} keys lost; checksum ${report.checksum}${report.firstError ? `; first error: ${report.firstError}` : ""}`);
    assert.deepEqual(report.lost, [], "no key lost");
    assert.equal(report.failed, 0, `no client error after redirects: ${report.firstError ?? ""}`);
    assert.equal(report.wrongReads, 0, "every read returned a value some write left");
    // A removed member's pod may still be in its grace period when the plan is done (a real kubelet stops
    // the engine first); it must be gone soon after.
    const kept = ["sc-0-0", "sc-0-1", "sc-1-0", "sc-1-1", "sc-2-0", "sc-2-1", "sc-3-0", "sc-3-1"];
    const podNames = async () => (await kube.pods(NS, `mdbcluster.io/cluster=${NAME}`)).map((p) => p.metadata!.name!).sort();
    await waitFor(async () => JSON.stringify(await podNames()) === JSON.stringify(kept), { what: "the removed members' pods to be gone", timeoutMs: 60_000, intervalMs: 500 });
    assert.deepEqual(await podNames(), kept, "the removed members' pods are gone");
  });
});
