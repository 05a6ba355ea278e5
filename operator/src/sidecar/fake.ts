// An in-memory stand-in for members' sidecars, for the operator's unit tests: engines that meet,
// own slots and follow primaries the way the real sidecar reports them, with the same refusals for
// the calls the operator makes. `FakeMembers` is the cluster; `client(name)` is one member's client.
import { countSlots } from "../../../common/slots.ts";
import {
  SidecarCallError, type EngineAddress, type FenceGrant, type MemberStatus, type MigrateSlotsParams, type MigrationProgress, type PromoteMode,
  type PromoteResult, type ReplicationProgress, type SidecarClient, type SlotRange,
} from "./client.ts";

interface FakeEngine {
  name: string;
  ip: string;
  nodeId: string;
  status: MemberStatus;
  known: Set<string>;
  listeners: Set<() => void>;
}

export function blankStatus(nodeId: string): MemberStatus {
  return {
    state: "ONLINE", role: "PRIMARY", nodeId, slots: [], importing: [], migrating: [], replication: null, memoryUsedBytes: 0, memoryMaxBytes: 0,
    keys: 0, opsPerSecond: 0, engineUp: true, clusterState: "fail", clusterKnownNodes: 1, slotsOwned: 0, migration: null, ready: false,
    notReadyReason: "", observedAtMs: 0, lastError: "", engine: null, unreachablePeers: [], tlsDigest: "",
  };
}

export class FakeMembers {
  readonly engines = new Map<string, FakeEngine>();
  /** Every call made, "member Method", in order. */
  readonly calls: string[] = [];

  /** Slots each engine id owned when it went away, so a standby that takes over takes them. */
  private readonly slotsOf = new Map<string, SlotRange[]>();
  private readonly incarnations = new Map<string, number>();

  add(name: string, ip: string): void {
    // A pod made again under the same name runs a new engine: a new node id.
    const n = (this.incarnations.get(name) ?? 0) + 1;
    this.incarnations.set(name, n);
    const nodeId = `${name.replace(/[^a-z0-9]/g, "")}${n > 1 ? `x${n}` : ""}`.padEnd(40, "0").slice(0, 40);
    this.engines.set(name, { name, ip, nodeId, status: blankStatus(nodeId), known: new Set([name]), listeners: new Set() });
  }

  engine(name: string): FakeEngine {
    const e = this.engines.get(name);
    if (!e) throw new Error(`fake: no member ${name}`);
    return e;
  }

  /** One gossip round: every engine learns the engines its known peers know. */
  gossip(): void {
    const before = new Map([...this.engines.values()].map((e) => [e.name, new Set(e.known)]));
    for (const e of this.engines.values()) {
      const size = e.known.size;
      for (const peer of before.get(e.name)!) for (const n of before.get(peer) ?? []) e.known.add(n);
      if (e.known.size !== size) this.update(e, {});
    }
  }

  status(name: string): MemberStatus {
    return structuredClone(this.engine(name).status);
  }

  byIp(ip: string): FakeEngine | undefined {
    return [...this.engines.values()].find((e) => e.ip === ip);
  }

  update(e: FakeEngine, patch: Partial<MemberStatus>): void {
    e.status = { ...e.status, ...patch, clusterKnownNodes: e.known.size, slotsOwned: countSlots(patch.slots ?? e.status.slots) };
    for (const l of e.listeners) l();
  }

  /** The member's engine is gone (its pod deleted): its standbys' links drop, its slots are unserved. */
  remove(name: string): void {
    const gone = this.engine(name);
    this.engines.delete(name);
    this.slotsOf.set(gone.nodeId, gone.status.slots);
    for (const e of this.engines.values()) {
      e.known.delete(name);
      if (e.status.replication?.primaryNodeId === gone.nodeId) this.update(e, { replication: { ...e.status.replication, linkUp: false } });
      else this.update(e, {});
    }
    this.refreshClusterState();
  }

  /** The standby `name` becomes its shard's primary with the slots its primary owned. */
  takeOver(name: string): void {
    const e = this.engine(name);
    const oldId = e.status.replication!.primaryNodeId;
    const old = [...this.engines.values()].find((x) => x.nodeId === oldId);
    const slots = old?.status.slots ?? this.slotsOf.get(oldId) ?? [];
    if (old) this.update(old, { slots: [], role: "REPLICA", state: "STANDBY", replication: { ...e.status.replication!, primaryNodeId: e.nodeId, linkUp: true } });
    this.update(e, { role: "PRIMARY", state: "ACTIVE", slots, replication: null });
    for (const x of this.engines.values()) {
      if (x !== e && x.status.replication?.primaryNodeId === oldId) this.update(x, { replication: { ...x.status.replication, primaryNodeId: e.nodeId, linkUp: true } });
    }
    this.refreshClusterState();
  }

  refreshClusterState(): void {
    const owned = [...this.engines.values()].reduce((n, e) => n + (e.status.role === "PRIMARY" ? countSlots(e.status.slots) : 0), 0);
    for (const e of this.engines.values()) {
      const clusterState = owned === 16384 ? "ok" : "fail";
      const ready = (e.status.state === "ACTIVE" && clusterState === "ok") || (e.status.state === "STANDBY" && e.status.replication?.linkUp === true);
      if (e.status.clusterState !== clusterState || e.status.ready !== ready) this.update(e, { clusterState, ready });
    }
  }

  client(name: string): SidecarClient {
    return fakeClient(this, name);
  }
}

function fakeClient(members: FakeMembers, name: string): SidecarClient {
    const e = () => members.engine(name);
    const fail = (method: string, details: string): never => { throw new SidecarCallError(method, "FAILED_PRECONDITION", details); };
    const record = (method: string) => members.calls.push(`${name} ${method}`);
    return {
      async status() { return members.status(name); },
      async *watch(signal?: AbortSignal) {
        let wake: (() => void) | undefined;
        const listener = () => wake?.();
        e().listeners.add(listener);
        try {
          while (!signal?.aborted) {
            yield members.status(name);
            await new Promise<void>((resolve) => { wake = resolve; signal?.addEventListener("abort", () => resolve(), { once: true }); });
          }
        } finally {
          e().listeners.delete(listener);
        }
      },
      async join(peers: EngineAddress[]) {
        record("JoinCluster");
        for (const p of peers) {
          const other = members.byIp(p.host);
          if (!other) fail("JoinCluster", `timed out meeting ${p.host}:${p.port}`);
          // A meet is mutual; what else each side knows spreads later, one gossip round at a time.
          e().known.add(other!.name);
          other!.known.add(name);
          members.update(e(), {});
          members.update(other!, {});
        }
        return { knownNodes: e().known.size };
      },
      async assignSlots(slots: SlotRange[]) {
        record("AssignSlots");
        if (e().status.role !== "PRIMARY") fail("AssignSlots", "the engine is a replica; only a primary can own slots");
        members.update(e(), { slots: [...e().status.slots, ...slots].sort((a, b) => a.start - b.start), state: "ACTIVE" });
        members.refreshClusterState();
        return members.status(name);
      },
      async *replicateFrom(primaryNodeId: string): AsyncIterable<ReplicationProgress> {
        record("ReplicateFrom");
        const primary = [...members.engines.values()].find((x) => x.nodeId === primaryNodeId);
        if (!primary || !e().known.has(primary.name)) fail("ReplicateFrom", `node ${primaryNodeId} is not known to this engine; call JoinCluster with its address first`);
        if (e().status.slots.length > 0) fail("ReplicateFrom", "the engine owns slots; migrate them away first");
        members.update(e(), { state: "STANDBY", role: "REPLICA", replication: { primaryNodeId, primaryHost: primary!.ip, primaryPort: 6379, linkUp: true, syncInProgress: false, offset: 0, connectedReplicas: 0, linkedSinceStart: true } });
        members.refreshClusterState();
        yield { phase: "in-sync", linkUp: true, syncTotalBytes: 0, syncReadBytes: 0, primaryOffset: 0, offset: 0, state: "STANDBY", done: true };
      },
      async prepareTakeover(): Promise<FenceGrant> {
        record("PrepareTakeover");
        if (e().status.state !== "STANDBY") fail("PrepareTakeover", `PrepareTakeover is allowed only when the member is STANDBY; it is ${e().status.state}`);
        return { fenceToken: `fence-${name}`, primaryNodeId: e().status.replication!.primaryNodeId, expiresAtMs: 0 };
      },
      async promote(mode: PromoteMode, opts: { fenceToken?: string } = {}): Promise<PromoteResult> {
        record(`Promote ${mode}`);
        const s = e().status;
        if (s.state !== "STANDBY" || s.role !== "REPLICA") fail("Promote", `Promote ${mode}: the member is ${s.state}`);
        if (mode === "FORCE" && s.replication?.linkUp) fail("Promote", "Promote FORCE: the primary is reachable (replication link up); use GRACEFUL");
        if (mode === "TAKEOVER" && opts.fenceToken !== `fence-${name}`) fail("Promote", "Promote TAKEOVER: no valid fence token");
        members.takeOver(name);
        return { status: members.status(name), offsetAtSwitch: 0, pauseMs: 0 };
      },
      async *migrateSlots(_req: MigrateSlotsParams): AsyncIterable<MigrationProgress> { fail("MigrateSlots", "not simulated"); },
      async cancelMigration() { return { wasRunning: false }; },
      async forget() { record("ForgetNode"); },
      async leave() { record("LeaveCluster"); return { forgottenBy: [] }; },
      async reset() { record("Reset"); return { newNodeId: e().nodeId }; },
      close() { /* nothing to release */ },
    };
}
