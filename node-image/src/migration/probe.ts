// The latency guard's probe: a PING to each engine every 10 ms on a connection of its own. The PING
// queues behind whatever the engine runs (a MIGRATE, a script) and waits for a core like any client,
// so its round trip is the latency an application sees from this host.
import type { Redis } from "ioredis";
import type { Clock } from "../../../common/clock.ts";
import { sleep } from "../../../common/wait.ts";
import { PROBE_INTERVAL_MS } from "./guard.ts";

export class LatencyProbe {
  private timer: NodeJS.Timeout | undefined;
  /** Per engine: when its unanswered PING was sent (one at a time: a slow engine is not flooded). */
  private readonly outstanding: (number | undefined)[];

  constructor(private readonly engines: readonly Redis[], private readonly clock: Clock, private onSample: (atMs: number, ms: number) => void = () => undefined) {
    this.outstanding = engines.map(() => undefined);
  }

  start(onSample?: (atMs: number, ms: number) => void): void {
    if (onSample) this.onSample = onSample;
    this.stop();
    this.timer = setInterval(() => this.tick(), PROBE_INTERVAL_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Ages of the PINGs still unanswered now. */
  pendingAges(): number[] {
    const now = this.clock.monotonicMs();
    return this.outstanding.filter((t): t is number => t !== undefined).map((t) => now - t);
  }

  /** Probes for `durationMs` and returns every round trip seen (the idle baseline before a move). */
  async sample(durationMs: number): Promise<number[]> {
    const seen: number[] = [];
    this.start((_, ms) => seen.push(ms));
    await sleep(durationMs);
    this.stop();
    return seen;
  }

  private tick(): void {
    this.engines.forEach((engine, i) => {
      if (this.outstanding[i] !== undefined) return;
      const sentAt = this.clock.monotonicMs();
      this.outstanding[i] = sentAt;
      engine.ping().then(() => {
        const now = this.clock.monotonicMs();
        this.onSample(now, now - sentAt);
      }, () => undefined).finally(() => { this.outstanding[i] = undefined; });
    });
  }
}
