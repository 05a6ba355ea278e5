// The SETSLOT protocol of a move (docs/architecture/migration.md#one-move-step-by-step, steps 1 and 3): IMPORTING on the target, MIGRATING on the
// source, the target's claim, then NODE on the source and the other primaries — batched per round.
import type { Redis } from "ioredis";
import type { MigrationContext } from "./context.ts";
import { SCRIPTING_OFF, errorText } from "./connection.ts";

/**
 * CLUSTER SETSLOT for many slots in one run. ARGV: mode, a, b, slots. "state": SETSLOT <slot> <a> <b>
 * (a = IMPORTING | MIGRATING | NODE, b = node id). "claim": SETSLOT <slot> STABLE, then NODE <a>; if NODE
 * is refused, IMPORTING <b> again; after all slots one CLUSTER BUMPEPOCH. Returns per slot 1 or the error.
 */
const SETSLOTS_SCRIPT = `
local mode, a, b = ARGV[1], ARGV[2], ARGV[3]
local function failed(r) return type(r) == 'table' and r.err end
local out = {}
for i = 4, #ARGV do
  local slot, r = ARGV[i], nil
  if mode == 'claim' then
    r = redis.pcall('CLUSTER', 'SETSLOT', slot, 'STABLE')
    if not failed(r) then
      r = redis.pcall('CLUSTER', 'SETSLOT', slot, 'NODE', a)
      if failed(r) then redis.pcall('CLUSTER', 'SETSLOT', slot, 'IMPORTING', b) end
    end
  else
    r = redis.pcall('CLUSTER', 'SETSLOT', slot, a, b)
  end
  out[#out + 1] = failed(r) or 1
end
if mode == 'claim' then redis.pcall('CLUSTER', 'BUMPEPOCH') end
return out`;

/** Per slot the engine's error, or null; "claim" runs STABLE + NODE <a> per slot (IMPORTING <b> again if NODE fails) and BUMPEPOCH (before and after, without a script). */
async function runSetSlots(ctx: MigrationContext, redis: Redis, mode: "state" | "claim", slots: readonly number[], a: string, b: string): Promise<(string | null)[]> {
  if (slots.length === 0) return [];
  if (!ctx.scriptingUnavailable && ctx.setSlotScriptable) {
    try {
      const replies = (await redis.eval(SETSLOTS_SCRIPT, 0, mode, a, b, ...slots.map(String))) as unknown[];
      return slots.map((_, i) => (replies[i] === 1 ? null : String(replies[i] ?? "no reply")));
    } catch (err) {
      if (!SCRIPTING_OFF.test(errorText(err))) return slots.map(() => errorText(err));
      ctx.scriptingUnavailable = true;
    }
  }
  const pipeline = redis.pipeline();
  // Without a script the engine reads the bus between the commands: a claim made at the target's old
  // epoch loses to the source's PING, which still claims the slots at a higher one, and the engine
  // deletes the keys it holds there ("dirty slots"). Bumped first, the target's epoch is above the
  // source's before its first claim.
  if (mode === "claim") pipeline.call("CLUSTER", "BUMPEPOCH");
  for (const s of slots) {
    if (mode === "state") pipeline.call("CLUSTER", "SETSLOT", String(s), a, b);
    else pipeline.call("CLUSTER", "SETSLOT", String(s), "STABLE").call("CLUSTER", "SETSLOT", String(s), "NODE", a);
  }
  if (mode === "claim") pipeline.call("CLUSTER", "BUMPEPOCH");
  let results: [Error | null, unknown][];
  try {
    results = (await pipeline.exec()) ?? [];
  } catch (err) {
    return slots.map(() => errorText(err));
  }
  const perSlot = mode === "state" ? 1 : 2;
  const first = mode === "claim" ? 1 : 0;
  const errors = slots.map((_, i) => {
    const failed = results.slice(first + i * perSlot, first + (i + 1) * perSlot).find(([err]) => err)?.[0] ?? (results.length === 0 ? new Error("no reply") : null);
    return failed ? failed.message : null;
  });
  if (mode === "claim") {
    // Without a script the claim is not atomic; a slot whose NODE failed is put back to IMPORTING.
    const back = slots.filter((_, i) => errors[i] !== null);
    if (back.length > 0) await runSetSlots(ctx, redis, "state", back, "IMPORTING", b);
  }
  return errors;
}

/**
 * CLUSTER SETSLOT <slot> <state> <nodeId> for every slot, in one script run or, where scripting is
 * off, one pipeline. Every SETSLOT makes the engine rewrite nodes.conf before it next waits for
 * clients; done together, that is paid once per round instead of once per slot. Returns the slots
 * whose command succeeded; the others are failed with the engine's answer (unless `failQuietly`).
 */
export async function setSlots(ctx: MigrationContext, redis: Redis, engine: string, slots: readonly number[], state: string, nodeId: string, failQuietly = false): Promise<number[]> {
  const errors = await runSetSlots(ctx, redis, "state", slots, state, nodeId);
  const ok: number[] = [];
  slots.forEach((s, i) => {
    const err = errors[i];
    if (err === null) ok.push(s);
    else if (!failQuietly) ctx.fail(s, `slot ${s}: CLUSTER SETSLOT ${state} on the ${engine} failed: ${err}`);
  });
  return ok;
}

/** Step 1 for a round: IMPORTING on the target first (so an ASK from the source finds it ready), then MIGRATING on the source. Returns the slots open on both. */
export async function openSlots(ctx: MigrationContext, slots: readonly number[]): Promise<number[]> {
  const sourceId = ctx.sourceView.myId;
  const targetId = ctx.targetView.myId;
  const importing = [
    ...slots.filter((s) => ctx.targetView.importing.get(s) === sourceId),
    ...await setSlots(ctx, ctx.target, "target", slots.filter((s) => ctx.targetView.importing.get(s) !== sourceId), "IMPORTING", sourceId),
  ];
  return [
    ...importing.filter((s) => ctx.sourceView.migrating.get(s) === targetId),
    ...await setSlots(ctx, ctx.source, "source", importing.filter((s) => ctx.sourceView.migrating.get(s) !== targetId), "MIGRATING", targetId),
  ];
}

/**
 * The target takes ownership of a round's emptied slots in one script run: per slot STABLE then
 * NODE <target>, then one CLUSTER BUMPEPOCH. (SETSLOT NODE on a slot still IMPORTING would bump the
 * epoch and broadcast a PONG to every node for each slot: thousands of broadcasts whose receivers
 * each scan all 16384 slots, which cost the engines more CPU than the keys did.) The epoch is bumped
 * once for the round, as the engine would per slot, so the target's claim wins over the source's
 * older one; the source and the other primaries are told directly right after (finalize). A script
 * is atomic: no client command runs between STABLE and NODE, so an ASK never meets a slot the target
 * neither imports nor owns. A slot whose NODE is refused goes back to IMPORTING.
 */
export async function claimOnTarget(ctx: MigrationContext, slots: readonly number[]): Promise<number[]> {
  const errors = await runSetSlots(ctx, ctx.target, "claim", slots, ctx.targetView.myId, ctx.sourceView.myId);
  return slots.filter((s, i) => {
    if (errors[i] === null) return true;
    ctx.fail(s, `slot ${s}: CLUSTER SETSLOT NODE on the target failed: ${errors[i]}; resume to finish`);
    return false;
  });
}

/**
 * Step 3 after the target's claim: NODE <target> on the source, then on the other primaries.
 * `moveRest` moves keys the source still holds of a slot (it refuses NODE while it has any).
 */
export async function finalize(ctx: MigrationContext, slots: readonly number[], moveRest: (slot: number) => Promise<void>): Promise<void> {
  const targetId = ctx.targetView.myId;
  const updated = await setSlots(ctx, ctx.source, "source", slots, "NODE", targetId, true);
  const retry = slots.filter((s) => !updated.includes(s));
  for (const slot of retry) {
    // The source refuses while it still holds keys of the slot (e.g. a resume after the target had
    // claimed it, or a key resurrected by a crash): move what is left, then try again.
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await ctx.source.call("CLUSTER", "SETSLOT", String(slot), "NODE", targetId);
          break;
        } catch (err) {
          if (!/still hold keys/i.test(errorText(err)) || attempt >= 3) throw err;
          await moveRest(slot);
        }
      }
      updated.push(slot);
    } catch (err) {
      ctx.fail(slot, `slot ${slot}: the target owns it but the source was not updated (${errorText(err)}); resume to finish`);
    }
  }
  // Other primaries also learn the owner from gossip (the target bumped its epoch); telling them
  // directly only makes their MOVED answers right sooner, so a failure there is not a slot failure.
  await Promise.all(ctx.others.map((o) => setSlots(ctx, o, "peer", updated, "NODE", targetId, true)));
  ctx.progress.slotsDone += updated.length;
}
