// Advance the runnable steps of a plan together and record each result in the plan; steps outside
// the group that are observed finished are marked done. The plan fails when a step fails.
import { toObservedCluster } from "../controller/members.ts";
import type { StoredPlan } from "../controller/plan-status.ts";
import { stepFinished, type PlannedStep } from "../planner/index.ts";
import type { ExecutorContext, StepResult } from "./context.ts";
import { advanceStep } from "./steps.ts";

export async function runPlanSteps(stored: StoredPlan, group: readonly PlannedStep[], ctx: ExecutorContext): Promise<StoredPlan> {
  const results = new Map<string, StepResult>();
  await Promise.all(group.map(async (step) => results.set(step.id, await advanceStep(step, ctx, stored.plan.steps))));
  const observed = toObservedCluster(ctx.observation.members, stored.plan, ctx.spec.shards * (ctx.spec.replicasPerShard + 1));
  const steps = stored.plan.steps.map((s): PlannedStep => {
    const r = results.get(s.id);
    if (r) return { ...s, state: r.state, message: r.message };
    return stepFinished(s, observed) ? { ...s, state: "done", message: undefined } : s;
  });
  const failed = steps.find((s) => s.state === "failed");
  if (failed) ctx.log.warn("plan step failed", { cluster: ctx.observation.key, step: failed.id, message: failed.message });
  return { ...stored, phase: failed ? "Failed" : "Running", plan: { ...stored.plan, steps } };
}
