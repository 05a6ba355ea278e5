// npm run bench:scale — 3 → 6 shards through the operator, end to end, against redis-cli's rebalance on
// an identical hand-made cluster of the same pods, in one run (docs/benchmarks.md#benchmark-scale).
//
//   ours:     an MdbCluster of 3 shards (no standbys, latency guard off: full pace) loaded with
//             1,000,000 keys × 100 B; `spec.shards: 6` patched → Ready with the scale-out plan
//             Succeeded: the new members placed, their pods started and joined, the slots moved.
//   rate:     the same cluster back to 3 shards, then 3 → 6 again with spec.migration.rate.bytesPerSecond
//             set; every new primary's key count sampled every 100 ms gives each stream's 1 s windows.
//   baseline: the same six member pods on the same nodes, created directly (no operator), made a
//             cluster by hand (three primaries, three empty ones added), loaded with the same keys;
//             `redis-cli --cluster rebalance --cluster-use-empty-masters` timed.
// Both timed runs are under the same client in its own process (mixed reads/writes at a fixed rate:
// p99 idle and during); afterwards every loaded key is checked against the generator's checksum and
// every acknowledged write read back. The last line of output is one JSON object.
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { expectedChecksum } from "../../testing/engines.ts";
import { LABELS } from "../../operator/src/resources/names.ts";
import { acquireGround, releaseGround } from "../support/ground.ts";
import { createNamespace, installOperator, Kube, removeSuiteObjects, waitForOperatorReady, type OperatorRelease } from "../support/mdb.ts";
import { deleteHandmade, runHandmade } from "./support/scale-handmade.ts";
import { createLoaded, runOurs, runRateLimited, type ScaleRun, type ScaleShape } from "./support/scale-operator.ts";

const SHAPE: ScaleShape = {
  keys: Number(process.env.BENCH_KEYS ?? 1_000_000),
  valueBytes: Number(process.env.BENCH_VALUE_BYTES ?? 100),
  opsPerSecond: Number(process.env.BENCH_OPS ?? 1000),
  idleMs: Number(process.env.BENCH_IDLE_MS ?? 5000),
  maxMemory: process.env.BENCH_MAX_MEMORY ?? "512mb",
};
/** The bytes-per-second limit of the rate run, per stream (docs/usage.md#scale). */
const RATE = Number(process.env.BENCH_RATE_BYTES ?? 1_000_000);
const TARGETS = { ratio: 0.25, lost: 0, errors: 0, rateTolerance: 0.1 };
const RUN = Date.now().toString(36);
const OPERATOR: OperatorRelease = { release: `bs-${RUN}`, namespace: `mdb-bs-${RUN}-system`, watchNamespace: `mdb-bs-${RUN}`, replicas: 1 };
const NS = OPERATOR.watchNamespace;
const HANDMADE_NS = `mdb-bs-${RUN}-handmade`;
const NAME = "bs";

const log = (m: string) => process.stderr.write(`[bench:scale] ${m}\n`);

async function main(): Promise<void> {
  const ground = await acquireGround((l) => log(`[cluster:up] ${l}`));
  const kube = new Kube(ground);
  const t0 = performance.now();
  let installed = false;
  let cleaning = false;
  const cleanUp = async () => {
    if (cleaning) return;
    cleaning = true;
    await deleteHandmade(kube, HANDMADE_NS, NAME).catch((e: Error) => log(`clean-up: ${e.message}`));
    if (installed) await removeSuiteObjects(kube, OPERATOR, [NAME], true).catch((e: Error) => log(`clean-up: ${e.message}`));
    await kube.run("kubectl", ["delete", "namespace", HANDMADE_NS, "--ignore-not-found", "--wait=false"]);
    await releaseGround(ground, (l) => log(`[cluster:down] ${l}`));
  };
  // Ctrl-C cleans up too: a half-run benchmark must not stay on the proving ground.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  let ours: ScaleRun;
  let rate: Awaited<ReturnType<typeof runRateLimited>>;
  let baseline: ScaleRun;
  try {
    let t = performance.now();
    const expected = expectedChecksum(SHAPE.keys, SHAPE.valueBytes);
    log(`expected checksum of ${SHAPE.keys} keys in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    for (const ns of [OPERATOR.namespace, NS, HANDMADE_NS]) await createNamespace(kube, ns);
    await installOperator(kube, OPERATOR);
    installed = true;
    await waitForOperatorReady(kube, OPERATOR);
    const pw = await createLoaded(kube, NS, NAME, SHAPE, log);
    ours = await runOurs(kube, NS, NAME, SHAPE, pw, expected, log);
    const pods = await kube.pods(NS, `${LABELS.cluster}=${NAME}`);
    const nodes = Array.from({ length: 6 }, (_, shard) => pods.find((p) => p.metadata?.name === `${NAME}-${shard}-0`)?.spec?.nodeName);
    if (nodes.some((n) => !n)) throw new Error(`a member pod of ${NAME} has no node: ${pods.map((p) => `${p.metadata?.name}@${p.spec?.nodeName}`).join(" ")}`);
    const container = (n: string) => pods[0].spec!.containers.find((c) => c.name === n)!.image!;
    const images = { engine: container("engine"), sidecar: container("sidecar") };
    rate = await runRateLimited(kube, NS, NAME, RATE, pw, log);
    t = performance.now();
    await kube.must("kubectl", ["delete", "mdb", NAME, "-n", NS, "--wait=true", "--timeout=180s"]);
    log(`ours deleted in ${((performance.now() - t) / 1000).toFixed(1)} s; the baseline's pods go on the same nodes: ${nodes.join(" ")}`);
    baseline = await runHandmade(kube, HANDMADE_NS, NAME, SHAPE, images, nodes as string[], expected, log);
  } finally {
    await cleanUp();
  }
  const ratio = Math.round((ours.seconds / baseline.seconds) * 1000) / 1000;
  const lost = ours.keysLost;
  const errors = ours.clientErrors;
  const met = {
    ratio: ratio <= TARGETS.ratio, lost: lost === 0 && ours.valuesEqual, errors: errors === 0, rate: rate.held,
  };
  log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  console.log(JSON.stringify({
    bench: "scale", keys: SHAPE.keys, valueBytes: SHAPE.valueBytes, clientOpsPerSecond: SHAPE.opsPerSecond, cores: cpus().length,
    oursSeconds: ours.seconds, baselineSeconds: baseline.seconds, ratio, lost, errors,
    p99IdleMs: ours.p99IdleMs, p99DuringMs: ours.p99DuringMs,
    ours: { ...ours, what: "spec.shards 3 → 6 patched → Ready, plan Succeeded (pods placed and started, joined, slots moved); latency guard off" },
    baseline: { ...baseline, what: "redis-cli --cluster rebalance --cluster-use-empty-masters on the same six pods, made a cluster by hand" },
    rateLimit: rate,
    target: TARGETS, met, pass: Object.values(met).every(Boolean),
  }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
