// Key-moving strategy 1 (the fast path): each batch is listed and moved inside the source engine by one
// script (GETKEYSINSLOT + MIGRATE), so key names never travel to the driver and back.
import { createHash } from "node:crypto";
import type { MigrationContext, Stream } from "./context.ts";
import { SCRIPTING_OFF, SlotMigrationError, errorText } from "./connection.ts";

/**
 * One batch moved entirely inside the source engine: list up to ARGV[2] keys of slot ARGV[1], sum
 * their MEMORY USAGE when ARGV[3] is "1", and MIGRATE them to ARGV[4]:ARGV[5] (timeout ARGV[6], then
 * AUTH/AUTH2 words). Returns { keys moved, bytes }. Key names never travel to the driver and back,
 * which was a third of the CPU a move costs; the engine blocks for the same MIGRATE as before.
 */
const MIGRATE_BATCH_SCRIPT = `
local keys = redis.call('CLUSTER', 'GETKEYSINSLOT', ARGV[1], ARGV[2])
if #keys == 0 then return {0, 0} end
local bytes = 0
if ARGV[3] == '1' then
  for _, key in ipairs(keys) do bytes = bytes + (redis.call('MEMORY', 'USAGE', key) or 0) end
end
local args = {ARGV[4], ARGV[5], '', '0', ARGV[6]}
for i = 7, #ARGV do args[#args + 1] = ARGV[i] end
args[#args + 1] = 'KEYS'
for _, key in ipairs(keys) do args[#args + 1] = key end
redis.call('MIGRATE', unpack(args))
return {#keys, bytes}`;

/** EVALSHA saves sending the script's text with every batch; EVAL loads it when the engine lacks it. */
const MIGRATE_BATCH_SHA = createHash("sha1").update(MIGRATE_BATCH_SCRIPT).digest("hex");

/** Lua's unpack() takes at most ~8000 values: larger batches go through the driver. */
export const MAX_SCRIPTED_BATCH_KEYS = 5000;

/** Thrown when the engine refuses the script: the caller continues through the driver. */
export class ScriptingUnavailable extends Error {}

/**
 * Batches of the slot moved by MIGRATE_BATCH_SCRIPT, up to the window in flight, until the slot is
 * empty. Each batch takes its size from the pace and is charged to the pace's token bucket first.
 * Throws the MIGRATE error (BUSYKEY included: the caller resolves it by name).
 */
export async function moveKeysInEngine(ctx: MigrationContext, slot: number, stream: Stream, batchCounter: { sent: number }): Promise<void> {
  const { target, username, password, migrateTimeoutMs } = ctx.req;
  const auth = username && password ? ["AUTH2", username, password] : password ? ["AUTH", password] : [];
  let drained = false;
  let error: unknown;
  const inFlight = new Set<Promise<void>>();
  while (!drained && error === undefined) {
    await stream.permits.acquire();
    if (drained || error !== undefined) {
      stream.permits.release();
      break;
    }
    const batchKeys = ctx.pace.setting.batchKeys;
    await ctx.pace.reserve(batchKeys);
    const measure = batchCounter.sent++ % 16 === 0;
    const sentAt = ctx.clock.monotonicMs();
    const args = [String(slot), String(batchKeys), measure ? "1" : "0", target.host, String(target.port), String(migrateTimeoutMs), ...auth];
    const batch: Promise<void> = (stream.redis.evalsha(MIGRATE_BATCH_SHA, 0, ...args)
      .catch((err: unknown) => (/NOSCRIPT/.test(errorText(err)) ? stream.redis.eval(MIGRATE_BATCH_SCRIPT, 0, ...args) : Promise.reject(err))) as Promise<[number, number]>)
      .then(([moved, measuredBytes]) => {
        const doneAt = ctx.clock.monotonicMs();
        ctx.progress.noteBlock(doneAt - Math.max(sentAt, stream.lastReplyAt));
        stream.lastReplyAt = doneAt;
        // A short batch emptied the slot: in MIGRATING state the source creates no new keys there.
        if (moved < batchKeys) drained = true;
        ctx.pace.refund(batchKeys - moved);
        ctx.progress.countMoved(moved, measure ? measuredBytes : undefined);
      }, (err: unknown) => { error ??= err; })
      .finally(() => { stream.permits.release(); inFlight.delete(batch); });
    inFlight.add(batch);
  }
  await Promise.all(inFlight);
  if (error === undefined) return;
  const text = errorText(error);
  if (/BUSYKEY/.test(text)) throw error;
  if (SCRIPTING_OFF.test(text)) throw new ScriptingUnavailable(text);
  throw new SlotMigrationError(`slot ${slot}: MIGRATE of a batch of up to ${ctx.pace.setting.batchKeys} keys to ${target.host}:${target.port} failed: ${text.replace(/ script: \w+, on @user_script:\d+\.?/, "")}`);
}
