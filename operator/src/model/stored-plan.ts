// The plan as stored in status.plan and back (pure). status.plan is the plan's durable home: a new
// leader reads it and continues; it never re-plans a running plan (docs/architecture.md#plans).
import { formatSlotRanges, parseSlotRanges } from "../../../common/slots.ts";
import type { PlanStatus, PlanStepStatus } from "../api/types.ts";
import type { Plan, PlannedStep, PlanKind, StepState } from "../planner/index.ts";

export function stepToStatus(step: PlannedStep): PlanStepStatus {
  const base = {
    id: step.id, kind: step.kind, state: step.state, ...(step.message ? { message: step.message } : {}),
    ...(step.keysMoved !== undefined ? { keysMoved: step.keysMoved, bytesMoved: step.bytesMoved ?? 0 } : {}),
  };
  switch (step.kind) {
    case "place-member": return { ...base, member: step.member, shard: step.shard, node: step.node, to: step.role };
    case "assign-slots": return { ...base, shard: step.shard, slots: formatSlotRanges(step.slots) };
    case "move-slots": return { ...base, slots: formatSlotRanges(step.slots), from: String(step.from), to: String(step.to), shard: step.wave };
    case "switchover": return { ...base, shard: step.shard, from: step.from, to: step.to, ...(step.forced ? { forced: true } : {}) };
    case "remove-member": return { ...base, member: step.member, shard: step.shard };
    case "forget-node": return { ...base, member: step.member, shard: step.shard, from: step.nodeId };
  }
}

/** undefined when the stored step is not one this operator understands (then the plan is re-made). */
export function stepFromStatus(s: PlanStepStatus): PlannedStep | undefined {
  const common = {
    id: s.id ?? "", state: (s.state ?? "pending") as StepState, ...(s.message ? { message: s.message } : {}),
    ...(s.keysMoved !== undefined ? { keysMoved: s.keysMoved, bytesMoved: s.bytesMoved ?? 0 } : {}),
  };
  try {
    switch (s.kind) {
      case "place-member":
        if (!s.member || s.shard === undefined || !s.node || (s.to !== "primary" && s.to !== "standby")) return undefined;
        return { ...common, kind: "place-member", member: s.member, shard: s.shard, node: s.node, role: s.to };
      case "assign-slots":
        if (s.shard === undefined || s.slots === undefined) return undefined;
        return { ...common, kind: "assign-slots", shard: s.shard, slots: parseSlotRanges(s.slots, "status.plan.steps[].slots") };
      case "move-slots":
        if (s.slots === undefined || s.from === undefined || s.to === undefined) return undefined;
        return { ...common, kind: "move-slots", slots: parseSlotRanges(s.slots, "status.plan.steps[].slots"), from: Number(s.from), to: Number(s.to), wave: s.shard ?? 0 };
      case "switchover":
        if (s.shard === undefined || s.from === undefined || !s.to) return undefined;
        return { ...common, kind: "switchover", shard: s.shard, from: s.from, to: s.to, ...(s.forced ? { forced: true as const } : {}) };
      case "remove-member":
        if (!s.member || s.shard === undefined) return undefined;
        return { ...common, kind: "remove-member", member: s.member, shard: s.shard };
      case "forget-node":
        if (!s.member || s.shard === undefined || !s.from) return undefined;
        return { ...common, kind: "forget-node", member: s.member, shard: s.shard, nodeId: s.from };
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** Superseded: a scale plan ended after its moves in flight because the spec asks for another shape. */
export interface StoredPlan { plan: Plan; phase: "Running" | "Succeeded" | "Failed" | "Superseded"; startedAt?: string; finishedAt?: string }

export function planFromStatus(p: PlanStatus | undefined): StoredPlan | undefined {
  if (!p?.id || !p.kind) return undefined;
  const steps = (p.steps ?? []).map(stepFromStatus);
  if (steps.some((s) => s === undefined)) return undefined;
  return {
    plan: {
      id: p.id, kind: p.kind as PlanKind, steps: steps as PlannedStep[], reasons: (p.reasons ?? []).map((message) => ({ code: "Placement", message })),
      ...(p.target?.shards !== undefined && p.target.replicasPerShard !== undefined ? { target: { shards: p.target.shards, replicasPerShard: p.target.replicasPerShard } } : {}),
    },
    phase: p.phase ?? "Running",
    ...(p.startedAt ? { startedAt: p.startedAt } : {}),
    ...(p.finishedAt ? { finishedAt: p.finishedAt } : {}),
  };
}
