// What `npm run demo -- scale N` prints while the demo cluster scales (docs/usage.md#scale), from the
// MdbCluster as read: a progress bar from status.migration (or status.plan.progress), the plan's waves
// of slot moves, and whether the scale is over.
import type { MdbCluster } from "../../operator/src/api/generated/mdbcluster.ts";
import { isReady } from "./report.ts";

export interface WaveCount { done: number; total: number; running: number[] }

/** The plan's move-slots steps grouped by wave (status carries a move's wave in its `shard` field). */
export function waves(c: MdbCluster): WaveCount {
  const byWave = new Map<number, boolean[]>();
  for (const s of c.status?.plan?.steps ?? []) {
    if (s.kind !== "move-slots") continue;
    const wave = s.shard ?? 0;
    byWave.set(wave, [...(byWave.get(wave) ?? []), s.state === "done"]);
  }
  const sorted = [...byWave].sort(([a], [b]) => a - b);
  const done = sorted.filter(([, states]) => states.every(Boolean)).length;
  const running = sorted.filter(([, states]) => !states.every(Boolean) && states.some(Boolean)).map(([w]) => w + 1);
  return { done, total: sorted.length, running };
}

/** Share of the plan's slots moved, 0–100: status.migration ("37%") while it moves, else the plan's progress. */
export function percentMoved(c: MdbCluster): number {
  const shown = /^(\d+)%$/.exec(c.status?.migration ?? "");
  if (shown) return Math.min(100, Number(shown[1]));
  const p = c.status?.plan?.progress;
  if (p?.slotsTotal) return Math.floor((100 * (p.slotsDone ?? 0)) / p.slotsTotal);
  return c.status?.plan?.phase === "Succeeded" ? 100 : 0;
}

/** "[########------------]  40%" */
export function bar(percent: number, width = 30): string {
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(percent).padStart(3)}%`;
}

/** The plan this scale started: one written after `since` (ISO time), not the last plan of before. */
export function planOfThisScale(c: MdbCluster, since: string): boolean {
  const started = c.status?.plan?.startedAt;
  return started !== undefined && started >= since;
}

/** One line: bar, phase, plan steps, waves, shards owning slots. */
export function scaleLine(c: MdbCluster, since: string, width = 30): string {
  const s = c.status;
  const ours = planOfThisScale(c, since);
  const plan = ours ? s?.plan : undefined;
  const parts = [bar(plan ? percentMoved(c) : 0, width), s?.phase ?? "no status"];
  if (plan) {
    const p = plan.progress;
    parts.push(`plan ${plan.kind} ${plan.phase}${p?.stepsTotal ? ` ${p.stepsDone ?? 0}/${p.stepsTotal} steps` : ""}`);
    const w = waves(c);
    if (w.total > 0) parts.push(`waves ${w.done}/${w.total}${w.running.length ? ` (wave ${w.running.join(", ")} moving)` : ""}`);
    if (p?.slotsTotal) parts.push(`slots ${p.slotsDone ?? 0}/${p.slotsTotal}`);
  } else {
    parts.push("waiting for the plan");
  }
  parts.push(`shards with slots ${s?.shards ?? "?"}/${c.spec.shards ?? "?"}`);
  const blocked = s?.conditions?.find((x) => x.type === "Degraded" && x.status === "True");
  if (blocked?.message) parts.push(`Degraded: ${blocked.message}`);
  return parts.join(" · ");
}

/** Over: Ready for the current spec, `shards` shards own slots, and this scale's plan (if any) Succeeded. */
export function scaleDone(c: MdbCluster, shards: number, since: string): boolean {
  if (!isReady(c) || c.status?.shards !== shards) return false;
  const plan = c.status?.plan;
  return !planOfThisScale(c, since) || plan?.phase === "Succeeded";
}
