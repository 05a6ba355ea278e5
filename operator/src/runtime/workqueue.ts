// A work queue keyed by cluster (controller-runtime's semantics, docs/architecture.md#the-reconcile-loop): a key waiting is never
// queued twice, a key is reconciled by one worker at a time (an add while it runs marks it dirty and
// it runs again after), failures back off exponentially per key, and `requeueAfter` schedules a
// later run. Level-based: a key carries no event, the reconciler reads current state.
import { systemClock, type Clock } from "../../../common/clock.ts";

export interface BackoffPolicy { baseMs: number; maxMs: number }

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; cancel(): void }>();
  private waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;

  constructor(private readonly clock: Clock = systemClock, private readonly backoff: BackoffPolicy = { baseMs: 100, maxMs: 60_000 }) {}

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    const waiter = this.waiters.shift();
    if (waiter) {
      this.queued.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
  }

  /** Add after `ms`; an earlier pending delay for the key wins, a later one is replaced. */
  addAfter(key: string, ms: number): void {
    if (ms <= 0) return this.add(key);
    const at = this.clock.nowMs() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    existing?.cancel();
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, cancel: timer.cancel });
  }

  /** After a failed reconcile: retry with exponential backoff (base × 2^failures, capped). */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** n);
    this.addAfter(key, delay);
    return delay;
  }

  /** After a successful reconcile: the key's backoff starts over. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to reconcile; undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The worker finished `key`; if it was added meanwhile, it goes back in the queue. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  get length(): number {
    return this.queue.length;
  }

  inFlight(): number {
    return this.processing.size;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const d of this.delayed.values()) d.cancel();
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
