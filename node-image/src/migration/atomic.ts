// The atomic move (Valkey ≥ 9, docs/architecture/migration.md#atomic-slot-migration): the source's
// CLUSTER MIGRATESLOTS moves the slots as jobs, each of which the engine snapshots, streams and hands
// over at once. The move is split into jobs by key count: with the latency guard each job holds
// level × ATOMIC_JOB_KEYS keys and waits for the guard's keys/s bucket (the pause between jobs);
// without it, one job takes every slot. A job is followed by its own name until it ends in success,
// failed or cancelled; its slots change owner only at success.
import { errorText } from "./connection.ts";
import type { MigrationContext } from "./context.ts";
import { planSlot } from "./clusterView.ts";
import { claimOnTarget, finalize } from "./setslot.ts";
import { moveSlotKeys } from "./key-by-key.ts";
import { sleep } from "../../../common/wait.ts";
import {
  describeSlots, findOwnJob, nextJob, otherActiveJobs, parseSlotMigrations, slotRangesText, terminalState, type SlotMigrationJob,
} from "./atomic-jobs.ts";

/** Keys per job at the guard's full pace (level 1); the guard starts at 1/4 and goes down to 1/64. */
export const ATOMIC_JOB_KEYS = 16_000;
/** How often a running job's state is read. */
const POLL_MS = 10;
/** Slots whose key counts are asked in one round trip before the jobs are cut. */
const COUNT_CHUNK_SLOTS = 256;
/** How long a job may stay unlisted after its MIGRATESLOTS was accepted. */
const LISTED_WITHIN_MS = 5_000;
/**
 * The source's job log is cut to this many entries (cluster-slot-migration-log-max-len, 1000 by
 * default) before a move. A job is polled every POLL_MS and CLUSTER GETSLOTMIGRATIONS answers with the
 * whole log: on real nodes a guarded 1M-key move of ≈ 550 jobs kept the target's sidecar at 80 % of a
 * core parsing a log of 1000 entries 100 times a second, and the source engine building it
 * (docs/architecture/migration.md#atomic-slot-migration). A job is found among the entries newer than
 * those listed before its call; 16 leaves room for the jobs of moves to other targets started meanwhile.
 */
export const JOB_LOG_ENTRIES = 16;

/**
 * Bytes per key, sampled on the source: MEMORY USAGE of up to 10 keys in each of the first 4 slots
 * given (ARGV). Returns { bytes, keys } of the sample.
 */
const SAMPLE_BYTES_SCRIPT = `
local bytes, keys = 0, 0
for i = 1, math.min(#ARGV, 4) do
  for _, k in ipairs(redis.call('CLUSTER', 'GETKEYSINSLOT', ARGV[i], 10)) do
    bytes = bytes + (redis.call('MEMORY', 'USAGE', k) or 0)
    keys = keys + 1
  end
end
return { bytes, keys }`;

export class AtomicMove {
  jobs = 0;
  private cancelSent = false;
  private readonly keysOf = new Map<number, number>();

  constructor(private readonly ctx: MigrationContext) {}

  private stopped(): boolean {
    return Boolean(this.ctx.opts.signal?.aborted || this.ctx.fatal);
  }

  async run(): Promise<void> {
    const { ctx } = this;
    const toMove: number[] = [];
    for (const slot of ctx.req.slots) {
      const plan = planSlot(slot, ctx.sourceView, ctx.targetView);
      if (plan.kind === "done") ctx.progress.slotsDone++;
      else if (plan.kind === "refuse") ctx.fail(slot, plan.reason);
      else if (plan.kind === "finalize" || plan.kind === "reclaim") {
        // Left half-done by a key-by-key move: finish it the same way.
        const stream = { redis: ctx.source, lastReplyAt: 0, permits: ctx.pace.windowFor() };
        const claimed = plan.kind === "reclaim" ? await claimOnTarget(ctx, [slot]) : [slot];
        await finalize(ctx, claimed, (s) => moveSlotKeys(ctx, s, stream, { sent: 0 }));
      } else toMove.push(slot);
    }
    if (toMove.length === 0) return;
    toMove.sort((a, b) => a - b);
    await this.shortenJobLog();
    // Every slot's key count, COUNT_CHUNK_SLOTS slots a round trip (the connection pipelines the calls
    // of a chunk): all 8192 of a half at once held ~20 MiB of pending commands (docs/footprint.md#bounded-buffers).
    const keysOf = this.keysOf;
    for (let i = 0; i < toMove.length; i += COUNT_CHUNK_SLOTS) {
      const chunk = toMove.slice(i, i + COUNT_CHUNK_SLOTS);
      const counts = await Promise.all(chunk.map((s) => ctx.source.call("CLUSTER", "COUNTKEYSINSLOT", String(s)).then(Number)));
      chunk.forEach((s, j) => keysOf.set(s, counts[j]));
    }
    let remaining = toMove;
    while (remaining.length > 0 && !this.stopped()) {
      const maxKeys = ctx.req.guard.enabled ? Math.max(1, Math.round(ctx.pace.level * ATOMIC_JOB_KEYS)) : Infinity;
      const job = nextJob(remaining, (s) => keysOf.get(s) ?? 0, maxKeys);
      // The guard's bucket spaces the jobs; each slot also costs the engines a little work of its own.
      if (ctx.req.guard.enabled) {
        await ctx.pace.reserve(job.keys);
        await ctx.pace.reserveSlots(job.slots.length);
        if (this.stopped()) break;
      }
      remaining = remaining.slice(job.slots.length);
      for (const s of job.slots) ctx.progress.activeSlots.add(s);
      try {
        await this.runJob(job.slots, job.keys);
      } finally {
        for (const s of job.slots) ctx.progress.activeSlots.delete(s);
      }
    }
    if (ctx.fatal && !ctx.opts.signal?.aborted) {
      for (const slot of remaining) ctx.fail(slot, `not started: ${ctx.fatal}; resume the migration when it is back`);
    }
  }

  /** One MIGRATESLOTS job, followed until it ends. */
  private async runJob(slots: number[], keys: number): Promise<void> {
    const { ctx } = this;
    const ranges = slotRangesText(slots);
    const targetId = ctx.targetView.myId;
    let job: SlotMigrationJob | undefined;
    try {
      const bytes = await this.sampleBytes(slots, keys);
      const namesBefore = new Set((await this.sourceJobs()).map((j) => j.name));
      const args = ["MIGRATESLOTS", "SLOTSRANGE", ...ranges.split(" ").flatMap((r) => r.split("-")), "NODE", targetId];
      await ctx.source.call("CLUSTER", ...args);
      this.jobs++;
      const submittedAt = ctx.clock.monotonicMs();
      for (;;) {
        const jobs = await this.sourceJobs();
        job = job ? jobs.find((j) => j.name === job!.name) : findOwnJob(jobs, namesBefore, ranges, targetId);
        if (!job && ctx.clock.monotonicMs() - submittedAt > LISTED_WITHIN_MS) {
          throw new Error(`the source accepted MIGRATESLOTS for ${describeSlots(slots)} but lists no such job`);
        }
        const end = job && terminalState(job.state);
        if (job && end) {
          this.settle(slots, keys, bytes, job, end);
          return;
        }
        if (job && ctx.opts.signal?.aborted && !this.cancelSent) await this.cancel(job, jobs);
        await sleep(POLL_MS);
      }
    } catch (err) {
      const where = job ? `job ${job.name.slice(0, 8)} (${job.state})` : "MIGRATESLOTS";
      for (const s of slots) ctx.fail(s, `atomic slot migration ${where}: ${errorText(err)}; resume to retry (a job that did not succeed leaves its slots with the source)`);
    }
  }

  /** JOB_LOG_ENTRIES on the source; an engine that refuses keeps its log (polling it then costs more). */
  private async shortenJobLog(): Promise<void> {
    try {
      const [, current] = (await this.ctx.source.call("CONFIG", "GET", "cluster-slot-migration-log-max-len")) as string[];
      if (current === undefined || Number(current) > JOB_LOG_ENTRIES) {
        await this.ctx.source.call("CONFIG", "SET", "cluster-slot-migration-log-max-len", String(JOB_LOG_ENTRIES));
      }
    } catch {
      // CONFIG refused (a renamed command, an ACL): the move goes on with the engine's log as it is.
    }
  }

  /** A job's bytes from a sample of its keys (one script run); undefined where scripts are refused. */
  private async sampleBytes(slots: readonly number[], keys: number): Promise<number | undefined> {
    if (this.ctx.scriptingUnavailable || keys === 0) return undefined;
    try {
      const [bytes, sampled] = (await this.ctx.source.eval(SAMPLE_BYTES_SCRIPT, 0, ...slots.filter((s) => (this.keysOf.get(s) ?? 0) > 0).slice(0, 4).map(String))) as number[];
      return sampled > 0 ? Math.round((keys * bytes) / sampled) : undefined;
    } catch {
      return undefined;
    }
  }

  private settle(slots: number[], keys: number, bytes: number | undefined, job: SlotMigrationJob, end: "success" | "failed" | "cancelled"): void {
    const { ctx } = this;
    if (end === "success") {
      ctx.progress.slotsDone += slots.length;
      ctx.progress.countMoved(keys, bytes);
    } else if (end === "cancelled" && this.cancelSent) {
      // Cancelled by this move: the slots stay with the source, unclaimed and not failed.
    } else {
      const why = job.message ? `: ${job.message}` : "";
      for (const s of slots) ctx.fail(s, `atomic slot migration job ${job.name.slice(0, 8)} ended ${end}${why}; the slots stay with the source; resume to retry`);
    }
  }

  /**
   * Cancels this move's running job. CANCELSLOTMIGRATIONS cancels every job of the engine it is sent
   * to: on the target that is only this move's (a target runs one migration at a time); the source
   * may also export to other targets, so it is asked only when ours is its only running job.
   */
  private async cancel(job: SlotMigrationJob, sourceJobs: readonly SlotMigrationJob[]): Promise<void> {
    const { ctx } = this;
    const onTarget = await ctx.target.call("CLUSTER", "CANCELSLOTMIGRATIONS").then(() => true, () => false);
    if (onTarget) this.cancelSent = true;
    else if (otherActiveJobs(sourceJobs, job.name).length === 0) {
      this.cancelSent = await ctx.source.call("CLUSTER", "CANCELSLOTMIGRATIONS").then(() => true, () => false);
    }
  }

  private async sourceJobs(): Promise<SlotMigrationJob[]> {
    return parseSlotMigrations(await this.ctx.source.call("CLUSTER", "GETSLOTMIGRATIONS"));
  }
}
