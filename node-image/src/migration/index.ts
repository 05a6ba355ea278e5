// Public contract of the slot-migration engine (the sidecar's MigrateSlots RPC calls migrateSlots).
export {
  validateMigrateSlotsRequest, MigrationRequestError, parseTimeOfDay, DEFAULTS as MIGRATION_DEFAULTS,
  type EngineAddress, type RateLimit, type ScheduleWindow, type MigrateSlotsRequest, type MigrationProgress,
  type MigrationResult, type MigrateOptions,
} from "./request.ts";
export { migrateSlots, probeAtomicSlotMigration, MigrationPreconditionError } from "./migrate.ts";
export { TokenBucket, MigrationRateLimiter, rateAt, windowContains, SLICE_MS } from "./rate.ts";
export { clusterViewOf, planSlot, type ClusterView, type SlotAction } from "./clusterView.ts";
