// Refuses commands from a deposed operator leader (docs/architecture.md#leader-election-and-fencing). The leader sends its identity and
// its Lease's epoch (leaseTransitions) with every call; the member remembers the highest epoch it
// has obeyed, on its volume, and refuses any command from a lower epoch, or from another identity
// at the same epoch. Calls without the headers (tools, tests) are not fenced; reads never are.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LEADER_EPOCH_HEADER, LEADER_IDENTITY_HEADER } from "../../../proto/headers.ts";
import type { CallMetadata } from "../grpc/server.ts";
import { writeJsonAtomic } from "./state-store.ts";

export interface LeaderMark { identity: string; epoch: number }

/** Pure: the new mark to remember, or why the call is refused. */
export function judgeLeader(highest: LeaderMark | undefined, caller: LeaderMark): { ok: true; mark: LeaderMark } | { ok: false; reason: string } {
  if (!highest || caller.epoch > highest.epoch) return { ok: true, mark: caller };
  if (caller.epoch < highest.epoch) {
    return { ok: false, reason: `refused: operator ${caller.identity} leads epoch ${caller.epoch}, but ${highest.identity} has led epoch ${highest.epoch} since; a deposed leader's command is not obeyed` };
  }
  if (caller.identity !== highest.identity) {
    return { ok: false, reason: `refused: epoch ${caller.epoch} belongs to operator ${highest.identity}, not ${caller.identity}` };
  }
  return { ok: true, mark: highest };
}

export function leaderOf(metadata: CallMetadata): LeaderMark | undefined | string {
  const identity = metadata.get(LEADER_IDENTITY_HEADER)[0];
  const epochText = metadata.get(LEADER_EPOCH_HEADER)[0];
  if (identity === undefined && epochText === undefined) return undefined;
  const epoch = Number(epochText);
  if (identity === undefined || !Number.isInteger(epoch) || epoch < 0) {
    return `${LEADER_IDENTITY_HEADER} and ${LEADER_EPOCH_HEADER} (a non-negative integer) must be sent together; got ${JSON.stringify(identity)} and ${JSON.stringify(epochText)}`;
  }
  return { identity: String(identity), epoch };
}

export class LeaderFence {
  private highest: LeaderMark | undefined;
  private readonly path: string | undefined;

  /** With a data dir the highest epoch survives a restart of the sidecar. */
  constructor(dataDir?: string) {
    this.path = dataDir ? join(dataDir, "mdb-leader-fence.json") : undefined;
    if (this.path) {
      try {
        const v = JSON.parse(readFileSync(this.path, "utf8")) as LeaderMark;
        if (typeof v.identity === "string" && Number.isInteger(v.epoch)) this.highest = v;
      } catch { /* no file yet: nothing obeyed so far */ }
    }
  }

  current(): LeaderMark | undefined {
    return this.highest;
  }

  /** undefined when the call may proceed, otherwise why it is refused. */
  admit(metadata: CallMetadata): string | undefined {
    const caller = leaderOf(metadata);
    if (caller === undefined) return undefined;
    if (typeof caller === "string") return caller;
    const verdict = judgeLeader(this.highest, caller);
    if (!verdict.ok) return verdict.reason;
    if (verdict.mark !== this.highest) {
      this.highest = verdict.mark;
      if (this.path) writeJsonAtomic(this.path, verdict.mark);
    }
    return undefined;
  }
}
