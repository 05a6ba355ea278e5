// Key-moving strategy 2: the driver lists a slot's keys (GETKEYSINSLOT) and sends MIGRATE … KEYS
// batches. Used when a batch must be sized before it is sent (an explicit rate limit charges it),
// when scripting is unavailable, for batches too large for a script, and to resolve BUSYKEY by name.
import type { Redis } from "ioredis";
import type { MigrationContext, Stream } from "./context.ts";
import { SlotMigrationError } from "./connection.ts";

/** ioredis generates a Buffer-returning variant of every command at run time; its types omit this one. */
interface BufferCluster { clusterBuffer(subcommand: "GETKEYSINSLOT", slot: string, count: string): Promise<Buffer[]> }

/** Sum and count of MEMORY USAGE over the keys in ARGV (missing keys are skipped). */
const BATCH_BYTES_SCRIPT =
  "local bytes, present = 0, 0 for _, key in ipairs(ARGV) do local used = redis.call('MEMORY', 'USAGE', key) " +
  "if used then bytes = bytes + used present = present + 1 end end return { bytes, present }";

function getKeys(slot: number, stream: Stream, count: number, clock: MigrationContext["clock"]): Promise<Buffer[]> {
  // clusterBuffer (not callBuffer: ioredis' auto-pipelining drops callBuffer's command name) keeps
  // binary keys intact.
  return (stream.redis as unknown as BufferCluster).clusterBuffer("GETKEYSINSLOT", String(slot), String(count))
    .then((keys) => { stream.lastReplyAt = clock.monotonicMs(); return keys; });
}

export async function moveKeysThroughDriver(ctx: MigrationContext, slot: number, stream: Stream, batchCounter: { sent: number }): Promise<void> {
  // One page is the keys of the batches that may be in flight; the pace may change between pages.
  const pageSize = () => ctx.pace.setting.batchKeys * ctx.pace.setting.window;
  let size = pageSize();
  let page = getKeys(slot, stream, size, ctx.clock);
  for (;;) {
    const keys = await page;
    if (keys.length === 0) return;
    const batchKeys = ctx.pace.setting.batchKeys;
    let error: unknown;
    const tasks: Promise<void>[] = [];
    for (let start = 0; start < keys.length && error === undefined; start += batchKeys) {
      await stream.permits.acquire();
      if (error !== undefined) {
        stream.permits.release();
        break;
      }
      const batch = keys.slice(start, start + batchKeys);
      const estimatedBytes = await ctx.pace.reserve(batch.length);
      tasks.push(migrateBatch(ctx, slot, batch, stream, estimatedBytes, batchCounter)
        .catch((err: unknown) => { error ??= err; })
        .finally(() => stream.permits.release()));
    }
    // A short page held every key of the slot; in MIGRATING state the source creates no new keys
    // there (a write to a missing key is sent to the target with ASK), so the slot is empty now.
    // (If not, the source refuses SETSLOT NODE and finalize() moves the rest.)
    const complete = keys.length < size;
    // Otherwise the next page is pipelined behind the batches: answered once they ran, it lists the keys still here.
    if (error === undefined && !complete) {
      size = pageSize();
      page = getKeys(slot, stream, size, ctx.clock);
    }
    await Promise.all(tasks);
    if (error !== undefined) {
      page.catch(() => undefined);
      throw error;
    }
    if (complete) return;
  }
}

function migrateArgs(ctx: MigrationContext, keys: Buffer[], replace: boolean): (string | Buffer)[] {
  const { target, username, password, migrateTimeoutMs } = ctx.req;
  const args: (string | Buffer)[] = [target.host, String(target.port), "", "0", String(migrateTimeoutMs)];
  if (replace) args.push("REPLACE");
  if (username && password) args.push("AUTH2", username, password);
  else if (password) args.push("AUTH", password);
  args.push("KEYS", ...keys);
  return args;
}

async function migrateBatch(ctx: MigrationContext, slot: number, keys: Buffer[], stream: Stream, estimatedBytes: number, batchCounter: { sent: number }): Promise<void> {
  // One script per batch sums MEMORY USAGE (sampled by the engine, O(1) for strings) of the keys
  // for rate control and progress; it runs in the same pipeline right before the MIGRATE.
  // Plain calls (not a Pipeline object): auto-pipelining writes every slot's batches of this tick at once.
  const settle = (p: Promise<unknown>): Promise<[Error | null, unknown]> =>
    p.then((v) => [null, v] as [null, unknown], (e: unknown) => [e instanceof Error ? e : new Error(String(e)), null] as [Error, null]);
  // Bytes are measured on every batch under a bytes/s limit, else on one batch in 16 (the first one
  // included) and estimated from the running average in between: the script costs engine time.
  const measure = !ctx.scriptingUnavailable && (ctx.pace.limiter.bytesLimited || batchCounter.sent++ % 16 === 0);
  const measured = measure ? settle(stream.redis.call("EVAL", BATCH_BYTES_SCRIPT, "0", ...keys)) : Promise.resolve([new Error("not sampled"), null] as [Error, null]);
  const migrated = settle(stream.redis.call("MIGRATE", ...migrateArgs(ctx, keys, false)));
  const sentAt = ctx.clock.monotonicMs();
  const results = await Promise.all([measured, migrated]);
  const doneAt = ctx.clock.monotonicMs();
  ctx.progress.noteBlock(doneAt - Math.max(sentAt, stream.lastReplyAt));
  stream.lastReplyAt = doneAt;

  const [sizeError, size] = results[0] ?? [new Error("no reply")];
  const [migrateError] = results[1] ?? [new Error("no reply to MIGRATE")];
  if (migrateError) {
    if (!/BUSYKEY/.test(migrateError.message)) {
      throw new SlotMigrationError(`slot ${slot}: MIGRATE of ${keys.length} keys to ${ctx.req.target.host}:${ctx.req.target.port} failed: ${migrateError.message}`);
    }
    await resolveBusyKeys(ctx, slot, keys, stream);
  }
  // Not sampled, or the script could not see a key a client deleted meanwhile (the engine answers
  // ASK inside it): the batch is counted from the running average.
  const sized = !sizeError && Array.isArray(size) ? size : undefined;
  const bytes = ctx.progress.countMoved(sized ? Number(sized[1]) : keys.length, sized ? Number(sized[0]) : undefined);
  ctx.pace.limiter.settle(keys.length, estimatedBytes, bytes, ctx.clock.monotonicMs());
}

/**
 * BUSYKEY: some keys already exist on the target — typically a resume after the source died
 * between the target's RESTORE and its own DEL. As redis-cli does: when both copies are byte-equal
 * (DUMP), MIGRATE again with REPLACE (it only drops the source's duplicate); when they differ, the
 * slot fails and names the keys, because neither copy is provably the newer one.
 */
async function resolveBusyKeys(ctx: MigrationContext, slot: number, keys: Buffer[], stream: Stream): Promise<void> {
  const sourceDumps = await dumpAll(stream.redis, keys, false);
  const stillHere = keys.filter((_, i) => sourceDumps[i] !== null);
  if (stillHere.length === 0) return;
  const targetDumps = await dumpAll(ctx.target, stillHere, true);
  const differing = stillHere.filter((_, i) => {
    const onTarget = targetDumps[i];
    const onSource = sourceDumps[keys.indexOf(stillHere[i])];
    return onTarget !== null && onSource !== null && !onTarget.equals(onSource);
  });
  if (differing.length > 0) {
    const names = differing.slice(0, 5).map((k) => k.toString()).join(", ");
    throw new SlotMigrationError(`slot ${slot}: ${differing.length} key(s) exist on both source and target with different values (${names}${differing.length > 5 ? ", …" : ""}); keep the right copy, delete the other, then resume`);
  }
  const [[err]] = (await stream.redis.pipeline().call("MIGRATE", ...migrateArgs(ctx, stillHere, true)).exec()) ?? [[new Error("no reply")]];
  if (err) throw new SlotMigrationError(`slot ${slot}: MIGRATE REPLACE of ${stillHere.length} duplicate keys failed: ${err.message}`);
}

async function dumpAll(redis: Redis, keys: Buffer[], asking: boolean): Promise<(Buffer | null)[]> {
  const pipeline = redis.pipeline();
  for (const key of keys) {
    // The target serves keys of a slot it is importing only after ASKING.
    if (asking) pipeline.call("ASKING");
    pipeline.dumpBuffer(key);
  }
  const results = (await pipeline.exec()) ?? [];
  const step = asking ? 2 : 1;
  return keys.map((_, i) => {
    const [err, value] = results[i * step + step - 1] ?? [];
    if (err) throw new SlotMigrationError(`DUMP failed while checking BUSYKEY duplicates: ${err.message}`);
    return Buffer.isBuffer(value) ? value : null;
  });
}
