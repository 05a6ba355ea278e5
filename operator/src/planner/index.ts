// Public API of the pure planner: plain data in, plain data out (docs/architecture/planner.md).
//
// Entry points (each checks its input and throws a PlannerInputError naming the field when it is
// malformed; a plan that cannot be made is a Refusal, never an exception):
//   planBootstrap(BootstrapInput)    → PlanOutcome<BootstrapPlan>      place-member…, assign-slots…
//   placeMembers(PlacementInput)     → PlanOutcome<Plan<PlaceMemberStep>>
//   planDrain(DrainInput)            → PlanOutcome<MaintenancePlan>    switchover, place-member, remove-member
//   planReplacement(ReplaceInput)    → PlanOutcome<MaintenancePlan>    forced switchover, place-member, remove-member
//   planSlotScale(SlotScaleInput)    → SlotScalePlan { plan: Plan<MoveSlotsStep>, movedSlots, lowerBound, waves, wavesLowerBound, … }
//   planPrimaries(PrimaryInput)      → PrimaryPlan { plan: Plan<SwitchoverStep>, primaries, before, after }
//   planScale(ScaleInput)            → PlanOutcome<Plan>                place-member…, move-slots…, switchover, remove-member…
// PlanOutcome entry points refuse with NothingToDo rather than return a plan without steps; the
// two that always answer (slot scale, primaries) return a plan whose steps may be empty.
export * from "./plan.ts";
export * from "./topology.ts";
export { PlannerInputError } from "./input.ts";
export { DomainIndex, isolationWeight, levelName, sharingCost } from "./domains.ts";
export { FILTERS, validatePolicy, type PlacementPolicy } from "./filters.ts";
export { placeMembers, solvePlacement, type ExistingMember, type MemberRequest, type Placement, type PlacementInput, type PlacementResult } from "./placement.ts";
export { collisionsOf, planPrimaries, PrimarySpread, type PrimaryCollisions, type PrimaryInput, type PrimaryPlan } from "./primaries.ts";
export {
  applyMoves, bootstrapSlots, compactSlots, countSlots, formatSlotRanges, ownershipTable, parseSlotRanges, planSlotScale, SLOT_COUNT,
  type ShardSlots, type ShardTarget, type SlotRange, type SlotScaleInput, type SlotScalePlan,
} from "./slots.ts";
export { assignWaves, wavesLowerBound, type WaveItem } from "./waves.ts";
export { applySteps, type MaintenancePlan, type MaintenanceStep } from "./maintenance.ts";
export { planDrain, type DrainInput } from "./drain.ts";
export { planReplacement, type ReplaceInput } from "./replace.ts";
export { planBootstrap, type BootstrapInput, type BootstrapPlan } from "./bootstrap.ts";
export { planScale, shapeOf, type ScaleInput } from "./scale.ts";
export { digestValue, planId } from "./identity.ts";
export { memberName, parseMemberName, replacementName } from "./member-names.ts";
