// The member: owns the state machine, observes its engine, and carries out the operator's commands.
// The gRPC server (server.ts) is a thin layer over this class.
import type { Redis } from "ioredis";
import type { MigrationSummary__Output, MigrationProgress__Output, ReplicationProgress__Output } from "../../../proto/index.ts";
import type { CheckedMigrateSlots } from "./migrate-request.ts";
import { parseInfo } from "../../../common/engine-replies.ts";
import { compactSlots, countSlots, formatSlotRanges, rangesToSlots, type SlotRange } from "../../../common/slots.ts";
import { EngineDriver, downSnapshot, type EngineSnapshot } from "./engine.ts";
import { InvalidArgumentError, SidecarError, failedPrecondition } from "./errors.ts";
import { judgeLiveness, judgeReadiness, type Judgement } from "./health.ts";
import { FenceTokens } from "./fence.ts";
import { systemClock, type Clock } from "../../../common/clock.ts";
import { consoleLogger, pollUntil, type Logger, type MemberContext, type RunningMigration } from "./member-context.ts";
import * as migration from "./member-migration.ts";
import * as roles from "./member-roles.ts";
import { validateAddress, validateNodeId, validateSlotRanges, validateTimeoutMs, type PromoteModeName } from "./requests.ts";
import { buildStatus, engineRole, observationOf, readinessInputOf, significantPart, type MemberStatus } from "./status.ts";
import { checkTransition, InvalidTransitionError, reconciledState, requireState, restoredState, WrongStateError, type MemberStateName } from "./state-machine.ts";
import { readMemberState, stateFilePath, writeMemberState, type PersistedMemberState } from "./state-store.ts";
import type { SidecarSettings } from "./settings.ts";
import { NodeTimeoutKeeper } from "./node-timeout.ts";

export { consoleLogger, type Logger } from "./member-context.ts";

export class Member {
  private state: MemberStateName = "OFFLINE";
  private persisted: PersistedMemberState | undefined;
  private snapshot: EngineSnapshot = downSnapshot("not observed yet", Date.now());
  private status: MemberStatus;
  private lastRunId = "";
  private lastTickMs = Date.now();
  private lastError = "";
  private tickInFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private busy: string | undefined;
  private migration: RunningMigration | undefined;
  private readonly fence: FenceTokens;
  private readonly listeners = new Set<(s: MemberStatus) => void>();
  private readonly statePath: string;
  private readonly nodeTimeout: NodeTimeoutKeeper | undefined;
  readonly engine: EngineDriver;
  /** What the command files (member-roles.ts, member-migration.ts) see of this member. */
  private readonly context: MemberContext;

  constructor(readonly settings: SidecarSettings, private readonly log: Logger = consoleLogger, private readonly clock: Clock = systemClock) {
    this.fence = new FenceTokens(settings.fenceTokenTtlMs, clock);
    this.statePath = stateFilePath(settings.dataDir);
    this.persisted = readMemberState(this.statePath);
    this.engine = new EngineDriver(settings.podIp, settings.enginePort, settings.enginePassword);
    this.nodeTimeout = settings.nodeTimeoutMs === undefined ? undefined : new NodeTimeoutKeeper(this.engine, settings.nodeTimeoutMs, log);
    this.status = buildStatus(this.state, this.snapshot, null, "");
    this.context = {
      engine: this.engine, clock, log, fence: this.fence,
      state: () => this.state, snapshot: () => this.snapshot, status: () => this.status,
      refresh: () => this.refresh(), exclusive: (action, fn) => this.exclusive(action, fn),
      transition: (next, action) => this.transition(next, action), myself: () => this.myself(), publish: () => this.publish(),
      migration: () => this.migration, setMigration: (m) => { this.migration = m; },
    };
  }

  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      // A failing tick (e.g. the state file cannot be written) keeps being retried, but does not move
      // lastTickMs, so /livez fails after MDB_LIVENESS_STALE_MS and the kubelet restarts the sidecar.
      await this.refresh().catch((err: unknown) => {
        this.lastError = `observe: ${(err as Error).message}`;
        this.log.warn("observe tick failed", { error: (err as Error).message });
      });
      if (!this.stopped) this.timer = setTimeout(loop, this.settings.observeIntervalMs);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.migration?.controller.abort();
    await this.tickInFlight;
    await this.engine.close();
  }

  // ------------------------------------------------------------------------------------------------
  // observation, state restore and reconcile

  /** Observes the engine now (or joins the observation already running) and returns the fresh status. */
  async refresh(): Promise<MemberStatus> {
    if (!this.tickInFlight) {
      this.tickInFlight = this.tick().finally(() => { this.tickInFlight = undefined; });
    }
    await this.tickInFlight;
    return this.status;
  }

  private async tick(): Promise<void> {
    const snapshot = await this.engine.observe(this.clock.nowMs());
    this.snapshot = snapshot;
    if (snapshot.up) {
      const engineRestarted = snapshot.runId !== this.lastRunId;
      if (engineRestarted) {
        this.restoreAfterStart(snapshot);
        this.lastRunId = snapshot.runId;
      } else if (!this.busy) {
        const next = reconciledState(this.state, observationOf(snapshot), this.migration !== undefined);
        if (next) this.setState(next, `engine now ${engineRole(snapshot)} with ${observationOf(snapshot).slotsOwned} slots`);
      }
      await this.nodeTimeout?.keep(snapshot).catch((err: unknown) => this.log.warn("cannot set the engine's cluster-node-timeout", { error: (err as Error).message }));
      if (snapshot.nodeId && (this.state === "ONLINE" || this.state === "RECOVERED") && this.persisted?.engineNodeId !== snapshot.nodeId) {
        this.persist("engine node id changed while holding no data");
      } else if (this.persisted && this.persisted.engineHadKeys !== observationOf(snapshot).keys > 0) {
        this.persist(observationOf(snapshot).keys > 0 ? "engine now holds keys" : "engine now holds no keys");
      }
    }
    this.lastTickMs = this.clock.nowMs();
    this.publish();
  }

  /** The engine (re)started, or the sidecar did: decide where this member belongs (docs/architecture.md#member-states). */
  private restoreAfterStart(snapshot: EngineSnapshot): void {
    const before = this.state;
    const next = restoredState(this.persisted, observationOf(snapshot));
    const why = this.persisted
      ? `engine started (node ${snapshot.nodeId}); persisted ${this.persisted.state} for node ${this.persisted.engineNodeId || "(none)"}`
      : `engine started (node ${snapshot.nodeId}); no persisted state`;
    this.state = next;
    if (next !== before || this.persisted?.state !== next || this.persisted?.engineNodeId !== snapshot.nodeId) this.persist(why);
    if (next === "RECOVERED" && before !== "RECOVERED") this.log.warn("member RECOVERED: its engine lost its data; it must resync as a standby", { why });
    else this.log.info(`member restored as ${next}`, { why });
  }

  private persist(reason: string): void {
    const value: PersistedMemberState = {
      state: this.state, engineNodeId: this.snapshot.nodeId || this.persisted?.engineNodeId || "",
      engineHadKeys: this.snapshot.up ? observationOf(this.snapshot).keys > 0 : (this.persisted?.engineHadKeys ?? false),
      updatedAtMs: this.clock.nowMs(), reason,
    };
    writeMemberState(this.statePath, value);
    this.persisted = value;
  }

  private setState(next: MemberStateName, reason: string): void {
    if (next === this.state) return;
    const from = this.state;
    this.state = next;
    this.persist(reason);
    this.log.info(`state ${from} → ${next}`, { reason });
    this.publish();
  }

  /** Moves through the table, refusing a transition it does not allow (FAILED_PRECONDITION upstream). */
  private transition(next: MemberStateName, action: string): void {
    if (next === this.state) return;
    checkTransition(this.state, next, action);
    this.setState(next, action);
  }

  private publish(): void {
    const m = this.migration;
    const summary: MigrationSummary__Output | null = m ? {
      migrationId: m.id, source: { host: m.source.host, port: m.source.port, busPort: m.source.busPort },
      slotsTotal: m.slots.length, slotsDone: m.progress?.slotsDone ?? 0, keysMoved: m.progress?.keysMoved ?? 0,
    } : null;
    const before = significantPart(this.status);
    this.status = buildStatus(this.state, this.snapshot, summary, this.lastError);
    if (significantPart(this.status) !== before) for (const l of this.listeners) l(this.status);
  }

  currentStatus(): MemberStatus {
    return this.status;
  }

  /** Calls `listener` on every significant change; returns the unsubscribe function. */
  onChange(listener: (s: MemberStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  readiness(): Judgement {
    return judgeReadiness(readinessInputOf(this.state, this.snapshot));
  }

  liveness(nowMs: number): Judgement {
    return judgeLiveness(nowMs, this.lastTickMs, this.settings.livenessStaleMs);
  }

  // ------------------------------------------------------------------------------------------------
  // commands

  /** One mutating command at a time; reconcile pauses meanwhile so it does not race the command. */
  private async exclusive<T>(action: string, fn: () => Promise<T>): Promise<T> {
    if (this.busy) throw new SidecarError("ABORTED", `${action} refused: ${this.busy} is in progress on this member; retry when it has finished${this.busy === "MigrateSlots" ? " or CancelMigration" : ""}`);
    this.busy = action;
    try {
      await this.refresh();
      this.requireEngine(action);
      return await fn();
    } catch (err) {
      const refusal = err instanceof SidecarError ? err.code === "INVALID_ARGUMENT" || err.code === "FAILED_PRECONDITION" || err.code === "ABORTED" : err instanceof InvalidTransitionError || err instanceof WrongStateError;
      if (!refusal) {
        this.lastError = `${action}: ${(err as Error).message}`;
        this.log.warn(`${action} failed`, { error: (err as Error).message });
      }
      throw err;
    } finally {
      this.busy = undefined;
      await this.refresh().catch(() => undefined);
    }
  }

  private requireEngine(action: string): void {
    if (!this.snapshot.up) throw new SidecarError("UNAVAILABLE", `${action} needs the engine, which is not answering (${this.snapshot.error}); check the engine container`);
  }

  private myself() {
    const me = this.snapshot.myself;
    if (!me) throw new SidecarError("UNAVAILABLE", "the engine did not report itself in CLUSTER NODES; is cluster-enabled on?");
    return me;
  }

  async joinCluster(peersInput: { host?: string; port?: number; busPort?: number }[] | undefined, timeoutInput: number | undefined): Promise<{ knownNodes: number }> {
    if (!peersInput || peersInput.length === 0) throw new InvalidArgumentError("peers", "must name at least one engine address to meet");
    const peers = peersInput.map((p, i) => validateAddress(p, `peers[${i}]`));
    peers.forEach((p, i) => {
      if (!/^\d+\.\d+\.\d+\.\d+$/.test(p.host)) throw new InvalidArgumentError(`peers[${i}].host`, `"${p.host}" must be an IP address: CLUSTER MEET does not resolve names`);
    });
    const timeoutMs = validateTimeoutMs(timeoutInput, "timeoutMs", 10_000, 120_000);
    return this.exclusive("JoinCluster", async () => {
      requireState(this.state, ["ONLINE", "MIGRATING", "ACTIVE", "STANDBY", "RECOVERED"], "JoinCluster");
      const me = this.myself();
      const others = peers.filter((p) => !(p.host === me.host && p.port === me.port));
      for (const p of others) await this.engine.call("CLUSTER", "MEET", p.host, p.port, p.busPort);
      await pollUntil(async () => {
        const s = await this.refresh();
        const nodes = this.snapshot.nodes;
        const missing = others.filter((p) => !nodes.some((n) => n.host === p.host && n.port === p.port && !n.flags.includes("handshake") && !n.flags.includes("noaddr")));
        return missing.length === 0 ? s : undefined;
      }, timeoutMs, () => `every peer to complete the cluster handshake (${others.map((p) => `${p.host}:${p.port}`).join(", ")})`);
      // Joining a cluster that already serves slots: return once this engine has learned the slot map
      // (cluster_state ok), so the next command (MigrateSlots, ReplicateFrom) sees the whole cluster.
      const peerView = others.length > 0 ? await clusterInfoOf(this.engine.connectPeer(others[0].host, others[0].port)) : undefined;
      const peerSlots = Number(peerView?.get("cluster_slots_assigned") ?? 0);
      if (peerSlots > 0) {
        await pollUntil(async () => {
          await this.refresh();
          const info = this.snapshot.clusterInfo;
          const caughtUp = Number(info.get("cluster_slots_assigned") ?? 0) >= peerSlots;
          const stateMatches = peerView?.get("cluster_state") !== "ok" || info.get("cluster_state") === "ok";
          return caughtUp && stateMatches ? true : undefined;
        }, timeoutMs, () => `this engine to learn the cluster's ${peerSlots} assigned slots (knows ${this.snapshot.clusterInfo.get("cluster_slots_assigned")}, cluster_state ${this.snapshot.clusterInfo.get("cluster_state")})`);
      }
      return { knownNodes: this.status.clusterKnownNodes };
    });
  }

  async assignSlots(rangesInput: { start?: number; end?: number }[] | undefined): Promise<MemberStatus> {
    const ranges = validateSlotRanges(rangesInput, "slots");
    return this.exclusive("AssignSlots", async () => {
      requireState(this.state, ["ONLINE", "ACTIVE"], "AssignSlots", "assign slots to an empty or active primary; to move owned slots use MigrateSlots");
      if (engineRole(this.snapshot) !== "primary") throw failedPrecondition("AssignSlots: the engine is a replica; only a primary can own slots");
      const wanted = new Set(rangesToSlots(ranges));
      const me = this.myself();
      const owners = new Map<number, string>();
      for (const n of this.snapshot.nodes) for (const r of n.slots) for (let s = r.start; s <= r.end; s++) if (wanted.has(s)) owners.set(s, n.id);
      const ownedElsewhere = [...owners].filter(([, id]) => id !== me.id);
      if (ownedElsewhere.length > 0) {
        const [slot, owner] = ownedElsewhere[0];
        throw failedPrecondition(`AssignSlots: slot ${slot} (and ${ownedElsewhere.length - 1} more) is already owned by node ${owner}; use MigrateSlots on this member to move owned slots`);
      }
      const toAdd = compactSlots([...wanted].filter((s) => !owners.has(s)));
      if (this.state === "ONLINE") this.transition("MIGRATING", "AssignSlots");
      try {
        for (const r of toAdd) await this.engine.call("CLUSTER", "ADDSLOTSRANGE", r.start, r.end);
        // Make the new ownership win over any stale gossip (epoch collision), as redis-cli --cluster create does.
        await this.engine.call("CLUSTER", "BUMPEPOCH");
      } catch (err) {
        throw new SidecarError("FAILED_PRECONDITION", `AssignSlots: the engine refused CLUSTER ADDSLOTSRANGE: ${(err as Error).message}`);
      } finally {
        await this.refresh();
        if (this.state === "MIGRATING") this.transition(countSlots(this.myself().slots) > 0 ? "ACTIVE" : "ONLINE", "AssignSlots");
      }
      return this.status;
    });
  }

  async replicateFrom(primaryIdInput: string | undefined, timeoutInput: number | undefined, onProgress: (p: ReplicationProgress__Output) => void): Promise<void> {
    return roles.replicateFrom(this.context, primaryIdInput, timeoutInput, onProgress);
  }

  prepareTakeover(): { fenceToken: string; primaryNodeId: string; expiresAtMs: number } {
    return roles.prepareTakeover(this.context);
  }

  promote(mode: PromoteModeName, fenceToken: string, timeoutInput: number | undefined): Promise<{ status: MemberStatus; offsetAtSwitch: number; pauseMs: number }> {
    return roles.promote(this.context, mode, fenceToken, timeoutInput);
  }

  /** MigrateSlots on this member (the target), with the request checked at the gRPC edge (migrate-request.ts). */
  migrateSlots(checked: CheckedMigrateSlots, signal: AbortSignal, onProgress: (p: MigrationProgress__Output) => void): Promise<MigrationProgress__Output> {
    return migration.migrateSlots(this.context, checked, signal, onProgress);
  }

  cancelMigration(id: string): { wasRunning: boolean } {
    return migration.cancelMigration(this.context, id);
  }

  async forgetNode(nodeIdInput: string | undefined): Promise<void> {
    const nodeId = validateNodeId(nodeIdInput, "nodeId");
    await this.exclusive("ForgetNode", async () => {
      const me = this.myself();
      if (nodeId === me.id) throw new InvalidArgumentError("nodeId", "is this member's own node id; use LeaveCluster to leave");
      if (!this.snapshot.nodes.some((n) => n.id === nodeId)) throw new SidecarError("NOT_FOUND", `ForgetNode: node ${nodeId} is not known to this engine`);
      if (me.primaryId === nodeId) throw failedPrecondition(`ForgetNode: node ${nodeId} is this member's primary; promote or re-point this standby first`);
      try {
        await this.engine.call("CLUSTER", "FORGET", nodeId);
      } catch (err) {
        throw failedPrecondition(`ForgetNode: the engine refused CLUSTER FORGET ${nodeId}: ${(err as Error).message}`);
      }
    });
  }

  async leaveCluster(): Promise<{ forgottenBy: string[] }> {
    return this.exclusive("LeaveCluster", async () => {
      const me = this.myself();
      if (me.slots.length > 0) throw failedPrecondition(`LeaveCluster: this member still owns slots ${formatSlotRanges(me.slots)}; migrate them to another primary first`);
      if (this.migration || me.importing.length > 0 || me.migrating.length > 0) throw failedPrecondition("LeaveCluster: slots are being imported or migrated; wait for or cancel the migration first");
      const replicas = this.snapshot.nodes.filter((n) => n.primaryId === me.id && !n.failed);
      if (replicas.length > 0) throw failedPrecondition(`LeaveCluster: standbys ${replicas.map((r) => r.id).join(", ")} follow this member; re-point or remove them first`);
      requireState(this.state, ["ONLINE", "MIGRATING", "STANDBY"], "LeaveCluster");
      if (this.state !== "ONLINE") this.transition("ONLINE", "LeaveCluster");
      const forgottenBy: string[] = [];
      // Every peer not known to have failed, even one whose bus link is reconnecting this moment (a
      // restarted engine): FORGET goes over a client connection of its own, not over the bus link.
      for (const n of this.snapshot.nodes.filter((x) => !x.myself && !x.failed)) {
        const peer = this.engine.connectPeer(n.host, n.port);
        try {
          await peer.call("CLUSTER", "FORGET", me.id);
          forgottenBy.push(n.id);
        } catch (err) {
          this.log.warn("a peer did not forget the leaving member", { peer: n.id, error: (err as Error).message });
        } finally {
          peer.disconnect();
        }
      }
      // Within the engines' 60 s forget ban, reset so this engine stops gossiping the old cluster.
      await this.wipeEngine();
      await this.refresh();
      this.persist("LeaveCluster: engine reset with a new node id");
      return { forgottenBy };
    });
  }

  /**
   * FLUSHALL + CLUSTER RESET HARD (new node id, no cluster). A replica refuses FLUSHALL (READONLY) but
   * RESET turns it into an empty primary; a primary refuses RESET while it holds keys: so the order
   * depends on the role.
   */
  private async wipeEngine(): Promise<void> {
    if (engineRole(this.snapshot) === "replica") {
      await this.engine.call("CLUSTER", "RESET", "HARD");
      await this.engine.call("FLUSHALL");
    } else {
      await this.engine.call("FLUSHALL");
      await this.engine.call("CLUSTER", "RESET", "HARD");
    }
  }

  async reset(): Promise<{ newNodeId: string }> {
    return this.exclusive("Reset", async () => {
      requireState(this.state, ["ONLINE", "RECOVERED"], "Reset", this.state === "ACTIVE" ? "migrate its slots away and LeaveCluster first" : "");
      const me = this.myself();
      if (me.slots.length > 0) throw failedPrecondition(`Reset: this member still owns slots ${formatSlotRanges(me.slots)}; migrate them away first`);
      await this.wipeEngine();
      await this.refresh();
      this.persist("Reset: engine flushed and reset");
      return { newNodeId: this.snapshot.nodeId };
    });
  }
}

async function clusterInfoOf(peer: Redis): Promise<Map<string, string> | undefined> {
  try {
    return parseInfo(String(await peer.call("CLUSTER", "INFO")));
  } catch {
    return undefined;
  } finally {
    peer.disconnect();
  }
}

export type { SlotRange };
