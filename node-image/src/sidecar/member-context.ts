// What a member's commands see of the member (member.ts): its engine, state, latest observation and
// the one-command-at-a-time gate, with the helpers the command files share. The commands are
// functions over it, by concept: member-cluster.ts (JoinCluster, AssignSlots, ForgetNode, LeaveCluster,
// Reset), member-roles.ts (ReplicateFrom, PrepareTakeover, Promote), member-migration.ts (MigrateSlots,
// CancelMigration). They take and return the domain types of commands.ts.
import type { Redis } from "ioredis";
import type { Clock } from "../../../common/clock.ts";
import type { ClusterNode } from "../../../common/engine-replies.ts";
import { sleep } from "../../../common/wait.ts";
import type { MigrationProgress as LibProgress } from "../migration/index.ts";
import type { EngineDriver, EngineSnapshot } from "./engine.ts";
import { SidecarError } from "./errors.ts";
import type { FenceTokens } from "./fence.ts";
import type { Logger } from "./log.ts";
import type { Address } from "./commands.ts";
import type { MemberStateName } from "./state-machine.ts";
import type { MemberStatus } from "./status.ts";


export interface RunningMigration {
  id: string;
  source: Address;
  slots: number[];
  controller: AbortController;
  progress: LibProgress | undefined;
}

export interface MemberContext {
  readonly engine: EngineDriver;
  readonly clock: Clock;
  readonly log: Logger;
  readonly fence: FenceTokens;
  state(): MemberStateName;
  /** The engine as last observed. */
  snapshot(): EngineSnapshot;
  /** When this sidecar last saw its engine turn from replica to primary (an election it won); undefined if never. */
  becamePrimaryAtMs(): number | undefined;
  status(): MemberStatus;
  /** Observes the engine now and returns the fresh status. */
  refresh(): Promise<MemberStatus>;
  /** One mutating command at a time (see Member.exclusive). */
  exclusive<T>(action: string, fn: () => Promise<T>): Promise<T>;
  /** Moves through the state table, refusing a transition it does not allow. */
  transition(next: MemberStateName, action: string): void;
  /** Writes the state and the engine's node id to the data volume (after the engine got a new node id). */
  persist(reason: string): void;
  /** The engine's own entry in CLUSTER NODES. */
  myself(): ClusterNode;
  /** Publishes the status to its watchers when it changed. */
  publish(): void;
  migration(): RunningMigration | undefined;
  setMigration(m: RunningMigration | undefined): void;
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function pollUntil<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: () => string, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new SidecarError("DEADLINE_EXCEEDED", `timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(intervalMs);
  }
}

/** A peer's master_repl_offset (0 when it cannot be read). */
export async function primaryReplOffset(peer: Redis): Promise<number> {
  try {
    const info = String(await peer.call("INFO", "replication"));
    const m = /master_repl_offset:(\d+)/.exec(info);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
