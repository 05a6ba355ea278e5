// Counters of a running move and the speed since the previous report.
import type { Clock } from "../../../common/clock.ts";
import type { GuardStatus, MigrationProgress } from "./request.ts";

export class ProgressTracker {
  slotsDone = 0;
  slotsFailed = 0;
  keysMoved = 0;
  bytesMoved = 0;
  maxSourceBlockMs = 0;
  guard: GuardStatus | null = null;
  readonly activeSlots = new Set<number>();
  private lastSample: { at: number; keys: number; bytes: number };
  private keysPerSecond = 0;
  private bytesPerSecond = 0;
  private sampledKeys = 0;
  private sampledBytes = 0;

  constructor(readonly slotsTotal: number, private readonly clock: Clock) {
    this.lastSample = { at: clock.monotonicMs(), keys: 0, bytes: 0 };
  }

  /** Counts a moved batch; `measuredBytes` also feeds the bytes-per-key average. Returns its bytes. */
  countMoved(keys: number, measuredBytes: number | undefined): number {
    if (measuredBytes !== undefined && keys > 0) { this.sampledKeys += keys; this.sampledBytes += measuredBytes; }
    const bytes = measuredBytes ?? Math.round(keys * (this.sampledKeys > 0 ? this.sampledBytes / this.sampledKeys : 0));
    this.keysMoved += keys;
    this.bytesMoved += bytes;
    return bytes;
  }

  noteBlock(blockMs: number): void {
    if (blockMs > this.maxSourceBlockMs) this.maxSourceBlockMs = blockMs;
  }

  /** Rates since the previous snapshot (so each progress report carries the current speed). */
  snapshot(): MigrationProgress {
    const now = this.clock.monotonicMs();
    const elapsed = now - this.lastSample.at;
    if (elapsed >= 100) {
      this.keysPerSecond = ((this.keysMoved - this.lastSample.keys) * 1000) / elapsed;
      this.bytesPerSecond = ((this.bytesMoved - this.lastSample.bytes) * 1000) / elapsed;
      this.lastSample = { at: now, keys: this.keysMoved, bytes: this.bytesMoved };
    }
    return {
      slotsTotal: this.slotsTotal, slotsDone: this.slotsDone, slotsFailed: this.slotsFailed,
      keysMoved: this.keysMoved, bytesMoved: this.bytesMoved,
      keysPerSecond: Math.round(this.keysPerSecond), bytesPerSecond: Math.round(this.bytesPerSecond),
      activeSlots: [...this.activeSlots].sort((a, b) => a - b),
      maxSourceBlockMs: Math.round(this.maxSourceBlockMs * 10) / 10,
      guard: this.guard ? { ...this.guard } : null,
    };
  }
}
