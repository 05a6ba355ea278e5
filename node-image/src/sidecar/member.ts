// The member: owns the state machine, observes its engine, and carries out the operator's commands.
// The gRPC server (server.ts) is a thin layer over this class.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import {
  migrateSlots as runMigration, withOtherPrimaries, MigrationPreconditionError, type MigrationProgress as LibProgress, type MigrationResult,
} from "../migration/index.ts";
import type { MigrationSummary__Output, MigrationProgress__Output, ReplicationProgress__Output } from "../../../proto/index.ts";
import type { CheckedMigrateSlots } from "./migrate-request.ts";
import { parseInfo } from "../../../common/engine-replies.ts";
import { compactSlots, countSlots, formatSlotRanges, rangesToSlots, type SlotRange } from "../../../common/slots.ts";
import { EngineDriver, downSnapshot, type EngineSnapshot } from "./engine.ts";
import { InvalidArgumentError, SidecarError, failedPrecondition } from "./errors.ts";
import { judgeLiveness, judgeReadiness, type Judgement } from "./health.ts";
import { FenceTokens } from "./fence.ts";
import { systemClock, type Clock } from "../../../common/clock.ts";
import { validateAddress, validateNodeId, validateSlotRanges, validateTimeoutMs, type Address, type PromoteModeName } from "./requests.ts";
import { buildStatus, engineRole, observationOf, readinessInputOf, significantPart, type MemberStatus } from "./status.ts";
import { checkTransition, InvalidTransitionError, reconciledState, requireState, restoredState, WrongStateError, type MemberStateName } from "./state-machine.ts";
import { readMemberState, stateFilePath, writeMemberState, type PersistedMemberState } from "./state-store.ts";
import type { SidecarSettings } from "./settings.ts";
import { sleep } from "../../../common/wait.ts";
import { NodeTimeoutKeeper } from "./node-timeout.ts";

export interface Logger { info(msg: string, fields?: Record<string, unknown>): void; warn(msg: string, fields?: Record<string, unknown>): void }

export const consoleLogger: Logger = {
  info: (msg, fields) => console.log(JSON.stringify({ level: "info", time: new Date().toISOString(), msg, ...fields })),
  warn: (msg, fields) => console.log(JSON.stringify({ level: "warn", time: new Date().toISOString(), msg, ...fields })),
};

interface RunningMigration {
  id: string;
  source: Address;
  slots: number[];
  controller: AbortController;
  progress: LibProgress | undefined;
}


/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
async function pollUntil<T>(check: () => Promise<T | undefined>, timeoutMs: number, what: () => string, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new SidecarError("DEADLINE_EXCEEDED", `timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(intervalMs);
  }
}

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

  constructor(readonly settings: SidecarSettings, private readonly log: Logger = consoleLogger, private readonly clock: Clock = systemClock) {
    this.fence = new FenceTokens(settings.fenceTokenTtlMs, clock);
    this.statePath = stateFilePath(settings.dataDir);
    this.persisted = readMemberState(this.statePath);
    this.engine = new EngineDriver(settings.podIp, settings.enginePort, settings.enginePassword);
    this.nodeTimeout = settings.nodeTimeoutMs === undefined ? undefined : new NodeTimeoutKeeper(this.engine, settings.nodeTimeoutMs, log);
    this.status = buildStatus(this.state, this.snapshot, null, "");
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

  /** The engine (re)started, or the sidecar did: decide where this member belongs (DESIGN §4). */
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
    const primaryId = validateNodeId(primaryIdInput, "primaryNodeId");
    const timeoutMs = validateTimeoutMs(timeoutInput, "timeoutMs", 600_000, 3_600_000);
    await this.exclusive("ReplicateFrom", async () => {
      requireState(this.state, ["ONLINE", "RECOVERED", "STANDBY"], "ReplicateFrom", "a member with slots must migrate them away first");
      checkTransition(this.state === "STANDBY" ? "ONLINE" : this.state, "STANDBY", "ReplicateFrom");
      const me = this.myself();
      if (primaryId === me.id) throw new InvalidArgumentError("primaryNodeId", "is this member's own node id; name the primary to follow");
      if (countSlots(me.slots) > 0) throw failedPrecondition(`ReplicateFrom: the engine owns slots ${formatSlotRanges(me.slots)}; migrate them away first`);
      const primary = this.snapshot.nodes.find((n) => n.id === primaryId);
      if (!primary) throw failedPrecondition(`ReplicateFrom: node ${primaryId} is not known to this engine; call JoinCluster with its address first`);
      if (!primary.primary) throw failedPrecondition(`ReplicateFrom: node ${primaryId} is a replica, not a primary; name its primary ${primary.primaryId}`);
      const keys = observationOf(this.snapshot).keys;
      // A replica may switch primaries with its data (the new primary's full sync replaces it); a
      // primary must be empty before the engine lets it become a replica.
      if (keys > 0 && me.primaryId !== primaryId && engineRole(this.snapshot) === "primary") {
        if (this.state !== "RECOVERED") throw failedPrecondition(`ReplicateFrom: the engine holds ${keys} keys and the member is ${this.state}; call Reset first (a standby starts empty)`);
        // A RECOVERED member's data is stale by definition; the full sync replaces it.
        await this.engine.call("FLUSHALL");
      }
      if (me.primaryId !== primaryId) await this.engine.call("CLUSTER", "REPLICATE", primaryId);
      const peer = this.engine.connectPeer(primary.host, primary.port);
      try {
        await pollUntil(async () => {
          await this.refresh();
          const info = this.snapshot.info;
          const primaryOffset = await primaryReplOffset(peer);
          const linkUp = info.get("master_link_status") === "up";
          const syncing = info.get("master_sync_in_progress") === "1";
          const offset = Number(info.get("slave_repl_offset") ?? 0);
          const phase = syncing ? "syncing" : !linkUp ? "connecting" : offset < primaryOffset ? "catching-up" : "in-sync";
          const inSync = phase === "in-sync" || (linkUp && !syncing && primaryOffset - offset < 1024 * 1024 && this.snapshot.myself?.primaryId === primaryId);
          const progress: ReplicationProgress__Output = {
            phase, linkUp,
            syncTotalBytes: Number(info.get("master_sync_total_bytes") ?? 0),
            syncReadBytes: Number(info.get("master_sync_read_bytes") ?? 0),
            primaryOffset, offset, state: this.state, done: false,
          };
          if (!inSync) { onProgress(progress); return undefined; }
          this.transition("STANDBY", "ReplicateFrom");
          onProgress({ ...progress, phase: "in-sync", state: this.state, done: true });
          return true;
        }, timeoutMs, () => `the full sync from ${primaryId} (link ${this.snapshot.info.get("master_link_status") ?? "?"})`, 200);
      } finally {
        peer.disconnect();
      }
    });
  }

  prepareTakeover(): { fenceToken: string; primaryNodeId: string; expiresAtMs: number } {
    requireState(this.state, ["STANDBY"], "PrepareTakeover");
    const me = this.snapshot.myself;
    if (!me || !me.primaryId) throw failedPrecondition("PrepareTakeover: the engine follows no primary");
    const grant = this.fence.issue(me.primaryId);
    this.log.warn("fence token issued for TAKEOVER", { primaryNodeId: me.primaryId, expiresAtMs: grant.expiresAtMs });
    return { fenceToken: grant.token, primaryNodeId: grant.primaryNodeId, expiresAtMs: grant.expiresAtMs };
  }

  async promote(mode: PromoteModeName, fenceToken: string, timeoutInput: number | undefined): Promise<{ status: MemberStatus; offsetAtSwitch: number; pauseMs: number }> {
    const timeoutMs = validateTimeoutMs(timeoutInput, "timeoutMs", 30_000, 600_000);
    if (mode !== "TAKEOVER" && fenceToken) throw new InvalidArgumentError("fenceToken", `is only used with mode TAKEOVER, not ${mode}`);
    return this.exclusive("Promote", async () => {
      if (this.state === "ACTIVE") throw failedPrecondition(`Promote ${mode}: the member is already ACTIVE (a primary serving its slots)`);
      checkTransition(this.state, "ACTIVE", `Promote ${mode}`);
      requireState(this.state, ["STANDBY"], `Promote ${mode}`);
      const me = this.myself();
      if (engineRole(this.snapshot) !== "replica" || !me.primaryId) throw failedPrecondition(`Promote ${mode}: the engine is not a replica of any primary`);
      const linkUp = this.snapshot.info.get("master_link_status") === "up";
      let args: string[];
      if (mode === "GRACEFUL") {
        if (!linkUp) throw failedPrecondition(`Promote GRACEFUL: the replication link to primary ${me.primaryId} is down, so a switchover cannot confirm every acknowledged write; use FORCE if the primary is gone`);
        args = ["CLUSTER", "FAILOVER"];
      } else if (mode === "FORCE") {
        if (linkUp) throw failedPrecondition(`Promote FORCE: primary ${me.primaryId} is reachable (replication link up); use GRACEFUL so no acknowledged write is lost`);
        args = ["CLUSTER", "FAILOVER", "FORCE"];
      } else {
        const refused = this.fence.redeem(fenceToken, me.primaryId);
        if (refused) throw failedPrecondition(refused);
        args = ["CLUSTER", "FAILOVER", "TAKEOVER"];
      }
      if (mode === "GRACEFUL") await this.waitUntilCaughtUp(me.primaryId, 5000);
      const started = this.clock.nowMs();
      await this.engine.call(...args);
      // For GRACEFUL the engine's manual failover pauses writers on the primary and waits until this
      // replica's offset equals the primary's before it switches, so no acknowledged write is lost.
      await pollUntil(async () => {
        await this.refresh();
        const nowMe = this.snapshot.myself;
        return engineRole(this.snapshot) === "primary" && nowMe && countSlots(nowMe.slots) > 0 ? true : undefined;
      }, timeoutMs, () => `the engine to become primary after ${args.join(" ")} (still ${engineRole(this.snapshot)})`, 50);
      const pauseMs = this.clock.nowMs() - started;
      this.transition("ACTIVE", `Promote ${mode}`);
      return { status: this.status, offsetAtSwitch: Number(this.snapshot.info.get("master_repl_offset") ?? 0), pauseMs };
    });
  }

  /**
   * Before a switchover, let the replica catch up (lag ≤ 64 KiB) so the engine's manual failover, which
   * pauses writers on the primary until the offsets match, pauses them only briefly. Best effort: the
   * engine's own check is what guarantees no acknowledged write is lost.
   */
  private async waitUntilCaughtUp(primaryId: string, maxWaitMs: number): Promise<void> {
    const primary = this.snapshot.nodes.find((n) => n.id === primaryId);
    if (!primary) return;
    const peer = this.engine.connectPeer(primary.host, primary.port);
    try {
      const deadline = Date.now() + maxWaitMs;
      while (Date.now() < deadline) {
        const [primaryOffset, info] = await Promise.all([primaryReplOffset(peer), this.engine.callString("INFO", "replication")]);
        const mine = Number(parseInfo(info).get("slave_repl_offset") ?? 0);
        if (primaryOffset === 0 || primaryOffset - mine <= 64 * 1024) return;
        await sleep(20);
      }
    } finally {
      peer.disconnect();
    }
  }

  /** MigrateSlots on this member (the target), with the request checked at the gRPC edge (migrate-request.ts). */
  async migrateSlots(checked: CheckedMigrateSlots, signal: AbortSignal, onProgress: (p: MigrationProgress__Output) => void): Promise<MigrationProgress__Output> {
    let libRequest = checked.request;
    const { progressIntervalMs } = checked;
    const source = { ...libRequest.source, busPort: libRequest.source.busPort ?? libRequest.source.port + 10000 };
    if (this.migration) throw new SidecarError("ALREADY_EXISTS", `MigrateSlots: migration ${this.migration.id} is running on this member; wait for it or CancelMigration`);
    return this.exclusive("MigrateSlots", async () => {
      requireState(this.state, ["ONLINE", "ACTIVE", "MIGRATING"], "MigrateSlots", "the target must be an empty or active primary");
      if (engineRole(this.snapshot) !== "primary") throw failedPrecondition("MigrateSlots: this member's engine is a replica; call MigrateSlots on a primary (the target)");
      const me = this.myself();
      const sourceNode = this.snapshot.nodes.find((n) => n.host === source.host && n.port === source.port);
      if (!sourceNode) throw failedPrecondition(`MigrateSlots: source ${source.host}:${source.port} is not in this engine's cluster; JoinCluster first`);
      if (libRequest.otherPrimaries === undefined) {
        // Default: every other primary with slots learns the new owner (step 3 of DESIGN §6).
        libRequest = withOtherPrimaries(libRequest, this.snapshot.nodes
          .filter((n) => n.primary && !n.failed && n.id !== me.id && n.id !== sourceNode.id && n.slots.length > 0)
          .map((n) => ({ host: n.host, port: n.port })));
      }
      const running: RunningMigration = { id: randomUUID(), source, slots: [...libRequest.slots], controller: new AbortController(), progress: undefined };
      const abortFromCaller = () => running.controller.abort();
      if (signal.aborted) throw new SidecarError("ABORTED", "MigrateSlots: the caller cancelled before the migration started");
      signal.addEventListener("abort", abortFromCaller, { once: true });
      this.migration = running;
      this.transition("MIGRATING", "MigrateSlots");
      const toProto = (p: LibProgress): MigrationProgress__Output => ({
        migrationId: running.id, slotsTotal: p.slotsTotal, slotsDone: p.slotsDone, slotsFailed: p.slotsFailed,
        keysMoved: p.keysMoved, bytesMoved: p.bytesMoved, keysPerSecond: p.keysPerSecond, bytesPerSecond: p.bytesPerSecond,
        activeSlots: p.activeSlots, maxSourceBlockMs: p.maxSourceBlockMs, guard: p.guard, done: false, cancelled: false, failedSlots: [],
        elapsedMs: this.clock.nowMs() - startedAtMs,
      });
      const startedAtMs = this.clock.nowMs();
      this.log.info("migration started", { id: running.id, source: `${source.host}:${source.port}`, slots: formatSlotRanges(compactSlots(running.slots)) });
      let result: MigrationResult;
      try {
        onProgress(toProto({ slotsTotal: running.slots.length, slotsDone: 0, slotsFailed: 0, keysMoved: 0, bytesMoved: 0, keysPerSecond: 0, bytesPerSecond: 0, activeSlots: [], maxSourceBlockMs: 0, guard: null }));
        result = await runMigration(libRequest, {
          signal: running.controller.signal,
          progressIntervalMs,
          onProgress: (p) => { running.progress = p; this.publish(); onProgress(toProto(p)); },
        });
      } catch (err) {
        if (err instanceof MigrationPreconditionError) throw failedPrecondition(`MigrateSlots: ${err.message}`);
        throw err;
      } finally {
        signal.removeEventListener("abort", abortFromCaller);
        this.migration = undefined;
        await this.refresh();
        const owns = countSlots(this.myself().slots) > 0;
        if (this.state === "MIGRATING" && !observationOf(this.snapshot).importingOrMigrating) this.transition(owns ? "ACTIVE" : "ONLINE", "MigrateSlots finished");
      }
      this.log.info("migration finished", { id: running.id, cancelled: result.cancelled, slotsDone: result.slotsDone, failed: result.failedSlots.length, keysMoved: result.keysMoved, elapsedMs: result.elapsedMs });
      return { ...toProto(result), done: true, cancelled: result.cancelled, failedSlots: result.failedSlots, elapsedMs: result.elapsedMs };
    });
  }

  cancelMigration(id: string): { wasRunning: boolean } {
    const m = this.migration;
    if (!m) return { wasRunning: false };
    if (id && id !== m.id) throw new SidecarError("NOT_FOUND", `CancelMigration: migration ${id} is not running here; the running one is ${m.id}`);
    m.controller.abort();
    this.log.info("migration cancel requested", { id: m.id });
    return { wasRunning: true };
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

async function primaryReplOffset(peer: Redis): Promise<number> {
  try {
    const info = String(await peer.call("INFO", "replication"));
    const m = /master_repl_offset:(\d+)/.exec(info);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export type { SlotRange };
