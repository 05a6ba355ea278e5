// Time as a dependency: code whose behaviour depends on time (expiry, pacing, time-of-day windows)
// takes a Clock, so tests can drive it instead of waiting.
import { performance } from "node:perf_hooks";

export interface Clock {
  /** Wall-clock epoch milliseconds (expiry times, time-of-day windows). */
  nowMs(): number;
  /** Monotonic milliseconds, for durations and rates (never jumps with the wall clock). */
  monotonicMs(): number;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
};

/** A clock that moves only when told to (tests). */
export class ManualClock implements Clock {
  constructor(private epochMs = 1_700_000_000_000, private monotonic = 0) {}

  nowMs(): number {
    return this.epochMs;
  }

  monotonicMs(): number {
    return this.monotonic;
  }

  advance(ms: number): void {
    this.epochMs += ms;
    this.monotonic += ms;
  }
}
