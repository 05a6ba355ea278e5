// move-slots: the slots the source shard's primary still owns of this step move to the target shard's
// primary, through the target's sidecar (MigrateSlots: keys first, then ownership; docs/architecture/migration.md),
// paced by spec.migration. Whatever the source no longer owns is not asked again, so a move cut short
// (an operator restart, a sidecar crash, a pause) resumes with what is left; a slot of the step that no
// primary claims (the source gave it away, the target's claim was lost) is asked again too, and the
// target claims it. Done when the target owns every slot of the step and the source none (judged from
// the reports: stepFinished).
import { compactSlots, countSlots, formatSlotRanges, rangesToSlots, type SlotRange } from "../../../common/slots.ts";
import type { ResolvedSpec } from "../api/types.ts";
import { servingPrimary } from "../model/members.ts";
import type { MemberView } from "../model/observation.ts";
import type { MoveSlotsStep, PlannedStep } from "../planner/index.ts";
import { ENGINE_PORT } from "../resources/names.ts";
import type { MemberStatus, MigrateSlotsParams, MigrationProgress } from "../sidecar/types.ts";
import { SidecarCallError } from "../sidecar/client.ts";
import type { ExecutorContext, StepResult } from "./context.ts";

const running = (message: string): StepResult => ({ state: "running", message });

/** The part of `slots` that `owned` covers. */
export function overlap(slots: readonly SlotRange[], owned: readonly SlotRange[]): SlotRange[] {
  const out: SlotRange[] = [];
  for (const s of slots) for (const o of owned) {
    const start = Math.max(s.start, o.start);
    const end = Math.min(s.end, o.end);
    if (start <= end) out.push({ start, end });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** spec.migration as the sidecar's MigrateSlots knobs. */
export function migrationKnobs(spec: ResolvedSpec): Omit<MigrateSlotsParams, "source" | "slots" | "otherPrimaries"> {
  const m = spec.migration;
  const g = m.latencyGuard;
  return {
    batchKeys: m.batchKeys, window: m.window,
    ...(m.rate.keysPerSecond || m.rate.bytesPerSecond ? { rate: m.rate } : {}),
    ...(m.schedule.length > 0 ? { schedule: m.schedule } : {}),
    guard: g.enabled ? { ...(g.budgetFactor ? { budgetFactor: g.budgetFactor } : {}), ...(g.budgetMs ? { budgetMs: g.budgetMs } : {}) } : { disabled: true },
  };
}

/**
 * The part of `slots` no primary claims as its own, judged only when every member reports (a silent
 * primary's slots are unknown, not unclaimed).
 */
export function unclaimed(slots: readonly SlotRange[], members: readonly MemberView[]): SlotRange[] {
  const live = members.filter((m) => !m.terminating);
  if (live.some((m) => m.unknown || !m.status?.engineUp)) return [];
  const claimed = new Set(live.filter((m) => m.status!.role === "PRIMARY").flatMap((m) => rangesToSlots(m.status!.slots)));
  return compactSlots(rangesToSlots(slots).filter((s) => !claimed.has(s)));
}

export async function advanceMoveSlots(step: PlannedStep<MoveSlotsStep>, ctx: ExecutorContext, plan: readonly PlannedStep[]): Promise<StepResult> {
  const o = ctx.observation;
  // The source shard's primary, even once it owns no slot (it still knows whom it gave them to).
  const source = servingPrimary(o.members, step.from)
    ?? o.members.find((m) => m.shard === step.from && !m.terminating && !m.unknown && m.status?.engineUp && m.status.role === "PRIMARY");
  // The shard's serving primary, or the member this plan placed as its primary (a new shard owns no
  // slot yet), or the one primary of the shard its standbys follow; never a member that is briefly an
  // empty primary before it follows.
  const intended = plan.find((s) => s.kind === "place-member" && s.shard === step.to && s.role === "primary");
  const primaries = o.members.filter((m) => m.shard === step.to && m.status?.role === "PRIMARY" && !m.terminating && !m.unknown);
  const followed = primaries.filter((p) => o.members.some((s) => s.shard === step.to && s.status?.replication?.primaryNodeId === p.status!.nodeId));
  const target = servingPrimary(o.members, step.to)
    ?? primaries.find((m) => intended?.kind === "place-member" && m.name === intended.member)
    ?? (followed.length === 1 ? followed[0] : undefined)
    ?? (!intended && primaries.length === 1 ? primaries[0] : undefined);
  if (!target) return running(`shard ${step.to} has no primary to move slots to yet`);
  const left = source ? [...overlap(step.slots, source.status!.slots), ...unclaimed(step.slots, o.members)].sort((a, b) => a.start - b.start) : [];
  if (left.length === 0) return running(`shard ${step.from} owns none of ${formatSlotRanges(step.slots)} now; waiting for shard ${step.to}'s report`);
  const client = ctx.sidecar(target.name);
  if (!client) return running(`no connection to ${target.name}'s sidecar`);
  const otherPrimaries = o.members.filter((m) => m.status?.role === "PRIMARY" && m !== source && m !== target && m.ip && !m.unknown && m.status.slotsOwned > 0).map((m) => ({ host: m.ip, port: ENGINE_PORT }));
  // A member runs one migration at a time: a move into it from another shard waits for that one.
  const busy = (m: { migration: MemberStatus["migration"] } | undefined) =>
    m?.migration && m.migration.source && m.migration.source.host !== source!.ip ? m.migration.source.host : undefined;
  const other = busy(target.status ?? undefined);
  if (other) return running(`${target.name} imports from ${o.members.find((m) => m.ip === other)?.name ?? other} (another move); one migration at a time per member`);
  let last: MigrationProgress | undefined;
  try {
    for await (const p of client.migrateSlots({ source: { host: source!.ip, port: ENGINE_PORT }, slots: left, otherPrimaries, ...migrationKnobs(ctx.spec) })) last = p;
  } catch (err) {
    if (!(err instanceof SidecarCallError)) throw err;
    // Another command holds the member this moment (another move starting): look again next pass.
    if (/in progress on this member/.test(err.details)) return running(`${target.name} is busy with another command; the move starts when it is free`);
    if (err.code === "ALREADY_EXISTS") {
      // A migration this process did not start (left by an earlier leader, or cut off from its caller)
      // is cancelled if it is this move's (from its source), and the next pass moves what is left;
      // another move's is waited for.
      const now = await client.status().catch(() => undefined);
      const elsewhere = busy(now);
      if (elsewhere) return running(`${target.name} imports from ${o.members.find((m) => m.ip === elsewhere)?.name ?? elsewhere} (another move); one migration at a time per member`);
      await client.cancelMigration().catch(() => undefined);
      return running(`${target.name}: a migration left running there was cancelled; the move resumes with what is left`);
    }
    return running(`${target.name}: ${err.details}`);
  }
  const moved = last ? `${last.slotsDone}/${last.slotsTotal} slots, ${last.keysMoved} keys, ${last.bytesMoved} bytes in ${(last.elapsedMs / 1000).toFixed(1)} s` : "no progress reported";
  const counts = { moved: { keys: last?.keysMoved ?? 0, bytes: last?.bytesMoved ?? 0 } };
  if (last?.failedSlots.length) return { ...running(`${source!.name} → ${target.name}: ${moved}; ${last.failedSlots.length} slots failed (first: ${last.failedSlots[0].slot}: ${last.failedSlots[0].error}); retried`), ...counts };
  if (last?.cancelled) return { ...running(`${source!.name} → ${target.name}: cancelled after ${moved}; resumes with what is left`), ...counts };
  return { ...running(`${source!.name} → ${target.name}: ${countSlots(left)} slots moved (${moved}); waiting for the reports`), ...counts };
}

/** Ask each target member's sidecar to stop its migration after the batches in flight (a pause). */
export async function pauseMoves(targets: readonly string[], ctx: ExecutorContext): Promise<void> {
  await Promise.all(targets.map((t) => ctx.sidecar(t)?.cancelMigration().catch(() => undefined)));
}
