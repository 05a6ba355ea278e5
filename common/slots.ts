// The engine's 16384 hash slots and inclusive slot ranges: one definition for the planner, the
// operator, the sidecar and the migration engine (pure).
export const SLOT_COUNT = 16384;

/** Inclusive range of slots. */
export interface SlotRange {
  start: number;
  end: number;
}

/** A slot range text that does not parse; `field` names the input it came from. */
export class SlotRangeError extends Error {
  constructor(readonly field: string, detail: string) {
    super(`${field}: ${detail}`);
    this.name = "SlotRangeError";
  }
}

export function countSlots(ranges: readonly SlotRange[]): number {
  let total = 0;
  for (const r of ranges) total += r.end - r.start + 1;
  return total;
}

/**
 * Slots covered by any of the ranges, each counted once: while a move hands a slot over, its source
 * and its target may both report it, and a sum would count it twice.
 */
export function countDistinctSlots(ranges: Iterable<SlotRange>): number {
  const seen = new Uint8Array(SLOT_COUNT);
  let total = 0;
  for (const r of ranges) {
    for (let s = Math.max(0, r.start); s <= Math.min(SLOT_COUNT - 1, r.end); s++) {
      if (!seen[s]) { seen[s] = 1; total++; }
    }
  }
  return total;
}

/** Any slot numbers (unsorted, duplicates allowed) → the fewest sorted ranges covering them. */
export function compactSlots(slots: Iterable<number>): SlotRange[] {
  const sorted = [...slots].sort((a, b) => a - b);
  const ranges: SlotRange[] = [];
  for (const slot of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && slot <= last.end + 1) last.end = Math.max(last.end, slot);
    else ranges.push({ start: slot, end: slot });
  }
  return ranges;
}

/**
 * Ranges in any order, overlapping or adjacent → the fewest sorted ranges covering the same slots, as
 * compactSlots(rangesToSlots(ranges)) but without a number per slot: a member publishes its slots four
 * times a second, and 16384 numbers are an array V8 allocates among its large objects
 * (docs/footprint.md#idle-garbage).
 */
export function mergeSlotRanges(ranges: readonly SlotRange[]): SlotRange[] {
  const sorted = ranges.filter((r) => r.start <= r.end).map((r) => ({ start: r.start, end: r.end })).sort((a, b) => a.start - b.start);
  const merged: SlotRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else merged.push(r);
  }
  return merged;
}

export function rangesToSlots(ranges: readonly SlotRange[]): number[] {
  const out: number[] = [];
  for (const r of ranges) for (let s = r.start; s <= r.end; s++) out.push(s);
  return out;
}

/** "0-5460,5462" */
export function formatSlotRanges(ranges: readonly SlotRange[]): string {
  return ranges.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(",");
}

export function isSlotRange(r: SlotRange): boolean {
  return Number.isInteger(r.start) && Number.isInteger(r.end) && r.start >= 0 && r.end < SLOT_COUNT && r.start <= r.end;
}

/** Parse "0-5460,5462" (spaces allowed, empty = no slots); `field` names the input in errors. */
export function parseSlotRanges(text: string, field = "slots"): SlotRange[] {
  const ranges: SlotRange[] = [];
  if (text.trim() === "") return ranges;
  for (const part of text.split(",")) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!match) throw new SlotRangeError(field, `"${part.trim()}" is not a slot or a slot range; write e.g. "0-5460,5462"`);
    const start = Number(match[1]);
    const end = match[2] === undefined ? start : Number(match[2]);
    if (!isSlotRange({ start, end })) throw new SlotRangeError(field, `${start}-${end} is not a slot range within 0-${SLOT_COUNT - 1} with start ≤ end`);
    ranges.push({ start, end });
  }
  return ranges;
}
