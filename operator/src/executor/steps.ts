// One place that maps a step kind to the code that advances it.
import type { PlannedStep } from "../planner/index.ts";
import { advanceAssignSlots } from "./assign-slots.ts";
import type { ExecutorContext, StepResult } from "./context.ts";
import { advanceForgetNode } from "./forget-node.ts";
import { advanceMoveSlots } from "./move-slots.ts";
import { advancePlaceMember } from "./place-member.ts";
import { advanceRemoveMember } from "./remove-member.ts";
import { advanceSwitchover } from "./switchover.ts";

export async function advanceStep(step: PlannedStep, ctx: ExecutorContext, plan: readonly PlannedStep[]): Promise<StepResult> {
  try {
    switch (step.kind) {
      case "place-member": return await advancePlaceMember(step, ctx, plan);
      case "assign-slots": return await advanceAssignSlots(step, ctx, plan);
      case "switchover": return await advanceSwitchover(step, ctx);
      case "forget-node": return await advanceForgetNode(step, ctx);
      case "move-slots": return await advanceMoveSlots(step, ctx, plan);
      case "remove-member": return await advanceRemoveMember(step, ctx);
    }
  } catch (err) {
    // A refused or failed call leaves the step running: the next pass observes and tries again.
    return { state: "running", message: `${step.id}: ${(err as Error)?.message ?? String(err)}` };
  }
}
