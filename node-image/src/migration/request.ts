// The public request/result types of the migration engine and the validation of a request.
// Validation is pure: it takes unknown input (a gRPC message, a test fixture) and returns a typed
// request or throws MigrationRequestError naming the field, what was expected and what to do.
import { SLOT_COUNT } from "../../../common/slots.ts";

export interface EngineAddress { host: string; port: number }
/** undefined/0 = unlimited */
export interface RateLimit { keysPerSecond?: number; bytesPerSecond?: number }
/** "HH:MM" 24h UTC; may wrap midnight ("23:00"-"07:00"). */
export interface ScheduleWindow { start: string; end: string; rate: RateLimit }

export interface MigrateSlotsRequest {
  source: EngineAddress; target: EngineAddress;
  /** slots to move from source to target */
  slots: number[];
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
   * Slots a stream takes per round (default 64): their SETSLOT commands go out in one pipeline per
   * engine, so the engine's nodes.conf fsync is paid once per round instead of once per slot.
   */
  slotsPerRound?: number;
  /** default rate */
  rate?: RateLimit;
  /** time-of-day windows overriding rate */
  schedule?: ScheduleWindow[];
  /** MIGRATE timeout (default 10000) */
  migrateTimeoutMs?: number;
  /**
   * "auto" (default): use the engine's atomic slot migration (CLUSTER MIGRATESLOTS, Valkey ≥ 9) when
   * the source offers it and no rate limit or schedule is set; "never": always key-by-key.
   */
  atomicMigration?: "auto" | "never";
}

export interface MigrationProgress {
  slotsTotal: number; slotsDone: number; slotsFailed: number;
  keysMoved: number; bytesMoved: number;
  keysPerSecond: number; bytesPerSecond: number;
  activeSlots: number[];
  maxSourceBlockMs: number;
}

export interface MigrationResult extends MigrationProgress {
  cancelled: boolean;
  failedSlots: { slot: number; error: string }[];
  elapsedMs: number;
  /** "keys" (GETKEYSINSLOT + MIGRATE) or "atomic" (CLUSTER MIGRATESLOTS). */
  method: "keys" | "atomic";
}

export interface MigrateOptions {
  signal?: AbortSignal;
  onProgress?: (p: MigrationProgress) => void;
  progressIntervalMs?: number;
  /** epoch ms, for schedule windows and tests */
  clock?: () => number;
}

export const DEFAULTS = {
  batchKeys: 100,
  window: 2,
  parallelSlots: 4,
  migrateTimeoutMs: 10_000,
  slotsPerRound: 64,
} as const;

export class MigrationRequestError extends Error {
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = "MigrationRequestError";
  }
}

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}

function checkAddress(value: unknown, field: string): EngineAddress {
  if (!isObject(value)) throw new MigrationRequestError(field, `expected { host, port } of an engine, got ${describe(value)}; pass the engine's address`);
  const { host, port } = value;
  if (typeof host !== "string" || host.trim() === "") {
    throw new MigrationRequestError(`${field}.host`, `expected a non-empty host name or IP, got ${describe(host)}`);
  }
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MigrationRequestError(`${field}.port`, `expected an integer port 1..65535, got ${describe(port)}`);
  }
  return { host, port };
}

function sameAddress(a: EngineAddress, b: EngineAddress): boolean {
  return a.host === b.host && a.port === b.port;
}

function optionalInteger(value: unknown, field: string, min: number, max: number, hint: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new MigrationRequestError(field, `expected an integer ${min}..${max}, got ${describe(value)}; ${hint}`);
  }
  return value;
}

function checkRate(value: unknown, field: string): RateLimit {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new MigrationRequestError(field, `expected { keysPerSecond?, bytesPerSecond? }, got ${describe(value)}`);
  const rate: RateLimit = {};
  for (const name of ["keysPerSecond", "bytesPerSecond"] as const) {
    const v = value[name];
    if (v === undefined || v === null) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new MigrationRequestError(`${field}.${name}`, `expected a number ≥ 0 (0 or unset = unlimited), got ${describe(v)}`);
    }
    if (v > 0) rate[name] = v;
  }
  for (const name of Object.keys(value)) {
    if (name !== "keysPerSecond" && name !== "bytesPerSecond") {
      throw new MigrationRequestError(`${field}.${name}`, "unknown field; a rate has keysPerSecond and bytesPerSecond");
    }
  }
  return rate;
}

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes after midnight UTC of an "HH:MM" string, or undefined when malformed. */
export function parseTimeOfDay(value: string): number | undefined {
  const m = TIME_OF_DAY.exec(value);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

function checkSchedule(value: unknown): ScheduleWindow[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new MigrationRequestError("schedule", `expected an array of { start, end, rate }, got ${describe(value)}`);
  return value.map((w, i): ScheduleWindow => {
    const field = `schedule[${i}]`;
    if (!isObject(w)) throw new MigrationRequestError(field, `expected { start: "HH:MM", end: "HH:MM", rate }, got ${describe(w)}`);
    for (const edge of ["start", "end"] as const) {
      const v = w[edge];
      if (typeof v !== "string" || parseTimeOfDay(v) === undefined) {
        throw new MigrationRequestError(`${field}.${edge}`, `expected "HH:MM" (24h UTC, 00:00..23:59), got ${describe(v)}`);
      }
    }
    if (w.start === w.end) {
      throw new MigrationRequestError(`${field}.end`, `equals start (${String(w.start)}), which makes an empty window; for all day leave the schedule out and set rate`);
    }
    if (!isObject(w.rate)) throw new MigrationRequestError(`${field}.rate`, `expected { keysPerSecond?, bytesPerSecond? }, got ${describe(w.rate)}`);
    return { start: w.start as string, end: w.end as string, rate: checkRate(w.rate, `${field}.rate`) };
  });
}

const KNOWN_FIELDS = new Set([
  "source", "target", "slots", "otherPrimaries", "username", "password", "batchKeys", "window",
  "parallelSlots", "slotsPerRound", "rate", "schedule", "migrateTimeoutMs", "atomicMigration",
]);

export function validateMigrateSlotsRequest(req: unknown): MigrateSlotsRequest {
  if (!isObject(req)) throw new MigrationRequestError("request", `expected an object, got ${describe(req)}`);
  for (const name of Object.keys(req)) {
    if (!KNOWN_FIELDS.has(name)) throw new MigrationRequestError(name, `unknown field; known fields are ${[...KNOWN_FIELDS].join(", ")}`);
  }
  const source = checkAddress(req.source, "source");
  const target = checkAddress(req.target, "target");
  if (sameAddress(source, target)) {
    throw new MigrationRequestError("target", `is the same engine as source (${source.host}:${source.port}); migrate to a different primary`);
  }

  if (!Array.isArray(req.slots) || req.slots.length === 0) {
    throw new MigrationRequestError("slots", `expected a non-empty array of slot numbers 0..${SLOT_COUNT - 1}, got ${describe(req.slots)}`);
  }
  const seen = new Set<number>();
  const slots = req.slots.map((s, i) => {
    if (typeof s !== "number" || !Number.isInteger(s) || s < 0 || s >= SLOT_COUNT) {
      throw new MigrationRequestError(`slots[${i}]`, `expected a slot number 0..${SLOT_COUNT - 1}, got ${describe(s)}`);
    }
    if (seen.has(s)) throw new MigrationRequestError(`slots[${i}]`, `slot ${s} is listed twice; list each slot once`);
    seen.add(s);
    return s;
  });

  let otherPrimaries: EngineAddress[] | undefined;
  if (req.otherPrimaries !== undefined && req.otherPrimaries !== null) {
    if (!Array.isArray(req.otherPrimaries)) {
      throw new MigrationRequestError("otherPrimaries", `expected an array of { host, port }, got ${describe(req.otherPrimaries)}`);
    }
    otherPrimaries = req.otherPrimaries.map((a, i) => {
      const addr = checkAddress(a, `otherPrimaries[${i}]`);
      if (sameAddress(addr, source) || sameAddress(addr, target)) {
        throw new MigrationRequestError(`otherPrimaries[${i}]`, `${addr.host}:${addr.port} is the source or target; list only the other primaries`);
      }
      return addr;
    });
  }

  for (const name of ["username", "password"] as const) {
    const v = req[name];
    if (v !== undefined && v !== null && (typeof v !== "string" || v === "")) {
      throw new MigrationRequestError(name, `expected a non-empty string or nothing, got ${describe(v)}`);
    }
  }
  if (req.username && !req.password) {
    throw new MigrationRequestError("password", "is required when username is set (MIGRATE AUTH2 needs both)");
  }

  const atomic = req.atomicMigration;
  if (atomic !== undefined && atomic !== null && atomic !== "auto" && atomic !== "never") {
    throw new MigrationRequestError("atomicMigration", `expected "auto" or "never", got ${describe(atomic)}`);
  }

  const request: MigrateSlotsRequest = { source, target, slots };
  if (otherPrimaries) request.otherPrimaries = otherPrimaries;
  if (typeof req.username === "string") request.username = req.username;
  if (typeof req.password === "string") request.password = req.password;
  const batchKeys = optionalInteger(req.batchKeys, "batchKeys", 1, 10_000, "it is the number of keys per MIGRATE");
  const window = optionalInteger(req.window, "window", 1, 256, "it is the number of MIGRATE batches in flight per slot");
  const parallelSlots = optionalInteger(req.parallelSlots, "parallelSlots", 1, 256, "it is the number of slots migrated at once");
  const slotsPerRound = optionalInteger(req.slotsPerRound, "slotsPerRound", 1, 1024, "it is the number of slots whose SETSLOT commands are pipelined together");
  const migrateTimeoutMs = optionalInteger(req.migrateTimeoutMs, "migrateTimeoutMs", 100, 600_000, "it is MIGRATE's idle timeout");
  if (batchKeys !== undefined) request.batchKeys = batchKeys;
  if (window !== undefined) request.window = window;
  if (parallelSlots !== undefined) request.parallelSlots = parallelSlots;
  if (slotsPerRound !== undefined) request.slotsPerRound = slotsPerRound;
  if (migrateTimeoutMs !== undefined) request.migrateTimeoutMs = migrateTimeoutMs;
  if (req.rate !== undefined && req.rate !== null) request.rate = checkRate(req.rate, "rate");
  const schedule = checkSchedule(req.schedule);
  if (schedule) request.schedule = schedule;
  if (atomic === "auto" || atomic === "never") request.atomicMigration = atomic;
  return request;
}
