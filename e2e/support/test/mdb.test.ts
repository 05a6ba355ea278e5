// The pure parts of the e2e support: the chart's full name, and the one-line progress a timeout prints.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { V1Pod } from "@kubernetes/client-node";
import type { MdbCluster } from "../../../operator/src/api/types.ts";
import { kubeconfigNamesAnotherCluster } from "../ground.ts";
import { clusterManifest, clusterProgress, isReady, membersByState, podStates, releaseFullname } from "../mdb.ts";

const makeCluster = (status: MdbCluster["status"], generation = 1): MdbCluster =>
  ({ apiVersion: "mdbcluster.io/v1alpha1", kind: "MdbCluster", metadata: { name: "c", namespace: "ns", generation }, spec: { shards: 3 }, status }) as MdbCluster;
const member = (name: string, state: string) => ({ name, shard: 0, node: "n", state, role: "", engineNodeId: "", ip: "10.244.1.2", ready: false });
const available = (status: "True" | "False") => ({ type: "Available", status, reason: status === "True" ? "AllSlotsServed" : "SlotsNotServed", message: "", lastTransitionTime: "" });

describe("releaseFullname: the chart's mdb-operator.fullname", () => {
  for (const [release, want] of [
    ["e2e-abc", "e2e-abc-mdb-operator"],
    ["mdb-operator", "mdb-operator"], // already contains the chart name
    ["my-mdb-operator-prod", "my-mdb-operator-prod"],
    ["x".repeat(70), "x".repeat(63)], // truncated to 63
  ] as const) {
    test(`${release.slice(0, 20)} → ${want.slice(0, 24)}`, () => assert.equal(releaseFullname(release), want));
  }
});

describe("progress lines", () => {
  test("members by state counts each state once, in first-seen order", () => {
    assert.equal(membersByState(makeCluster({ members: [member("a", "ONLINE"), member("b", "Pending"), member("c", "ONLINE")] })), "ONLINE 2, Pending 1");
    assert.equal(membersByState(makeCluster({})), "none");
  });

  test("a cluster without status says the operator may not be reconciling", () => {
    assert.match(clusterProgress(makeCluster(undefined)), /no status yet/);
    assert.equal(clusterProgress(undefined), "the MdbCluster does not exist");
  });

  test("the line shows phase, ready, members, conditions, plan and generations", () => {
    const line = clusterProgress(makeCluster({ phase: "Bootstrapping", ready: "1/6", observedGeneration: 1, members: [member("a", "ACTIVE")],
      conditions: [available("False")], plan: { id: "p", kind: "bootstrap", summary: "bootstrap 3/9 steps" } } as MdbCluster["status"], 2));
    assert.equal(line, "phase Bootstrapping, ready 1/6, members: ACTIVE 1; Available=False(SlotsNotServed); plan: bootstrap 3/9 steps; observedGeneration 1/2");
  });

  test("pod states name phase, ready containers, restarts, waiting reasons and unscheduled pods", () => {
    const pod = (name: string, phase: string, statuses: { ready: boolean; restartCount: number; waiting?: string }[], nodeName?: string): V1Pod => ({
      metadata: { name }, spec: { nodeName, containers: statuses.map((_, i) => ({ name: `c${i}` })) },
      status: { phase, containerStatuses: statuses.map((s, i) => ({ name: `c${i}`, image: "i", imageID: "", ready: s.ready, restartCount: s.restartCount, state: s.waiting ? { waiting: { reason: s.waiting } } : {} })) },
    });
    assert.equal(podStates([
      pod("a", "Running", [{ ready: true, restartCount: 0 }, { ready: false, restartCount: 2, waiting: "CrashLoopBackOff" }], "n1"),
      pod("b", "Pending", [], undefined),
    ]), "a Running 1/2 (restarts 2) CrashLoopBackOff; b Pending 0/0 unscheduled");
    assert.equal(podStates([]), "no pods");
  });
});

describe("isReady", () => {
  const ready = { phase: "Ready", observedGeneration: 1, conditions: [available("True")] } as MdbCluster["status"];
  test("phase Ready, Available True and the current generation observed", () => assert.equal(isReady(makeCluster(ready)), true));
  test("not when the status is about an older generation", () => assert.equal(isReady(makeCluster(ready, 2)), false));
  test("not when Available is False", () => assert.equal(isReady(makeCluster({ ...ready, conditions: [available("False")] })), false));
  test("not when the phase is Degraded", () => assert.equal(isReady(makeCluster({ ...ready, phase: "Degraded" })), false));
});

test("clusterManifest adds persistence only when asked", () => {
  assert.match(clusterManifest("a", { shards: 3, replicasPerShard: 1, persistence: true }), /persistence: \{ enabled: true/);
  assert.doesNotMatch(clusterManifest("a", { shards: 1, replicasPerShard: 0 }), /persistence/);
});

test("a KUBECONFIG beside a cluster.json is a proving ground; another one is not; none is neither", () => {
  const dir = mkdtempSync(join(tmpdir(), "ground-"));
  assert.equal(kubeconfigNamesAnotherCluster({ KUBECONFIG: join(dir, "kubeconfig") }), true);
  writeFileSync(join(dir, "cluster.json"), "{}");
  assert.equal(kubeconfigNamesAnotherCluster({ KUBECONFIG: join(dir, "kubeconfig") }), false);
  assert.equal(kubeconfigNamesAnotherCluster({}), false);
});
