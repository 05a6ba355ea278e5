// The atomic move (Valkey ≥ 9): the source runs CLUSTER MIGRATESLOTS for the ranges it still owns;
// completion is judged from the target's view (it owns the slot), failures from CLUSTER
// GETSLOTMIGRATIONS. Cancel asks the source to CANCELSLOTMIGRATIONS; the engine keeps every slot with
// exactly one owner. The engine paces itself here, so this path runs only with no limit and no guard.
import { compactSlots } from "../../../common/slots.ts";
import { sleep } from "../../../common/wait.ts";
import type { MigrationContext } from "./context.ts";
import { clusterViewOf, planSlot } from "./clusterView.ts";
import { finalize } from "./setslot.ts";
import { moveSlotKeys } from "./key-by-key.ts";

function fieldsOf(entry: unknown[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < entry.length; i += 2) out[String(entry[i])] = String(entry[i + 1]);
  return out;
}

export async function runAtomicMove(ctx: MigrationContext): Promise<void> {
  const toMove: number[] = [];
  for (const slot of ctx.req.slots) {
    const plan = planSlot(slot, ctx.sourceView, ctx.targetView);
    if (plan.kind === "done") ctx.progress.slotsDone++;
    else if (plan.kind === "refuse") ctx.fail(slot, plan.reason);
    else if (plan.kind === "finalize") {
      const stream = { redis: ctx.source, lastReplyAt: 0, permits: ctx.pace.windowFor() };
      await finalize(ctx, [slot], (s) => moveSlotKeys(ctx, s, stream, { sent: 0 }));
    } else toMove.push(slot);
  }
  if (toMove.length === 0) return;
  const args: string[] = ["MIGRATESLOTS", "SLOTSRANGE"];
  for (const r of compactSlots(toMove)) args.push(String(r.start), String(r.end));
  args.push("NODE", ctx.targetView.myId);
  await ctx.source.call("CLUSTER", ...args);
  for (const s of toMove) ctx.progress.activeSlots.add(s);
  let cancelSent = false;
  const pending = new Set(toMove);
  while (pending.size > 0) {
    if (ctx.opts.signal?.aborted && !cancelSent) {
      cancelSent = true;
      await ctx.source.call("CLUSTER", "CANCELSLOTMIGRATIONS").catch(() => undefined);
    }
    await sleep(100);
    ctx.targetView = clusterViewOf(String(await ctx.target.call("CLUSTER", "NODES")));
    for (const s of [...pending]) {
      if (ctx.targetView.owners[s] === ctx.targetView.myId) {
        pending.delete(s);
        ctx.progress.activeSlots.delete(s);
        ctx.progress.slotsDone++;
        ctx.progress.keysMoved += Number(await ctx.target.call("CLUSTER", "COUNTKEYSINSLOT", String(s)));
      }
    }
    const jobs = (await ctx.source.call("CLUSTER", "GETSLOTMIGRATIONS")) as unknown[][];
    const active = jobs.map(fieldsOf).filter((j) => !/success|fail|cancel/i.test(j.state ?? ""));
    if (pending.size > 0 && active.length === 0) {
      const ended = jobs.map(fieldsOf).find((j) => /fail|cancel/i.test(j.state ?? ""));
      for (const s of pending) {
        if (!(cancelSent && /cancel/i.test(ended?.state ?? ""))) ctx.fail(s, `atomic slot migration ended with ${ended?.state ?? "no active job"}${ended?.message ? `: ${ended.message}` : ""}; resume to retry`);
        ctx.progress.activeSlots.delete(s);
      }
      return;
    }
  }
}
