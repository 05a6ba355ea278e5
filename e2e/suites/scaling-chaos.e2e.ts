// Scaling under faults (issue 17's quick chaos variants; the seeded long version is `npm run chaos:scale`):
// a 3 × 1 cluster whose moves are paced (spec.migration.rate) so a fault lands inside one, a mixed
// client reading and writing its own keys the whole time, and one fault per kind at a move:
// the operator's leader killed mid-wave (3 → 4 shards), a move's source engine killed (4 → 5), a move's
// target sidecar killed (5 → 4). Each ends Ready with the new shape, every slot owned once in every
// primary's view, none importing or migrating, and no key lost. Reads only KUBECONFIG; with it unset,
// runs on a proving ground it starts (the engine and sidecar faults need the pod runner's control socket).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { planRound, type FaultKind } from "../chaos/support/scale-round-plan.ts";
import { runRound, settled, type ChaosTarget } from "../chaos/support/scale-round.ts";
import { acquireGround, releaseGround, type Ground } from "../support/ground.ts";
import { clusterManifest, createNamespace, installOperator, Kube, removeSuiteObjects, waitForCluster, waitForOperatorReady, type OperatorRelease } from "../support/mdb.ts";

const RUN = Date.now().toString(36);
const OPERATOR: OperatorRelease = { release: `scc-${RUN}`, namespace: `mdb-scc-${RUN}-system`, watchNamespace: `mdb-scc-${RUN}`, replicas: 2 };
const NS = OPERATOR.watchNamespace;
const NAME = "scc";

const log = (line: string) => console.log(`  [scaling chaos e2e] ${line}`);

describe("scaling chaos: a fault mid-move ends Ready with every slot owned once and no key lost", { timeout: 1_200_000 }, () => {
  let ground: Ground | undefined;
  let kube: Kube;
  let helmInstalled = false;
  let target: ChaosTarget;

  before(async () => {
    ground = await acquireGround();
    kube = new Kube(ground);
    await createNamespace(kube, OPERATOR.namespace);
    await createNamespace(kube, NS);
    await installOperator(kube, OPERATOR);
    helmInstalled = true;
    await waitForOperatorReady(kube, OPERATOR);
    await kube.must("kubectl", ["apply", "-n", NS, "-f", "-"], `${clusterManifest(NAME, { shards: 3, replicasPerShard: 1 })}  migration: { rate: { keysPerSecond: 2000 } }\n`);
    await waitForCluster(kube, NS, NAME, `${NAME} Ready`, (c) => settled(c, 3, 6), 240_000);
    const s = await kube.core.readNamespacedSecret({ name: `${NAME}-auth`, namespace: NS });
    target = {
      kube, ground, operator: OPERATOR, namespace: NS, name: NAME, password: Buffer.from(s.data?.password ?? "", "base64").toString("utf8"),
      replicasPerShard: 1, keysPerRound: 6000, opsPerSecond: 100, timeoutMs: 240_000, log,
    };
  });

  after(async () => {
    if (!kube) return;
    try {
      await removeSuiteObjects(kube, OPERATOR, [NAME], helmInstalled);
    } finally {
      await releaseGround(ground);
    }
  });

  const cases: [string, number, number, FaultKind][] = [
    ["the operator's leader killed mid-wave (3 → 4 shards)", 3, 4, "kill-operator-leader"],
    ["a move's source engine killed mid-move (4 → 5 shards)", 4, 5, "kill-source-engine"],
    ["a move's target sidecar killed mid-move (5 → 4 shards)", 5, 4, "kill-target-sidecar"],
  ];
  for (const [what, from, to, fault] of cases) {
    test(what, async () => {
      const plan = { ...planRound(from * 10 + to, from, { min: Math.min(from, to), max: Math.max(from, to) }, [fault]), afterMovesDone: 0, delayMs: 300 };
      assert.equal(plan.to, to);
      const r = await runRound(target, plan);
      log(`${r.injected}: ${r.converged ? "converged" : "did not converge"} in ${r.seconds} s; keys lost ${r.keysLost}, orphaned slots ${r.orphanedSlots}, client errors ${r.clientErrors} (unknown ${r.clientUnknown}, wrong reads ${r.wrongReads})${r.why ? `; ${r.why}` : ""}`);
      assert.match(r.injected, /mid-move/, "the fault struck while a move ran");
      assert.ok(r.converged, `Ready with ${to} shards, every slot owned once, none importing or migrating: ${r.why ?? ""}`);
      assert.equal(r.keysLost, 0, `no key lost: ${r.why ?? ""}`);
      assert.equal(r.orphanedSlots, 0);
    });
  }
});
