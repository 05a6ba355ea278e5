// Probe judgements (pure). Readiness: the member serves its role. Liveness: the observe loop still
// completes ticks; a wedged event loop or a hung engine call stops them.
import type { MemberStateName } from "./state-machine.ts";

export interface ReadinessInput {
  state: MemberStateName;
  engineUp: boolean;
  role: "primary" | "replica" | "unknown";
  slotsOwned: number;
  clusterState: string;
  linkUp: boolean;
  syncInProgress: boolean;
}

export interface Judgement { ok: boolean; reason: string }

export function judgeReadiness(s: ReadinessInput): Judgement {
  if (!s.engineUp) return { ok: false, reason: "engine is not answering" };
  switch (s.state) {
    case "ACTIVE":
      if (s.role !== "primary") return { ok: false, reason: "ACTIVE but the engine is not a primary" };
      if (s.slotsOwned === 0) return { ok: false, reason: "ACTIVE but the engine owns no slots" };
      if (s.clusterState !== "ok") return { ok: false, reason: `cluster_state is ${s.clusterState || "unknown"}, not ok` };
      return { ok: true, reason: `ACTIVE with ${s.slotsOwned} slots, cluster_state ok` };
    case "STANDBY":
      if (s.role !== "replica") return { ok: false, reason: "STANDBY but the engine is not a replica" };
      if (!s.linkUp || s.syncInProgress) return { ok: false, reason: "STANDBY but the replication link is down or syncing" };
      // A replica whose view of the slots is incomplete answers clients CLUSTERDOWN, not MOVED.
      if (s.clusterState !== "ok") return { ok: false, reason: `STANDBY but cluster_state is ${s.clusterState || "unknown"}, not ok` };
      return { ok: true, reason: "STANDBY with the replication link up, cluster_state ok" };
    case "MIGRATING":
      // A primary moving slots out or in still serves the slots it owns (clients follow ASK for the rest).
      if (s.role !== "primary" || s.slotsOwned === 0) return { ok: false, reason: "MIGRATING and owning no slots yet" };
      if (s.clusterState !== "ok") return { ok: false, reason: `cluster_state is ${s.clusterState || "unknown"}, not ok` };
      return { ok: true, reason: `MIGRATING with ${s.slotsOwned} slots, cluster_state ok` };
    default:
      return { ok: false, reason: `member is ${s.state}: it serves no role yet` };
  }
}

export function judgeLiveness(nowMs: number, lastTickMs: number, staleAfterMs: number): Judgement {
  const age = nowMs - lastTickMs;
  if (age > staleAfterMs) return { ok: false, reason: `the observe loop last completed ${age} ms ago (limit ${staleAfterMs} ms): the sidecar is wedged` };
  return { ok: true, reason: `observe loop ticked ${age} ms ago` };
}
