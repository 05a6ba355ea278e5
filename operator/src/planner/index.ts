// Public API of the pure planner: plain data in, plain data out (DESIGN §5, §6).
export * from "./topology.ts";
export {
  bootstrapRequests, isolationWeight, levelName, placeMembers, PlacementEngine, staticFilter, validatePolicy,
  type ClusterMember, type MemberRequest, type MemberRole, type Placement, type PlacementFailure, type PlacementInput,
  type PlacementPlan, type PlacementPolicy, type Rejection, type RejectionCode,
} from "./placement.ts";
export { collisionsOf, planPrimaries, PrimarySpread, type PrimaryCollisions, type PrimaryInput, type PrimaryPlan, type Switchover } from "./primaries.ts";
export {
  applyMoves, bootstrapSlots, compactSlots, countSlots, formatSlotRanges, ownershipTable, parseSlotRanges, planSlotScale, SLOT_COUNT,
  type ShardSlots, type ShardTarget, type SlotMove, type SlotPlan, type SlotRange, type SlotScaleInput,
} from "./slots.ts";
export { groupIntoWaves, wavesLowerBound, type WaveItem } from "./waves.ts";
export { applySteps, planDrain, replacementName, type DrainInput, type MaintenancePlan, type MaintenanceStep } from "./drain.ts";
export { planReplacement, type ReplaceInput } from "./replace.ts";
export { planBootstrap, type BootstrapInput, type BootstrapPlan } from "./bootstrap.ts";
export { canonicalJson, digest, digestValue, planId, type PlanKind as LegacyPlanKind } from "./explain.ts";
export * from "./plan.ts";
