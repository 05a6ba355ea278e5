// Time as a dependency: code whose behaviour depends on time (expiry, pacing, time-of-day windows,
// leases, requeues) takes a Clock, so tests drive it instead of waiting. One definition for the
// sidecar, the migration engine and the operator.
import { performance } from "node:perf_hooks";

export interface Timer { cancel(): void }

export interface Clock {
  /** Wall-clock epoch milliseconds (expiry times, time-of-day windows, leases). */
  nowMs(): number;
  /** Monotonic milliseconds, for durations and rates (never jumps with the wall clock). */
  monotonicMs(): number;
  /** Run `fn` after `ms` (unref'd: a pending timer never keeps the process alive). */
  setTimeout(fn: () => void, ms: number): Timer;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

/** A clock that moves only when told to; its timers fire in order as time passes (tests). */
export class ManualClock implements Clock {
  private timers: { at: number; fn: () => void; seq: number }[] = [];
  private seq = 0;

  constructor(private epochMs = 1_700_000_000_000, private monotonic = 0) {}

  nowMs(): number {
    return this.epochMs;
  }

  monotonicMs(): number {
    return this.monotonic;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer = { at: this.monotonic + Math.max(0, ms), fn, seq: this.seq++ };
    this.timers.push(timer);
    return { cancel: () => { this.timers = this.timers.filter((t) => t !== timer); } };
  }

  /** Move time forward, firing every timer due on the way, in due order. */
  advance(ms: number): void {
    const end = this.monotonic + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.epochMs += due.at - this.monotonic;
      this.monotonic = due.at;
      due.fn();
    }
    this.epochMs += end - this.monotonic;
    this.monotonic = end;
  }

  pending(): number {
    return this.timers.length;
  }
}
