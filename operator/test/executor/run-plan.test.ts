import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FINALIZER } from "../../src/api/types.ts";
import { decide } from "../../src/controller/decide.ts";
import { runPlanSteps, StepsInFlight } from "../../src/executor/run-plan.ts";
import type { StoredPlan } from "../../src/model/stored-plan.ts";
import { gridNodes, makeCluster, SimulatedCluster } from "../controller/fixtures.ts";

describe("StepsInFlight", () => {
  test("a running step is not started twice; its result is taken once; a late end is signalled", async () => {
    const f = new StepsInFlight();
    let release!: () => void;
    let runs = 0;
    let settled = 0;
    const run = () => { runs++; return new Promise<{ state: "done"; message: string }>((r) => { release = () => r({ state: "done", message: "ok" }); }); };
    void f.start("ns/a|p|s1", run);
    void f.start("ns/a|p|s1", run);
    f.notifyWhenDone("ns/a|p|s1", () => settled++);
    assert.equal(runs, 1);
    assert.equal(f.take("ns/a|p|s1"), undefined, "no result while it runs");
    release();
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, 1);
    assert.deepEqual(f.take("ns/a|p|s1"), { state: "done", message: "ok" });
    assert.equal(f.take("ns/a|p|s1"), undefined, "taken once");
  });
});

describe("a pass with a budget", () => {
  test("a slow member does not hold back the others; its result lands in a later pass", async () => {
    const sim = new SimulatedCluster(makeCluster({ shards: 2, replicasPerShard: 0 }), gridNodes(["a", "b"]));
    await sim.setUp();
    const start = decide(sim.observe(), undefined, FINALIZER);
    assert.equal(start.kind, "start-plan");
    let stored: StoredPlan = { plan: start.kind === "start-plan" ? start.plan : (undefined as never), phase: "Running" };
    const inFlight = new StepsInFlight();
    let settled = 0;
    const pass = async () => {
      const a = decide(sim.observe(), stored, FINALIZER);
      if (a.kind === "run-steps") stored = await runPlanSteps(stored, a.steps, slowCtx(sim.observe()), { inFlight, budgetMs: 20, onSettled: () => settled++ });
      return a.kind;
    };
    // demo-1-0's joins hang until released; demo-0-0 (the seed) needs none.
    let release!: () => void;
    const hang = new Promise<void>((r) => (release = r));
    const slowCtx = (o: ReturnType<SimulatedCluster["observe"]>) => {
      const ctx = sim.context(o);
      return { ...ctx, sidecar: (m: string) => {
        const c = ctx.sidecar(m);
        return c && m === "demo-1-0" ? { ...c, join: async (...args: Parameters<typeof c.join>) => { await hang; return c.join(...args); } } : c;
      } };
    };
    await pass(); // creates both pods
    await pass(); // demo-1-0 starts its (hanging) join; the pass returns within its budget
    const step = (id: string) => stored.plan.steps.find((s) => s.id === id)!;
    assert.equal(step("place-member/demo-1-0").state, "running");
    await pass();
    assert.equal(sim.members.calls.filter((c) => c === "demo-1-0 JoinCluster").length, 0, "the hanging join is not started again");
    release();
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(settled, 1, "the late end asks for another pass");
    for (let i = 0; i < 6 && (await pass()) === "run-steps"; i++);
    assert.equal(decide(sim.observe(), stored, FINALIZER).kind, "finish-plan");
  });

  test("a member's new report ends the pass's wait at once (the next pass acts on it)", { timeout: 10_000 }, async () => {
    const sim = new SimulatedCluster(makeCluster({ shards: 2, replicasPerShard: 0 }), gridNodes(["a", "b"]));
    await sim.setUp();
    const start = decide(sim.observe(), undefined, FINALIZER);
    let stored: StoredPlan = { plan: start.kind === "start-plan" ? start.plan : (undefined as never), phase: "Running" };
    const inFlight = new StepsInFlight();
    const hang = new Promise<never>(() => undefined);
    const hangingCtx = (o: ReturnType<SimulatedCluster["observe"]>) => {
      const ctx = sim.context(o);
      return { ...ctx, sidecar: (m: string) => {
        const c = ctx.sidecar(m);
        return c && m === "demo-1-0" ? { ...c, join: async () => hang } : c;
      } };
    };
    const pass = async (news?: Promise<void>) => {
      const a = decide(sim.observe(), stored, FINALIZER);
      assert.equal(a.kind, "run-steps");
      if (a.kind === "run-steps") stored = await runPlanSteps(stored, a.steps, hangingCtx(sim.observe()), { inFlight, budgetMs: 60_000, news, onSettled: () => undefined });
    };
    await pass(Promise.resolve()); // creates both pods
    let report!: () => void;
    const news = new Promise<void>((r) => (report = r));
    let ended = false;
    const running = pass(news).then(() => { ended = true; });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(ended, false, "waits for its steps (a 60 s budget) while nothing new is reported");
    report();
    await running;
    assert.equal(ended, true, "a new report ends the wait long before the budget");
    assert.equal(stored.plan.steps.find((s) => s.id === "place-member/demo-1-0")!.state, "running");
  });
});
