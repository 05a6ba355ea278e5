// The reconciler's loop, pass by pass, over a simulated cluster (fixtures.ts), for the flow tests.
import assert from "node:assert/strict";
import { DEFAULT_TOPOLOGY_KEYS } from "../../../common/labels.ts";
import { FINALIZER, type MdbClusterSpec } from "../../src/api/types.ts";
import type { Action } from "../../src/model/actions.ts";
import { decide } from "../../src/controller/decide.ts";
import { execute } from "../../src/controller/execute.ts";
import { computeStatus } from "../../src/controller/status.ts";
import { runPlanSteps, StepsInFlight } from "../../src/executor/run-plan.ts";
import { planFromStatus } from "../../src/model/stored-plan.ts";
import { silentLogger } from "../../src/runtime/log.ts";
import { gridNodes, makeCluster, SimulatedCluster } from "./fixtures.ts";

/** Reconcile as the reconciler does (status written back each pass) until idle; the kinds of actions taken. */
/** One reconcile pass at nowMs: observe, decide, execute, write the status. */
export async function pass(sim: SimulatedCluster, nowMs: number, inFlight: StepsInFlight): Promise<Action> {
  const o = sim.observe(nowMs);
  const stored = planFromStatus(sim.cluster.status?.plan);
  const action = decide(o, stored, FINALIZER);
  const outcome = await execute(action, stored, "ns/demo", {
    context: () => sim.context(o), nowMs, resyncMs: 60_000, log: silentLogger(),
    setFinalizer: async () => {}, closeSidecars: () => {},
    runSteps: (plan, steps, ctx) => runPlanSteps(plan, steps, ctx, { inFlight, onSettled: () => {} }),
  });
  sim.cluster.status = computeStatus({ observation: o, action, ...(outcome.plan ? { plan: outcome.plan } : {}), topologyKeys: DEFAULT_TOPOLOGY_KEYS });
  return action;
}

export async function settle(sim: SimulatedCluster, maxPasses = 60, startMs = 0): Promise<string[]> {
  const inFlight = new StepsInFlight();
  const actions: string[] = [];
  for (let n = 0; n < maxPasses; n++) {
    const action = await pass(sim, startMs + n, inFlight);
    actions.push(action.kind === "start-plan" ? `start-plan ${action.plan.kind}` : action.kind);
    if (action.kind === "idle" || action.kind === "blocked") return actions;
  }
  throw new Error(`not settled after ${maxPasses} passes: ${actions.join(", ")}`);
}

export async function readyCluster(spec: MdbClusterSpec, zones = ["a", "b", "c"]): Promise<SimulatedCluster> {
  const sim = new SimulatedCluster(makeCluster(spec), gridNodes(zones));
  await settle(sim);
  await settle(sim); // one more look: the status written after the plan finished
  assert.equal(sim.cluster.status?.phase, "Ready");
  return sim;
}

export function losePod(sim: SimulatedCluster, name: string): void {
  sim.pods.delete(name);
  sim.members.remove(name);
}

