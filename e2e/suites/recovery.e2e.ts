// Recovery end to end (issue 16): under a cluster-aware client that writes the whole time, in a 3 × 1
// cluster with persistence: a primary's pod deleted (its standby takes over, the member comes back on
// its node with its volume), a standby's pod deleted, a primary's engine killed, a primary's node
// stopped (the member placed elsewhere), a primary partitioned and healed, a primary's node drained
// (`kubectl drain`: the engine hands over, no client write fails); in a 1 × 1 cluster without
// persistence the primary's pod deleted (the engines cannot vote: TAKEOVER once the pod is gone; the
// member comes back empty, resyncs, and its old engine id is forgotten); and both full restarts.
// After a failover the primaries are spread over the zones again by a planned switchover (under the
// writer once; before every later fault). Each ends Ready with every
// shard at full strength, every acknowledged write read back, and the client's failed and unknown
// operations reported. Reads only KUBECONFIG; with it unset, runs on a proving ground it starts.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { waitFor } from "../../common/wait.ts";
import type { MdbCluster } from "../../operator/src/api/types.ts";
import { acquireGround, injectFault, releaseGround, type Ground } from "../support/ground.ts";
import {
  clusterManifest, removeSuiteObjects, clusterProgress, conditionOf, createNamespace, installOperator, isReady, Kube, waitForCluster, waitForOperatorReady, type OperatorRelease,
} from "../support/mdb.ts";
import { Writer, type WriterReport } from "../support/writer.ts";

const RUN = Date.now().toString(36);
const OPERATOR: OperatorRelease = { release: `rec-${RUN}`, namespace: `mdb-rec-${RUN}-system`, watchNamespace: `mdb-rec-${RUN}`, replicas: 1 };
const NS = OPERATOR.watchNamespace;
const READY_TIMEOUT_MS = 240_000;
const RECOVER_TIMEOUT_MS = 180_000;

const log = (line: string) => console.log(`  [recovery e2e] ${line}`);

/** Ready with every member listed ready: every shard at full strength. */
const whole = (members: number) => (c: MdbCluster | undefined) =>
  isReady(c) && conditionOf(c, "Degraded")?.status === "False" && c!.status!.readyMembers === members
  && (c!.status!.members ?? []).length === members && c!.status!.members!.every((m) => m.ready);

describe("recovery: lost primaries and members come back under a writing client", { timeout: 900_000 }, () => {
  let ground: Ground | undefined;
  let kube: Kube;
  let helmInstalled = false;

  const password = async (name: string): Promise<string> => {
    const s = await kube.core.readNamespacedSecret({ name: `${name}-auth`, namespace: NS });
    return Buffer.from(s.data?.password ?? "", "base64").toString("utf8");
  };

  async function create(name: string, shards: number, replicasPerShard: number, persistence: boolean): Promise<MdbCluster> {
    await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], clusterManifest(name, { shards, replicasPerShard, persistence }));
    return (await waitForCluster(kube, NS, name, `${name} Ready`, whole(shards * (replicasPerShard + 1)), READY_TIMEOUT_MS))!;
  }

  /** Zones of each shard's primary, and the most distinct zones one primary per shard could have. */
  async function primaryZones(c: MdbCluster): Promise<{ now: number; best: number }> {
    const zoneOf = new Map((await kube.core.listNode()).items.map((n) => [n.metadata!.name!, n.metadata!.labels?.["topology.kubernetes.io/zone"] ?? ""]));
    const memberZone = (name: string) => zoneOf.get(c.status!.members!.find((m) => m.name === name)?.node ?? "") ?? "";
    const shards = c.status!.shardDetails ?? [];
    const now = new Set(shards.map((d) => memberZone(d.primary ?? ""))).size;
    let best = 0;
    const pick = (i: number, zones: string[]): void => {
      if (i === shards.length) { best = Math.max(best, new Set(zones).size); return; }
      for (const m of [shards[i].primary ?? "", ...(shards[i].standbys ?? [])]) pick(i + 1, [...zones, memberZone(m)]);
    };
    pick(0, []);
    return { now, best };
  }

  /** Whole, no plan running, and its primaries spread over as many zones as they can be (the re-spread after a failover done). */
  async function spreadAgain(name: string, members: number, timeoutMs = RECOVER_TIMEOUT_MS): Promise<MdbCluster> {
    return (await waitForCluster(kube, NS, name, `${name} whole with its primaries spread`, async (c) => {
      if (!whole(members)(c) || c!.status!.plan?.phase === "Running") return false;
      const z = await primaryZones(c!);
      return z.now === z.best;
    }, timeoutMs))!;
  }

  /** Runs `fault` on `member` while a writer writes; waits for the cluster to be whole again. */
  async function lose(name: string, member: string, members: number, fault: "delete" | "kill-engine" | "stop-node" | "partition" | "drain" = "delete", whileDown?: () => Promise<void>): Promise<{ after: MdbCluster; report: WriterReport; recoveredMs: number }> {
    await spreadAgain(name, members);
    const before = (await kube.getCluster(NS, name))!;
    const writer = new Writer(before.status!.members!.map((m) => ({ host: m.ip!, port: 6379 })), await password(name), `rec:${name}:${member}`);
    writer.start();
    await waitFor(async () => writer.acknowledged > 50, { what: "the writer to get going", timeoutMs: 20_000, intervalMs: 50 });
    try {
      return await faultAndRecover(name, member, members, fault, writer, before, whileDown);
    } catch (err) {
      await writer.abort();
      throw err;
    }
  }

  async function faultAndRecover(name: string, member: string, members: number, fault: string, writer: Writer, before: MdbCluster, whileDown?: () => Promise<void>): Promise<{ after: MdbCluster; report: WriterReport; recoveredMs: number }> {
    const t0 = Date.now();
    const node = before.status!.members!.find((m) => m.name === member)!.node!;
    if (fault === "delete") await kube.must("kubectl", ["delete", "pod", member, "-n", NS, "--wait=false"]);
    if (fault === "kill-engine") await injectFault(ground!, { action: "kill", pod: `${NS}/${member}`, container: "engine" });
    if (fault === "stop-node") await injectFault(ground!, { action: "stop-node", node });
    if (fault === "partition") await injectFault(ground!, { action: "partition", pod: `${NS}/${member}` });
    // Evictions through the PDB, as an administrator's drain does; it returns once the node is empty.
    if (fault === "drain") await kube.must("kubectl", ["drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=180s"]);
    // The fault must be noticed first: a cluster that never noticed is "whole" too.
    await waitFor(async () => {
      const c = await kube.getCluster(NS, name);
      return !whole(members)(c);
    }, { what: `${name} to notice the ${fault} of ${member}`, timeoutMs: 60_000, intervalMs: 50 });
    await whileDown?.();
    const after = (await waitForCluster(kube, NS, name, `${name} whole again after ${member}'s pod was deleted`, whole(members), RECOVER_TIMEOUT_MS,
      (line) => log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`)))!;
    const recoveredMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 1_000)); // a second of writes on the recovered cluster
    const report = await writer.stop();
    log(`${member} (${fault}): whole again after ${recoveredMs} ms; client: ${report.acknowledged} acknowledged, ${report.failed} failed, ${report.unknown} unknown, ${report.lost.length} acknowledged writes lost${report.firstError ? ` (first error: ${report.firstError})` : ""}`);
    return { after, report, recoveredMs };
  }

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
    if (!kube) return;
    try {
      await removeSuiteObjects(kube, OPERATOR, ["rec3", "rec1"], helmInstalled);
    } finally {
      await releaseGround(ground);
    }
  });

  test("3 shards × 1 standby with persistence: a primary's pod deleted → its standby serves, the member is back on its node as a standby", async () => {
    const ready = await create("rec3", 3, 1, true);
    const shard = ready.status!.shardDetails!.find((d) => d.index === 1)!;
    const node = ready.status!.members!.find((m) => m.name === shard.primary)!.node;
    const { after, report } = await lose("rec3", shard.primary!, 6);
    const nowShard = after.status!.shardDetails!.find((d) => d.index === 1)!;
    assert.equal(nowShard.primary, shard.standbys![0], `the standby took shard 1 over: ${clusterProgress(after)}`);
    assert.deepEqual(nowShard.standbys, [shard.primary], "the lost primary is back as the shard's standby");
    assert.equal(after.status!.members!.find((m) => m.name === shard.primary)!.node, node, "on its own node (with its volume)");
    assert.deepEqual(report.lost, [], "no acknowledged write is lost (the engine stops gracefully and its standby has every write)");
    assert.ok(report.acknowledged > 100, `the client kept writing: ${JSON.stringify({ ...report, lost: report.lost.length })}`);
  });

  test("3 shards × 1 standby: whole again after the failover, a planned switchover spreads the primaries over the zones again; no acknowledged write is lost", async () => {
    const before = (await kube.getCluster(NS, "rec3"))!;
    const zones = await primaryZones(before);
    assert.ok(zones.now < zones.best, `the failover left two primaries in one zone (${zones.now} zones of ${zones.best} possible): ${clusterProgress(before)}`);
    const writer = new Writer(before.status!.members!.map((m) => ({ host: m.ip!, port: 6379 })), await password("rec3"), "rec:rec3:respread");
    writer.start();
    try {
      const t0 = Date.now();
      const after = await spreadAgain("rec3", 6, 90_000);
      await new Promise((r) => setTimeout(r, 1_000));
      const report = await writer.stop();
      log(`re-spread: primaries in ${zones.best} zones after ${Date.now() - t0} ms; client: ${report.acknowledged} acknowledged, ${report.failed} failed, ${report.unknown} unknown, ${report.lost.length} acknowledged writes lost`);
      assert.equal(after.status!.plan?.kind, "switchover", `a planned switchover plan ran: ${JSON.stringify(after.status!.plan)}`);
      assert.ok(!JSON.stringify(after.status!.plan).includes('"forced"'), "planned, never forced");
      assert.deepEqual(report.lost, [], "a planned switchover loses no acknowledged write");
    } catch (err) {
      await writer.abort();
      throw err;
    }
  });

  test("3 shards × 1 standby: a standby's pod deleted → it is back and in sync; the primaries are untouched", async () => {
    const before = (await kube.getCluster(NS, "rec3"))!;
    const shard = before.status!.shardDetails!.find((d) => d.index === 2)!;
    const { after, report } = await lose("rec3", shard.standbys![0], 6);
    assert.equal(after.status!.shardDetails!.find((d) => d.index === 2)!.primary, shard.primary, "no failover for a lost standby");
    assert.deepEqual(report.lost, []);
  });

  test("3 shards × 1 standby: a primary's engine killed → its standby takes over at once; the engine restarts in its pod as the standby", async () => {
    const before = (await kube.getCluster(NS, "rec3"))!;
    const shard = before.status!.shardDetails!.find((d) => d.index === 0)!;
    const { after, report } = await lose("rec3", shard.primary!, 6, "kill-engine");
    const now = after.status!.shardDetails!.find((d) => d.index === 0)!;
    assert.deepEqual([now.primary, now.standbys], [shard.standbys![0], [shard.primary]], `the standby serves shard 0, the restarted engine follows it: ${clusterProgress(after)}`);
    // async durability: a write acknowledged by the primary in the instant before SIGKILL may not have reached its standby.
    assert.ok(report.lost.length <= 3, `at most the writes in flight are lost (async): ${report.lost.join(", ")}`);
  });

  test("3 shards × 1 standby: a primary's node stopped → failover within seconds, the member placed on another node with a new volume; the node back, nothing of the old pod is left", async () => {
    const before = (await kube.getCluster(NS, "rec3"))!;
    // Not the node that runs the operator: this test is about the database's failover.
    const operatorNodes = (await kube.pods(OPERATOR.namespace, `app.kubernetes.io/instance=${OPERATOR.release}`)).map((p) => p.spec?.nodeName);
    const nodeOf = (member: string) => before.status!.members!.find((m) => m.name === member)!.node!;
    const shard = before.status!.shardDetails!.find((d) => !operatorNodes.includes(nodeOf(d.primary!)))!;
    const node = nodeOf(shard.primary!);
    let servedAgainMs = -1;
    const t0 = Date.now();
    const { after, report } = await lose("rec3", shard.primary!, 6, "stop-node", async () => {
      await waitForCluster(kube, NS, "rec3", `shard ${shard.index} served by its standby`, (c) => c?.status?.shardDetails?.find((d) => d.index === shard.index)?.primary === shard.standbys![0], 60_000);
      servedAgainMs = Date.now() - t0;
    });
    log(`node ${node} stopped: shard ${shard.index} served again after ${servedAgainMs} ms`);
    const moved = after.status!.members!.find((m) => m.name === shard.primary)!;
    assert.notEqual(moved.node, node, "placed on another node");
    await injectFault(ground!, { action: "start-node", node });
    await waitForCluster(kube, NS, "rec3", "still whole with the node back", whole(6), 60_000);
    const pods = await kube.pods(NS, "mdbcluster.io/cluster=rec3");
    assert.deepEqual(pods.filter((p) => p.spec?.nodeName === node && p.metadata?.name === shard.primary), [], "no pod of the member is left on the old node");
    assert.ok(report.lost.length <= 3, `at most the writes in flight are lost (async): ${report.lost.join(", ")}`);
  });

  test("3 shards × 1 standby: a primary partitioned away → its standby takes over; healed, the old primary rejoins as the standby", async () => {
    const before = (await kube.getCluster(NS, "rec3"))!;
    const shard = before.status!.shardDetails!.find((d) => d.index === 1)!;
    const { after, report } = await lose("rec3", shard.primary!, 6, "partition", async () => {
      await waitForCluster(kube, NS, "rec3", "shard 1 served by its standby", (c) => c?.status?.shardDetails?.find((d) => d.index === 1)?.primary === shard.standbys![0], 60_000);
      await injectFault(ground!, { action: "heal", pod: `${NS}/${shard.primary}` });
    });
    const now = after.status!.shardDetails!.find((d) => d.index === 1)!;
    assert.deepEqual([now.primary, now.standbys], [shard.standbys![0], [shard.primary]], `the old primary follows the new one: ${clusterProgress(after)}`);
    assert.ok(report.lost.length <= 3, `at most the writes in flight are lost (async): ${report.lost.join(", ")}`);
  });

  test("3 shards × 1 standby: kubectl drain of a primary's node → the engine hands its slots to the standby, the member is placed on another node; no client write fails", async () => {
    const before = await spreadAgain("rec3", 6);
    const shard = before.status!.shardDetails![2];
    const node = before.status!.members!.find((m) => m.name === shard.primary)!.node!;
    try {
      const { after, report } = await lose("rec3", shard.primary!, 6, "drain");
      assert.notEqual(after.status!.members!.find((m) => m.name === shard.primary)!.node, node, "placed off the drained node");
      assert.deepEqual(report.lost, [], "no acknowledged write lost");
      assert.equal(report.failed, 0, `no client write failed: ${report.firstError ?? ""}`);
    } finally {
      await kube.must("kubectl", ["uncordon", node]);
    }
  });

  test("1 shard × 1 standby without persistence: the primary's pod deleted → TAKEOVER by its standby, the member back empty, resynced, its old engine forgotten", async () => {
    const ready = await create("rec1", 1, 1, false);
    const primary = ready.status!.shardDetails![0].primary!;
    const oldId = ready.status!.members!.find((m) => m.name === primary)!.engineNodeId;
    const { after, report } = await lose("rec1", primary, 2);
    const shard = after.status!.shardDetails![0];
    assert.notEqual(shard.primary, primary, "the standby serves the shard");
    assert.deepEqual(shard.standbys, [primary], "the member is back as the standby");
    assert.notEqual(after.status!.members!.find((m) => m.name === primary)!.engineNodeId, oldId, "a new engine (no persistence)");
    assert.match(JSON.stringify(after.status!.plan), /forget-node/, `the old engine id was forgotten: ${JSON.stringify(after.status!.plan)}`);
    const events = await kube.must("kubectl", ["get", "events", "-n", NS, "--field-selector", "involvedObject.name=rec1", "-o", "jsonpath={.items[*].reason}"]);
    assert.match(events, /PlanSucceeded/, `Events show the plans: ${events}`);
    assert.deepEqual(report.lost, [], "no acknowledged write is lost");
  });

  /** Every member pod deleted at once under a writer; waits until the cluster is whole again. */
  async function restartAll(name: string, members: number): Promise<{ report: WriterReport; after: MdbCluster }> {
    const before = (await kube.getCluster(NS, name))!;
    const writer = new Writer(before.status!.members!.map((m) => ({ host: m.ip!, port: 6379 })), await password(name), `rec:${name}:all`);
    writer.start();
    await waitFor(async () => writer.acknowledged > 100, { what: "the writer to get going", timeoutMs: 20_000, intervalMs: 50 });
    try {
      return await restartAndRecover(name, members, writer);
    } catch (err) {
      await writer.abort();
      throw err;
    }
  }

  async function restartAndRecover(name: string, members: number, writer: Writer): Promise<{ report: WriterReport; after: MdbCluster }> {
    const t0 = Date.now();
    await kube.must("kubectl", ["delete", "pods", "-n", NS, "-l", `mdbcluster.io/cluster=${name}`, "--wait=false"]);
    await waitFor(async () => !whole(members)(await kube.getCluster(NS, name)), { what: `${name} to notice`, timeoutMs: 60_000, intervalMs: 50 });
    const after = (await waitForCluster(kube, NS, name, `${name} whole again after every pod was deleted`, whole(members), RECOVER_TIMEOUT_MS,
      (line) => log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`)))!;
    await new Promise((r) => setTimeout(r, 1_000));
    const report = await writer.stop(after.status!.members!.map((m) => ({ host: m.ip!, port: 6379 })));
    log(`${name}: every pod deleted, whole again after ${Date.now() - t0} ms; client: ${report.acknowledged} acknowledged, ${report.failed} failed, ${report.unknown} unknown, ${report.lost.length} acknowledged writes lost; the read-back waited ${report.readBackWaitMs} ms for engines answering CLUSTERDOWN`);
    return { report, after };
  }

  test("full restart with persistence: every pod deleted at once (new IPs) → the members come back from their volumes, meet again, and every acknowledged write is there", async () => {
    const { report } = await restartAll("rec3", 6);
    assert.deepEqual(report.lost, [], "the engines stop gracefully and come back with their data");
    // Ready waits until every engine reaches every other at its new address (before, engines answered
    // CLUSTERDOWN for 3.6–4.7 s after Ready); one retry (250 ms) is allowed for a client's slot-map refresh.
    assert.ok(report.readBackWaitMs <= 500, `Ready means every engine answers: the read-back waited ${report.readBackWaitMs} ms for CLUSTERDOWN`);
  });

  test("full restart without persistence: every pod deleted at once → the cluster is formed again, empty, with a DataLost Warning; no crash loop", async () => {
    const { after, report } = await restartAll("rec1", 2);
    assert.ok(report.lost.length > 0, "without persistence the data is gone (the documented outcome)");
    assert.equal(after.status!.plan?.kind, "bootstrap");
    const events = await kube.must("kubectl", ["get", "events", "-n", NS, "--field-selector", "involvedObject.name=rec1,type=Warning", "-o", "jsonpath={.items[*].reason}"]);
    assert.match(events, /DataLost/, `a Warning Event says the data is lost: ${events}`);
    const pods = await kube.pods(NS, "mdbcluster.io/cluster=rec1");
    assert.ok(pods.every((p) => (p.status?.containerStatuses ?? []).every((c) => (c.restartCount ?? 0) === 0)), "no container restarted (no crash loop)");
  });
});
