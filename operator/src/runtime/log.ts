// The operator's logger: the format the sidecars share (common/log.ts, docs/operations.md#logs), at
// the level MDB_LOG_LEVEL gives (the chart's logLevel; an unknown level falls back to info).
import { DEFAULT_LOG_LEVEL, isLogLevel, makeLogger as makeSharedLogger, type Logger } from "../../../common/log.ts";

export type { Logger } from "../../../common/log.ts";

export function makeLogger(level: string | undefined = process.env.MDB_LOG_LEVEL): Logger {
  return makeSharedLogger({ level: isLogLevel(level) ? level : DEFAULT_LOG_LEVEL });
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return makeSharedLogger({ silent: true });
}
