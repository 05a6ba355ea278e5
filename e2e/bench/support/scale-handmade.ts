// bench:scale's baseline: the same six member pods the operator ran (operator/src/resources/member-pod.ts's
// buildMemberPod, same image, same nodes, the two Secrets they mount), created directly with no
// operator; the engines made a cluster by hand (redis-cli --cluster create of three, add-node of three
// empty ones), loaded with the same keys, then `redis-cli --cluster rebalance --cluster-use-empty-masters`
// timed under the same client.
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import type { V1Pod } from "@kubernetes/client-node";
import { Redis } from "ioredis";
import { waitFor } from "../../../common/wait.ts";
import { resolveSpec } from "../../../operator/src/api/defaults.ts";
import type { MdbCluster, MemberImages } from "../../../operator/src/api/types.ts";
import { memberPodSecrets } from "./member-secrets.ts";
import { buildMemberPod } from "../../../operator/src/resources/member-pod.ts";
import { LABELS, memberName } from "../../../operator/src/resources/names.ts";
import { keyspaceChecksum, loadKeys, redisCliClusterCheck, type KeyspaceChecksum } from "../../../testing/engines.ts";
import { percentile } from "../../../testing/traffic.ts";
import type { Kube } from "../../support/mdb.ts";
import { checkSlotOwnership } from "../../support/slot-ownership.ts";
import type { ScaleRun, ScaleShape } from "./scale-operator.ts";
import { startTrafficProcess } from "./traffic-process.ts";

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

/** Runs redis-cli with the password in REDISCLI_AUTH (not on the command line); its output on failure. */
export function redisCli(args: string[], pw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-cli", args, { env: { ...process.env, REDISCLI_AUTH: pw }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => { out = (out + d.toString()).slice(-8000); });
    child.stderr.on("data", (d: Buffer) => { out = (out + d.toString()).slice(-8000); });
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`redis-cli ${args.join(" ")} exited ${code}:\n${out}`))));
  });
}

async function engineAnswers(ip: string, pw: string): Promise<number | undefined> {
  const r = new Redis({ host: ip, port: 6379, password: pw, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  r.on("error", () => undefined);
  try {
    await r.connect();
    return Number(/cluster_known_nodes:(\d+)/.exec(String(await r.call("CLUSTER", "INFO")))?.[1] ?? 0);
  } catch {
    return undefined;
  } finally {
    r.disconnect();
  }
}

/** The six pods, pinned to `nodes` (member index by shard), Running with their engines answering; returns their IPs by shard. */
async function createPods(kube: Kube, ns: string, name: string, shape: ScaleShape, images: MemberImages, nodes: string[], pw: string): Promise<string[]> {
  const cluster = { apiVersion: "mdbcluster.io/v1alpha1", kind: "MdbCluster", metadata: { name, namespace: ns, uid: "bench-handmade" },
    spec: { shards: 6, replicasPerShard: 0, engine: { maxMemory: shape.maxMemory, image: images.engine }, resources: { requests: { cpu: "50m", memory: "96Mi" }, limits: { memory: "1Gi" } } } } as MdbCluster;
  const spec = resolveSpec(cluster.spec, images);
  const pods: V1Pod[] = [];
  for (const [shard, node] of nodes.entries()) {
    const hostLabelValue = (await kube.core.readNode({ name: node })).metadata?.labels?.[spec.placement.topologyKeys.host] ?? node;
    pods.push(buildMemberPod({ cluster, spec, member: memberName(name, shard, 0), shard, node, hostLabelValue }));
  }
  const secrets = await memberPodSecrets(cluster, pods.map((p) => p.metadata!.name!), pw);
  for (const o of pods) delete o.metadata!.ownerReferences; // no MdbCluster owns them
  for (const body of secrets) await kube.core.createNamespacedSecret({ namespace: ns, body });
  for (const body of pods) await kube.core.createNamespacedPod({ namespace: ns, body });
  return waitFor(async () => {
    const running = await kube.pods(ns, `${LABELS.cluster}=${name}`);
    const ips = nodes.map((_, shard) => running.find((p) => p.metadata?.name === memberName(name, shard, 0))?.status?.podIP);
    if (ips.some((ip) => !ip)) return undefined;
    const answers = await Promise.all(ips.map((ip) => engineAnswers(ip!, pw)));
    return answers.every((n) => n !== undefined) ? (ips as string[]) : undefined;
  }, { what: "the six hand-made member pods Running with their engines answering", timeoutMs: 300_000, intervalMs: 250 });
}

export async function deleteHandmade(kube: Kube, ns: string, name: string): Promise<void> {
  const labelSelector = `${LABELS.cluster}=${name}`;
  await kube.core.deleteCollectionNamespacedPod({ namespace: ns, labelSelector });
  await kube.core.deleteCollectionNamespacedSecret({ namespace: ns, labelSelector });
  await waitFor(async () => (await kube.pods(ns, labelSelector)).length === 0, { what: `hand-made pods of ${name} gone`, timeoutMs: 120_000, intervalMs: 250 });
}

export async function runHandmade(kube: Kube, ns: string, name: string, shape: ScaleShape, images: MemberImages, nodes: string[], expected: KeyspaceChecksum, log: (l: string) => void): Promise<ScaleRun> {
  const pw = randomBytes(24).toString("base64url");
  const ips = await createPods(kube, ns, name, shape, images, nodes, pw);
  const old = ips.slice(0, 3);
  // redis-cli refuses add-node until every engine agrees on the configuration: each step waits for that.
  const agreed = (n: number) => waitFor(async () => (await Promise.all(ips.slice(0, n).map((ip) => engineAnswers(ip, pw)))).every((k) => k === n) && (await redisCliClusterCheck(old[0], 6379, pw)).ok,
    { what: `the hand-made engines to agree on ${n} members`, timeoutMs: 60_000, intervalMs: 250 });
  await redisCli(["--cluster", "create", ...old.map((ip) => `${ip}:6379`), "--cluster-replicas", "0", "--cluster-yes"], pw);
  await agreed(3);
  for (const [i, ip] of ips.slice(3).entries()) {
    await redisCli(["--cluster", "add-node", `${ip}:6379`, `${old[0]}:6379`], pw);
    await agreed(4 + i);
  }
  let t = performance.now();
  await loadKeys(old.map((host) => ({ host, port: 6379 })), shape.keys, shape.valueBytes, { password: pw });
  log(`baseline: hand-made cluster of the same pods (${ips.join(", ")}); loaded ${shape.keys} keys in ${round((performance.now() - t) / 1000, 1)} s`);
  const traffic = await startTrafficProcess(old.map((host) => ({ host, port: 6379 })), pw, { opsPerSecond: shape.opsPerSecond, loadedKeys: shape.keys, valueBytes: shape.valueBytes });
  await new Promise((r) => setTimeout(r, shape.idleMs)); // the idle phase is a fixed duration
  const idle = (await traffic.nextPhase()).latenciesMs;
  log(`baseline: idle p99 ${round(percentile(idle, 99))} ms; redis-cli --cluster rebalance --cluster-use-empty-masters`);
  t = performance.now();
  await redisCli(["--cluster", "rebalance", `${old[0]}:6379`, "--cluster-use-empty-masters"], pw);
  const seconds = (performance.now() - t) / 1000;
  const during = (await traffic.nextPhase()).latenciesMs;
  const report = await traffic.stop();
  const actual = await keyspaceChecksum(ips.map((host) => ({ host, port: 6379 })), { match: "key:*", password: pw });
  const ownership = await checkSlotOwnership(ips, pw);
  log(`baseline: rebalanced in ${round(seconds, 2)} s; p99 during ${round(percentile(during, 99))} ms; ${actual.keys} keys, digest ${actual.digest === expected.digest ? "equal" : "DIFFERENT"}; client errors ${report.errors}; ${ownership.problems.join("; ") || "every slot owned once"}`);
  return {
    seconds: round(seconds), placeSeconds: 0, keysLost: Math.max(0, expected.keys - actual.keys) + report.lostWrites,
    clientErrors: report.errors, errorSamples: report.errorSamples.slice(0, 3), readMismatches: report.readMismatches,
    p99IdleMs: round(percentile(idle, 99)), p99DuringMs: round(percentile(during, 99)), valuesEqual: actual.digest === expected.digest, orphanedSlots: ownership.orphanedSlots,
  };
}
