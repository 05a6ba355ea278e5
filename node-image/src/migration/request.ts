// The public request/result types of the migration engine and its defaults (pure: types and data). A
// request is validated once, at the edge (validateMigrateSlotsRequest in validate.ts), into a
// MigrationRequest; the engine trusts that type.
import type { Clock } from "../../../common/clock.ts";
import type { SlotRange } from "../../../common/slots.ts";

export interface EngineAddress { host: string; port: number; busPort?: number }
/**
 * Engines that serve TLS only (spec.tls.enabled): every connection to them is TLS, their certificate
 * checked against this CA (PEM). Their names are not checked: they are reached by IP, which their
 * certificates (issued before the pod had one) do not name.
 */
export interface EngineTls { ca: string }
/** undefined/0 = unlimited */
export interface RateLimit { keysPerSecond?: number; bytesPerSecond?: number }
/** "HH:MM" 24h UTC; may wrap midnight ("23:00"-"07:00"). */
export interface ScheduleWindow { start: string; end: string; rate: RateLimit }

/**
 * The latency guard (guard.ts): while a move runs it probes source and target every 10 ms and steers
 * the pace so the probe's p99 stays within the budget. On unless `disabled`.
 */
export interface LatencyGuardInput {
  /** true runs the move at the configured pace without watching latency ("fastest"). */
  disabled?: boolean;
  /** Budget as a factor of the idle p99 measured just before the move (default DEFAULTS.guard.budgetFactor). */
  budgetFactor?: number;
  /** Absolute budget in ms; with budgetFactor too, the smaller budget wins. */
  budgetMs?: number;
  /** The pace never drops below this many keys/s, so the move always progresses (default DEFAULTS.guard.floorKeysPerSecond). */
  floorKeysPerSecond?: number;
}

/** What a caller may send (a test fixture, the sidecar's gRPC edge): unchecked. */
export interface MigrateSlotsInput {
  source: EngineAddress; target: EngineAddress;
  /** slots to move from source to target: slot numbers and/or inclusive { start, end } ranges */
  slots: (number | SlotRange)[];
  /** told SETSLOT NODE after target and source (step 3) */
  otherPrimaries?: EngineAddress[];
  /** engine auth, also used for MIGRATE AUTH/AUTH2 */
  username?: string; password?: string;
  /** keys per MIGRATE (default 100) */
  batchKeys?: number;
  /**
   * MIGRATE batches in flight per slot stream (default 2). MIGRATE blocks the source until the target
   * has answered, so every queued batch delays the source's clients; 2 measured as fast as 8 in the
   * benchmark (a slot rarely fills more than one batch) at half the client p99.
   */
  window?: number;
  /** slots migrated concurrently (default 4): parallel slot streams, each its own connection to the source */
  parallelSlots?: number;
  /**
   * Slots a stream takes per round (default 64): their SETSLOT commands go out in one script per
   * engine, so the engine's nodes.conf rewrite is paid once per round instead of once per slot.
   */
  slotsPerRound?: number;
  /** default rate */
  rate?: RateLimit;
  /** time-of-day windows overriding rate */
  schedule?: ScheduleWindow[];
  /** MIGRATE timeout (default 10000) */
  migrateTimeoutMs?: number;
  /**
   * "auto" (default): use the engines' atomic slot migration (CLUSTER MIGRATESLOTS, Valkey ≥ 9) when the
   * source and the target offer it and no rate limit or schedule is set (the guard paces it by job size
   * and the pause between jobs); "never": always key-by-key.
   */
  atomicMigration?: "auto" | "never";
  guard?: LatencyGuardInput;
  /** The engines serve TLS only: connect with it (the sidecar's own setting, never from the wire). */
  tls?: EngineTls;
}

export interface LatencyGuardSettings {
  enabled: boolean;
  /** 0 = not given (then DEFAULTS.guard.budgetFactor, unless budgetMs was given) */
  budgetFactor: number;
  /** 0 = not given */
  budgetMs: number;
  floorKeysPerSecond: number;
}

declare const checked: unique symbol;

/** A validated request with every default filled in; only validateMigrateSlotsRequest makes one. */
export interface MigrationRequest {
  readonly [checked]: true;
  readonly source: EngineAddress;
  readonly target: EngineAddress;
  /** distinct, in the order given */
  readonly slots: readonly number[];
  /** undefined: the caller did not say (the sidecar then fills in the cluster's other primaries) */
  readonly otherPrimaries: readonly EngineAddress[] | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly batchKeys: number;
  readonly window: number;
  readonly parallelSlots: number;
  readonly slotsPerRound: number;
  readonly migrateTimeoutMs: number;
  readonly rate: RateLimit | undefined;
  readonly schedule: readonly ScheduleWindow[] | undefined;
  readonly atomicMigration: "auto" | "never";
  readonly guard: LatencyGuardSettings;
  readonly tls: EngineTls | undefined;
}

/** What the latency guard is doing, streamed with every progress report. */
export interface GuardStatus {
  enabled: boolean;
  /** p99 of the probes before the move (ms) */
  baselineP99Ms: number;
  budgetMs: number;
  /** p99 of the probes over the last sliding window (ms) */
  observedP99Ms: number;
  /** the pace level: 1 = the configured pace; the knobs below are scaled by it */
  level: number;
  /** the keys/s the guard allows now (0 = no rate limit from the guard; explicit limits may cap it further) */
  keysPerSecond: number;
  batchKeys: number;
  window: number;
  parallelSlots: number;
  /** the last decision: "start" | "increase" | "decrease" | "hold" | "floor" */
  lastAction: string;
  increases: number;
  decreases: number;
}

export interface MigrationProgress {
  slotsTotal: number; slotsDone: number; slotsFailed: number;
  keysMoved: number; bytesMoved: number;
  keysPerSecond: number; bytesPerSecond: number;
  activeSlots: number[];
  maxSourceBlockMs: number;
  /** null when the guard is off */
  guard: GuardStatus | null;
}

export interface MigrationResult extends MigrationProgress {
  cancelled: boolean;
  failedSlots: { slot: number; error: string }[];
  elapsedMs: number;
  /** "keys" (GETKEYSINSLOT + MIGRATE) or "atomic" (CLUSTER MIGRATESLOTS). */
  method: "keys" | "atomic";
  /** CLUSTER MIGRATESLOTS jobs this call ran (0 for "keys"). */
  atomicJobs: number;
}

export interface MigrateOptions {
  signal?: AbortSignal;
  onProgress?: (p: MigrationProgress) => void;
  progressIntervalMs?: number;
  /** wall clock for schedule windows, monotonic clock for rates (tests inject one) */
  clock?: Clock;
  /**
   * The nice value (-20..19) of the guard's probe thread; unset, it keeps the caller's. A caller that
   * runs the move at background priority gives the probe its clients' priority, so the probe waits
   * for a core as they do, not as the background work does (the benchmark).
   */
  probePriority?: number;
}

/** What a request that does not say gets; the only place these numbers are defined. */
export const DEFAULTS = {
  batchKeys: 100,
  window: 2,
  parallelSlots: 4,
  migrateTimeoutMs: 10_000,
  slotsPerRound: 64,
  /** The latency guard's (on unless the request says disabled; no absolute budget unless it gives budgetMs). */
  guard: {
    /** The budget is this factor times the idle p99, when the request gives neither a factor nor budgetMs (budgetFor, guard.ts). */
    budgetFactor: 2,
    /** The pace never drops below this many keys/s (validate.ts fills it in). */
    floorKeysPerSecond: 2000,
  },
} as const;
