// The engine's slot-migration jobs (Valkey ≥ 9, docs/architecture/migration.md#atomic-slot-migration),
// as plain data (pure): the CLUSTER GETSLOTMIGRATIONS reply, its terminal states, which job is ours, and
// how a move is split into jobs by key count.
import { compactSlots, formatSlotRanges } from "../../../common/slots.ts";

/** One entry of CLUSTER GETSLOTMIGRATIONS. */
export interface SlotMigrationJob {
  /** The job's 40-hex name; the source and the target list it under the same name. */
  name: string;
  operation: "IMPORT" | "EXPORT" | string;
  /** "0-99 200-299" */
  slotRanges: string;
  sourceNode: string;
  targetNode: string;
  state: string;
  message: string;
}

/**
 * The states a job ends in. Every other state (connecting, waiting-to-snapshot, snapshotting,
 * replicating, failover-paused, failover-granted, …) is still in progress: the slots change owner
 * only at success.
 */
export const TERMINAL_JOB_STATES = ["success", "failed", "cancelled"] as const;
export type TerminalJobState = (typeof TERMINAL_JOB_STATES)[number];

export function terminalState(state: string): TerminalJobState | undefined {
  return (TERMINAL_JOB_STATES as readonly string[]).includes(state) ? (state as TerminalJobState) : undefined;
}

/** CLUSTER GETSLOTMIGRATIONS: a list of flat field/value lists (newest first). */
export function parseSlotMigrations(reply: unknown): SlotMigrationJob[] {
  if (!Array.isArray(reply)) return [];
  return reply.filter(Array.isArray).map((entry: unknown[]) => {
    const f = new Map<string, string>();
    for (let i = 0; i + 1 < entry.length; i += 2) f.set(String(entry[i]), String(entry[i + 1]));
    return {
      name: f.get("name") ?? "", operation: f.get("operation") ?? "", slotRanges: f.get("slot_ranges") ?? "",
      sourceNode: f.get("source_node") ?? "", targetNode: f.get("target_node") ?? "", state: f.get("state") ?? "", message: f.get("message") ?? "",
    };
  });
}

/** The slot_ranges text the engine shows for these slots ("0-99 200-200"). */
export function slotRangesText(slots: readonly number[]): string {
  return compactSlots([...slots]).map((r) => `${r.start}-${r.end}`).join(" ");
}

/**
 * The job one MIGRATESLOTS call created on the source: an EXPORT to `targetId` of exactly these
 * ranges whose name was not listed before the call. The reply of MIGRATESLOTS names no job, so the
 * names seen before the call tell ours from older jobs of the same ranges (a retry, another move).
 */
export function findOwnJob(jobs: readonly SlotMigrationJob[], namesBefore: ReadonlySet<string>, ranges: string, targetId: string): SlotMigrationJob | undefined {
  return jobs.find((j) => j.operation === "EXPORT" && !namesBefore.has(j.name) && j.slotRanges === ranges && j.targetNode === targetId);
}

/** Jobs other than `name` still running on this engine. */
export function otherActiveJobs(jobs: readonly SlotMigrationJob[], name: string): SlotMigrationJob[] {
  return jobs.filter((j) => j.name !== name && !terminalState(j.state));
}

/**
 * The next job: slots in order, as many as fit in `maxKeys` keys (at least one slot, so a slot with
 * more keys than that still moves, alone). `keysOf` gives a slot's key count.
 */
export function nextJob(slots: readonly number[], keysOf: (slot: number) => number, maxKeys: number): { slots: number[]; keys: number } {
  const job: number[] = [];
  let keys = 0;
  for (const slot of slots) {
    const k = keysOf(slot);
    if (job.length > 0 && keys + k > maxKeys) break;
    job.push(slot);
    keys += k;
  }
  return { slots: job, keys };
}

/** "slots 0-99, 200" for messages. */
export function describeSlots(slots: readonly number[]): string {
  return `slots ${formatSlotRanges(compactSlots([...slots]))}`;
}
