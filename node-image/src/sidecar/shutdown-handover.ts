// A primary that stops on SIGTERM (its pod deleted, evicted, or every pod of a full restart) hands its
// slots to a standby instead of leaving them unserved until a failover: the sidecar sets Valkey's
// `shutdown-on-sigterm failover` on every engine start. The engine then pauses writes until a standby has
// caught up, sends it a coordinated CLUSTER FAILOVER and exits; no acknowledged write is lost. Redis 7.0
// has no such flag: it keeps its default (pause writes until the standbys caught up, then stop) and the
// operator fails the shard over once the engine is gone (docs/architecture.md#failure-handling).
import type { EngineSnapshot } from "./engine.ts";

export interface HandoverEngine {
  call(...args: (string | number)[]): Promise<unknown>;
}

export interface HandoverLog { info(msg: string, fields?: Record<string, unknown>): void }

/** Sets the flag once per engine run; remembers whether this engine has it. */
export class ShutdownHandover {
  private runId = "";
  /** Whether the running engine hands over on SIGTERM; undefined until it was asked. */
  enabled: boolean | undefined;

  constructor(private readonly engine: HandoverEngine, private readonly log: HandoverLog) {}

  /** Called on every observation of an engine that is up. */
  async keep(snapshot: Pick<EngineSnapshot, "runId">): Promise<void> {
    if (snapshot.runId === this.runId) return;
    try {
      await this.engine.call("CONFIG", "SET", "shutdown-on-sigterm", "failover");
      this.enabled = true;
      this.log.info("engine hands its slots to a standby when it stops (shutdown-on-sigterm failover)");
    } catch (err) {
      const reply = (err as Error).message;
      if (!/^ERR/.test(reply)) return; // not the engine's answer (the connection dropped): ask again next time
      this.enabled = false;
      this.log.info("engine has no failover on shutdown; the operator fails its shard over once it stopped", { reply });
    }
    this.runId = snapshot.runId;
  }
}
