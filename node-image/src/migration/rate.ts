// Rate control for a migration (pure: time is passed in).
//
// A token bucket per dimension (keys/s, bytes/s) refilled in 10 ms slices, holding at most one
// slice's worth of tokens, so the rate is smooth rather than a burst at the start of every second
// (the TcaplusDB seed: "smoothed in 10 ms slices"). A reservation larger than one slice goes into debt
// and the caller waits until the debt is paid off, so later reservations queue behind it.
import type { RateLimit, ScheduleWindow } from "./request.ts";
import { parseTimeOfDay } from "./validate.ts";

export const SLICE_MS = 10;
/**
 * What one slot's protocol (IMPORTING, MIGRATING, the claim, NODE on the source and every peer, each
 * a nodes.conf rewrite) costs the engines, in keys moved: ≈ 100 µs of engine time against ≈ 8.5 µs
 * per moved key, measured on this project's benchmark.
 */
export const SLOT_WORK_KEYS = 10;

export class TokenBucket {
  private tokens = 0;
  private sliceIndex: number | undefined;
  private perSlice = 0;

  constructor(ratePerSecond = 0) {
    this.setRate(ratePerSecond);
  }

  get unlimited(): boolean {
    return this.perSlice === 0;
  }

  /** Tokens available now (negative while in debt), after refilling up to `nowMs`. */
  available(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens;
  }

  /** Changes the rate (e.g. a schedule window began); 0 = unlimited. */
  setRate(ratePerSecond: number, nowMs?: number): void {
    if (nowMs !== undefined) this.refill(nowMs);
    const perSlice = ratePerSecond > 0 ? (ratePerSecond * SLICE_MS) / 1000 : 0;
    if (perSlice === this.perSlice) return;
    const wasUnlimited = this.perSlice === 0;
    this.perSlice = perSlice;
    if (perSlice === 0) this.tokens = 0;
    else if (wasUnlimited) this.tokens = perSlice; // a limit that begins now starts with one slice
    else this.tokens = Math.min(this.tokens, perSlice);
  }

  /**
   * Takes `amount` tokens and returns how long the caller must wait (ms) before acting on them:
   * 0 when the bucket covered it, otherwise the time until the slice in which the debt is repaid.
   */
  reserve(amount: number, nowMs: number): number {
    if (this.unlimited || amount <= 0) return 0;
    this.refill(nowMs);
    this.tokens -= amount;
    if (this.tokens >= 0) return 0;
    const slicesNeeded = Math.ceil(-this.tokens / this.perSlice - 1e-9);
    const currentSliceStart = Math.floor(nowMs / SLICE_MS) * SLICE_MS;
    return currentSliceStart + slicesNeeded * SLICE_MS - nowMs;
  }

  /** Corrects an earlier estimate: a positive amount adds debt, a negative one refunds. */
  adjust(amount: number, nowMs: number): void {
    if (this.unlimited || amount === 0) return;
    this.refill(nowMs);
    this.tokens = Math.min(this.perSlice, this.tokens - amount);
  }

  private refill(nowMs: number): void {
    const index = Math.floor(nowMs / SLICE_MS);
    if (this.sliceIndex === undefined) {
      this.sliceIndex = index;
      this.tokens = this.perSlice; // a fresh bucket starts with one slice's worth
      return;
    }
    if (index <= this.sliceIndex) return;
    if (!this.unlimited) this.tokens = Math.min(this.perSlice, this.tokens + (index - this.sliceIndex) * this.perSlice);
    this.sliceIndex = index;
  }
}

/**
 * The guard's pace: the same bucket (at most one slice's worth, debt paid by waiting) refilled
 * continuously rather than at slice boundaries, so each waiter leaves when its own debt is paid. With
 * refills at the boundaries every waiting batch of every move in the process left at the same instant
 * each 10 ms: a burst the clients queued behind, in the quiet rest of which a probe could fall.
 */
export class SmoothBucket {
  private tokens = 0;
  private lastMs: number | undefined;
  private perMs = 0;

  /** Changes the rate; 0 = unlimited. A limit that begins now starts with one slice. */
  setRate(ratePerSecond: number, nowMs: number): void {
    this.refill(nowMs);
    const perMs = ratePerSecond > 0 ? ratePerSecond / 1000 : 0;
    if (perMs === this.perMs) return;
    const wasUnlimited = this.perMs === 0;
    this.perMs = perMs;
    this.tokens = perMs === 0 ? 0 : wasUnlimited ? this.capacity : Math.min(this.tokens, this.capacity);
  }

  /** Takes `amount` and returns how long (ms) to wait before acting on it: until the debt is paid. */
  reserve(amount: number, nowMs: number): number {
    if (this.perMs === 0 || amount <= 0) return 0;
    this.refill(nowMs);
    this.tokens -= amount;
    return this.tokens >= 0 ? 0 : -this.tokens / this.perMs;
  }

  /** Corrects an earlier charge: a positive amount adds debt, a negative one refunds. */
  adjust(amount: number, nowMs: number): void {
    if (this.perMs === 0 || amount === 0) return;
    this.refill(nowMs);
    this.tokens = Math.min(this.capacity, this.tokens - amount);
  }

  private get capacity(): number {
    return this.perMs * SLICE_MS;
  }

  private refill(nowMs: number): void {
    if (this.lastMs !== undefined && nowMs > this.lastMs) this.tokens = Math.min(this.capacity, this.tokens + (nowMs - this.lastMs) * this.perMs);
    this.lastMs = Math.max(nowMs, this.lastMs ?? nowMs);
  }
}

const MINUTES_PER_DAY = 24 * 60;

/** Whether minute-of-day `minute` (UTC) falls in [start, end), wrapping past midnight when end < start. */
export function windowContains(window: Pick<ScheduleWindow, "start" | "end">, minute: number): boolean {
  const start = parseTimeOfDay(window.start);
  const end = parseTimeOfDay(window.end);
  if (start === undefined || end === undefined) return false;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

/** The rate in force at `epochMs`: the first schedule window containing that time of day (UTC), else the default. */
export function rateAt(defaultRate: RateLimit | undefined, schedule: readonly ScheduleWindow[] | undefined, epochMs: number): RateLimit {
  const minute = Math.floor(epochMs / 60_000) % MINUTES_PER_DAY;
  const window = schedule?.find((w) => windowContains(w, minute));
  return window ? window.rate : defaultRate ?? {};
}

/**
 * Keys/s and bytes/s limits for one migration call. Bytes are not known before MIGRATE, so a batch
 * reserves an estimate (the running average bytes per key) and settle() corrects it afterwards.
 */
export class MigrationRateLimiter {
  private readonly keys = new TokenBucket();
  private readonly bytes = new TokenBucket();
  private bytesPerKeyEstimate = 0;
  private keysSeen = 0;
  private bytesSeen = 0;

  constructor(
    private readonly defaultRate: RateLimit | undefined,
    private readonly schedule: readonly ScheduleWindow[] | undefined,
  ) {}

  get limited(): boolean {
    return Boolean(this.defaultRate?.keysPerSecond || this.defaultRate?.bytesPerSecond ||
      this.schedule?.some((w) => w.rate.keysPerSecond || w.rate.bytesPerSecond));
  }

  /** Whether any bytes/s limit is configured (then every batch's bytes are measured). */
  get bytesLimited(): boolean {
    return Boolean(this.defaultRate?.bytesPerSecond || this.schedule?.some((w) => w.rate.bytesPerSecond));
  }

  /** Reserves `keyCount` keys; returns the wait in ms and the bytes estimate to settle later. */
  reserve(keyCount: number, nowMs: number, epochMs: number): { waitMs: number; estimatedBytes: number } {
    const rate = rateAt(this.defaultRate, this.schedule, epochMs);
    this.keys.setRate(rate.keysPerSecond ?? 0, nowMs);
    this.bytes.setRate(rate.bytesPerSecond ?? 0, nowMs);
    const estimatedBytes = Math.round(keyCount * this.bytesPerKeyEstimate);
    const waitMs = Math.max(this.keys.reserve(keyCount, nowMs), this.bytes.reserve(estimatedBytes, nowMs));
    return { waitMs, estimatedBytes };
  }

  /** After a batch: charge the difference between its measured and estimated bytes. */
  settle(keyCount: number, estimatedBytes: number, actualBytes: number, nowMs: number): void {
    this.keysSeen += keyCount;
    this.bytesSeen += actualBytes;
    this.bytesPerKeyEstimate = this.keysSeen > 0 ? this.bytesSeen / this.keysSeen : 0;
    this.bytes.adjust(actualBytes - estimatedBytes, nowMs);
  }
}
