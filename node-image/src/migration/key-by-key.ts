// The key-by-key move (docs/architecture/migration.md#one-move-step-by-step): slot streams take rounds of slots; per round the SETSLOT protocol
// opens the slots (setslot.ts), a batch strategy moves their keys (batch-engine.ts, or batch-driver.ts
// when a batch must be sized first, scripting is off, or BUSYKEY needs the keys by name), then the
// target claims them and the source and the other primaries are told.
import type { MigrationContext, Stream } from "./context.ts";
import { errorText } from "./connection.ts";
import { planSlot } from "./clusterView.ts";
import { claimOnTarget, finalize, openSlots } from "./setslot.ts";
import { MAX_SCRIPTED_BATCH_KEYS, ScriptingUnavailable, moveKeysInEngine } from "./batch-engine.ts";
import { moveKeysThroughDriver } from "./batch-driver.ts";

export class KeyByKeyMove {
  private readonly batchCounter = { sent: 0 };

  constructor(private readonly ctx: MigrationContext) {}

  private stopped(): boolean {
    return Boolean(this.ctx.opts.signal?.aborted || this.ctx.fatal);
  }

  /** Every slot of the request, `parallelSlots` streams (each its own connection to the source) taking rounds. */
  async run(): Promise<void> {
    const { ctx } = this;
    const queue = [...ctx.req.slots];
    const streamCount = Math.min(ctx.req.parallelSlots, Math.ceil(queue.length / ctx.req.slotsPerRound) || 1);
    const streams: Stream[] = [];
    for (let i = 0; i < streamCount; i++) {
      const redis = await ctx.connect(ctx.req.source, `mdb-migration-stream-${i}`);
      streams.push({ redis, lastReplyAt: 0, permits: ctx.pace.windowFor() });
    }
    const onAbort = () => ctx.pace.wake();
    ctx.opts.signal?.addEventListener("abort", onAbort, { once: true });
    const worker = async (stream: Stream, index: number): Promise<void> => {
      for (;;) {
        if (this.stopped() || queue.length === 0) return;
        // The guard may run fewer streams than configured: this one waits until it is needed again
        // (or until there is nothing left to take).
        if (!ctx.pace.streamActive(index)) {
          await ctx.pace.changed();
          continue;
        }
        const round = queue.splice(0, ctx.req.slotsPerRound);
        for (const s of round) ctx.progress.activeSlots.add(s);
        try {
          await this.migrateRound(round, stream);
        } finally {
          for (const s of round) ctx.progress.activeSlots.delete(s);
        }
      }
    };
    try {
      await Promise.all(streams.map((s, i) => worker(s, i).finally(() => ctx.pace.wake())));
    } finally {
      ctx.opts.signal?.removeEventListener("abort", onAbort);
    }
    if (ctx.fatal && !ctx.opts.signal?.aborted) {
      for (const slot of queue) ctx.fail(slot, `not started: ${ctx.fatal}; resume the migration when it is back`);
    }
  }

  private async migrateRound(slots: readonly number[], stream: Stream): Promise<void> {
    const { ctx } = this;
    const toMove: number[] = [];
    const claimed: number[] = [];
    const reclaim: number[] = [];
    for (const slot of slots) {
      const plan = planSlot(slot, ctx.sourceView, ctx.targetView);
      if (plan.kind === "done") ctx.progress.slotsDone++;
      else if (plan.kind === "refuse") ctx.fail(slot, plan.reason);
      else if (plan.kind === "finalize") claimed.push(slot);
      else if (plan.kind === "reclaim") reclaim.push(slot);
      else toMove.push(slot);
    }
    await ctx.pace.reserveSlots(toMove.length + claimed.length + reclaim.length);
    const open = await openSlots(ctx, toMove);
    // The keys of every slot of the round, sharing the stream's window of batches.
    const moved = await Promise.all(open.map((s) => this.moveKeys(s, stream).then(() => s, (err: unknown) => { ctx.fail(s, err); return undefined; })));
    claimed.push(...await claimOnTarget(ctx, [...reclaim, ...moved.filter((s): s is number => s !== undefined)]));
    await finalize(ctx, claimed, (slot) => this.moveKeys(slot, stream));
  }

  /** Moves every key of `slot` still on the source. */
  moveKeys(slot: number, stream: Stream): Promise<void> {
    return moveSlotKeys(this.ctx, slot, stream, this.batchCounter);
  }
}

/**
 * MIGRATE's IOERR means the target did not connect or answer within migrateTimeoutMs (a busy or
 * briefly paused target): the slot's keys are tried again this many times, after 250, 500 and 1000 ms,
 * before the slot fails. A retry is safe: a key the target took before the error comes back as BUSYKEY
 * and is resolved by name (batch-driver.ts), and the source deletes nothing it was not told about.
 */
export const IOERR_RETRIES = 3;

export async function moveSlotKeys(ctx: MigrationContext, slot: number, stream: Stream, batchCounter: { sent: number }): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await moveSlotKeysOnce(ctx, slot, stream, batchCounter);
      return;
    } catch (err) {
      if (attempt >= IOERR_RETRIES || !/IOERR/.test(errorText(err)) || ctx.opts.signal?.aborted || ctx.fatal) throw err;
      await new Promise<void>((resolve) => ctx.clock.setTimeout(resolve, 250 * 2 ** attempt));
    }
  }
}

async function moveSlotKeysOnce(ctx: MigrationContext, slot: number, stream: Stream, batchCounter: { sent: number }): Promise<void> {
  // Under an explicit rate limit the batch must be sized before it is sent (the token bucket charges
  // its bytes), so the driver lists the keys; otherwise the engine lists and moves them in one step.
  if (!ctx.pace.limiter.limited && ctx.req.batchKeys <= MAX_SCRIPTED_BATCH_KEYS && !ctx.scriptingUnavailable) {
    try {
      await moveKeysInEngine(ctx, slot, stream, batchCounter);
      return;
    } catch (err) {
      if (err instanceof ScriptingUnavailable) ctx.scriptingUnavailable = true;
      // BUSYKEY needs the keys by name (DUMP on both sides): finish the slot through the driver.
      else if (!/BUSYKEY/.test(errorText(err))) throw err;
    }
  }
  await moveKeysThroughDriver(ctx, slot, stream, batchCounter);
}
