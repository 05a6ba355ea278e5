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

/** How long, after its SIGTERM, the sidecar waits to see its engine begin to stop before it stops anyway. */
export const ENGINE_STOP_START_MS = 1_000;

export type StopVerdict = "wait" | "released" | "not-stopping" | "timeout";

/**
 * After the sidecar's SIGTERM: keep reporting a while longer ("wait") while the engine is a primary that
 * owns slots and is stopping (INFO server's shutdown_in_milliseconds: it waits for its standbys, then
 * hands them its slots), so the operator sees the handover rather than a silent member and does not fail
 * the shard over meanwhile; stop once the engine is down or no longer serves slots ("released"), when it
 * does not begin to stop within ENGINE_STOP_START_MS (only the sidecar was stopped: "not-stopping"), or
 * after `limitMs` ("timeout").
 */
export function stopVerdict(engine: { up: boolean; primaryWithSlots: boolean; stopping: boolean }, elapsedMs: number, limitMs: number): StopVerdict {
  if (!engine.up || !engine.primaryWithSlots) return "released";
  if (elapsedMs >= limitMs) return "timeout";
  if (!engine.stopping && elapsedMs >= ENGINE_STOP_START_MS) return "not-stopping";
  return "wait";
}
