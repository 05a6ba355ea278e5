// One structured logger for the operator (JSON lines, the level from MDB_LOG_LEVEL).
import winston from "winston";

export type Logger = winston.Logger;

export function makeLogger(level = process.env.MDB_LOG_LEVEL ?? "info"): Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ["error", "warn"] })],
  });
}

/** A logger that drops everything (tests). */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
