// Builds the API's MemberStatus from the engine snapshot and the member's state (pure).
import type { MemberStatus__Output, MigrationSummary__Output } from "../../../proto/index.ts";
import { keysFromInfo } from "../../../common/engine-replies.ts";
import { compactSlots, countSlots, rangesToSlots } from "../../../common/slots.ts";
import type { EngineSnapshot } from "./engine.ts";
import { judgeReadiness, type ReadinessInput } from "./health.ts";
import type { EngineObservation, MemberStateName } from "./state-machine.ts";

export type MemberStatus = MemberStatus__Output;

function num(info: Map<string, string>, key: string): number {
  const v = Number(info.get(key));
  return Number.isFinite(v) ? v : 0;
}

export function engineRole(s: EngineSnapshot): "primary" | "replica" | "unknown" {
  if (!s.up) return "unknown";
  const role = s.info.get("role");
  return role === "master" ? "primary" : role === "slave" ? "replica" : "unknown";
}

export function observationOf(s: EngineSnapshot): EngineObservation {
  const me = s.myself;
  return {
    nodeId: s.nodeId,
    role: engineRole(s) === "replica" ? "replica" : "primary",
    slotsOwned: me ? countSlots(me.slots) : 0,
    importingOrMigrating: !!me && (me.importing.length > 0 || me.migrating.length > 0),
    knownPeers: Math.max(0, num(s.clusterInfo, "cluster_known_nodes") - 1),
    keys: keysFromInfo(s.info),
  };
}

export function readinessInputOf(state: MemberStateName, s: EngineSnapshot): ReadinessInput {
  return {
    state,
    engineUp: s.up,
    role: engineRole(s),
    slotsOwned: s.myself ? countSlots(s.myself.slots) : 0,
    clusterState: s.clusterInfo.get("cluster_state") ?? "",
    linkUp: s.info.get("master_link_status") === "up",
    syncInProgress: s.info.get("master_sync_in_progress") === "1",
  };
}

export function buildStatus(state: MemberStateName, s: EngineSnapshot, migration: MigrationSummary__Output | null, lastError: string): MemberStatus {
  const me = s.myself;
  const role = engineRole(s);
  const replica = role === "replica";
  const primary = replica && me ? s.nodes.find((n) => n.id === me.primaryId) : undefined;
  const readiness = judgeReadiness(readinessInputOf(state, s));
  return {
    state,
    role: role === "primary" ? "PRIMARY" : role === "replica" ? "REPLICA" : "ENGINE_ROLE_UNSPECIFIED",
    nodeId: s.nodeId,
    slots: me ? compactSlots(rangesToSlots(me.slots)) : [],
    importing: me ? me.importing : [],
    migrating: me ? me.migrating : [],
    replication: {
      primaryNodeId: me?.primaryId ?? "",
      primaryHost: replica ? (s.info.get("master_host") ?? primary?.host ?? "") : "",
      primaryPort: replica ? num(s.info, "master_port") : 0,
      linkUp: replica && s.info.get("master_link_status") === "up",
      syncInProgress: s.info.get("master_sync_in_progress") === "1",
      offset: replica ? num(s.info, "slave_repl_offset") : num(s.info, "master_repl_offset"),
      connectedReplicas: num(s.info, "connected_slaves"),
    },
    memoryUsedBytes: num(s.info, "used_memory"),
    memoryMaxBytes: num(s.info, "maxmemory"),
    keys: keysFromInfo(s.info),
    opsPerSecond: num(s.info, "instantaneous_ops_per_sec"),
    engineUp: s.up,
    clusterState: s.clusterInfo.get("cluster_state") ?? "",
    clusterKnownNodes: num(s.clusterInfo, "cluster_known_nodes"),
    slotsOwned: me ? countSlots(me.slots) : 0,
    migration,
    ready: readiness.ok,
    notReadyReason: readiness.ok ? "" : readiness.reason,
    observedAtMs: s.observedAtMs,
    lastError: lastError || s.error,
  };
}

/** The parts of a status whose change is pushed to watchers at once (counters only ride the heartbeat). */
export function significantPart(st: MemberStatus): string {
  return JSON.stringify([
    st.state, st.role, st.nodeId, st.slots, st.importing, st.migrating, st.engineUp, st.clusterState, st.clusterKnownNodes,
    st.replication?.primaryNodeId, st.replication?.linkUp, st.replication?.syncInProgress, st.ready, st.migration?.slotsDone, st.lastError,
  ]);
}
