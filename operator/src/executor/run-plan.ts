// Advance the runnable steps of a plan together and record each result in the plan; steps outside
// the group that are observed finished are marked done. The plan fails when a step fails.
//
// A pass waits for its steps only up to a budget: a slow step (a standby's full sync, a join that
// waits for a handshake) keeps running in the background, is not started twice, and its result is
// taken by a later pass — so one slow member never holds back the others or the status. A member's new
// report (its engine came up, say) ends the wait at once: the next pass acts on it.
import { sleep } from "../../../common/wait.ts";
import { memberCount } from "../api/types.ts";
import { toObservedCluster } from "../model/members.ts";
import type { StoredPlan } from "../model/stored-plan.ts";
import { stepFinished, type PlannedStep } from "../planner/index.ts";
import type { ExecutorContext, StepResult } from "./context.ts";
import { advanceStep } from "./steps.ts";
import { withLogContext } from "../../../common/log.ts";

/** Steps running across passes, keyed by cluster, plan and step. */
export class StepsInFlight {
  private readonly running = new Map<string, Promise<StepResult>>();
  private readonly results = new Map<string, StepResult>();
  private readonly whenLate = new Map<string, () => void>();

  /** Start the step unless it runs already. */
  start(key: string, run: () => Promise<StepResult>): Promise<StepResult> {
    const existing = this.running.get(key);
    if (existing) return existing;
    const p = run().then((r) => {
      this.running.delete(key);
      this.results.set(key, r);
      const late = this.whenLate.get(key);
      this.whenLate.delete(key);
      late?.();
      return r;
    });
    this.running.set(key, p);
    return p;
  }

  /** The step outlived its pass: call `onEnd` when it ends, so its result is not left waiting. */
  notifyWhenDone(key: string, onEnd: () => void): void {
    if (this.running.has(key)) this.whenLate.set(key, onEnd);
  }

  /** The finished result, once; undefined while the step runs or when it never ran. */
  take(key: string): StepResult | undefined {
    const r = this.results.get(key);
    this.results.delete(key);
    return r;
  }

  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  /** Forget a cluster's results (it was deleted, or its plan replaced). */
  dropCluster(clusterKey: string): void {
    for (const k of [...this.results.keys()]) if (k.startsWith(`${clusterKey}|`)) this.results.delete(k);
  }
}

export interface PassOptions {
  inFlight: StepsInFlight;
  /** How long a pass waits for its steps; undefined waits for all (tests). */
  budgetMs?: number;
  /** Resolves when a member reports something new: the pass stops waiting, so the next one acts on it. */
  news?: Promise<void>;
  /** Called when a step that outlived its pass ends, so the cluster is reconciled again. */
  onSettled: () => void;
}

export async function runPlanSteps(stored: StoredPlan, group: readonly PlannedStep[], ctx: ExecutorContext, pass: PassOptions): Promise<StoredPlan> {
  const keyOf = (s: PlannedStep) => `${ctx.observation.key}|${stored.plan.id}|${s.id}`;
  const started = group.map((step) => pass.inFlight.start(keyOf(step),
    // The step's log context: the operator's lines and the sidecars' (x-mdb-plan / x-mdb-step) carry it.
    () => withLogContext({ cluster: ctx.observation.key, plan: stored.plan.id, step: step.id }, () => advanceStep(step, ctx, stored.plan.steps))));
  const all = Promise.all(started);
  await (pass.budgetMs === undefined ? all : Promise.race([all, sleep(pass.budgetMs), ...(pass.news ? [pass.news] : [])]));
  for (const step of group) pass.inFlight.notifyWhenDone(keyOf(step), pass.onSettled);
  const observed = toObservedCluster(ctx.observation.members, stored.plan, memberCount(ctx.spec));
  const inGroup = new Set(group.map((s) => s.id));
  const steps = stored.plan.steps.map((s): PlannedStep => {
    const r = inGroup.has(s.id) ? pass.inFlight.take(keyOf(s)) : undefined;
    if (r) {
      const moved = r.moved ? { keysMoved: (s.keysMoved ?? 0) + r.moved.keys, bytesMoved: (s.bytesMoved ?? 0) + r.moved.bytes } : {};
      return { ...s, state: r.state, message: r.message, ...moved };
    }
    if (inGroup.has(s.id)) return { ...s, state: "running" };
    return stepFinished(s, observed) ? { ...s, state: "done", message: undefined } : s;
  });
  const failed = steps.find((s) => s.state === "failed");
  if (failed) ctx.log.warn("plan step failed", { cluster: ctx.observation.key, step: failed.id, message: failed.message });
  return { ...stored, phase: failed ? "Failed" : "Running", plan: { ...stored.plan, steps } };
}
