// Validation of a migration request (pure): unknown input (a gRPC message converted at the sidecar's
// edge, a test fixture) becomes a MigrationRequest with every default filled in, or a
// MigrationRequestError naming the field, what was expected and what to do. The engine trusts the result.
import { SLOT_COUNT } from "../../../common/slots.ts";
import { hostProblem, portProblem } from "../../../common/address.ts";
import {
  DEFAULTS, type EngineAddress, type LatencyGuardSettings, type MigrateSlotsInput, type MigrationRequest, type RateLimit,
  type ScheduleWindow,
} from "./request.ts";

export class MigrationRequestError extends Error {
  constructor(readonly field: string, readonly detail: string) {
    super(`${field}: ${detail}`);
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
  if (!isObject(value)) throw new MigrationRequestError(field, `is required (the { host, port } of an engine), got ${describe(value)}; pass the engine's address`);
  const { host, port, busPort } = value;
  if (typeof host !== "string") throw new MigrationRequestError(`${field}.host`, `expected an IPv4 address or DNS name, got ${describe(host)}`);
  const badHost = hostProblem(host.trim());
  if (badHost) throw new MigrationRequestError(`${field}.host`, badHost);
  const badPort = portProblem(port);
  if (badPort) throw new MigrationRequestError(`${field}.port`, badPort);
  const address: EngineAddress = { host: host.trim(), port: port as number };
  if (busPort !== undefined && busPort !== null && busPort !== 0) {
    const badBus = portProblem(busPort);
    if (badBus) throw new MigrationRequestError(`${field}.busPort`, `${badBus} (0 or unset = port + 10000)`);
    address.busPort = busPort as number;
  }
  return address;
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

function optionalNumber(value: unknown, field: string, min: number, max: number, hint: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new MigrationRequestError(field, `expected a number ${min}..${max}, got ${describe(value)}; ${hint}`);
  }
  return value;
}

function rejectUnknown(value: Fields, field: string, known: readonly string[]): void {
  for (const name of Object.keys(value)) {
    if (!known.includes(name)) throw new MigrationRequestError(`${field}.${name}`, `unknown field; known fields are ${known.join(", ")}`);
  }
}

function checkRate(value: unknown, field: string): RateLimit {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new MigrationRequestError(field, `expected { keysPerSecond?, bytesPerSecond? }, got ${describe(value)}`);
  rejectUnknown(value, field, ["keysPerSecond", "bytesPerSecond"]);
  const rate: RateLimit = {};
  for (const name of ["keysPerSecond", "bytesPerSecond"] as const) {
    const v = value[name];
    if (v === undefined || v === null) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new MigrationRequestError(`${field}.${name}`, `expected a number ≥ 0 (0 or unset = unlimited), got ${describe(v)}`);
    }
    if (v > 0) rate[name] = v;
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

/** Slot numbers and/or { start, end } ranges → distinct slot numbers in the order given. */
function checkSlots(value: unknown): number[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new MigrationRequestError("slots", `must name at least one slot range or slot number (0..${SLOT_COUNT - 1}), got ${describe(value)}`);
  }
  const seen = new Set<number>();
  const out: number[] = [];
  const isSlot = (s: unknown): s is number => typeof s === "number" && Number.isInteger(s) && s >= 0 && s < SLOT_COUNT;
  value.forEach((item: unknown, i) => {
    let start: number;
    let end: number;
    if (isObject(item)) {
      for (const edge of ["start", "end"] as const) {
        if (!isSlot(item[edge])) throw new MigrationRequestError(`slots[${i}].${edge}`, `expected a slot number 0..${SLOT_COUNT - 1}, got ${describe(item[edge])}`);
      }
      [start, end] = [item.start as number, item.end as number];
      if (end < start) throw new MigrationRequestError(`slots[${i}]`, `end ${end} is before start ${start}; list the range low to high`);
    } else if (isSlot(item)) {
      [start, end] = [item, item];
    } else {
      throw new MigrationRequestError(`slots[${i}]`, `expected a slot number 0..${SLOT_COUNT - 1} or { start, end }, got ${describe(item)}`);
    }
    for (let s = start; s <= end; s++) {
      if (seen.has(s)) throw new MigrationRequestError(`slots[${i}]`, `slot ${s} is listed twice; list each slot once`);
      seen.add(s);
      out.push(s);
    }
  });
  return out;
}

function checkGuard(value: unknown): LatencyGuardSettings {
  if (value === undefined || value === null) return checkGuard({});
  if (!isObject(value)) throw new MigrationRequestError("guard", `expected { disabled?, budgetFactor?, budgetMs?, floorKeysPerSecond? }, got ${describe(value)}`);
  rejectUnknown(value, "guard", ["disabled", "budgetFactor", "budgetMs", "floorKeysPerSecond"]);
  if (value.disabled !== undefined && value.disabled !== null && typeof value.disabled !== "boolean") {
    throw new MigrationRequestError("guard.disabled", `expected true or false, got ${describe(value.disabled)}`);
  }
  // 0 means "default" for the numbers, as in the proto (an unset proto3 number is 0).
  const zeroIsUnset = (v: unknown) => (v === 0 ? undefined : v);
  const budgetFactor = optionalNumber(zeroIsUnset(value.budgetFactor), "guard.budgetFactor", 1.1, 100, "the budget is this factor times the idle p99 measured before the move (e.g. 2)");
  const budgetMs = optionalNumber(zeroIsUnset(value.budgetMs), "guard.budgetMs", 0.1, 10_000, "an absolute p99 ceiling in ms for the probes (unset = factor × idle only)");
  const floor = optionalInteger(zeroIsUnset(value.floorKeysPerSecond), "guard.floorKeysPerSecond", 1, 10_000_000, "the guard never paces below it, so the move always progresses");
  return {
    enabled: value.disabled !== true,
    // 0 = not given: budgetFor (guard.ts) then applies DEFAULTS.guard.budgetFactor, unless budgetMs was given.
    budgetFactor: budgetFactor ?? 0,
    budgetMs: budgetMs ?? 0,
    floorKeysPerSecond: floor ?? DEFAULTS.guard.floorKeysPerSecond,
  };
}

const KNOWN_FIELDS = [
  "source", "target", "slots", "otherPrimaries", "username", "password", "batchKeys", "window",
  "parallelSlots", "slotsPerRound", "rate", "schedule", "migrateTimeoutMs", "atomicMigration", "guard", "tls",
] as const;

export function validateMigrateSlotsRequest(req: MigrateSlotsInput | unknown): MigrationRequest {
  if (!isObject(req)) throw new MigrationRequestError("request", `expected an object, got ${describe(req)}`);
  for (const name of Object.keys(req)) {
    if (!(KNOWN_FIELDS as readonly string[]).includes(name)) throw new MigrationRequestError(name, `unknown field; known fields are ${KNOWN_FIELDS.join(", ")}`);
  }
  const source = checkAddress(req.source, "source");
  const target = checkAddress(req.target, "target");
  if (sameAddress(source, target)) {
    throw new MigrationRequestError("source", `is the same engine as the target (${source.host}:${source.port}); migrate from a different primary (call MigrateSlots on the target member with the source's address)`);
  }
  const slots = checkSlots(req.slots);

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
  if (req.tls !== undefined && req.tls !== null && (!isObject(req.tls) || typeof req.tls.ca !== "string" || !req.tls.ca.includes("BEGIN CERTIFICATE"))) {
    throw new MigrationRequestError("tls", `expected { ca: a PEM certificate }, got ${describe(req.tls)}`);
  }
  const schedule = checkSchedule(req.schedule);
  const rate = req.rate !== undefined && req.rate !== null ? checkRate(req.rate, "rate") : undefined;
  return {
    source, target, slots, otherPrimaries,
    username: typeof req.username === "string" ? req.username : undefined,
    password: typeof req.password === "string" ? req.password : undefined,
    batchKeys: optionalInteger(req.batchKeys, "batchKeys", 1, 10_000, "it is the number of keys per MIGRATE") ?? DEFAULTS.batchKeys,
    window: optionalInteger(req.window, "window", 1, 256, "it is the number of MIGRATE batches in flight per slot") ?? DEFAULTS.window,
    parallelSlots: optionalInteger(req.parallelSlots, "parallelSlots", 1, 256, "it is the number of slots migrated at once") ?? DEFAULTS.parallelSlots,
    slotsPerRound: optionalInteger(req.slotsPerRound, "slotsPerRound", 1, 1024, "it is the number of slots whose SETSLOT commands are sent together") ?? DEFAULTS.slotsPerRound,
    migrateTimeoutMs: optionalInteger(req.migrateTimeoutMs, "migrateTimeoutMs", 100, 600_000, "it is MIGRATE's idle timeout") ?? DEFAULTS.migrateTimeoutMs,
    rate, schedule,
    atomicMigration: atomic === "never" ? "never" : "auto",
    guard: checkGuard(req.guard),
    tls: isObject(req.tls) ? { ca: req.tls.ca as string } : undefined,
    // The brand exists only in the type: this function is the one place that makes a MigrationRequest.
  } as unknown as MigrationRequest;
}

/** The same request with the primaries to tell filled in (the sidecar reads them from its engine). */
export function withOtherPrimaries(req: MigrationRequest, others: readonly EngineAddress[]): MigrationRequest {
  return { ...req, otherPrimaries: others.filter((a) => !sameAddress(a, req.source) && !sameAddress(a, req.target)) };
}
