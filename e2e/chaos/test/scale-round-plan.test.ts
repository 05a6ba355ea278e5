// chaos:scale rounds from their seeds, and where a fault strikes in a plan, from fixture statuses.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { MdbCluster } from "../../../operator/src/api/types.ts";
import { movePoint } from "../support/scale-faults.ts";
import { FAULT_KINDS, planRound, roundSeed } from "../support/scale-round-plan.ts";

describe("planRound", () => {
  test("a seed gives the same round every time", () => {
    assert.deepEqual(planRound(42, 4, { min: 3, max: 5 }), planRound(42, 4, { min: 3, max: 5 }));
  });

  test("rounds stay within the bounds, scale out at the lower and in at the upper, use every fault", () => {
    const faults = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const from = 3 + (i % 3);
      const r = planRound(roundSeed(7, i), from, { min: 3, max: 5 });
      assert.ok(r.to >= 3 && r.to <= 5 && r.to !== r.from, JSON.stringify(r));
      if (from === 3) assert.ok(r.to > 3);
      if (from === 5) assert.ok(r.to < 5);
      faults.add(r.fault);
    }
    assert.deepEqual([...faults].sort(), [...FAULT_KINDS].sort());
  });

  test("a single fault kind is always that one", () => {
    assert.equal(planRound(9, 3, { min: 3, max: 4 }, ["kill-target-sidecar"]).fault, "kill-target-sidecar");
  });
});

describe("movePoint", () => {
  const since = "2026-12-06T10:00:00.000Z";
  const cluster = (phase: "Running" | "Succeeded", states: ("done" | "running" | "pending")[], startedAt = "2026-12-06T10:00:05.000Z"): MdbCluster => ({
    apiVersion: "mdbcluster.io/v1alpha1", kind: "MdbCluster", metadata: { name: "c" }, spec: {},
    status: {
      shardDetails: [{ index: 0, primary: "c-0-0" }, { index: 1, primary: "c-1-1" }, { index: 3, primary: "c-3-0" }],
      plan: { kind: "scale-out", phase, startedAt, steps: states.map((state, i) => ({ id: `m${i}`, kind: "move-slots", state, from: String(i % 2), to: "3" })) },
    },
  });

  test("the running move's source and target primaries, once enough moves are done", () => {
    assert.equal(movePoint(cluster("Running", ["done", "running", "pending"]), since, 2), undefined, "one move done, two wanted");
    const p = movePoint(cluster("Running", ["done", "running", "pending"]), since, 1);
    assert.ok(p && p !== "over");
    assert.equal(p.source, "c-1-1");
    assert.equal(p.target, "c-3-0");
  });

  test("a plan of before the change is not this round's; a finished plan is over", () => {
    assert.equal(movePoint(cluster("Running", ["running"], "2026-12-06T09:00:00.000Z"), since, 0), undefined);
    assert.equal(movePoint(cluster("Succeeded", ["done"]), since, 0), "over");
  });

  test("more moves wanted done than the plan has: the last one counts", () => {
    assert.ok(movePoint(cluster("Running", ["done", "running"]), since, 5));
  });
});
