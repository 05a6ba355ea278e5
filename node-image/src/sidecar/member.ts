// The member: owns the state machine, observes its engine, persists its state, and runs one command at
// a time. The commands are functions over its MemberContext in files by concept (member-cluster.ts,
// member-roles.ts, member-migration.ts); this class hands each one over. The gRPC server (server.ts)
// checks the requests and converts them and the results, so nothing here speaks proto.
import { systemClock, type Clock } from "../../../common/clock.ts";
import type {
  AssignSlotsCommand, CancelMigrationCommand, CancelMigrationResult, CheckedMigrateSlots, ForgetNodeCommand, JoinClusterCommand, JoinClusterResult,
  LeaveClusterResult, MemberApi, MigrationReport, PromoteCommand, PromoteResult, ReplicateFromCommand, ReplicationProgress, ResetResult, TakeoverGrant,
} from "./commands.ts";
import { EngineDriver, downSnapshot, type EngineSnapshot } from "./engine.ts";
import type { MemberMetricsView } from "./engine-metrics.ts";
import { SidecarError } from "./errors.ts";
import { FenceTokens } from "./fence.ts";
import { judgeLiveness, judgeReadiness, type Judgement } from "./health.ts";
import * as cluster from "./member-cluster.ts";
import { sidecarLogger, type Logger } from "./log.ts";
import type { MemberContext, RunningMigration } from "./member-context.ts";
import * as migration from "./member-migration.ts";
import * as roles from "./member-roles.ts";
import { ShutdownHandover, stopVerdict, type StopVerdict } from "./shutdown-handover.ts";
import { NodeTimeoutKeeper } from "./node-timeout.ts";
import type { SidecarSettings } from "./settings.ts";
import { checkTransition, InvalidTransitionError, reconciledState, restoredState, WrongStateError, type MemberStateName } from "./state-machine.ts";
import { readMemberState, stateFilePath, writeMemberState, type PersistedMemberState } from "./state-store.ts";
import { buildStatus, engineRole, observationOf, readinessInputOf, significantPart, type MemberStatus, type MigrationSummary } from "./status.ts";

export class Member implements MemberApi {
  private state: MemberStateName = "OFFLINE";
  private persisted: PersistedMemberState | undefined;
  private snapshot: EngineSnapshot = downSnapshot("not observed yet", Date.now());
  private status: MemberStatus;
  private lastRunId = "";
  private lastRole: "primary" | "replica" | "unknown" = "unknown";
  private becamePrimaryAtMs: number | undefined;
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
  private readonly handover: ShutdownHandover;
  readonly engine: EngineDriver;
  /** The digest of the TLS files in use, reported in status (tls-files.ts); "" without TLS. */
  tlsDigest: () => string = () => "";
  /** What the command files (member-cluster.ts, member-roles.ts, member-migration.ts) see of this member. */
  private readonly context: MemberContext;

  constructor(readonly settings: SidecarSettings, private readonly log: Logger = sidecarLogger(settings), private readonly clock: Clock = systemClock) {
    this.fence = new FenceTokens(settings.fenceTokenTtlMs, clock);
    this.statePath = stateFilePath(settings.dataDir);
    this.persisted = readMemberState(this.statePath);
    this.engine = new EngineDriver(settings.podIp, settings.enginePort, settings.enginePassword, settings.engineTls);
    this.nodeTimeout = settings.nodeTimeoutMs === undefined ? undefined : new NodeTimeoutKeeper(this.engine, settings.nodeTimeoutMs, log);
    this.handover = new ShutdownHandover(this.engine, log);
    this.status = buildStatus(this.state, this.snapshot, null, "");
    this.context = {
      engine: this.engine, clock, log, fence: this.fence,
      state: () => this.state, snapshot: () => this.snapshot, becamePrimaryAtMs: () => this.becamePrimaryAtMs, status: () => this.status,
      refresh: () => this.refresh(), exclusive: (action, fn) => this.exclusive(action, fn),
      transition: (next, action) => this.transition(next, action), persist: (reason) => this.persist(reason),
      myself: () => this.myself(), publish: () => this.publish(),
      migration: () => this.migration, setMigration: (m) => { this.migration = m; },
    };
  }

  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      // A failing tick (e.g. the state file cannot be written) keeps being retried, but does not move
      // lastTickMs, so /livez fails after settings.livenessStaleMs and the kubelet restarts the sidecar.
      await this.refresh().catch((err: unknown) => {
        this.lastError = `observe: ${(err as Error).message}`;
        this.log.warn("observe tick failed", { error: (err as Error).message });
      });
      if (!this.stopped) this.timer = setTimeout(loop, this.settings.observeIntervalMs);
    };
    // An engine that dies closes its connection: observe it then rather than at the next tick, so its
    // death is reported at once (docs/architecture.md#failure-handling).
    this.engine.onDisconnect(() => this.observeAfterTick());
    void loop();
  }

  /** One more observation now, after the one in flight (which may have begun before the news). */
  private observeAfterTick(): void {
    if (this.stopped) return;
    void (this.tickInFlight ?? Promise.resolve()).then(() => (this.stopped ? undefined : this.refresh())).catch(() => undefined);
  }

  /**
   * Called on the sidecar's SIGTERM before it closes its servers: observes and reports every 100 ms while
   * the engine hands its slots over as it stops (shutdown-handover.ts stopVerdict), up to `limitMs`.
   */
  async reportWhileEngineStops(limitMs: number): Promise<{ verdict: StopVerdict; waitedMs: number }> {
    const startedAt = this.clock.nowMs();
    for (;;) {
      await this.refresh().catch(() => undefined);
      const s = this.snapshot;
      const verdict = stopVerdict({
        up: s.up, primaryWithSlots: engineRole(s) === "primary" && observationOf(s).slotsOwned > 0, stopping: s.info.has("shutdown_in_milliseconds"),
      }, this.clock.nowMs() - startedAt, limitMs);
      if (verdict !== "wait") return { verdict, waitedMs: this.clock.nowMs() - startedAt };
      await new Promise((r) => setTimeout(r, 100));
    }
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
    const role = engineRole(snapshot);
    if (role === "primary" && this.lastRole === "replica") this.becamePrimaryAtMs = snapshot.observedAtMs;
    if (role !== "unknown") this.lastRole = role;
    if (snapshot.up) {
      const engineRestarted = snapshot.runId !== this.lastRunId;
      if (engineRestarted) {
        this.becamePrimaryAtMs = undefined; // a new engine process holds no election of its own yet
        this.restoreAfterStart(snapshot);
        this.lastRunId = snapshot.runId;
      } else if (!this.busy) {
        const next = reconciledState(this.state, observationOf(snapshot), this.migration !== undefined);
        if (next) this.setState(next, `engine now ${engineRole(snapshot)} with ${observationOf(snapshot).slotsOwned} slots`);
      }
      await this.nodeTimeout?.keep(snapshot).catch((err: unknown) => this.log.warn("cannot set the engine's cluster-node-timeout", { error: (err as Error).message }));
      await this.handover.keep(snapshot);
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
    const summary: MigrationSummary | null = m ? {
      migrationId: m.id, source: { host: m.source.host, port: m.source.port, busPort: m.source.busPort },
      slotsTotal: m.slots.length, slotsDone: m.progress?.slotsDone ?? 0, keysMoved: m.progress?.keysMoved ?? 0,
    } : null;
    const before = significantPart(this.status);
    this.status = buildStatus(this.state, this.snapshot, summary, this.lastError, this.tlsDigest());
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

  /** What /metrics shows: the engine observed now (as last observed when that fails), the state and the migration this member drives. */
  async metricsView(): Promise<MemberMetricsView> {
    await this.refresh().catch(() => undefined);
    const m = this.migration;
    return { state: this.state, ready: this.status.ready, snapshot: this.snapshot, migration: m && { slotsTotal: m.slots.length, progress: m.progress }, nowMs: this.clock.nowMs() };
  }

  readiness(): Judgement {
    return judgeReadiness(readinessInputOf(this.state, this.snapshot));
  }

  liveness(nowMs: number): Judgement {
    return judgeLiveness(nowMs, this.lastTickMs, this.settings.livenessStaleMs);
  }

  // ------------------------------------------------------------------------------------------------
  // the gate every mutating command passes

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
      // The gRPC edge logs the failure (server.ts); the status carries it too.
      if (!refusal) this.lastError = `${action}: ${(err as Error).message}`;
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

  // The commands, each checked at the gRPC edge (requests.ts, migrate-request.ts).

  joinCluster(command: JoinClusterCommand): Promise<JoinClusterResult> {
    return cluster.joinCluster(this.context, command);
  }

  assignSlots(command: AssignSlotsCommand): Promise<MemberStatus> {
    return cluster.assignSlots(this.context, command);
  }

  forgetNode(command: ForgetNodeCommand): Promise<void> {
    return cluster.forgetNode(this.context, command);
  }

  leaveCluster(): Promise<LeaveClusterResult> {
    return cluster.leaveCluster(this.context);
  }

  reset(): Promise<ResetResult> {
    return cluster.reset(this.context);
  }

  replicateFrom(command: ReplicateFromCommand, onProgress: (p: ReplicationProgress) => void): Promise<void> {
    return roles.replicateFrom(this.context, command, onProgress);
  }

  prepareTakeover(): TakeoverGrant {
    return roles.prepareTakeover(this.context);
  }

  promote(command: PromoteCommand): Promise<PromoteResult> {
    return roles.promote(this.context, command);
  }

  /** MigrateSlots on this member (the target). */
  migrateSlots(command: CheckedMigrateSlots, signal: AbortSignal, onProgress: (p: MigrationReport) => void): Promise<MigrationReport> {
    return migration.migrateSlots(this.context, command, signal, onProgress);
  }

  cancelMigration(command: CancelMigrationCommand): CancelMigrationResult {
    return migration.cancelMigration(this.context, command);
  }
}
