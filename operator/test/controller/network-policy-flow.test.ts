// The NetworkPolicy through the controller's passes: made with the other owned objects before any
// pod, replaced when spec.networkPolicy changes, removed when turned off, deleted with the cluster.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { V1NetworkPolicy } from "@kubernetes/client-node";
import { FINALIZER } from "../../src/api/types.ts";
import { decide } from "../../src/controller/decide.ts";
import { teardown } from "../../src/executor/owned-objects.ts";
import { planFromStatus } from "../../src/model/stored-plan.ts";
import { readyCluster, settle } from "./flow.ts";
import { gridNodes, makeCluster, SimulatedCluster } from "./fixtures.ts";

const policyOf = (sim: SimulatedCluster) => sim.owned.get("NetworkPolicy/demo") as V1NetworkPolicy | undefined;

describe("the NetworkPolicy, pass by pass", () => {
  test("made by the first ensure-objects, before any member pod", async () => {
    const sim = new SimulatedCluster(makeCluster({ shards: 3, replicasPerShard: 1 }), gridNodes(["a", "b", "c"]));
    const first = decide(sim.observe(), undefined, FINALIZER);
    assert.equal(first.kind, "ensure-objects");
    assert.ok(first.kind === "ensure-objects" && first.missing.includes("network-policy"), JSON.stringify(first));
    assert.equal(sim.pods.size, 0);
    await settle(sim);
    assert.ok(policyOf(sim), "the policy exists once the cluster settled");
  });

  test("not made with spec.networkPolicy.enabled false", async () => {
    const sim = await readyCluster({ shards: 2, replicasPerShard: 1, networkPolicy: { enabled: false } });
    assert.equal(policyOf(sim), undefined);
    assert.equal(decide(sim.observe(), planFromStatus(sim.cluster.status?.plan), FINALIZER).kind, "idle");
  });

  test("a changed spec.networkPolicy replaces it once; turned off, it is removed and stays away", async () => {
    const sim = await readyCluster({ shards: 2, replicasPerShard: 1 });
    const before = JSON.stringify(policyOf(sim)!.spec);
    sim.cluster.spec.networkPolicy = { metrics: [{ namespaceSelector: { matchLabels: { team: "obs" } } }] };
    assert.deepEqual(await settle(sim), ["sync-network-policy", "idle"]);
    assert.notEqual(JSON.stringify(policyOf(sim)!.spec), before);
    assert.deepEqual(policyOf(sim)!.spec!.ingress![3]._from, [{ namespaceSelector: { matchLabels: { team: "obs" } } }]);

    sim.cluster.spec.networkPolicy = { enabled: false };
    assert.deepEqual(await settle(sim), ["sync-network-policy", "idle"]);
    assert.equal(policyOf(sim), undefined);
    sim.cluster.spec.networkPolicy = { enabled: true };
    assert.deepEqual(await settle(sim), ["ensure-objects", "idle"]);
    assert.ok(policyOf(sim));
  });

  test("deleting the cluster deletes it with the other owned objects", async () => {
    const sim = await readyCluster({ shards: 1, replicasPerShard: 0 });
    sim.cluster.metadata!.deletionTimestamp = new Date();
    const removed: string[] = [];
    for (let action = decide(sim.observe(), undefined, FINALIZER); action.kind === "teardown"; action = decide(sim.observe(), undefined, FINALIZER)) {
      removed.push(...action.owned);
      await teardown(action, sim.context(sim.observe()));
    }
    assert.ok(removed.includes("network-policy"), removed.join(", "));
    assert.equal(policyOf(sim), undefined);
  });
});
