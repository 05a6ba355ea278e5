// Scaling decisions, pass by pass on a simulated cluster: when a scale starts, waits or is refused,
// a pause, and a spec that changes while a scale plan runs.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PAUSE_MIGRATION_ANNOTATION } from "../../src/controller/scale.ts";
import { advanceMoveSlots } from "../../src/executor/move-slots.ts";
import { advancePlaceMember } from "../../src/executor/place-member.ts";
import type { MoveSlotsStep, PlaceMemberStep, PlannedStep } from "../../src/planner/index.ts";
import { planFromStatus, type StoredPlan } from "../../src/model/stored-plan.ts";
import { readyCluster } from "./flow.ts";
import { compactSlots, formatSlotRanges, type SlotRange } from "../../../common/slots.ts";

/** A 3 × 1 cluster asked for 4 shards: the scale-out plan, its new members placed. */
async function scaleOutPlaced() {
  const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
  sim.cluster.spec.shards = 4;
  const start = await sim.decideAfterCertificates(planFromStatus(sim.cluster.status?.plan), 100);
  assert.ok(start.kind === "start-plan");
  await sim.setUp(["auth-secret", "sidecar-secret", "headless-service", "client-service", "pdb"], 100);
  for (const step of start.plan.steps.filter((s): s is PlannedStep<PlaceMemberStep> => s.kind === "place-member")) {
    for (let i = 0; i < 20 && (await advancePlaceMember(step, sim.context(sim.observe(200 + i)), start.plan.steps)).state !== "done"; i++);
  }
  return { sim, start };
}

describe("scaling decisions", () => {
  test("a scale-out plan records its target; a spec asking for another shape lets the moves in flight finish, then supersedes it", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    sim.cluster.spec.shards = 4;
    const start = await sim.decideAfterCertificates(planFromStatus(sim.cluster.status?.plan), 100);
    assert.ok(start.kind === "start-plan");
    assert.deepEqual(start.plan.target, { shards: 4, replicasPerShard: 1 });
    const moving = start.plan.steps.findIndex((s) => s.kind === "move-slots");
    const running: StoredPlan = { plan: { ...start.plan, steps: start.plan.steps.map((s, i) => (i < moving ? { ...s, state: "done" } : i === moving ? { ...s, state: "running" } : s)) }, phase: "Running", startedAt: new Date(0).toISOString() };
    sim.cluster.spec.shards = 5;
    const wait = await sim.decideAfterCertificates(running, 200);
    assert.equal(wait.kind, "run-steps");
    assert.deepEqual(wait.kind === "run-steps" && wait.steps.map((s) => s.id), [start.plan.steps[moving].id], "only the move in flight goes on");
    const idle: StoredPlan = { ...running, plan: { ...running.plan, steps: running.plan.steps.map((s, i) => (i === moving ? { ...s, state: "pending" } : s)) } };
    const end = await sim.decideAfterCertificates(idle, 300);
    assert.equal(end.kind, "supersede-plan");
  });

  test("the pause annotation stops the moves in flight at their targets and holds the plan", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    sim.cluster.spec.shards = 4;
    const start = await sim.decideAfterCertificates(planFromStatus(sim.cluster.status?.plan), 100);
    assert.ok(start.kind === "start-plan");
    const steps = start.plan.steps.map((s) => (s.kind === "move-slots" && s.wave === 0 ? { ...s, state: "running" as const } : s));
    sim.cluster.metadata!.annotations = { [PAUSE_MIGRATION_ANNOTATION]: "true" };
    const paused = await sim.decideAfterCertificates({ plan: { ...start.plan, steps }, phase: "Running" }, 200);
    assert.equal(paused.kind, "pause-moves");
  });

  test("a scale waits for a whole cluster, and a scale-in is refused with the numbers when the survivors lack memory", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    sim.cluster.spec.shards = 2;
    const standby = sim.members.engine("demo-1-1");
    standby.status = { ...standby.status, replication: { ...standby.status.replication!, syncInProgress: true } };
    const waits = await sim.decideAfterCertificates(planFromStatus(sim.cluster.status?.plan), 100);
    assert.deepEqual([waits.kind, waits.kind === "blocked" && waits.reason], ["blocked", "ScalingWaits"]);
    assert.match(waits.kind === "blocked" ? waits.message : "", /demo-1-1 \(STANDBY\) do not serve their role/);
    standby.status = { ...standby.status, replication: { ...standby.status.replication!, syncInProgress: false } };
    for (const m of ["demo-0-0", "demo-1-0", "demo-2-0"]) {
      const e = sim.members.engine(m);
      e.status = { ...e.status, memoryUsedBytes: 900 * 2 ** 20, memoryMaxBytes: 1024 * 2 ** 20 };
    }
    const refused = await sim.decideAfterCertificates(planFromStatus(sim.cluster.status?.plan), 200);
    assert.deepEqual([refused.kind, refused.kind === "blocked" && refused.reason], ["blocked", "ScaleInRefused"]);
    assert.match(refused.kind === "blocked" ? refused.message : "", /the data \(2\.64 GiB\) does not fit in 90 % of the 2 surviving primaries' memory \(2\.00 GiB\)/);
  });

  test("a shard whose live primary owns no slot yet, followed by its standby (a new shard), is not failed over", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    const primary = sim.members.engine("demo-2-0");
    primary.status = { ...primary.status, slots: [], slotsOwned: 0, state: "ONLINE" };
    const action = await sim.decideAfterCertificates(planFromStatus(sim.cluster.status?.plan), 100);
    assert.notEqual(action.kind === "start-plan" && action.plan.kind, "failover", JSON.stringify(action).slice(0, 300));
  });

  test("a new shard whose roles swapped before its steps were judged (a new leader looks again) has its primary and standby placed", async () => {
    const sim = await readyCluster({ shards: 3, replicasPerShard: 1 });
    sim.cluster.spec.shards = 4;
    const start = await sim.decideAfterCertificates(planFromStatus(sim.cluster.status?.plan), 100);
    assert.ok(start.kind === "start-plan");
    await sim.setUp(undefined, 100);
    const places = start.plan.steps.filter((s): s is PlannedStep<PlaceMemberStep> => s.kind === "place-member");
    assert.deepEqual(places.map((s) => `${s.member} ${s.role}`), ["demo-3-0 primary", "demo-3-1 standby"]);
    const advance = (step: PlannedStep<PlaceMemberStep>, ms: number) => advancePlaceMember(step, sim.context(sim.observe(ms)), start.plan.steps);
    for (const step of places) {
      let r = await advance(step, 200);
      for (let i = 0; r.state !== "done" && i < 20; i++) r = await advance(step, 300 + i);
      assert.equal(r.state, "done", r.message);
    }
    // An election in the new shard before the next leader judged its steps: demo-3-1 is the primary now.
    sim.members.takeOver("demo-3-1");
    for (const step of places) {
      const r = await advance(step, 500);
      assert.equal(r.state, "done", `${step.member}: ${r.message}`);
    }
  });

  test("moves into one new shard from several sources take turns: a move waits while its target imports from another source, and never cancels that migration", async () => {
    const { sim, start } = await scaleOutPlaced();
    const moves = start.plan.steps.filter((s): s is PlannedStep<MoveSlotsStep> => s.kind === "move-slots" && s.to === 3);
    assert.ok(moves.length >= 2, "more than one source moves into the new shard");
    // The target runs the first move's migration now (started by an earlier leader, say).
    const firstSource = sim.members.engine(`demo-${moves[0].from}-0`);
    const target = sim.members.engine("demo-3-0");
    sim.members.update(target, { state: "MIGRATING", migration: { migrationId: "m1", source: { host: firstSource.ip, port: 6379 }, slotsTotal: 10, slotsDone: 1, keysMoved: 5 } });
    const calls: string[] = [];
    const o = sim.observe(300);
    const ctx = sim.context(o);
    const sidecar = ctx.sidecar;
    ctx.sidecar = (m) => {
      const c = sidecar(m);
      return c && { ...c, migrateSlots: () => { calls.push(`${m} MigrateSlots`); throw new Error("not expected"); }, cancelMigration: async () => { calls.push(`${m} CancelMigration`); return { cancelled: true } as never; } };
    };
    const r = await advanceMoveSlots(moves[1], ctx, start.plan.steps);
    assert.equal(r.state, "running");
    assert.match(r.message, /demo-3-0 imports from demo-\d-0 \(another move\)/);
    assert.deepEqual(calls, [], "neither a second migration nor a cancel of the first");
    const placed = start.plan.steps.find((s): s is PlannedStep<PlaceMemberStep> => s.kind === "place-member" && s.role === "primary")!;
    assert.equal((await advancePlaceMember(placed, ctx, start.plan.steps)).state, "done", "a new primary already importing is placed");
  });

  test("slots of a move that the source gave away but the target does not claim (its claim lost) are asked of the target again", async () => {
    const { sim, start } = await scaleOutPlaced();
    const move = start.plan.steps.find((s): s is PlannedStep<MoveSlotsStep> => s.kind === "move-slots" && s.to === 3)!;
    const source = sim.members.engine(`demo-${move.from}-0`);
    const given = new Set(move.slots.flatMap((r) => Array.from({ length: r.end - r.start + 1 }, (_, i) => r.start + i)));
    const kept = source.status.slots.flatMap((r) => Array.from({ length: r.end - r.start + 1 }, (_, i) => r.start + i)).filter((x) => !given.has(x));
    sim.members.update(source, { slots: compactSlots(kept), slotsOwned: kept.length });
    const asked: string[] = [];
    const withCalls = (observed: number) => {
      const ctx = sim.context(sim.observe(observed));
      const sidecar = ctx.sidecar;
      ctx.sidecar = (m) => {
        const c = sidecar(m);
        return c && { ...c, migrateSlots: async function* (p: { slots: readonly SlotRange[] }) { asked.push(`${m} ${formatSlotRanges(p.slots)}`); } } as never;
      };
      return ctx;
    };
    await advanceMoveSlots(move, withCalls(300), start.plan.steps);
    assert.deepEqual(asked, [`demo-3-0 ${formatSlotRanges(move.slots)}`], "the target is asked to claim what nobody owns");
    // A primary that is silent: its slots are unknown, not unclaimed; nothing is asked.
    asked.length = 0;
    sim.members.update(sim.members.engine(`demo-${(move.from + 1) % 3}-0`), { engineUp: false });
    const r = await advanceMoveSlots(move, withCalls(400), start.plan.steps);
    assert.deepEqual(asked, []);
    assert.match(r.message, /owns none of/);
  });
});
