// The member's results on the wire (pure): the domain types of status.ts and commands.ts become the
// API's messages. Typed as the generated __Output messages, so a field the proto adds or renames fails
// to compile here until it is mapped.
import type { MemberStatus__Output, MigrationProgress__Output, PromoteResponse__Output, ReplicationProgress__Output } from "../../../proto/index.ts";
import type { MigrationReport, PromoteResult, ReplicationProgress } from "./commands.ts";
import type { MemberStatus } from "./status.ts";

export function statusMessage(s: MemberStatus): MemberStatus__Output {
  const r = s.replication;
  const m = s.migration;
  return {
    state: s.state,
    role: s.role === "UNKNOWN" ? "ENGINE_ROLE_UNSPECIFIED" : s.role,
    nodeId: s.nodeId,
    slots: s.slots.map(({ start, end }) => ({ start, end })),
    importing: s.importing.map(({ slot, nodeId }) => ({ slot, nodeId })),
    migrating: s.migrating.map(({ slot, nodeId }) => ({ slot, nodeId })),
    replication: r && {
      primaryNodeId: r.primaryNodeId, primaryHost: r.primaryHost, primaryPort: r.primaryPort, linkUp: r.linkUp,
      syncInProgress: r.syncInProgress, offset: r.offset, connectedReplicas: r.connectedReplicas,
      linkedSinceStart: r.linkedSinceStart,
    },
    memoryUsedBytes: s.memoryUsedBytes,
    memoryMaxBytes: s.memoryMaxBytes,
    keys: s.keys,
    opsPerSecond: s.opsPerSecond,
    engineUp: s.engineUp,
    clusterState: s.clusterState,
    clusterKnownNodes: s.clusterKnownNodes,
    slotsOwned: s.slotsOwned,
    migration: m && {
      migrationId: m.migrationId, source: { host: m.source.host, port: m.source.port, busPort: m.source.busPort },
      slotsTotal: m.slotsTotal, slotsDone: m.slotsDone, keysMoved: m.keysMoved,
    },
    ready: s.ready,
    notReadyReason: s.notReadyReason,
    observedAtMs: s.observedAtMs,
    lastError: s.lastError,
    engine: s.engine && { name: s.engine.name, version: s.engine.version, capabilities: [...s.engine.capabilities], unsupportedReason: s.engine.unsupportedReason },
    unreachablePeers: s.unreachablePeers.map(({ nodeId, host, port }) => ({ nodeId, host, port })),
    tlsDigest: s.tlsDigest,
  };
}

export function replicationProgressMessage(p: ReplicationProgress): ReplicationProgress__Output {
  return {
    phase: p.phase, linkUp: p.linkUp, syncTotalBytes: p.syncTotalBytes, syncReadBytes: p.syncReadBytes,
    primaryOffset: p.primaryOffset, offset: p.offset, state: p.state, done: p.done,
  };
}

export function migrationProgressMessage(p: MigrationReport): MigrationProgress__Output {
  const g = p.guard;
  return {
    migrationId: p.migrationId, slotsTotal: p.slotsTotal, slotsDone: p.slotsDone, slotsFailed: p.slotsFailed,
    keysMoved: p.keysMoved, bytesMoved: p.bytesMoved, keysPerSecond: p.keysPerSecond, bytesPerSecond: p.bytesPerSecond,
    activeSlots: p.activeSlots, maxSourceBlockMs: p.maxSourceBlockMs,
    guard: g && {
      enabled: g.enabled, baselineP99Ms: g.baselineP99Ms, budgetMs: g.budgetMs, observedP99Ms: g.observedP99Ms, level: g.level,
      keysPerSecond: g.keysPerSecond, batchKeys: g.batchKeys, window: g.window, parallelSlots: g.parallelSlots,
      lastAction: g.lastAction, increases: g.increases, decreases: g.decreases,
    },
    done: p.done, cancelled: p.cancelled,
    failedSlots: p.failedSlots.map(({ slot, error }) => ({ slot, error })),
    elapsedMs: p.elapsedMs,
  };
}

export function promoteMessage(r: PromoteResult): PromoteResponse__Output {
  return { status: statusMessage(r.status), offsetAtSwitch: r.offsetAtSwitch, pauseMs: r.pauseMs };
}
