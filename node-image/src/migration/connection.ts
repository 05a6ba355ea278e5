// Connections of a move to its engines, and the errors that stop a move before it touches a slot.
import type { ConnectionOptions } from "node:tls";
import { Redis, type RedisOptions } from "ioredis";
import type { EngineAddress, EngineTls, MigrationRequest } from "./request.ts";

/** Error raised before any slot was touched: the request cannot run against these engines. */
export class MigrationPreconditionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationPreconditionError";
  }
}

/** A slot-level failure: the slot is left unclaimed (or claimed by the target only) and reported. */
export class SlotMigrationError extends Error {}

/** The engine's answer when scripting is unavailable (disabled, or denied to this user). */
export const SCRIPTING_OFF = /NOSCRIPT|unknown command|not allowed|disabled|NOPERM/i;

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Node's TLS options for a connection to an engine that serves TLS only (see EngineTls). */
export function engineTlsOptions(t: EngineTls): ConnectionOptions {
  // Read at each connect (the driver copies these options then): the sidecar's CA bundle follows its
  // files through a CA rollover (sidecar/tls-files.ts).
  return { get ca() { return t.ca; }, checkServerIdentity: () => undefined };
}

function connectionOptions(addr: EngineAddress, req: MigrationRequest, name: string): RedisOptions {
  return {
    host: addr.host, port: addr.port, username: req.username, password: req.password,
    ...(req.tls ? { tls: engineTlsOptions(req.tls) } : {}),
    connectionName: name,
    // Fail fast instead of replaying: a lost engine fails the slots in flight, and a resume continues them.
    lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false,
    retryStrategy: () => null, enableReadyCheck: false, connectTimeout: 5000,
    // Commands issued in the same tick (a round's GETKEYSINSLOTs, several slots' MIGRATE batches) go
    // out in one socket write: per-command writes were the driver's largest CPU cost.
    enableAutoPipelining: true,
  };
}

export async function openEngine(addr: EngineAddress, req: MigrationRequest, name: string): Promise<Redis> {
  const redis = new Redis(connectionOptions(addr, req, name));
  redis.on("error", () => { /* reported through the failing command */ });
  let authError: unknown;
  redis.once("error", (err) => { authError ??= err; });
  try {
    await redis.connect();
    // A wrong password surfaces only after connect (the AUTH reply); ask once to find out.
    await redis.ping();
  } catch (err) {
    err = authError ?? err;
    redis.disconnect();
    throw new MigrationPreconditionError(`cannot connect to ${addr.host}:${addr.port} (${errorText(err)}); check the address and password`);
  }
  return redis;
}

/**
 * Whether CLUSTER SETSLOT may run inside a script. Not on Valkey: a primary with replicas replicates
 * SETSLOT to them before it answers, a wait a script cannot do — Valkey 9.1.2 fails an assertion
 * (module.c, '!is_running_script') and exits. Redis 7.0 runs it in a script.
 */
export async function setSlotScriptable(redis: Redis): Promise<boolean> {
  const info = String(await redis.info("server").catch(() => ""));
  return !/^server_name:valkey/m.test(info);
}

/** Whether the engine offers atomic slot migration (Valkey ≥ 9: CLUSTER MIGRATESLOTS). */
export async function probeAtomicSlotMigration(redis: Redis): Promise<boolean> {
  try {
    const info = (await redis.call("COMMAND", "INFO", "CLUSTER|MIGRATESLOTS")) as unknown[];
    return Array.isArray(info) && info.length > 0 && info[0] !== null;
  } catch {
    return false;
  }
}
