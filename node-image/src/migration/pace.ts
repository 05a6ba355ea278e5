// The pace of a key-by-key move: batch size, batches in flight per stream, parallel slot streams and
// a keys/s token bucket. Explicit limits (rate, schedule: MigrationRateLimiter) and the latency guard's
// decisions (guard.ts) both apply; a batch waits for both, so the tighter one wins.
import type { Clock } from "../../../common/clock.ts";
import { sleep } from "../../../common/wait.ts";
import { MigrationRateLimiter, SLOT_WORK_KEYS, SmoothBucket } from "./rate.ts";
import type { MigrationRequest } from "./request.ts";

export interface PaceSetting {
  /** keys/s the guard allows; 0 = unlimited */
  keysPerSecond: number;
  batchKeys: number;
  window: number;
  parallelSlots: number;
  /** The guard's pace level (1 = the configured pace); the atomic move sizes its jobs by it. */
  level?: number;
}

/** Permits whose capacity may change while held (the guard narrows or widens the window). */
export class Permits {
  private inUse = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly capacity: () => number) {}

  acquire(): Promise<void> {
    if (this.inUse < this.capacity()) {
      this.inUse++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    this.inUse--;
    this.wake();
  }

  /** Lets waiters in while there is room (after a release, or when the capacity grew). */
  wake(): void {
    while (this.waiters.length > 0 && this.inUse < this.capacity()) {
      this.inUse++;
      this.waiters.shift()?.();
    }
  }
}

export class Pace {
  readonly limiter: MigrationRateLimiter;
  private current: PaceSetting;
  private readonly guardBucket = new SmoothBucket();
  private readonly permits = new Set<Permits>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly req: MigrationRequest, private readonly clock: Clock) {
    this.limiter = new MigrationRateLimiter(req.rate, req.schedule);
    this.current = { keysPerSecond: 0, batchKeys: req.batchKeys, window: req.window, parallelSlots: req.parallelSlots };
  }

  get setting(): PaceSetting {
    return this.current;
  }

  /** The guard's last level (1 until it decides). */
  get level(): number {
    return this.current.level ?? 1;
  }

  /** The guard's decision; a narrower window or fewer streams take effect as batches and rounds end. */
  set(next: PaceSetting): void {
    this.current = {
      keysPerSecond: next.keysPerSecond,
      batchKeys: Math.min(next.batchKeys, this.req.batchKeys),
      window: Math.min(next.window, this.req.window),
      parallelSlots: Math.max(1, Math.min(next.parallelSlots, this.req.parallelSlots)),
      ...(next.level === undefined ? {} : { level: next.level }),
    };
    this.guardBucket.setRate(next.keysPerSecond, this.clock.monotonicMs());
    this.wake();
  }

  /** A stream's window of batches in flight, following the current setting. */
  windowFor(): Permits {
    const permits = new Permits(() => this.current.window);
    this.permits.add(permits);
    return permits;
  }

  /** Whether stream `index` may start another round of slots now. */
  streamActive(index: number): boolean {
    return index < this.current.parallelSlots;
  }

  /** Resolves on the next change of pace (or wake()). */
  changed(): Promise<void> {
    return new Promise((resolve) => {
      const once = () => { this.listeners.delete(once); resolve(); };
      this.listeners.add(once);
    });
  }

  wake(): void {
    for (const p of this.permits) p.wake();
    for (const l of [...this.listeners]) l();
  }

  /**
   * Charges `keys` to the guard's bucket and the explicit keys/s (and bytes/s) limit; returns how long
   * to wait before sending them (the longer wait: the tighter limit wins) and the bytes estimate the
   * explicit limiter wants settled afterwards.
   */
  charge(keys: number): { waitMs: number; estimatedBytes: number } {
    const now = this.clock.monotonicMs();
    const { waitMs, estimatedBytes } = this.limiter.reserve(keys, now, this.clock.nowMs());
    return { waitMs: Math.max(waitMs, this.guardBucket.reserve(keys, now)), estimatedBytes };
  }

  /** charge(), then wait as long as it says. */
  async reserve(keys: number): Promise<number> {
    const { waitMs, estimatedBytes } = this.charge(keys);
    if (waitMs > 0) await sleep(waitMs);
    return estimatedBytes;
  }

  /** Charges a round's slots to the guard's bucket (their SETSLOTs cost the engines work too); returns the wait. */
  chargeSlots(slots: number): number {
    return this.guardBucket.reserve(slots * SLOT_WORK_KEYS, this.clock.monotonicMs());
  }

  async reserveSlots(slots: number): Promise<void> {
    const waitMs = this.chargeSlots(slots);
    if (waitMs > 0) await sleep(waitMs);
  }

  /** A batch moved fewer keys than it reserved (the slot ran out): give the rest back. */
  refund(keys: number): void {
    if (keys > 0) this.guardBucket.adjust(-keys, this.clock.monotonicMs());
  }
}
