// Execute: carry out the one action decide() chose, and say when to look again. Shared by the
// reconciler and the controller's pass-by-pass tests, so both run the same dispatch.
import type { Action } from "../model/actions.ts";
import type { StoredPlan } from "../model/stored-plan.ts";
import type { ExecutorContext } from "../executor/context.ts";
import { issueCertificates } from "../executor/certificates.ts";
import { meetSeed } from "../executor/meet.ts";
import { pauseMoves } from "../executor/move-slots.ts";
import { requestCertificates } from "../executor/cert-manager.ts";
import { createOwned, syncNetworkPolicy, teardown, updatePdb } from "../executor/owned-objects.ts";
import type { PlannedStep } from "../planner/index.ts";
import type { Logger } from "../runtime/log.ts";

/** How soon to look again while waiting on something this pass started (pods, a plan's steps). */
export const WAIT_MS = 1_000;
/** How soon to look again at a cluster that waits on a person (a bad spec, a missing Secret). */
export const BLOCKED_MS = 10_000;

export interface ExecuteEnv {
  /** What the executor works with; only called for actions that need a resolved spec. */
  context(): ExecutorContext;
  nowMs: number;
  resyncMs: number;
  setFinalizer(present: boolean): Promise<void>;
  /** Close the cluster's sidecar streams: it is about to be forgotten. */
  closeSidecars(): void;
  /** Advance the plan's runnable steps (the reconciler bounds a pass's wait; tests wait for all). */
  runSteps(stored: StoredPlan, steps: readonly PlannedStep[], ctx: ExecutorContext): Promise<StoredPlan>;
  log: Logger;
}

export interface ExecuteOutcome {
  /** The plan after this action (started, advanced or finished), if any. */
  plan: StoredPlan | undefined;
  requeueAfterMs?: number;
  /** False when the action rewrote the object itself (a finalizer): its status is written next pass. */
  writeStatus: boolean;
}

export async function execute(action: Action, plan: StoredPlan | undefined, key: string, env: ExecuteEnv): Promise<ExecuteOutcome> {
  const next = (requeueAfterMs: number | undefined, p = plan): ExecuteOutcome => ({ plan: p, requeueAfterMs, writeStatus: true });
  switch (action.kind) {
    case "add-finalizer":
      await env.setFinalizer(true);
      return { plan, requeueAfterMs: 0, writeStatus: false };
    case "remove-finalizer":
      env.closeSidecars();
      await env.setFinalizer(false);
      return { plan, writeStatus: false };
    case "teardown":
      await teardown(action, env.context());
      return next(WAIT_MS);
    case "ensure-objects":
      await createOwned(action.missing, env.context());
      return next(0);
    case "update-pdb":
      await updatePdb(env.context(), action.shape);
      return next(0);
    case "sync-network-policy":
      await syncNetworkPolicy(env.context(), action.remove);
      return next(0);
    case "pause-moves":
      await pauseMoves(action.targets, env.context());
      return next(BLOCKED_MS);
    case "start-plan":
      env.log.info("plan written", { cluster: key, plan: action.plan.id, kind: action.plan.kind, steps: action.plan.steps.length });
      return next(0, { plan: action.plan, phase: "Running", startedAt: new Date(env.nowMs).toISOString() });
    case "run-steps": {
      const advanced = await env.runSteps(requirePlan(plan, action), action.steps, env.context());
      return next(advanced.phase === "Running" ? WAIT_MS : 0, advanced);
    }
    case "finish-plan": {
      const p = requirePlan(plan, action);
      env.log.info("plan finished", { cluster: key, plan: p.plan.id });
      const steps = p.plan.steps.map((s) => ({ ...s, state: "done" as const, message: undefined }));
      return next(0, { ...p, phase: "Succeeded", finishedAt: new Date(env.nowMs).toISOString(), plan: { ...p.plan, steps } });
    }
    case "supersede-plan": {
      const p = requirePlan(plan, action);
      env.log.info("plan superseded", { cluster: key, plan: p.plan.id, message: action.message });
      return next(0, { ...p, phase: "Superseded", finishedAt: new Date(env.nowMs).toISOString() });
    }
    case "fail-plan": {
      const p = requirePlan(plan, action);
      env.log.warn("plan failed", { cluster: key, plan: p.plan.id, message: action.message });
      const first = p.plan.steps.findIndex((s) => s.state !== "done");
      const steps = p.plan.steps.map((s, i) => (i === first ? { ...s, state: "failed" as const, message: action.message } : s));
      return next(0, { ...p, phase: "Failed", finishedAt: new Date(env.nowMs).toISOString(), plan: { ...p.plan, steps } });
    }
    case "issue-certificates":
      env.log.info("issuing sidecar certificates", { cluster: key, reason: action.reason });
      await issueCertificates(action, env.context());
      return next(0);
    case "request-certificates":
      env.log.info("requesting certificates", { cluster: key, reason: action.reason });
      await requestCertificates(action, env.context());
      return next(0);
    case "meet":
      await meetSeed(action.members, action.seed, env.context());
      return next(WAIT_MS);
    case "blocked":
      return next(BLOCKED_MS);
    case "idle":
      return next(Math.min(env.resyncMs, action.recheckInMs ?? Infinity));
  }
}

function requirePlan(plan: StoredPlan | undefined, action: Action): StoredPlan {
  if (!plan) throw new Error(`${action.kind} without a plan in status`);
  return plan;
}
