// Public contract of the slot-migration engine (the sidecar's MigrateSlots RPC calls migrateSlots with
// a request checked once by validateMigrateSlotsRequest).
export {
  DEFAULTS as MIGRATION_DEFAULTS, type EngineAddress, type RateLimit, type ScheduleWindow, type MigrateSlotsInput,
  type MigrationRequest, type LatencyGuardInput, type LatencyGuardSettings, type GuardStatus, type MigrationProgress,
  type MigrationResult, type MigrateOptions,
} from "./request.ts";
export { validateMigrateSlotsRequest, withOtherPrimaries, MigrationRequestError, parseTimeOfDay } from "./validate.ts";
export { migrateSlots, BASELINE_MS } from "./migrate.ts";
export { probeAtomicSlotMigration, MigrationPreconditionError } from "./connection.ts";
export { LatencyGuard, budgetFor, percentile as guardPercentile, MIN_BUDGET_MS, DECISION_INTERVAL_MS, PROBE_INTERVAL_MS, SAMPLE_WINDOW_MS } from "./guard.ts";
export { TokenBucket, SmoothBucket, MigrationRateLimiter, rateAt, windowContains, SLICE_MS } from "./rate.ts";
export { clusterViewOf, planSlot, type ClusterView, type SlotAction } from "./clusterView.ts";
