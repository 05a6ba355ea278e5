// Builds the member's status from the engine snapshot and the member's state (pure). The gRPC edge
// puts it on the wire as the API's MemberStatus (responses.ts).
import { keysFromInfo, type SlotTransfer } from "../../../common/engine-replies.ts";
import { engineIdentityOf, unsupportedEngineReason, type EngineIdentity } from "../../../common/engine-image.ts";
import { countSlots, mergeSlotRanges, type SlotRange } from "../../../common/slots.ts";
import type { Address } from "./commands.ts";
import type { EngineSnapshot } from "./engine.ts";
import { judgeReadiness, type ReadinessInput } from "./health.ts";
import type { EngineObservation, MemberStateName } from "./state-machine.ts";

/** The engine's role as the API reports it; UNKNOWN while the engine does not answer. */
export type StatusRole = "PRIMARY" | "REPLICA" | "UNKNOWN";

export interface ReplicationStatus {
  primaryNodeId: string;
  primaryHost: string;
  primaryPort: number;
  linkUp: boolean;
  syncInProgress: boolean;
  /** This replica's offset, or a primary's own. */
  offset: number;
  connectedReplicas: number;
  /** A replica's link has been up since this engine started (the engine reports the link's down time as -1 until then). */
  linkedSinceStart: boolean;
}

/** The migration this member (the target) runs, in short. */
export interface MigrationSummary {
  migrationId: string;
  source: Address;
  slotsTotal: number;
  slotsDone: number;
  keysMoved: number;
}

/** The engine this member runs, and why it is not supported ("" when it is). */
export interface EngineInfo extends EngineIdentity { unsupportedReason: string }

export interface UnreachablePeer { nodeId: string; host: string; port: number }

export interface MemberStatus {
  state: MemberStateName;
  role: StatusRole;
  /** The engine's cluster node id ("" before the engine answered). */
  nodeId: string;
  slots: SlotRange[];
  importing: SlotTransfer[];
  migrating: SlotTransfer[];
  replication: ReplicationStatus | null;
  memoryUsedBytes: number;
  memoryMaxBytes: number;
  keys: number;
  opsPerSecond: number;
  engineUp: boolean;
  clusterState: string;
  clusterKnownNodes: number;
  slotsOwned: number;
  migration: MigrationSummary | null;
  ready: boolean;
  notReadyReason: string;
  observedAtMs: number;
  lastError: string;
  /** null while the engine has not answered */
  engine: EngineInfo | null;
  /** Peers the engine knows but cannot reach now (link down, or flagged fail / fail?), at the address it dials. */
  unreachablePeers: UnreachablePeer[];
  /** The TLS files served with (common/tls-digest.ts); "" without TLS. */
  tlsDigest: string;
}

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

export function buildStatus(state: MemberStateName, s: EngineSnapshot, migration: MigrationSummary | null, lastError: string, tlsDigest = ""): MemberStatus {
  const me = s.myself;
  const role = engineRole(s);
  const replica = role === "replica";
  const primary = replica && me ? s.nodes.find((n) => n.id === me.primaryId) : undefined;
  const readiness = judgeReadiness(readinessInputOf(state, s));
  return {
    state,
    role: role === "primary" ? "PRIMARY" : role === "replica" ? "REPLICA" : "UNKNOWN",
    nodeId: s.nodeId,
    slots: me ? mergeSlotRanges(me.slots) : [],
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
      linkedSinceStart: replica && (s.info.get("master_link_status") === "up" || Number(s.info.get("master_link_down_since_seconds") ?? -1) >= 0),
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
    engine: engineInfoOf(s),
    unreachablePeers: s.nodes.filter((n) => !n.myself && !n.flags.includes("handshake") && (!n.connected || n.failed))
      .map((n) => ({ nodeId: n.id, host: n.host, port: n.port })).sort((x, y) => x.nodeId.localeCompare(y.nodeId)),
    tlsDigest,
  };
}

export function engineInfoOf(s: EngineSnapshot): EngineInfo | null {
  const identity = s.up ? engineIdentityOf(s.info) : undefined;
  return identity ? { ...identity, unsupportedReason: unsupportedEngineReason(identity) ?? "" } : null;
}

/** The parts of a status whose change is pushed to watchers at once (counters only ride the heartbeat). */
export function significantPart(st: MemberStatus): string {
  return JSON.stringify([
    st.state, st.role, st.nodeId, st.slots, st.importing, st.migrating, st.engineUp, st.clusterState, st.clusterKnownNodes,
    st.replication?.primaryNodeId, st.replication?.linkUp, st.replication?.syncInProgress, st.ready, st.migration?.slotsDone, st.lastError, st.engine?.version, st.unreachablePeers, st.tlsDigest,
  ]);
}
