// The log levels every mdb process takes (the operator's MDB_LOG_LEVEL, a member's spec.logLevel): one
// list, pure, so the env contract and the CRD's check can use it without the logger (common/log.ts).
export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = "info";

export const isLogLevel = (value: unknown): value is LogLevel => typeof value === "string" && (LOG_LEVELS as readonly string[]).includes(value);
