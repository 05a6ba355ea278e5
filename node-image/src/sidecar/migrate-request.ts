// The MigrateSlots request at the gRPC edge (pure): the proto message becomes the migration engine's checked
// MigrationRequest in one pass (validateMigrateSlotsRequest), with this member's engine as the target.
// Refusals are INVALID_ARGUMENT naming the field. Member and engine trust the result.
import type { MigrateSlotsRequest__Output } from "../../../proto/index.ts";
import type { EngineTls, RateLimit } from "../migration/request.ts";
import { validateMigrateSlotsRequest, MigrationRequestError } from "../migration/validate.ts";
import type { CheckedMigrateSlots } from "./commands.ts";
import { InvalidArgumentError } from "./errors.ts";
import { validateTimeoutMs } from "./requests.ts";

export type { CheckedMigrateSlots };

export interface TargetEngine { podIp: string; enginePort: number; enginePassword?: string; engineTls?: EngineTls }

/** proto3 sends 0 for an unset number: the engine's default then applies. */
const unset0 = (v: number | undefined): number | undefined => (v ? v : undefined);

function rateOf(r: { keysPerSecond?: number; bytesPerSecond?: number } | null | undefined): RateLimit | undefined {
  if (!r) return undefined;
  return { keysPerSecond: unset0(r.keysPerSecond), bytesPerSecond: unset0(r.bytesPerSecond) };
}

export function checkMigrateSlotsRequest(req: MigrateSlotsRequest__Output, self: TargetEngine): CheckedMigrateSlots {
  const progressIntervalMs = validateTimeoutMs(req.progressIntervalMs, "progressIntervalMs", 500, 60_000);
  const guard = req.guard ? {
    disabled: req.guard.disabled, budgetFactor: req.guard.budgetFactor, budgetMs: req.guard.budgetMs,
    floorKeysPerSecond: req.guard.floorKeysPerSecond,
  } : undefined;
  try {
    const request = validateMigrateSlotsRequest({
      source: req.source ?? undefined,
      target: { host: self.podIp, port: self.enginePort },
      slots: req.slots ?? [],
      // Empty: the member fills in every other primary with slots (docs/architecture/migration.md#one-move-step-by-step, step 3).
      otherPrimaries: req.otherPrimaries?.length ? req.otherPrimaries : undefined,
      password: self.enginePassword,
      batchKeys: unset0(req.batchKeys), window: unset0(req.window), parallelSlots: unset0(req.parallelSlots),
      rate: rateOf(req.rate),
      schedule: req.schedule?.length ? req.schedule.map((w) => ({ start: w.start, end: w.end, rate: rateOf(w.rate) ?? {} })) : undefined,
      migrateTimeoutMs: unset0(req.migrateTimeoutMs),
      guard,
      ...(self.engineTls ? { tls: self.engineTls } : {}),
    });
    return { request, progressIntervalMs };
  } catch (err) {
    if (err instanceof MigrationRequestError) throw new InvalidArgumentError(err.field, err.detail);
    throw err;
  }
}
