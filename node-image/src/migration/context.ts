// What the parts of one move share: the checked request, the engines' connections and views, the
// progress, the pace, and how a slot is failed. MigrationRun (migrate.ts) is the one implementation.
import type { Redis } from "ioredis";
import type { Clock } from "../../../common/clock.ts";
import type { ClusterView } from "./clusterView.ts";
import type { Pace } from "./pace.ts";
import type { ProgressTracker } from "./progress.ts";
import type { EngineAddress, MigrateOptions, MigrationRequest } from "./request.ts";

export interface MigrationContext {
  readonly req: MigrationRequest;
  readonly opts: MigrateOptions;
  readonly clock: Clock;
  readonly source: Redis;
  readonly target: Redis;
  readonly others: readonly Redis[];
  readonly sourceView: ClusterView;
  targetView: ClusterView;
  readonly progress: ProgressTracker;
  readonly pace: Pace;
  /** Set once the engine refused a script (scripting disabled or denied): pipelines from then on. */
  scriptingUnavailable: boolean;
  /** CLUSTER SETSLOT may run inside a script (not on Valkey: setSlotScriptable in connection.ts). */
  setSlotScriptable: boolean;
  /** Set when the source or target connection is gone: no new slot is started. */
  readonly fatal: string | undefined;
  /** Records a slot as failed (and notices a lost source or target). */
  fail(slot: number, err: unknown): void;
  /** Opens another connection that is closed with the move. */
  connect(addr: EngineAddress, name: string): Promise<Redis>;
}

/** One connection to the source that a slot's batches use, with its window of batches in flight. */
export interface Stream {
  redis: Redis;
  /** When this connection's previous reply arrived: a pipelined command's engine time starts there. */
  lastReplyAt: number;
  permits: { acquire(): Promise<void>; release(): void };
}
