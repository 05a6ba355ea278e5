// bench:scale's operator side: an MdbCluster of 3 shards (no standbys, so it matches a hand-made
// cluster of primaries) loaded with the keys, then spec.shards 3 → 6 timed from the patch to Ready
// with the scale-out plan Succeeded (docs/operations.md#scaling), under the client in its own process.
import { performance } from "node:perf_hooks";
import { waitFor } from "../../../common/wait.ts";
import type { MdbCluster } from "../../../operator/src/api/types.ts";
import { keyspaceChecksum, loadKeys, type KeyspaceChecksum } from "../../../testing/engines.ts";
import { percentile } from "../../../testing/traffic.ts";
import { settled } from "../../chaos/support/scale-round.ts";
import { clusterManifest, isReady, type Kube, waitForCluster } from "../../support/mdb.ts";
import { checkSlotOwnership } from "../../support/slot-ownership.ts";
import { startTrafficProcess } from "./traffic-process.ts";
import { bytesPerKey, judgeRate, sampleKeyCounts, type RateJudgement } from "./scale-rate.ts";

export interface ScaleShape { keys: number; valueBytes: number; opsPerSecond: number; idleMs: number; maxMemory: string }

export interface ScaleRun {
  seconds: number;
  /** From the patch to the first move running: new members placed, their pods started, joined. */
  placeSeconds: number;
  keysLost: number; clientErrors: number; errorSamples: string[]; readMismatches: number;
  p99IdleMs: number; p99DuringMs: number; valuesEqual: boolean; orphanedSlots: number;
}

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

export function benchManifest(name: string, shape: ScaleShape, shards: number, migration: string): string {
  return clusterManifest(name, { shards, replicasPerShard: 0 })
    .replace("engine: { maxMemory: 64mb }", `engine: { maxMemory: ${shape.maxMemory} }`)
    .replace("limits: { memory: 128Mi }", "limits: { memory: 1Gi }") + `  migration: ${migration}\n`;
}

export const password = async (kube: Kube, ns: string, name: string) =>
  Buffer.from((await kube.core.readNamespacedSecret({ name: `${name}-auth`, namespace: ns })).data?.password ?? "", "base64").toString("utf8");

const primaryIps = (c: MdbCluster | undefined, fromShard = 0) => (c?.status?.members ?? []).filter((m) => m.ip && m.role === "primary" && (m.shard ?? 0) >= fromShard).map((m) => m.ip!);

/** apply 3 shards → Ready → keys loaded; returns the engines' password. */
export async function createLoaded(kube: Kube, ns: string, name: string, shape: ScaleShape, log: (l: string) => void): Promise<string> {
  await kube.must("kubectl", ["apply", "-n", ns, "-f", "-"], benchManifest(name, shape, 3, "{ latencyGuard: { enabled: false } }"));
  const c = await waitForCluster(kube, ns, name, `${name} Ready with 3 shards`, (x) => settled(x, 3, 3), 300_000);
  const pw = await password(kube, ns, name);
  const t = performance.now();
  await loadKeys(primaryIps(c).map((host) => ({ host, port: 6379 })), shape.keys, shape.valueBytes, { password: pw });
  log(`ours: loaded ${shape.keys} keys × ${shape.valueBytes} B in ${round((performance.now() - t) / 1000, 1)} s`);
  return pw;
}

/** Patches `patch` and waits for Ready with `shards` shards, this change's plan Succeeded; seconds and the place time. */
async function scaleTo(kube: Kube, ns: string, name: string, shards: number, patch: object, onCluster?: (c: MdbCluster) => void): Promise<{ seconds: number; placeSeconds: number; cluster: MdbCluster }> {
  const since = new Date(Date.now() - 1000).toISOString();
  const t0 = performance.now();
  let firstMove: number | undefined;
  await kube.must("kubectl", ["patch", "mdb", name, "-n", ns, "--type=merge", "-p", JSON.stringify(patch)]);
  let cluster: MdbCluster | undefined;
  await waitFor(async () => {
    cluster = await kube.getCluster(ns, name);
    if (cluster) onCluster?.(cluster);
    const plan = cluster?.status?.plan;
    const ours = plan?.startedAt !== undefined && plan.startedAt >= since;
    if (ours && firstMove === undefined && plan!.steps?.some((s) => s.kind === "move-slots" && s.state !== "pending")) firstMove = performance.now();
    return ours && plan!.phase === "Succeeded" && isReady(cluster) && settled(cluster, shards, shards);
  }, { what: `${name} Ready with ${shards} shards`, timeoutMs: 900_000, intervalMs: 100 });
  const end = performance.now();
  return { seconds: (end - t0) / 1000, placeSeconds: ((firstMove ?? end) - t0) / 1000, cluster: cluster! };
}

/** 3 → 6 shards at full pace (latency guard off, no rate) under the client; the timed run. */
export async function runOurs(kube: Kube, ns: string, name: string, shape: ScaleShape, pw: string, expected: KeyspaceChecksum, log: (l: string) => void): Promise<ScaleRun> {
  const before = await kube.getCluster(ns, name);
  const traffic = await startTrafficProcess(primaryIps(before).map((host) => ({ host, port: 6379 })), pw,
    { opsPerSecond: shape.opsPerSecond, loadedKeys: shape.keys, valueBytes: shape.valueBytes });
  await new Promise((r) => setTimeout(r, shape.idleMs)); // the idle phase is a fixed duration
  const idle = (await traffic.nextPhase()).latenciesMs;
  log(`ours: idle p99 ${round(percentile(idle, 99))} ms; spec.shards 3 → 6`);
  const stepMessages = new Map<string, string>();
  const { seconds, placeSeconds, cluster } = await scaleTo(kube, ns, name, 6, { spec: { shards: 6 } }, (c) => {
    for (const s of c.status?.plan?.steps ?? []) if (s.kind === "move-slots" && s.message && /moved \(/.test(s.message)) stepMessages.set(s.id ?? "", s.message);
  });
  const during = (await traffic.nextPhase()).latenciesMs;
  const report = await traffic.stop();
  const moves = (cluster.status?.plan?.steps ?? []).filter((s) => s.kind === "move-slots");
  log(`ours: plan ${cluster.status?.plan?.id}: ${cluster.status?.plan?.steps?.length} steps, ${moves.length} moves in ${new Set(moves.map((m) => m.shard)).size} waves (${moves.map((m) => `${m.from}→${m.to} wave ${(m.shard ?? 0) + 1}`).join(", ")}); started ${cluster.status?.plan?.startedAt}, finished ${cluster.status?.plan?.finishedAt}`);
  for (const [id, message] of stepMessages) log(`ours: ${id}: ${message}`);
  const hosts = primaryIps(cluster);
  const actual = await keyspaceChecksum(hosts.map((host) => ({ host, port: 6379 })), { match: "key:*", password: pw });
  const ownership = await checkSlotOwnership(hosts, pw);
  log(`ours: Ready with 6 shards in ${round(seconds, 2)} s (moves began at ${round(placeSeconds, 2)} s); p99 during ${round(percentile(during, 99))} ms; ${actual.keys} keys, digest ${actual.digest === expected.digest ? "equal" : "DIFFERENT"}; client errors ${report.errors} ${report.errorSamples.slice(0, 3).join(" | ")}; ${ownership.problems.join("; ") || "every slot owned once"}`);
  return {
    seconds: round(seconds), placeSeconds: round(placeSeconds), keysLost: Math.max(0, expected.keys - actual.keys) + report.lostWrites,
    clientErrors: report.errors, errorSamples: report.errorSamples.slice(0, 3), readMismatches: report.readMismatches,
    p99IdleMs: round(percentile(idle, 99)), p99DuringMs: round(percentile(during, 99)), valuesEqual: actual.digest === expected.digest, orphanedSlots: ownership.orphanedSlots,
  };
}

/**
 * The same cluster back to 3 shards (untimed), then 3 → 6 again with spec.migration.rate.bytesPerSecond
 * set: the new primaries' key counts sampled every 100 ms give each stream's 1 s windows.
 */
export async function runRateLimited(kube: Kube, ns: string, name: string, limit: number, pw: string, log: (l: string) => void): Promise<RateJudgement & { seconds: number }> {
  const back = await scaleTo(kube, ns, name, 3, { spec: { shards: 3 } });
  log(`rate: back to 3 shards in ${round(back.seconds, 1)} s; spec.shards 3 → 6 with rate.bytesPerSecond ${limit}`);
  const perKey = await bytesPerKey(primaryIps(back.cluster)[0], pw);
  let targets: string[] = [];
  const sampler = sampleKeyCounts(() => targets, pw);
  const { seconds } = await scaleTo(kube, ns, name, 6, { spec: { shards: 6, migration: { rate: { bytesPerSecond: limit } } } }, (c) => { targets = primaryIps(c, 3); });
  const samples = await sampler.stop();
  const judged = judgeRate([...samples.values()], perKey, limit);
  log(`rate: Ready in ${round(seconds, 1)} s; ${judged.windows} windows, ${round(perKey, 1)} B/key: fastest ${judged.worstWindowBytesPerSecond} B/s, median ${judged.medianWindowBytesPerSecond}, slowest ${judged.slowestWindowBytesPerSecond} (limit ${limit})`);
  return { ...judged, seconds: round(seconds) };
}
