// npm run bench:converge — MdbCluster applied → Ready through the operator, against the floor of
// starting the same member pods alone, side by side in one run (docs/benchmarks.md#targets: ratio ≤ 1.5).
//
//   ours:  `kubectl apply` of a 3 shards × 1 standby MdbCluster → phase Ready with Available True.
//          Polled status.members, the pods and one engine give the phase breakdown: pods created →
//          pods running → sidecars answering → engines joined → slots assigned → standbys in sync → Ready.
//   floor: the same 6 member pods, built by operator/src/resources/member-pod.ts's buildMemberPod
//          (same image, containers, resources and node pins as the operator's pods of the run before),
//          plus the two Secrets they mount, created directly → every pod Running with all containers
//          started and the sidecar's /livez answering. Not /readyz: a member is ready only once it
//          serves its role in a formed cluster, which is exactly the operator's work; "started and
//          live" is the most a pod can be without it.
// Runs alternate (ours, floor, ours, floor …) so both see the same machine; medians are reported.
// Memory: the resident set (VmRSS from /proc) of the leader operator pod's process tree, found through
// the proving ground's pod runner; with 0 clusters, with the 3 × 1 cluster Ready, and with 1 and 10
// tiny clusters (1 shard, no standby: ten 6-member clusters do not fit a 2-core machine's patience).
// The last line of output is one JSON object.
import { readFileSync, readdirSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type { V1Pod } from "@kubernetes/client-node";
import { Redis } from "ioredis";
import { sleep, waitFor } from "../../common/wait.ts";
import { resolveSpec } from "../../operator/src/api/defaults.ts";
import { memberCount, type MdbCluster, type MemberImages } from "../../operator/src/api/types.ts";
import { randomBytes } from "node:crypto";
import { memberPodSecrets } from "./support/member-secrets.ts";
import { buildMemberPod } from "../../operator/src/resources/member-pod.ts";
import { HEALTH_PORT, LABELS, memberName } from "../../operator/src/resources/names.ts";
import { sendControl } from "../local/podrunner/control.ts";
import { acquireGround, releaseGround, type Ground } from "../support/ground.ts";
import {
  clusterManifest, clusterProgress, createNamespace, installOperator, isReady, Kube, podStates, waitForCluster, waitForOperatorReady, type OperatorRelease,
} from "../support/mdb.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TINY_CLUSTERS = Number(process.env.BENCH_TINY_CLUSTERS ?? 10);
const POLL_MS = 100;
const READY_TIMEOUT_MS = 300_000;
const RUN = Date.now().toString(36);
const OPERATOR: OperatorRelease = { release: `bench-${RUN}`, namespace: `mdb-bench-${RUN}-system`, watchNamespace: `mdb-bench-${RUN}`, replicas: 2 };
const NS = OPERATOR.watchNamespace;
const FLOOR_NS = `mdb-bench-${RUN}-floor`;
const SHAPE = { shards: 3, replicasPerShard: 1 };
const MEMBERS = memberCount(SHAPE);
const PHASES = ["podsCreated", "podsRunning", "sidecarsAnswering", "joined", "slotsAssigned", "standbysInSync", "ready"] as const;
type PhaseName = (typeof PHASES)[number];

const log = (m: string) => process.stderr.write(`[bench:converge] ${m}\n`);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const allStarted = (pods: V1Pod[], n: number) => pods.length === n
  && pods.every((p) => p.status?.phase === "Running" && (p.status.containerStatuses ?? []).length === p.spec!.containers.length
    && p.status.containerStatuses!.every((c) => c.started === true && c.state?.running !== undefined));

async function livez(ip: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${ip}:${HEALTH_PORT}/livez`, { signal: AbortSignal.timeout(1000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Engines that know all `n` members of the cluster (CLUSTER INFO cluster_known_nodes), asked on one member. */
async function knownNodes(ip: string, password: string): Promise<number> {
  const r = new Redis({ host: ip, port: 6379, password, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  r.on("error", () => undefined);
  try {
    await r.connect();
    const info = String(await r.call("CLUSTER", "INFO"));
    return Number(/cluster_known_nodes:(\d+)/.exec(info)?.[1] ?? 0);
  } catch {
    return 0;
  } finally {
    r.disconnect();
  }
}

/** Where each member ran, by "<shard>-<index>", so the floor pins the same member to the same node. */
type Placement = Map<string, string>;

interface OperatorRun {
  ms: number;
  phasesMs: Record<PhaseName, number>;
  /** When the first member's sidecar answered: the operator starts joining members before all answer. */
  firstSidecarMs: number;
  placement: Placement;
  images: MemberImages;
  /** CPU seconds both operator replicas used from apply to Ready (proving ground only). */
  operatorCpuSeconds?: number;
}

/** apply → Ready, with the time each phase was first seen complete. */
async function runOperator(kube: Kube, name: string): Promise<OperatorRun> {
  const selector = `${LABELS.cluster}=${name}`;
  const seen: Partial<Record<PhaseName, number>> = {};
  let password = "";
  let firstSidecarMs: number | undefined;
  const t0 = performance.now();
  await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], clusterManifest(name, SHAPE));
  let cluster: MdbCluster | undefined;
  let pods: V1Pod[] = [];
  const mark = (phase: PhaseName, done: boolean) => { if (done && seen[phase] === undefined) seen[phase] = performance.now() - t0; };
  try {
    await waitFor(async () => {
      [cluster, pods] = await Promise.all([kube.getCluster(NS, name), kube.pods(NS, selector)]);
      const members = cluster?.status?.members ?? [];
      const states = members.map((m) => m.state);
      mark("podsCreated", pods.length === MEMBERS);
      mark("podsRunning", allStarted(pods, MEMBERS));
      if (firstSidecarMs === undefined && states.some((st) => st !== undefined && st !== "Pending")) firstSidecarMs = performance.now() - t0;
      mark("sidecarsAnswering", members.length === MEMBERS && states.every((s) => s !== "Pending" && s !== undefined));
      if (seen.joined === undefined && seen.sidecarsAnswering !== undefined) {
        if (!password) password = await kube.core.readNamespacedSecret({ name: cluster!.status!.secretName!, namespace: NS })
          .then((s) => Buffer.from(s.data?.password ?? "", "base64").toString("utf8")).catch(() => "");
        const ip = members[0]?.ip;
        mark("joined", Boolean(ip && password) && (await knownNodes(ip!, password)) >= MEMBERS);
      }
      mark("slotsAssigned", states.filter((s) => s === "ACTIVE").length === SHAPE.shards);
      mark("standbysInSync", states.filter((s) => s === "STANDBY").length === SHAPE.shards * SHAPE.replicasPerShard);
      mark("ready", isReady(cluster));
      return seen.ready !== undefined;
    }, { what: `MdbCluster ${NS}/${name} Ready`, timeoutMs: READY_TIMEOUT_MS, intervalMs: POLL_MS });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n  ${clusterProgress(cluster)}\n  pods: ${podStates(pods)}`);
  }
  // A phase passed between two polls is credited to the next phase's time (never after Ready).
  const phasesMs = {} as Record<PhaseName, number>;
  let next = seen.ready!;
  for (const p of [...PHASES].reverse()) next = phasesMs[p] = round(Math.min(seen[p] ?? next, next), 0);
  const placement: Placement = new Map(pods.map((p) => [`${p.metadata!.labels![LABELS.shard]}-${p.metadata!.name!.split("-").pop()}`, p.spec!.nodeName!]));
  return { ms: seen.ready!, phasesMs, firstSidecarMs: round(firstSidecarMs ?? seen.sidecarsAnswering!, 0), placement, images: { engine: pods[0].spec!.containers[0].image!, sidecar: pods[0].spec!.containers[1].image! } };
}

async function deleteCluster(kube: Kube, name: string): Promise<void> {
  await kube.must("kubectl", ["delete", "mdb", name, "-n", NS, "--wait=false"]);
  await waitForCluster(kube, NS, name, `MdbCluster ${NS}/${name} deleted`, (c) => c === undefined, 180_000);
  await waitFor(async () => (await kube.pods(NS, `${LABELS.cluster}=${name}`)).length === 0, { what: `the pods of ${name} gone`, timeoutMs: 120_000, intervalMs: 250 });
}

/** The same member pods (and Secrets) as the operator makes, created directly, each pinned to its member's node. */
async function runFloor(kube: Kube, name: string, images: MemberImages, placement: Placement): Promise<number> {
  const cluster = { apiVersion: "mdbcluster.io/v1alpha1", kind: "MdbCluster", metadata: { name, namespace: FLOOR_NS, uid: "bench-floor" },
    spec: { ...SHAPE, engine: { maxMemory: "64mb", image: images.engine }, resources: { requests: { cpu: "50m", memory: "96Mi" }, limits: { memory: "128Mi" } } } } as MdbCluster;
  const spec = resolveSpec(cluster.spec, images);
  const hostKey = spec.placement.topologyKeys.host;
  const pods: V1Pod[] = [];
  for (let shard = 0; shard < SHAPE.shards; shard++) {
    for (let r = 0; r <= SHAPE.replicasPerShard; r++) {
      const node = placement.get(`${shard}-${r}`);
      if (!node) throw new Error(`no node recorded for member ${shard}-${r} of the operator's run: ${JSON.stringify([...placement])}`);
      const hostLabelValue = (await kube.core.readNode({ name: node })).metadata?.labels?.[hostKey] ?? node;
      pods.push(buildMemberPod({ cluster, spec, member: memberName(name, shard, r), shard, node, hostLabelValue }));
    }
  }
  const secrets = await memberPodSecrets(cluster, pods.map((p) => p.metadata!.name!), randomBytes(24).toString("base64url"));
  // No MdbCluster owns them: the garbage collector would delete objects whose owner does not exist.
  for (const o of pods) delete o.metadata!.ownerReferences;
  const selector = `${LABELS.cluster}=${name}`;
  const t0 = performance.now();
  await Promise.all(secrets.map((body) => kube.core.createNamespacedSecret({ namespace: FLOOR_NS, body })));
  await Promise.all(pods.map((body) => kube.core.createNamespacedPod({ namespace: FLOOR_NS, body })));
  let seen: V1Pod[] = [];
  try {
    await waitFor(async () => {
      seen = await kube.pods(FLOOR_NS, selector);
      if (!allStarted(seen, MEMBERS)) return false;
      return (await Promise.all(seen.map((p) => livez(p.status!.podIP!)))).every(Boolean);
    }, { what: `${MEMBERS} floor pods Running, started and answering /livez`, timeoutMs: READY_TIMEOUT_MS, intervalMs: POLL_MS });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n  pods: ${podStates(seen)}`);
  }
  const ms = performance.now() - t0;
  await kube.core.deleteCollectionNamespacedPod({ namespace: FLOOR_NS, labelSelector: selector });
  await kube.core.deleteCollectionNamespacedSecret({ namespace: FLOOR_NS, labelSelector: selector });
  await waitFor(async () => (await kube.pods(FLOOR_NS, selector)).length === 0, { what: `floor pods of ${name} gone`, timeoutMs: 120_000, intervalMs: 250 });
  return ms;
}

/** VmRSS of a process and its descendants, in KiB, from /proc. */
function treeRssKiB(pid: number): { totalKiB: number; largestKiB: number; pids: number } {
  const rss = (p: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0);
  const children = (p: number) => readdirSync(`/proc/${p}/task`).flatMap((t) => readFileSync(`/proc/${p}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
  const all: number[] = [];
  for (const queue = [pid]; queue.length;) {
    const p = queue.shift()!;
    try { all.push(p); queue.push(...children(p)); } catch { /* exited */ }
  }
  const sizes = all.map((p) => { try { return rss(p); } catch { return 0; } });
  return { totalKiB: sizes.reduce((a, b) => a + b, 0), largestKiB: Math.max(...sizes), pids: all.length };
}

/** CPU seconds (user + system) a process tree has used so far, from /proc/PID/stat (clock ticks of 10 ms). */
function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  const walk = (p: number) => {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
      for (const t of readdirSync(`/proc/${p}/task`)) {
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) walk(Number(c));
      }
    } catch { /* exited */ }
  };
  walk(pid);
  return ticks / 100;
}

/** The pids of both operator pods' containers, through the pod runner (none off the proving ground). */
async function operatorPids(ground: Ground): Promise<number[]> {
  if (!ground.stateDir) return [];
  const reply = await sendControl(ground.stateDir, { action: "status" });
  const pods = (reply.data as { pods: { pod: string; containers: { name: string; pid?: number }[] }[] }).pods.filter((p) => p.pod.startsWith(`${OPERATOR.namespace}/`));
  return pods.flatMap((p) => p.containers.filter((c) => c.name === "operator" && c.pid).map((c) => c.pid!));
}

const operatorCpuSeconds = (pids: number[]) => pids.reduce((sum, pid) => sum + treeCpuSeconds(pid), 0);

/** The leader operator pod's resident memory (MiB, process tree), median of 5 samples 500 ms apart. */
async function leaderRssMiB(kube: Kube, ground: Ground): Promise<number | null> {
  if (!ground.stateDir) return null; // not a proving ground: no local process to read
  const holder = (await kube.must("kubectl", ["get", "lease", `${OPERATOR.release}-mdb-operator`, "-n", OPERATOR.namespace, "-o", "jsonpath={.spec.holderIdentity}"])).trim();
  const reply = await sendControl(ground.stateDir, { action: "status" });
  const pod = (reply.data as { pods: { pod: string; containers: { name: string; pid?: number }[] }[] }).pods.find((p) => p.pod === `${OPERATOR.namespace}/${holder}`);
  const pid = pod?.containers.find((c) => c.name === "operator")?.pid;
  if (!pid) throw new Error(`the pod runner does not report a process for the leader ${OPERATOR.namespace}/${holder}: ${JSON.stringify(pod)}`);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    if (i) await sleep(500); // sampling cadence, not a wait for a condition
    samples.push(treeRssKiB(pid).totalKiB / 1024);
  }
  return round(median(samples), 1);
}

async function main(): Promise<void> {
  const ground = await acquireGround((l) => log(`[cluster:up] ${l}`));
  const kube = new Kube(ground);
  const tStart = performance.now();
  let installed = false;
  let cleaning = false;
  // Ctrl-C cleans up too: the proving ground is shared, a half-run benchmark must not stay on it.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  try {
    for (const ns of [OPERATOR.namespace, NS, FLOOR_NS]) await createNamespace(kube, ns);
    await installOperator(kube, OPERATOR);
    installed = true;
    await waitForOperatorReady(kube, OPERATOR);
    const rssIdle = await leaderRssMiB(kube, ground);
    log(`operator ready; leader RSS with no cluster: ${rssIdle} MiB`);

    const ours: OperatorRun[] = [];
    const floor: number[] = [];
    let rssOne: number | null = null;
    for (let i = 0; i < RUNS; i++) {
      const pids = await operatorPids(ground);
      const cpuBefore = operatorCpuSeconds(pids);
      const run = await runOperator(kube, `conv-${i}`);
      run.operatorCpuSeconds = round(operatorCpuSeconds(pids) - cpuBefore);
      ours.push(run);
      log(`ours #${i + 1}: Ready in ${round(run.ms / 1000)} s; phases (ms since apply): ${PHASES.map((p) => `${p} ${run.phasesMs[p]}`).join(", ")}; first sidecar answered ${run.firstSidecarMs}; operator CPU ${run.operatorCpuSeconds} s (both replicas)`);
      if (i === RUNS - 1) rssOne = await leaderRssMiB(kube, ground);
      await deleteCluster(kube, `conv-${i}`);
      const ms = await runFloor(kube, `floor-${i}`, run.images, run.placement);
      floor.push(ms);
      log(`floor #${i + 1}: ${MEMBERS} pods started and live in ${round(ms / 1000)} s (members on the nodes of ours #${i + 1}: ${[...run.placement].map(([m, n]) => `${m}@${n}`).join(" ")})`);
    }

    // Memory with 1 and with TINY_CLUSTERS clusters of 1 shard × 0 standbys.
    const tiny = Array.from({ length: TINY_CLUSTERS }, (_, i) => `tiny-${i}`);
    const tinyManifest = (n: string) => clusterManifest(n, { shards: 1, replicasPerShard: 0 });
    await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], tinyManifest(tiny[0]));
    await waitForCluster(kube, NS, tiny[0], `MdbCluster ${tiny[0]} Ready`, isReady, READY_TIMEOUT_MS);
    const rssOneTiny = await leaderRssMiB(kube, ground);
    if (tiny.length > 1) await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], tiny.slice(1).map(tinyManifest).join("---\n"));
    for (const n of tiny) await waitForCluster(kube, NS, n, `MdbCluster ${n} Ready`, isReady, READY_TIMEOUT_MS);
    const rssTenTiny = await leaderRssMiB(kube, ground);
    log(`leader RSS: ${rssOneTiny} MiB with 1 tiny cluster, ${rssTenTiny} MiB with ${TINY_CLUSTERS}`);
    for (const n of tiny) await kube.must("kubectl", ["delete", "mdb", n, "-n", NS, "--wait=false"]);
    for (const n of tiny) await waitForCluster(kube, NS, n, `MdbCluster ${n} deleted`, (c) => c === undefined, 180_000);

    const oursMs = median(ours.map((r) => r.ms));
    const floorMs = median(floor);
    const ratio = round(oursMs / floorMs, 3);
    const phases = Object.fromEntries(PHASES.map((p) => [p, median(ours.map((r) => r.phasesMs[p]))])) as Record<PhaseName, number>;
    let prev = 0;
    log(`phase breakdown (medians; each phase's share = time since the previous one):`);
    for (const p of PHASES) {
      log(`  ${p.padEnd(18)} at ${String(round(phases[p] / 1000)).padStart(6)} s  (+${round((phases[p] - prev) / 1000)} s)`);
      prev = phases[p];
    }
    log(`total ${round((performance.now() - tStart) / 1000)} s`);
    console.log(JSON.stringify({
      bench: "converge",
      shape: SHAPE, runs: RUNS,
      ours: { readySeconds: round(oursMs / 1000, 3), runsSeconds: ours.map((r) => round(r.ms / 1000, 3)), phasesMsSinceApply: phases,
        firstSidecarAnsweredMs: median(ours.map((r) => r.firstSidecarMs)), operatorCpuSeconds: ground.stateDir ? median(ours.map((r) => r.operatorCpuSeconds ?? 0)) : null },
      baseline: { what: "same member pods created directly: Running, containers started, sidecar /livez 200", startedSeconds: round(floorMs / 1000, 3), runsSeconds: floor.map((ms) => round(ms / 1000, 3)) },
      ratio, units: "s", target: { ratio: 1.5 },
      operatorRssMiB: { measured: "VmRSS of the leader operator pod's process tree (pod runner pid)", noCluster: rssIdle, oneCluster3x1: rssOne,
        oneCluster: rssOneTiny, tenClusters: rssTenTiny, tinyClusterShape: { shards: 1, replicasPerShard: 0 } },
      pass: ratio <= 1.5,
    }));
  } finally {
    await cleanUp();
  }

  /** Leaves nothing of the run behind: clusters (while the operator can run their finalizers), the release, the namespaces. */
  async function cleanUp(): Promise<void> {
    if (cleaning) return;
    cleaning = true;
    if (installed) {
      const left = JSON.parse(await kube.must("kubectl", ["get", "mdb", "-n", NS, "-o", "json"])) as { items: MdbCluster[] };
      for (const c of left.items) await kube.run("kubectl", ["delete", "mdb", c.metadata!.name!, "-n", NS, "--wait=false"]);
      for (const c of left.items) await waitForCluster(kube, NS, c.metadata!.name!, "clean-up", (x) => x === undefined, 120_000).catch((e: Error) => log(e.message));
      await kube.run("helm", ["uninstall", OPERATOR.release, "-n", OPERATOR.namespace]);
    }
    await kube.run("kubectl", ["delete", "namespace", OPERATOR.namespace, NS, FLOOR_NS, "--ignore-not-found", "--wait=false"]);
    await releaseGround(ground, (l) => log(`[cluster:down] ${l}`));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
