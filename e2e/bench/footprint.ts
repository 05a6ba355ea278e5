// npm run bench:footprint — the resident memory of what the project runs, with the bundled images on
// real nodes (MDB_NODES=real), all in one run (docs/benchmarks.md#benchmark-footprint):
//
//   floorMiB            a bare Node process (`node -e` an idle timer) in the sidecar's image, as a pod
//   operatorOneMiB      the operator leader with 1 MdbCluster (1 shard, no standby) Ready
//   sidecarIdleMiB      that cluster's sidecar, idle            engineMiB   its engine, empty and idle
//   sidecarMigratingMiB the peak of the target's sidecar while BENCH_KEYS keys (default 1,000,000 × 100 B)
//                       move from 1 shard to 2 (spec.shards patched; the migration's defaults, guard on)
//   failover            peaks of the operator and the sidecars while a shard's primary engine is killed
//                       and its standby takes over
//   operatorTenMiB      the operator leader with 10 such clusters Ready (the others deleted first)
//   sidecarSteadyMiB    the median of those 10 clusters' sidecars, each idle for minutes (the first
//                       cluster's since before the migration): an idle sidecar after V8's old generation
//                       has filled and been collected a few times (docs/footprint.md#what-remains)
// RSS is read from /proc for each container's main process (support/container-memory.ts), medians of
// 5 readings 0.5 s apart for a steady process, every 200 ms for a peak. The last line is one JSON object.
import { performance } from "node:perf_hooks";
import type { V1Pod } from "@kubernetes/client-node";
import { waitFor } from "../../common/wait.ts";
import { LABELS } from "../../operator/src/resources/names.ts";
import { loadKeys } from "../../testing/engines.ts";
import { settled } from "../chaos/support/scale-round.ts";
import { sendControl } from "../local/podrunner/control.ts";
import { acquireGround, releaseGround, type Ground } from "../support/ground.ts";
import { CHART, clusterManifest, createNamespace, installOperator, Kube, removeSuiteObjects, waitForCluster, waitForOperatorReady, type OperatorRelease } from "../support/mdb.ts";
import { mappingKinds, median, probeContainer, samplePeaks, steadyMiB, type ContainerProbe } from "./support/container-memory.ts";
import { heapSummary, SNAPSHOT_NODE_OPTIONS, takeHeapSnapshot } from "./support/heap-snapshot.ts";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { join } from "node:path";
import { benchManifest, password } from "./support/scale-operator.ts";

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
const VALUE_BYTES = Number(process.env.BENCH_VALUE_BYTES ?? 100);
const TINY = Number(process.env.BENCH_CLUSTERS ?? 10);
const TARGETS = { sidecarIdleMiB: 64, sidecarSteadyMiB: 64, sidecarMigratingMiB: 96, operatorTenMiB: 96 };
const RUN = Date.now().toString(36);
const OPERATOR: OperatorRelease = { release: `bf-${RUN}`, namespace: `mdb-bf-${RUN}-system`, watchNamespace: `mdb-bf-${RUN}`, replicas: 2 };
const NS = OPERATOR.watchNamespace;
const READY_MS = 300_000;
/** BENCH_HEAP_SNAPSHOTS=<dir>: heap snapshots of the operator's leader with 1 and with 10 clusters, and what grew between them. */
const SNAPSHOTS = process.env.BENCH_HEAP_SNAPSHOTS;

const log = (m: string) => process.stderr.write(`[bench:footprint] ${m}\n`);
const round = (n: number) => Math.round(n * 10) / 10;
const tiny = (i: number) => `t${i}`;
const splitText = (probe: ContainerProbe) => {
  const { anonMiB, fileMiB } = probe.split();
  const kinds = Object.entries(mappingKinds(probe.mainPid())).filter(([, mib]) => mib >= 0.1).sort((a, b) => b[1] - a[1]);
  return `anonymous ${round(anonMiB)}, file-backed ${round(fileMiB)}; by mapping: ${kinds.map(([k, mib]) => `${k} ${round(mib)}`).join(", ")}`;
};
const selectorOf = (name: string) => `${LABELS.cluster}=${name}`;

async function podOf(kube: Kube, name: string, member: string): Promise<V1Pod> {
  return waitFor(async () => (await kube.pods(NS, selectorOf(name))).find((p) => p.metadata?.name === member && p.status?.phase === "Running"
    && (p.status.containerStatuses ?? []).every((c) => c.state?.running)), { what: `pod ${member} running`, timeoutMs: READY_MS, intervalMs: 250 });
}

async function leaderProbe(kube: Kube, ground: Ground): Promise<ContainerProbe> {
  const holder = (await kube.must("kubectl", ["get", "lease", `${OPERATOR.release}-mdb-operator`, "-n", OPERATOR.namespace, "-o", "jsonpath={.spec.holderIdentity}"])).trim();
  const pod = (await kube.pods(OPERATOR.namespace, `app.kubernetes.io/instance=${OPERATOR.release}`)).find((p) => p.metadata?.name === holder);
  if (!pod) throw new Error(`the leader ${holder} has no pod in ${OPERATOR.namespace}`);
  return probeContainer(pod, "operator", ground.stateDir);
}

async function createTiny(kube: Kube, names: string[]): Promise<void> {
  for (const name of names) await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], clusterManifest(name, { shards: 1, replicasPerShard: 0 }));
  for (const name of names) await waitForCluster(kube, NS, name, `${name} Ready`, (c) => settled(c, 1, 1), READY_MS);
}

async function deleteClusters(kube: Kube, names: string[]): Promise<void> {
  for (const name of names) await kube.must("kubectl", ["delete", "mdb", name, "-n", NS, "--wait=false"]);
  for (const name of names) {
    await waitForCluster(kube, NS, name, `${name} deleted`, (c) => c === undefined, READY_MS);
    await waitFor(async () => (await kube.pods(NS, selectorOf(name))).length === 0, { what: `the pods of ${name} gone`, timeoutMs: 120_000, intervalMs: 500 });
  }
}

/** The chart's default NODE_OPTIONS for the operator (values.yaml's nodeOptions). */
function chartNodeOptions(): string {
  return String((parse(readFileSync(join(CHART, "values.yaml"), "utf8")) as { nodeOptions: string }).nodeOptions);
}

/** What grew in the operator's heap from the first snapshot to the second, by type and constructor. */
function logHeapGrowth(before: string, after: string): void {
  const [a, b] = [heapSummary(before), heapSummary(after)];
  const total = (m: Map<string, { bytes: number }>) => [...m.values()].reduce((sum, e) => sum + e.bytes, 0);
  const growth = [...b].map(([key, e]) => ({ key, bytes: e.bytes - (a.get(key)?.bytes ?? 0), count: e.count - (a.get(key)?.count ?? 0) }))
    .sort((x, y) => y.bytes - x.bytes).slice(0, 25);
  log(`heap: ${round(total(a) / 2 ** 20)} MiB → ${round(total(b) / 2 ** 20)} MiB (${before}, ${after}); grew most:`);
  for (const g of growth) log(`  ${g.key}: +${round(g.bytes / 1024)} KiB in ${g.count} more`);
}

/** A bare Node process in the sidecar's image: the floor every Node process here stands on. */
async function floorPod(kube: Kube, image: string): Promise<V1Pod> {
  const body: V1Pod = {
    apiVersion: "v1", kind: "Pod", metadata: { name: "floor", namespace: NS },
    spec: {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      containers: [{
        name: "node", image, command: ["node", "-e", "setInterval(() => {}, 1 << 30)"],
        resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "128Mi" } },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
      }],
    },
  };
  await kube.core.createNamespacedPod({ namespace: NS, body });
  return waitFor(async () => (await kube.pods(NS, "")).find((p) => p.metadata?.name === "floor" && p.status?.containerStatuses?.[0]?.state?.running),
    { what: "the floor pod running", timeoutMs: READY_MS, intervalMs: 250 });
}

/** 1 → 2 shards with KEYS keys in the first: the peaks of the sidecars (the target runs the migration) and the operator. */
async function migration(kube: Kube, ground: Ground, leader: ContainerProbe): Promise<{ idleMiB: number; targetPeakMiB: number; sourcePeakMiB: number; operatorPeakMiB: number; seconds: number }> {
  const shape = { keys: KEYS, valueBytes: VALUE_BYTES, opsPerSecond: 0, idleMs: 0, maxMemory: process.env.BENCH_MAX_MEMORY ?? "512mb" };
  await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], benchManifest("mig", shape, 1, "{}"));
  const c = await waitForCluster(kube, NS, "mig", "mig Ready with 1 shard", (x) => settled(x, 1, 1), READY_MS);
  const pw = await password(kube, NS, "mig");
  const primary = c!.status!.members!.find((m) => m.role === "primary")!;
  let t = performance.now();
  await loadKeys([{ host: primary.ip!, port: 6379 }], KEYS, VALUE_BYTES, { password: pw });
  log(`mig: ${KEYS} keys × ${VALUE_BYTES} B loaded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const source = await probeContainer(await podOf(kube, "mig", "mig-0-0"), "sidecar", ground.stateDir);
  const idleMiB = await steadyMiB(source);
  const peaks = samplePeaks({ source, operator: leader });
  let targetPeak: { stop(): Record<string, number> } | undefined;
  t = performance.now();
  await kube.must("kubectl", ["patch", "mdb", "mig", "-n", NS, "--type=merge", "-p", JSON.stringify({ spec: { shards: 2 } })]);
  await waitFor(async () => {
    if (!targetPeak) {
      const pod = (await kube.pods(NS, selectorOf("mig"))).find((p) => p.metadata?.name === "mig-1-0");
      if (pod?.status?.containerStatuses?.find((s) => s.name === "sidecar")?.state?.running) targetPeak = samplePeaks({ target: await probeContainer(pod, "sidecar", ground.stateDir) });
    }
    const x = await kube.getCluster(NS, "mig");
    return x?.status?.plan?.phase === "Succeeded" && settled(x, 2, 2);
  }, { what: "mig Ready with 2 shards, its plan Succeeded", timeoutMs: 1_800_000, intervalMs: 200 });
  const seconds = (performance.now() - t) / 1000;
  const p = peaks.stop();
  const target = targetPeak?.stop().target ?? 0;
  log(`mig: 1 → 2 shards in ${seconds.toFixed(1)} s; sidecar peaks: target ${round(target)} MiB, source ${round(p.source)} MiB; operator peak ${round(p.operator)} MiB`);
  return { idleMiB: round(idleMiB), targetPeakMiB: round(target), sourcePeakMiB: round(p.source), operatorPeakMiB: round(p.operator), seconds: round(seconds) };
}

/** A shard's primary engine killed: the peaks of the operator and both sidecars until its standby serves. */
async function failover(kube: Kube, ground: Ground, leader: ContainerProbe): Promise<{ operatorPeakMiB: number; sidecarPeakMiB: number; seconds: number }> {
  await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], clusterManifest("fo", { shards: 1, replicasPerShard: 1 }));
  const c = await waitForCluster(kube, NS, "fo", "fo Ready", (x) => settled(x, 1, 2), READY_MS);
  const members = c!.status!.members!;
  const primary = members.find((m) => m.role === "primary")!.name!;
  const standby = members.find((m) => m.name !== primary)!.name!;
  const probes = {
    operator: leader,
    primary: await probeContainer(await podOf(kube, "fo", primary), "sidecar", ground.stateDir),
    standby: await probeContainer(await podOf(kube, "fo", standby), "sidecar", ground.stateDir),
  };
  const peaks = samplePeaks(probes);
  const t = performance.now();
  log(`fo: ${(await sendControl(ground.stateDir!, { action: "kill", pod: `${NS}/${primary}`, container: "engine" })).message}`);
  // Either the standby takes over or, on a 1-shard cluster whose engine restarts in place within a
  // second, the old primary serves again with its data: first the fault seen, then Ready again.
  await waitForCluster(kube, NS, "fo", "fo: the kill seen in status", (x) => !settled(x, 1, 2) || x?.status?.members?.find((m) => m.name === standby)?.role === "primary", 30_000)
    .catch(() => log("fo: the status never showed the kill (the engine was back within a report)"));
  const after = await waitForCluster(kube, NS, "fo", "fo: served and Ready again", (x) => settled(x, 1, 2), READY_MS);
  const serving = after!.status!.members!.find((m) => m.role === "primary")?.name ?? "?";
  const seconds = (performance.now() - t) / 1000;
  await new Promise((r) => setTimeout(r, 3000)); // the old primary's sidecar rejoins as a standby meanwhile: part of the peak window
  const p = peaks.stop();
  log(`fo: ${serving} serves, Ready again in ${seconds.toFixed(1)} s; peaks: operator ${round(p.operator)} MiB, sidecars ${round(p.primary)} (old primary) and ${round(p.standby)} (new) MiB`);
  return { operatorPeakMiB: round(p.operator), sidecarPeakMiB: round(Math.max(p.primary, p.standby)), seconds: round(seconds) };
}

async function main(): Promise<void> {
  if (process.env.MDB_NODES !== "real" && !process.env.KUBECONFIG) log("MDB_NODES is not real: the pod runner runs the TypeScript sources under tsx, not the bundled images; the numbers say little");
  const ground = await acquireGround((l) => log(`[cluster:up] ${l}`));
  const kube = new Kube(ground);
  const t0 = performance.now();
  let installed = false;
  let cleaning = false;
  const clusters = [...Array.from({ length: TINY }, (_, i) => tiny(i)), "mig", "fo"];
  const cleanUp = async () => {
    if (cleaning) return;
    cleaning = true;
    await kube.run("kubectl", ["delete", "pod", "floor", "-n", NS, "--ignore-not-found", "--wait=false"]);
    if (installed) await removeSuiteObjects(kube, OPERATOR, clusters, true).catch((e: Error) => log(`clean-up: ${e.message}`));
    await releaseGround(ground, (l) => log(`[cluster:down] ${l}`));
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  let result: Record<string, unknown>;
  try {
    for (const ns of [OPERATOR.namespace, NS]) await createNamespace(kube, ns);
    await installOperator(kube, OPERATOR, SNAPSHOTS ? [`nodeOptions=${chartNodeOptions()} ${SNAPSHOT_NODE_OPTIONS}`] : []);
    installed = true;
    await waitForOperatorReady(kube, OPERATOR);
    await createTiny(kube, [tiny(0)]);
    const member = await podOf(kube, tiny(0), `${tiny(0)}-0-0`);
    const sidecarImage = member.spec!.containers.find((c) => c.name === "sidecar")!.image!;
    const floor = await probeContainer(await floorPod(kube, sidecarImage), "node", ground.stateDir);
    await new Promise((r) => setTimeout(r, 10_000)); // a settling period after Ready, not a wait for a condition
    const leader = await leaderProbe(kube, ground);
    const sidecar = await probeContainer(member, "sidecar", ground.stateDir);
    const one = { operator: await steadyMiB(leader), sidecar: await steadyMiB(sidecar), engine: await steadyMiB(await probeContainer(member, "engine", ground.stateDir)), floor: await steadyMiB(floor) };
    log(`1 cluster: operator ${round(one.operator)} MiB (${splitText(leader)}), sidecar ${round(one.sidecar)} MiB (${splitText(sidecar)}), engine ${round(one.engine)} MiB; floor ${round(one.floor)} MiB (${splitText(floor)})`);
    const snapshotOne = SNAPSHOTS ? await takeHeapSnapshot(leader.mainPid()!, SNAPSHOTS, "operator-1") : undefined;
    const mig = await migration(kube, ground, leader);
    const fo = await failover(kube, ground, leader);
    await deleteClusters(kube, ["mig", "fo"]);
    await createTiny(kube, Array.from({ length: TINY - 1 }, (_, i) => tiny(i + 1)));
    await new Promise((r) => setTimeout(r, 15_000)); // settling, as above
    const ten = await steadyMiB(leader);
    const sidecars: number[] = [];
    for (let i = 0; i < TINY; i++) sidecars.push(await steadyMiB(await probeContainer(await podOf(kube, tiny(i), `${tiny(i)}-0-0`), "sidecar", ground.stateDir), 3, 300));
    log(`${TINY} clusters: operator ${round(ten)} MiB (${splitText(leader)}); their sidecars ${sidecars.map(round).join(", ")} MiB`);
    if (SNAPSHOTS && snapshotOne) logHeapGrowth(snapshotOne, await takeHeapSnapshot(leader.mainPid()!, SNAPSHOTS, `operator-${TINY}`));
    const measured = {
      operatorOneMiB: round(one.operator), operatorTenMiB: round(ten), sidecarIdleMiB: round(one.sidecar), sidecarMigratingMiB: mig.targetPeakMiB,
      engineMiB: round(one.engine), floorMiB: round(one.floor), sidecarSteadyMiB: round(median(sidecars)),
    };
    const met = {
      sidecarIdleMiB: measured.sidecarIdleMiB <= TARGETS.sidecarIdleMiB, sidecarMigratingMiB: measured.sidecarMigratingMiB <= TARGETS.sidecarMigratingMiB,
      operatorTenMiB: measured.operatorTenMiB <= TARGETS.operatorTenMiB, sidecarSteadyMiB: measured.sidecarSteadyMiB <= TARGETS.sidecarSteadyMiB,
    };
    result = {
      bench: "footprint", keys: KEYS, valueBytes: VALUE_BYTES, clusters: TINY, ...measured,
      sidecarsOfTenMiB: { min: round(Math.min(...sidecars)), max: round(Math.max(...sidecars)) },
      migration: mig, failover: fo, units: "MiB (VmRSS of the container's main process)",
      target: TARGETS, met, pass: Object.values(met).every(Boolean),
    };
  } finally {
    await cleanUp();
  }
  log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  console.log(JSON.stringify(result));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
