// One log format for the operator and the members' sidecars (docs/operations.md#logs): JSON lines,
// one write each, whose first fields are always, in this order, time, level, then what the line is
// about where known (cluster, member, shard, plan, step), then message and the line's own fields.
//
// What the line is about comes from three places, the later winning: the logger's base fields (a
// sidecar knows its cluster, member and shard), the log context of the work in progress (a plan
// step, or the operator's call a sidecar serves: logContext.run) and the fields of the call itself.
import { AsyncLocalStorage } from "node:async_hooks";
import { DEFAULT_LOG_LEVEL, type LogLevel } from "./log-level.ts";

export { DEFAULT_LOG_LEVEL, isLogLevel, LOG_LEVELS, type LogLevel } from "./log-level.ts";

/** What every process logs through: a message and the line's own fields, at four levels. */
export interface Logger {
  /** The least severe level written. */
  readonly level: LogLevel;
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

/** What a line is about. `cluster` is namespace/name, as the operator's work queue keys it. */
export interface LogContext { cluster?: string; member?: string; shard?: number; plan?: string; step?: string }

/** The fields that lead every line, in their order. */
export const LEADING_FIELDS = ["time", "level", "cluster", "member", "shard", "plan", "step", "message"] as const;

/** The log context of the work in progress; `logContext.run(ctx, fn)` gives fn's lines (and its sidecar calls) ctx. */
export const logContext = new AsyncLocalStorage<LogContext>();

export const currentLogContext = (): LogContext => logContext.getStore() ?? {};

/** Runs `fn` with `ctx` added to the log context it is called in. */
export function withLogContext<T>(ctx: LogContext, fn: () => T): T {
  return logContext.run({ ...currentLogContext(), ...ctx }, fn);
}

function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return value.message;
  return value;
}

/** The line for one call (exported for the tests); fields with no value are left out. */
export function formatLine(info: Record<string, unknown>, base: LogContext, context: LogContext, now: Date): string {
  const { level, message, ...fields } = info;
  const line: Record<string, unknown> = { time: now.toISOString(), level };
  const about: Record<string, unknown> = { ...base, ...context, ...fields };
  for (const key of LEADING_FIELDS.slice(2, -1)) if (about[key] !== undefined && about[key] !== "") line[key] = about[key];
  line.message = message;
  for (const [key, value] of Object.entries(about)) if (!(key in line) && value !== undefined) line[key] = value;
  try {
    return JSON.stringify(line, jsonValue);
  } catch (err) {
    return JSON.stringify({ time: line.time, level, message, logError: `a field could not be written: ${(err as Error).message}` });
  }
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Fields every line carries (a sidecar's cluster, member, shard). */
  base?: LogContext;
  /** Off for tests that want no output. */
  silent?: boolean;
  /** Where the time comes from (tests). */
  now?: () => Date;
  /** Where the lines go instead of stdout (error and warn: stderr) (tests). */
  stream?: NodeJS.WritableStream;
}

/** Each level's rank: a line is written when its rank is at most the logger's. */
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export function makeLogger(opts: LoggerOptions = {}): Logger {
  const base = opts.base ?? {};
  const now = opts.now ?? (() => new Date());
  const level = opts.level ?? DEFAULT_LOG_LEVEL;
  const write = (at: LogLevel) => (message: string, fields?: Record<string, unknown>): void => {
    if (opts.silent || RANK[at] > RANK[level]) return;
    const text = formatLine({ ...fields, level: at, message }, base, currentLogContext(), now()) + "\n";
    (opts.stream ?? (RANK[at] <= RANK.warn ? process.stderr : process.stdout)).write(text);
  };
  return { level, error: write("error"), warn: write("warn"), info: write("info"), debug: write("debug") };
}
