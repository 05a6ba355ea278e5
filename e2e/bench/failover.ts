// npm run bench:failover [-- --kills N | --quick] — write unavailability when a primary fails, through
// the operator, against the engines' own failover with the same cluster-node-timeout on identical pods,
// side by side in one run (docs/benchmarks.md#benchmark-failover; targets: ratio ≤ 0.2, p99 ≤ 1 s, no
// acknowledged write lost with durability replicated or in a planned switchover).
//
//   ours:   an MdbCluster (3 shards × 1 standby) with spec.failover.enabled (the default): the operator
//           promotes the in-sync standby when the primary's engine is reported dead or its pod is gone.
//   native: the same member pods (built by operator/src/resources/member-pod.ts, same image, resources
//           and nodeTimeoutMs), made by the bench in a namespace no operator watches and formed with the
//           engines' own commands; the engines fail over on their own after the node timeout. Not an
//           MdbCluster with spec.failover.enabled false: the operator's meet loop disturbs the engines'
//           elections there (support/failover-baseline.ts). After a fault the bench, not an operator,
//           gets the member back (once the measurement window has closed).
// The two live on different racks of the proving ground (nodeSelector on the rack label / pinned pods),
// so a node stop hits one cluster only; no node that holds an operator pod is stopped.
// Rows, in this order, ours and native alternating kill by kill: engine-kill (the engine container
// SIGKILLed in place; the pod's restart policy restarts it), pod-delete (kubectl delete pod), node-stop
// (the primary's node stopped, started again once the shard is served again; on the pod runner the
// member then comes back empty in its old pod: for ours the bench deletes that pod so the operator
// replaces the member, reported as `repairs`). Before each fault every cluster is quiet (nothing in
// progress, every shard served; whole for pod-delete and node-stop) and the shard hit has an in-sync
// standby; the primaries are hit in turn over the shards.
// A writer process per cluster (support/failover-writer.ts) writes one key every millisecond,
// round-robin over the shards, each key once, and records when each write is acknowledged; a fault's
// unavailability is the longest gap between acknowledgements of its shard from 0.5 s before the fault
// until the shard's writes have flowed again for 0.5 s. Every acknowledged key is read back once the
// clusters are quiet again (and at the end of a row, whole): one that does not read back is a lost
// acknowledged write. Then planned switchovers on ours (the sidecar's Promote GRACEFUL, the call the
// operator makes for one: support/failover-switchover.ts), and the same faults on a cluster with
// durability replicated, in the baseline's place.
// The last line of output is one JSON object.
import { writeFileSync } from "node:fs";
import { loadavg, cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { parseSlotRanges } from "../../common/slots.ts";
import { acquireGround, releaseGround } from "../support/ground.ts";
import { createNamespace, installOperator, Kube, waitForCluster, waitForOperatorReady, type OperatorRelease } from "../support/mdb.ts";
import type { MemberImages } from "../../operator/src/api/types.ts";
import { readClusterInfo } from "../local/controlplane/cluster.ts";
import { sendControl } from "../local/podrunner/control.ts";
import { ENGINE_PORT, LABELS } from "../../operator/src/resources/names.ts";
import { Baseline } from "./support/failover-baseline.ts";
import {
  failoverClusterManifest, MEMBERS, nodesInRack, operatorNodes, seedsOf, startNode, viewOfStatus,
} from "./support/failover-cluster.ts";
import { deletePodForRebuild, runFault, verifyInto, waitWhole, type BenchSide, type CycleEnv } from "./support/failover-cycle.ts";
import { failoverReport } from "./support/failover-report.ts";
import { FAULT_MODES, rowOf, type FaultMode, type KillResult } from "./support/failover-stats.ts";
import { runSwitchover } from "./support/failover-switchover.ts";
import { startFailoverWriter } from "./support/failover-writer.ts";

const USAGE = "usage: npm run bench:failover [-- --kills N] [--quick] [--replicated-kills N] [--switchovers N] [--modes engine-kill,pod-delete,node-stop]";

interface Options { kills: number; replicatedKills: number; switchovers: number; modes: FaultMode[] }

function options(argv: string[]): Options {
  const quick = argv.includes("--quick");
  const o: Options = { kills: quick ? 3 : 20, replicatedKills: quick ? 1 : 5, switchovers: quick ? 3 : 20, modes: [...FAULT_MODES] };
  const counts: Record<string, "kills" | "replicatedKills" | "switchovers"> = { "--kills": "kills", "--replicated-kills": "replicatedKills", "--switchovers": "switchovers" };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--quick") continue;
    const value = argv[++i] ?? "";
    if (flag === "--modes") {
      o.modes = value.split(",").map((m) => {
        if (!(FAULT_MODES as readonly string[]).includes(m)) throw new Error(`--modes: "${m}" is not one of ${FAULT_MODES.join(", ")}\n${USAGE}`);
        return m as FaultMode;
      });
      continue;
    }
    const n = Number(value);
    if (!(flag in counts) || !Number.isInteger(n) || n < 0) throw new Error(`${flag} ${value}: not understood\n${USAGE}`);
    o[counts[flag]] = n;
  }
  return o;
}

const OPT = options(process.argv.slice(2));
const RUN = Date.now().toString(36);
const OPERATOR: OperatorRelease = { release: `fo-${RUN}`, namespace: `mdb-fo-${RUN}-system`, watchNamespace: `mdb-fo-${RUN}`, replicas: 2 };
const NS = OPERATOR.watchNamespace;
/** The baseline's namespace: no operator watches it. */
const BASE_NS = `mdb-fo-${RUN}-base`;
const READY_TIMEOUT_MS = 300_000;
const WRITE_INTERVAL_MS = 1;

const log = (m: string) => process.stderr.write(`[bench:failover ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

async function main(): Promise<void> {
  const tStart = performance.now();
  const loadStart = load();
  const ground = await acquireGround((l) => log(`[cluster:up] ${l}`));
  if (!ground.stateDir) throw new Error("bench:failover needs the proving ground (its pod runner injects the faults); unset KUBECONFIG or point it at a proving ground's kubeconfig");
  const stateDir = ground.stateDir;
  const kube = new Kube(ground);
  const sides: BenchSide[] = [];
  const baselines: Baseline[] = [];
  let installed = false;
  let cleaning = false;
  let keep = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      void cleanUp().finally(() => process.exit(130));
    });
  }

  const password = async (name: string) => Buffer.from((await kube.core.readNamespacedSecret({ name: `${name}-auth`, namespace: NS })).data?.password ?? "", "base64").toString("utf8");
  const podRunner = (readClusterInfo(stateDir)?.nodesMode ?? "podrunner") === "podrunner";
  const env: CycleEnv = { kube, stateDir, sides: () => sides, avoidNodes: new Set(), log, repairs: [], stuckSince: new Map() };

  /** Starts the writer of a whole cluster (paused) and adds the cluster to the run. */
  async function addSide(s: Omit<BenchSide, "writer" | "lastShard">): Promise<BenchSide> {
    const v = (await s.view())!;
    const shards = v.shards.map((d) => ({ index: d.index, ranges: parseSlotRanges(d.slots, `${s.name} shard ${d.index}'s slots`) }));
    const writer = await startFailoverWriter({ seeds: seedsOf(v), password: s.password, shards, intervalMs: WRITE_INTERVAL_MS, label: s.name });
    const side: BenchSide = { ...s, writer, lastShard: -1 };
    sides.push(side);
    log(`${s.name} whole (${s.side}): ${v.members.map((m) => `${m.name}@${m.node}${m.role === "primary" ? "*" : ""}`).join(" ")}`);
    return side;
  }

  /** Ours: an MdbCluster the operator keeps, whole. */
  async function addOurs(name: string, rack: string, durability: "async" | "replicated"): Promise<BenchSide> {
    const rackNodes = await nodesInRack(kube, rack);
    if (rackNodes.length < MEMBERS / 2) throw new Error(`rack ${rack} has ${rackNodes.length} nodes (${rackNodes.join(", ")}); the bench needs the proving ground's default topology (e2e/local/topology.yaml)`);
    await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], failoverClusterManifest({ name, failover: true, durability, rack, maxMembersPerHost: rackNodes.length >= MEMBERS ? 1 : 2 }));
    await waitForCluster(kube, NS, name, `${name} whole`, (c) => viewOfStatus(c)?.whole === true, READY_TIMEOUT_MS, (l) => log(`${name}: ${l}`));
    const cluster = () => kube.getCluster(NS, name);
    return addSide({
      side: "ours", name, namespace: NS, password: await password(name), cluster, view: async () => viewOfStatus(await cluster()),
      // On the pod runner a member whose node stopped comes back in its old pod with no data and a new
      // address, which nothing rebuilds (repairStuck); its pod is deleted at once so the operator puts it
      // back as a standby. On real nodes its volume survives.
      onNodeStarted: async (t, cycle) => { if (podRunner) await deletePodForRebuild(env, sides.find((x) => x.name === name)!, t.member, "node started again; the pod runner kept no data of its pod", 0, cycle); },
      afterFault: async () => undefined,
    });
  }

  /** The baseline: the same pods made by the bench, no operator (support/failover-baseline.ts). */
  async function addBaseline(name: string, rack: string, images: MemberImages): Promise<{ side: BenchSide; baseline: Baseline }> {
    await createNamespace(kube, BASE_NS);
    const baseline = await Baseline.create(kube, { namespace: BASE_NS, name, images, nodes: await nodesInRack(kube, rack) });
    baselines.push(baseline);
    const side = await addSide({
      side: "native", name, namespace: BASE_NS, password: baseline.password, view: () => baseline.view(),
      onNodeStarted: async (t) => { if (podRunner) await baseline.dropPod(t.member); },
      afterFault: (mode, t) => baseline.rebuild(mode, t.member, t.podUid, log),
    });
    return { side, baseline };
  }

  async function removeSide(s: BenchSide, baseline?: Baseline): Promise<void> {
    await s.writer.stop();
    sides.splice(sides.indexOf(s), 1);
    if (baseline) {
      await baseline.remove();
      baselines.splice(baselines.indexOf(baseline), 1);
      return;
    }
    await kube.must("kubectl", ["delete", "mdb", s.name, "-n", NS, "--wait=false"]);
    await waitForCluster(kube, NS, s.name, `${s.name} deleted`, (c) => c === undefined, 180_000);
  }

  try {
    for (const ns of [OPERATOR.namespace, NS]) await createNamespace(kube, ns);
    // BENCH_HELM_SET="logLevel=debug,…": extra chart values (a diagnostic run; the numbers are taken at the chart's defaults).
    await installOperator(kube, OPERATOR, (process.env.BENCH_HELM_SET ?? "").split(",").filter(Boolean));
    installed = true;
    await waitForOperatorReady(kube, OPERATOR);
    env.avoidNodes = await operatorNodes(kube, OPERATOR.namespace);
    log(`operator ready (release ${OPERATOR.release}, pods on ${[...env.avoidNodes].join(", ")}: no node stop there)`);
    const ours = await addOurs("fo-ours", "rack-1", "async");
    const [containers] = (await kube.pods(NS, `${LABELS.cluster}=fo-ours`)).map((p) => p.spec!.containers);
    const { side: native, baseline } = await addBaseline("fo-native", "rack-2", { engine: containers[0].image!, sidecar: containers[1].image! });

    const results: KillResult[] = [];
    for (const mode of OPT.modes) {
      const t0 = performance.now();
      for (let i = 0; i < OPT.kills; i++) {
        for (const s of [ours, native]) {
          await verifyInto(s, results, log);
          results.push(await runFault(env, s, mode, `${mode}-${s.side}-${i}`));
        }
      }
      await waitWhole(env);
      for (const s of [ours, native]) await verifyInto(s, results, log);
      const row = rowOf(mode, results);
      log(`row ${mode} in ${Math.round((performance.now() - t0) / 1000)} s: ours p50 ${row.ours.p50Ms} / p99 ${row.ours.p99Ms} ms, native p50 ${row.native.p50Ms} / p99 ${row.native.p99Ms} ms, ratio ${row.ratioP99}; lost acknowledged ours ${row.ours.lostAcked}, native ${row.native.lostAcked}`);
    }

    // Planned switchovers: the sidecar's Promote GRACEFUL on ours, as the operator calls it.
    const switchovers: KillResult[] = [];
    for (let i = 0; i < OPT.switchovers; i++) {
      await verifyInto(ours, switchovers, log);
      switchovers.push(await runSwitchover(env, ours, `switchover-${i}`));
    }
    if (OPT.switchovers) {
      await waitWhole(env);
      await verifyInto(ours, switchovers, log);
    }

    // Durability replicated, when the tree has it: the same faults on a cluster that asks for it, in native's place.
    const replicated: KillResult[] = [];
    let replicatedReason = "";
    if (OPT.replicatedKills === 0) replicatedReason = "not measured in this run (--replicated-kills 0)";
    else {
      await removeSide(native, baseline);
      const repl = await addOurs("fo-repl", "rack-2", "replicated");
      const minReplicas = await engineConfig(repl, "min-replicas-to-write");
      if (minReplicas !== "1") {
        replicatedReason = `spec.durability: replicated is not implemented in this tree: the engines of fo-repl run min-replicas-to-write ${minReplicas} (want 1)`;
      } else {
        for (const mode of OPT.modes) {
          for (let i = 0; i < OPT.replicatedKills; i++) {
            await verifyInto(repl, replicated, log);
            replicated.push(await runFault(env, repl, mode, `replicated-${mode}-${i}`));
          }
        }
        await waitWhole(env);
        await verifyInto(repl, replicated, log);
      }
      if (replicatedReason) log(replicatedReason);
    }

    const seconds = Math.round((performance.now() - tStart) / 1000);
    log(`total ${seconds} s; load average at the start ${loadStart.join(" ")}, now ${load().join(" ")} (${cpus().length} cores)`);
    const { target, met, pass, ...report } = failoverReport({
      modes: OPT.modes, killsPerRow: OPT.kills, replicatedKillsPerMode: OPT.replicatedKills, writeIntervalMs: WRITE_INTERVAL_MS,
      results, replicated, replicatedReason, switchovers,
    });
    console.log(JSON.stringify({
      ...report,
      // Members the bench had to delete so the operator rebuilt them (an engine back empty in a pod that stayed).
      repairs: env.repairs,
      durationSeconds: seconds,
      machine: { cores: cpus().length, loadAverageStart: loadStart, loadAverageEnd: load() },
      target, met, pass,
    }));
  } catch (err) {
    if (process.env.BENCH_KEEP) {
      keep = true;
      log(`BENCH_KEEP is set: the release ${OPERATOR.release} and namespace ${NS} stay for a look (npm run cluster:logs; helm uninstall and kubectl delete namespace when done)`);
    }
    throw err;
  } finally {
    await cleanUp();
  }

  async function engineConfig(s: BenchSide, parameter: string): Promise<string> {
    const ip = (await s.view())?.members.find((m) => m.ip)?.ip;
    const r = new Redis({ host: ip, port: ENGINE_PORT, password: s.password, lazyConnect: true, maxRetriesPerRequest: 0 });
    r.on("error", () => undefined);
    try {
      await r.connect();
      return String(((await r.call("CONFIG", "GET", parameter)) as string[])[1] ?? "?");
    } finally {
      r.disconnect();
    }
  }

  /** BENCH_OPERATOR_LOG=<file>: every operator pod's log, for a look at where a failover's time went. */
  async function saveOperatorLogs(file: string): Promise<void> {
    const pods = (await kube.pods(OPERATOR.namespace, `app.kubernetes.io/instance=${OPERATOR.release}`)).map((p) => p.metadata!.name!);
    const logs = await Promise.all(pods.map(async (p) => `==> ${p}\n${(await kube.run("kubectl", ["logs", "-n", OPERATOR.namespace, p])).stdout}`));
    writeFileSync(file, logs.join("\n"));
    log(`operator logs in ${file}`);
  }

  /** Leaves nothing of the run behind: writers, clusters (while the operator runs their finalizers), the release, the namespaces. */
  async function cleanUp(): Promise<void> {
    if (cleaning) return;
    cleaning = true;
    await Promise.all(sides.map((s) => s.writer.stop().catch(() => undefined)));
    if (process.env.BENCH_OPERATOR_LOG && installed) await saveOperatorLogs(process.env.BENCH_OPERATOR_LOG).catch((e: Error) => log(`operator logs: ${e.message}`));
    if (keep) return;
    // A node the bench stopped (an error between stop and start) runs again.
    const stopped = await sendControl(stateDir, { action: "status" })
      .then((r) => (r.data as { nodes: { name: string; stopped: boolean }[] }).nodes.filter((n) => n.stopped).map((n) => n.name)).catch(() => []);
    for (const node of stopped) await startNode(stateDir, node).catch((e: Error) => log(e.message));
    for (const b of baselines) await b.remove().catch((e: Error) => log(`baseline clean-up: ${e.message}`));
    if (installed) {
      const left = JSON.parse(await kube.must("kubectl", ["get", "mdb", "-n", NS, "-o", "json"])) as { items: { metadata: { name: string } }[] };
      for (const c of left.items) await kube.run("kubectl", ["delete", "mdb", c.metadata.name, "-n", NS, "--wait=false"]);
      for (const c of left.items) await waitForCluster(kube, NS, c.metadata.name, "clean-up", (x) => x === undefined, 120_000).catch((e: Error) => log(e.message));
      await kube.run("helm", ["uninstall", OPERATOR.release, "-n", OPERATOR.namespace]);
    }
    await kube.run("kubectl", ["delete", "namespace", OPERATOR.namespace, NS, BASE_NS, "--ignore-not-found", "--wait=false"]);
    await releaseGround(ground, (l) => log(`[cluster:down] ${l}`));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
