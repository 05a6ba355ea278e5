// assign-slots (bootstrap only): the shard's primary takes its balanced range with ADDSLOTSRANGE.
// Done when the primary reports owning the range; the sidecar refuses slots another engine owns.
import { countSlots, formatSlotRanges } from "../../../common/slots.ts";
import type { AssignSlotsStep, PlannedStep } from "../planner/index.ts";
import type { ExecutorContext, StepResult } from "./context.ts";

export async function advanceAssignSlots(step: PlannedStep<AssignSlotsStep>, ctx: ExecutorContext, plan: readonly PlannedStep[]): Promise<StepResult> {
  // The member placed as primary: until its standbys follow it, they are empty primaries too.
  const intended = plan.find((s) => s.kind === "place-member" && s.shard === step.shard && s.role === "primary");
  const primary = ctx.observation.members.find((m) => m.name === (intended?.kind === "place-member" ? intended.member : "") && m.status?.role === "PRIMARY" && !m.terminating);
  if (!primary) return { state: "running", message: `shard ${step.shard} has no primary yet` };
  const client = ctx.sidecar(primary.name);
  if (!client) return { state: "running", message: `no connection to ${primary.name}'s sidecar yet` };
  const status = await client.assignSlots(step.slots);
  const owned = status.slots.reduce((n, r) => n + countSlots(step.slots.filter((s) => s.start >= r.start && s.end <= r.end)), 0);
  return owned === countSlots(step.slots)
    ? { state: "done", message: `${primary.name} owns ${formatSlotRanges(step.slots)}` }
    : { state: "running", message: `${primary.name} owns ${owned} of ${countSlots(step.slots)} slots` };
}
