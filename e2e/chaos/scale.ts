// npm run chaos:scale -- --runs N --seed S [--round SEED:FROM]
//
// N seeded rounds on one MdbCluster (3 shards × 1 standby to start) on the proving ground: each round a
// mixed client (e2e/support/mixed-client.ts) loads its own keys and reads and writes at a fixed rate,
// spec.shards changes (out or in, between 3 and 5 shards, seeded), and a fault strikes at a seeded
// point of the plan (e2e/chaos/support/scale-faults.ts). A round passes when the cluster ends Ready
// with the new shape, every slot owned once and none importing or migrating in every primary's view,
// and no key the client loaded is lost. A round that fails is reported with its seed and starting
// shards (replay: --round SEED:FROM) and the cluster is made anew for the next round.
// The last line is one JSON object: runs, converged, keysLost, orphanedSlots, clientErrors, failedSeeds.
import { parseArgs } from "node:util";
import { waitFor } from "../../common/wait.ts";
import { acquireGround, releaseGround } from "../support/ground.ts";
import {
  clusterManifest, createNamespace, installOperator, isReady, Kube, removeSuiteObjects, waitForCluster, waitForOperatorReady, type OperatorRelease,
} from "../support/mdb.ts";
import { planRound, roundSeed, type RoundPlan } from "./support/scale-round-plan.ts";
import { runRound, settled, type ChaosTarget, type RoundResult } from "./support/scale-round.ts";

const { values: args } = parseArgs({ options: { runs: { type: "string", default: "5" }, seed: { type: "string", default: "1" }, round: { type: "string" } } });
const RUNS = Number(args.runs);
const SEED = Number(args.seed);
if (!Number.isInteger(RUNS) || RUNS < 1 || !Number.isInteger(SEED)) throw new Error(`--runs N (≥ 1) and --seed S (an integer): got --runs ${args.runs} --seed ${args.seed}`);
const BOUNDS = { min: 3, max: 5 };
const REPLICAS = 1;
const RUN = Date.now().toString(36);
const OPERATOR: OperatorRelease = { release: `chaos-${RUN}`, namespace: `mdb-chaos-${RUN}-system`, watchNamespace: `mdb-chaos-${RUN}`, replicas: 2 };
const NS = OPERATOR.watchNamespace;
const NAME = "chaos";
const KEYS = Number(process.env.CHAOS_KEYS ?? 5000);
const OPS = Number(process.env.CHAOS_OPS ?? 100);
/** Moves paced so a fault lands inside one (docs/usage.md#scale: spec.migration.rate). */
const KEYS_PER_SECOND = Number(process.env.CHAOS_KEYS_PER_SECOND ?? 2000);
const ROUND_TIMEOUT_MS = Number(process.env.CHAOS_ROUND_TIMEOUT_SECONDS ?? 300) * 1000;

const log = (line: string) => process.stderr.write(`[chaos:scale] ${line}\n`);

function manifest(shards: number): string {
  return `${clusterManifest(NAME, { shards, replicasPerShard: REPLICAS })}  migration: { rate: { keysPerSecond: ${KEYS_PER_SECOND} } }\n`;
}

async function main(): Promise<void> {
  const ground = await acquireGround((l) => log(`[cluster:up] ${l}`));
  const kube = new Kube(ground);
  let installed = false;
  const results: RoundResult[] = [];
  try {
    await createNamespace(kube, OPERATOR.namespace);
    await createNamespace(kube, NS);
    await installOperator(kube, OPERATOR);
    installed = true;
    await waitForOperatorReady(kube, OPERATOR);
    const fresh = async (shards: number) => {
      if (await kube.getCluster(NS, NAME)) {
        await kube.must("kubectl", ["delete", "mdb", NAME, "-n", NS, "--wait=false"]);
        await waitForCluster(kube, NS, NAME, `${NAME} deleted`, (c) => c === undefined, 180_000);
        await waitFor(async () => (await kube.pods(NS, `mdbcluster.io/cluster=${NAME}`)).length === 0, { what: "the old pods gone", timeoutMs: 120_000, intervalMs: 500 });
      }
      await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], manifest(shards));
      await waitForCluster(kube, NS, NAME, `${NAME} Ready with ${shards} shards`, (c) => isReady(c) && settled(c, shards, shards * (REPLICAS + 1)), 300_000);
    };
    const secret = async () => {
      const s = await kube.core.readNamespacedSecret({ name: `${NAME}-auth`, namespace: NS });
      return Buffer.from(s.data?.password ?? "", "base64").toString("utf8");
    };
    const replay = args.round ? /^(\d+):(\d+)$/.exec(args.round) : undefined;
    if (args.round && !replay) throw new Error(`--round SEED:FROM (e.g. 123:3), got ${args.round}`);
    let shards = replay ? Number(replay[2]) : BOUNDS.min;
    await fresh(shards);
    const target: ChaosTarget = {
      kube, ground, operator: OPERATOR, namespace: NS, name: NAME, password: await secret(), replicasPerShard: REPLICAS,
      keysPerRound: KEYS, opsPerSecond: OPS, timeoutMs: ROUND_TIMEOUT_MS, log,
    };
    const rounds = replay ? 1 : RUNS;
    for (let i = 0; i < rounds; i++) {
      const plan: RoundPlan = planRound(replay ? Number(replay[1]) : roundSeed(SEED, i), shards, BOUNDS);
      log(`round ${i + 1}/${rounds}: seed ${plan.seed}, ${plan.from} → ${plan.to} shards, ${plan.fault} after ${plan.afterMovesDone} moves + ${plan.delayMs} ms`);
      const r = await runRound(target, plan);
      results.push(r);
      log(`round ${i + 1}: ${r.converged && r.keysLost === 0 ? "PASS" : "FAIL"} in ${r.seconds} s; ${r.injected}; keys lost ${r.keysLost}, orphaned slots ${r.orphanedSlots}, client errors ${r.clientErrors} (unknown ${r.clientUnknown}, wrong reads ${r.wrongReads})${r.why ? `; ${r.why}` : ""}`);
      if (r.converged) shards = plan.to;
      else if (i < rounds - 1) {
        const logs = await kube.run("kubectl", ["logs", "-n", OPERATOR.namespace, "-l", `app.kubernetes.io/instance=${OPERATOR.release}`, "--tail=40", "--prefix"]);
        log(`operator log (last lines):\n${logs.stdout}`);
        log("making the cluster anew for the next round");
        shards = BOUNDS.min;
        await fresh(shards);
        target.password = await secret();
      }
    }
  } finally {
    if (installed) await removeSuiteObjects(kube, OPERATOR, [NAME], true).catch((e: Error) => log(`clean-up: ${e.message}`));
    await releaseGround(ground, (l) => log(`[cluster:down] ${l}`));
  }
  const failed = results.filter((r) => !r.converged || r.keysLost > 0);
  console.log(JSON.stringify({
    chaos: "scale", seed: SEED, runs: results.length,
    converged: results.filter((r) => r.converged).length,
    keysLost: results.reduce((n, r) => n + r.keysLost, 0),
    orphanedSlots: results.reduce((n, r) => n + r.orphanedSlots, 0),
    clientErrors: results.reduce((n, r) => n + r.clientErrors, 0),
    failedSeeds: failed.map((r) => `${r.seed}:${r.from}`),
    rounds: results.map((r) => ({ seed: r.seed, from: r.from, to: r.to, fault: r.fault, converged: r.converged, keysLost: r.keysLost, clientErrors: r.clientErrors, seconds: r.seconds })),
    pass: failed.length === 0,
  }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
