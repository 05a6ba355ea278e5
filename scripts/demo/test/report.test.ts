// What the demo prints while it waits and once the cluster is Ready, from fixture clusters and nodes.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { MdbCluster, MdbClusterStatusMembersItem } from "../../../operator/src/api/generated/mdbcluster.ts";
import { formatTable, isReady, membersByState, placement, progressLine, stepsWaiting, type NodeLabels } from "../report.ts";

const member = (name: string, shard: number, role: string, state: string, node: string): MdbClusterStatusMembersItem => ({ name, shard, role, state, node, ip: `10.244.1.${shard * 2 + (role === "primary" ? 2 : 3)}` });
const cond = (type: string, status: "True" | "False", message = "") => ({ type, status, reason: "R", message, lastTransitionTime: "2026-11-30T00:00:00Z" });

function cluster(status: MdbCluster["status"], generation = 1, spec: MdbCluster["spec"] = { shards: 3, replicasPerShard: 1 }): MdbCluster {
  return { apiVersion: "mdbcluster.io/v1alpha1", kind: "MdbCluster", metadata: { name: "demo", namespace: "default", generation }, spec, status };
}

const node = (name: string, zone: string, rack: string): NodeLabels => ({ name, labels: { "topology.kubernetes.io/region": "r1", "topology.kubernetes.io/zone": zone, "topology.mdbcluster.io/rack": rack, "kubernetes.io/hostname": name } });
const NODES = [node("a1-h1", "zone-a", "rack-1"), node("b1-h1", "zone-b", "rack-1"), node("b2-h1", "zone-b", "rack-2"), node("c1-h1", "zone-c", "rack-1")];

describe("isReady", () => {
  const ready = { observedGeneration: 1, phase: "Ready" as const, conditions: [cond("Available", "True")] };
  const cases: [string, MdbCluster, boolean][] = [
    ["phase Ready, Available True, current generation", cluster(ready), true],
    ["status for an older spec (a second run after a change)", cluster(ready, 2), false],
    ["Available False", cluster({ ...ready, conditions: [cond("Available", "False")] }), false],
    ["phase Scaling although Available", cluster({ ...ready, phase: "Scaling" }), false],
    ["no status yet", cluster(undefined), false],
  ];
  for (const [name, c, want] of cases) test(name, () => assert.equal(isReady(c), want));
});

describe("progress", () => {
  test("members are counted by state, the furthest along first; an unanswered member is Pending", () => {
    assert.equal(membersByState([member("m0", 0, "primary", "ACTIVE", "a1-h1"), { name: "m1" }, member("m2", 1, "standby", "STANDBY", "b1-h1"), member("m3", 2, "primary", "ACTIVE", "c1-h1"), member("m4", 2, "", "ONLINE", "")]),
      "ACTIVE 2, STANDBY 1, ONLINE 1, Pending 1");
    assert.equal(membersByState([]), "none yet");
  });
  test("one line: phase, ready, members, the running plan and a true Progressing condition", () => {
    const c = cluster({
      observedGeneration: 1, phase: "Bootstrapping", ready: "2/6",
      members: [member("m0", 0, "primary", "ACTIVE", "a1-h1"), member("m1", 0, "standby", "ONLINE", "b1-h1")],
      plan: { kind: "bootstrap", phase: "Running", progress: { stepsDone: 3, stepsTotal: 9, slotsDone: 5461, slotsTotal: 16384 } },
      conditions: [cond("Available", "False", "no slots"), cond("Progressing", "True", "assigning slots")],
    });
    assert.equal(progressLine(c), "Bootstrapping · ready 2/6 · members ACTIVE 1, ONLINE 1 · plan bootstrap 3/9 steps, 5461/16384 slots · Progressing: assigning slots");
  });
  test("without status it says the operator has not reconciled it; ready counts default to the spec", () => {
    assert.match(progressLine(cluster(undefined)), /no status yet/);
    assert.match(progressLine(cluster({ phase: "Creating", observedGeneration: 1 })), /ready 0\/6/);
    assert.match(progressLine(cluster({ phase: "Ready", observedGeneration: 1 }, 2)), /status is for an older spec/);
  });
});

test("a stuck cluster names the steps that wait, with their messages, at most three", () => {
  const step = (id: string, state: "pending" | "running" | "done" | "failed", message?: string) => ({ id, kind: "place-member", state, message });
  const c = cluster({ plan: { kind: "bootstrap", phase: "Running", steps: [
    step("place-member/demo-0-0", "done"), step("place-member/demo-1-1", "running", "ReplicateFrom: node x is not known"),
    step("assign-slots/0", "pending"), step("a", "running", "m1"), step("b", "failed", "m2"), step("c", "running", "m3"), step("d", "running"),
  ] } });
  assert.deepEqual(stepsWaiting(c), ["place-member/demo-1-1 (running): ReplicateFrom: node x is not known", "a (running): m1", "b (failed): m2", "… and 1 more (kubectl get mdb -o yaml)"]);
  assert.deepEqual(stepsWaiting(cluster(undefined)), []);
});

describe("placement", () => {
  const ok = cluster({ members: [member("demo-0", 0, "primary", "ACTIVE", "a1-h1"), member("demo-1", 0, "standby", "STANDBY", "b1-h1")] });
  test("member → node → zone/rack from the Nodes' labels, primaries first in each shard", () => {
    const { rows, violations } = placement(ok, NODES);
    assert.deepEqual(rows.slice(1).map((r) => r.slice(0, 7)), [
      ["demo-0", "0", "primary", "ACTIVE", "a1-h1", "zone-a", "rack-1"],
      ["demo-1", "0", "standby", "STANDBY", "b1-h1", "zone-b", "rack-1"],
    ]);
    assert.deepEqual(violations, []);
  });
  test("two members of a shard in one zone are reported at the default isolation level", () => {
    const bad = cluster({ members: [member("demo-0", 0, "primary", "ACTIVE", "b1-h1"), member("demo-1", 0, "standby", "STANDBY", "b2-h1")] });
    assert.deepEqual(placement(bad, NODES).violations, ["shard 0: demo-0, demo-1 share zone r1/zone-b"]);
  });
  test("the same two are fine at isolation level rack (different racks), and never reported at none", () => {
    const spec = (isolationLevel: "rack" | "none") => ({ shards: 1, placement: { isolationLevel } });
    const members = [member("demo-0", 0, "primary", "ACTIVE", "b1-h1"), member("demo-1", 0, "standby", "STANDBY", "b2-h1")];
    assert.deepEqual(placement(cluster({ members }, 1, spec("rack")), NODES).violations, []);
    const sameNode = [member("demo-0", 0, "primary", "ACTIVE", "b1-h1"), member("demo-1", 0, "standby", "STANDBY", "b1-h1")];
    assert.equal(placement(cluster({ members: sameNode }, 1, spec("rack")), NODES).violations.length, 1);
    assert.deepEqual(placement(cluster({ members: sameNode }, 1, spec("none")), NODES).violations, []);
  });
  test("custom topology keys from the spec are used", () => {
    const nodes = [{ name: "n1", labels: { "example.com/zone": "z9" } }];
    const c = cluster({ members: [member("demo-0", 0, "primary", "ACTIVE", "n1")] }, 1, { placement: { topologyKeys: { zone: "example.com/zone" } } });
    assert.equal(placement(c, nodes).rows[1][5], "z9");
  });
});

test("formatTable aligns columns like kubectl", () => {
  assert.equal(formatTable([["NAME", "ZONE"], ["demo-10", "a"], ["x", "zone-b"]]), "NAME     ZONE\ndemo-10  a\nx        zone-b");
});
