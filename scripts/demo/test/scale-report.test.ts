// What `npm run demo -- scale N` prints while a cluster scales, from fixture clusters.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { MdbCluster, MdbClusterStatusPlanStepsItem } from "../../../operator/src/api/generated/mdbcluster.ts";
import { parseShards } from "../scale.ts";
import { bar, percentMoved, scaleDone, scaleLine, waves } from "../scale-report.ts";

const SINCE = "2026-12-06T10:00:00.000Z";
const ready = (generation = 2) => ({ observedGeneration: generation, phase: "Ready" as const, conditions: [{ type: "Available", status: "True" as const, reason: "R", message: "", lastTransitionTime: SINCE }] });
const move = (id: string, wave: number, state: MdbClusterStatusPlanStepsItem["state"]): MdbClusterStatusPlanStepsItem => ({ id, kind: "move-slots", shard: wave, state, slots: "0-99", from: "0", to: "3" });

function cluster(status: MdbCluster["status"], shards = 4, generation = 2): MdbCluster {
  return { apiVersion: "mdbcluster.io/v1alpha1", kind: "MdbCluster", metadata: { name: "demo", namespace: "default", generation }, spec: { shards, replicasPerShard: 1 }, status };
}

const running = cluster({
  observedGeneration: 2, phase: "Scaling", shards: 3, migration: "37%",
  plan: {
    kind: "scale-out", phase: "Running", startedAt: "2026-12-06T10:00:02.000Z",
    steps: [{ id: "p", kind: "place-member", state: "done" }, move("m1", 0, "done"), move("m2", 0, "done"), move("m3", 1, "done"), move("m4", 1, "running"), move("m5", 2, "pending")],
    progress: { stepsDone: 4, stepsTotal: 6, slotsDone: 1516, slotsTotal: 4096 },
  },
});

describe("scale progress", () => {
  test("the bar fills with the share moved and clamps", () => {
    assert.equal(bar(0, 10), "[----------]   0%");
    assert.equal(bar(37, 10), "[####------]  37%");
    assert.equal(bar(150, 10), "[##########] 150%");
  });

  test("status.migration wins; without it the plan's slots; a finished plan is 100 %", () => {
    assert.equal(percentMoved(running), 37);
    assert.equal(percentMoved(cluster({ ...running.status, migration: undefined })), 37);
    assert.equal(percentMoved(cluster({ plan: { kind: "scale-out", phase: "Succeeded" } })), 100);
    assert.equal(percentMoved(cluster({ plan: { kind: "scale-out", phase: "Running" } })), 0);
  });

  test("waves are the move steps grouped by their wave; a wave with some moves done is moving", () => {
    assert.deepEqual(waves(running), { done: 1, total: 3, running: [2] });
    assert.deepEqual(waves(cluster({})), { done: 0, total: 0, running: [] });
  });

  test("the line names the plan, the waves and the slots; an older plan is not this scale's", () => {
    const line = scaleLine(running, SINCE, 10);
    assert.match(line, /^\[####------\]  37% · Scaling · plan scale-out Running 4\/6 steps · waves 1\/3 \(wave 2 moving\) · slots 1516\/4096 · shards with slots 3\/4$/);
    const old = scaleLine(running, "2026-12-06T11:00:00.000Z", 10);
    assert.match(old, /^\[----------\]   0% · Scaling · waiting for the plan · shards with slots 3\/4$/);
  });

  test("done: Ready for this spec, the shards own slots, this scale's plan Succeeded", () => {
    const succeeded = { ...running.status!.plan!, phase: "Succeeded" as const };
    assert.equal(scaleDone(cluster({ ...ready(), shards: 4, plan: succeeded }), 4, SINCE), true);
    assert.equal(scaleDone(cluster({ ...ready(), shards: 4, plan: { ...succeeded, phase: "Running" } }), 4, SINCE), false);
    assert.equal(scaleDone(cluster({ ...ready(), shards: 3, plan: succeeded }), 4, SINCE), false, "slots not on 4 shards yet");
    assert.equal(scaleDone(cluster({ ...ready(1), shards: 4, plan: succeeded }), 4, SINCE), false, "status of the spec before the patch");
    assert.equal(scaleDone(cluster({ ...ready(), shards: 4, plan: { kind: "bootstrap", phase: "Succeeded", startedAt: "2026-12-06T09:00:00.000Z" } }), 4, SINCE), true, "no change: no plan of its own");
  });

  test("the shards argument is a whole number from 1", () => {
    assert.equal(parseShards("6"), 6);
    for (const bad of [undefined, "", "0", "2.5", "six"]) assert.throws(() => parseShards(bad), /not a number of shards/);
  });
});
