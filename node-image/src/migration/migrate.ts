// The migration engine's entry: moves slots from a source primary to a target primary (docs/architecture/migration.md).
//
// MigrationRun connects, checks that the engines can take part, picks a strategy — the engines' atomic
// slot migration (atomic.ts) when both offer it, else key by key (key-by-key.ts, with the SETSLOT
// protocol in setslot.ts and the batch strategies in batch-*.ts) — and, unless disabled, runs the
// latency guard (guard.ts, probe.ts) that paces either by what the engines' clients feel.
// A MIGRATE error other than BUSYKEY aborts that slot without claiming it: it stays MIGRATING/IMPORTING
// and a resume (the same call again) continues it. A slot the target already owns is done.
import type { Redis } from "ioredis";
import { systemClock, type Clock } from "../../../common/clock.ts";
import { engineIdentityOf, engineLabel, enginesCompatible } from "../../../common/engine-image.ts";
import { parseInfo } from "../../../common/engine-replies.ts";
import { clusterViewOf, type ClusterView } from "./clusterView.ts";
import type { MigrationContext } from "./context.ts";
import { MigrationPreconditionError, errorText, openEngine, probeAtomicSlotMigration, setSlotScriptable } from "./connection.ts";
import { DECISION_INTERVAL_MS, LatencyGuard, probeP99 } from "./guard.ts";
import { SLOT_WORK_KEYS } from "./rate.ts";
import { KeyByKeyMove } from "./key-by-key.ts";
import { AtomicMove } from "./atomic.ts";
import { Pace } from "./pace.ts";
import { LatencyProbe, checkProbePriority } from "./probe.ts";
import { ProgressTracker } from "./progress.ts";
import type { EngineAddress, MigrateOptions, MigrationRequest, MigrationResult } from "./request.ts";

/** How long the probes watch the idle engines before the move: a p99 of 200 samples (half a second missed the spikes a shared machine has every few seconds). */
export const BASELINE_MS = 1000;

/** Moves `req.slots` (a request checked by validateMigrateSlotsRequest) from source to target. */
export async function migrateSlots(req: MigrationRequest, opts: MigrateOptions = {}): Promise<MigrationResult> {
  const run = new MigrationRun(req, opts);
  try {
    return await run.execute();
  } finally {
    run.close();
  }
}

class MigrationRun implements MigrationContext {
  readonly clock: Clock;
  readonly progress: ProgressTracker;
  readonly pace: Pace;
  scriptingUnavailable = false;
  setSlotScriptable = true;
  fatal: string | undefined;
  source!: Redis;
  target!: Redis;
  others: Redis[] = [];
  sourceView!: ClusterView;
  targetView!: ClusterView;
  private readonly failedSlots: { slot: number; error: string }[] = [];
  private readonly connections: Redis[] = [];
  private readonly startedAt: number;
  private readonly probePriority: number | undefined;

  constructor(readonly req: MigrationRequest, readonly opts: MigrateOptions) {
    this.probePriority = checkProbePriority(opts.probePriority);
    this.clock = opts.clock ?? systemClock;
    this.startedAt = this.clock.monotonicMs();
    this.progress = new ProgressTracker(req.slots.length, this.clock);
    this.pace = new Pace(req, this.clock);
  }

  close(): void {
    for (const c of this.connections) c.disconnect();
  }

  async connect(addr: EngineAddress, name: string): Promise<Redis> {
    const redis = await openEngine(addr, this.req, name);
    this.connections.push(redis);
    return redis;
  }

  fail(slot: number, err: unknown): void {
    this.progress.slotsFailed++;
    this.failedSlots.push({ slot, error: errorText(err) });
    if (!this.fatal) {
      for (const [redis, name] of [[this.source, "source"], [this.target, "target"]] as const) {
        if (redis.status === "end" || redis.status === "close") this.fatal = `the connection to the ${name} was lost`;
      }
    }
  }

  async execute(): Promise<MigrationResult> {
    const { source, target } = this.req;
    // Both at once, but a refusal names the source first when both are refused (e.g. a wrong
    // password), whichever answered first: the message is then the same on every run.
    const [s, t] = await Promise.allSettled([
      this.connect(source, "mdb-migration-source"), this.connect(target, "mdb-migration-target"),
    ]);
    if (s.status === "rejected") throw s.reason;
    if (t.status === "rejected") throw t.reason;
    [this.source, this.target] = [s.value, t.value];
    await this.checkEngines();
    this.others = await Promise.all((this.req.otherPrimaries ?? []).map((a) => this.connect(a, "mdb-migration-peer")));
    await this.refreshViews();
    this.checkMembership();
    const targetInfo = String(await this.target.call("CLUSTER", "INFO"));
    if (!targetInfo.includes("cluster_state:ok")) {
      // The target answers CLUSTERDOWN to every RESTORE until it has learned the whole slot map.
      throw new MigrationPreconditionError(`target ${target.host}:${target.port} reports ${/cluster_state:\w+/.exec(targetInfo)?.[0] ?? "no cluster_state"}; wait until it has joined the cluster (cluster_state:ok), then retry`);
    }

    this.setSlotScriptable = (await Promise.all([this.source, this.target].map(setSlotScriptable))).every(Boolean);
    // Every engine of the move must offer it; an explicit rate or schedule needs keys counted as they go.
    const useAtomic = this.req.atomicMigration === "auto" && !this.pace.limiter.limited &&
      (await Promise.all([this.source, this.target].map(probeAtomicSlotMigration))).every(Boolean);
    const stopGuard = !this.req.guard.enabled ? () => undefined : await this.startGuard(useAtomic);
    const atomic = useAtomic ? new AtomicMove(this) : undefined;
    const timer = this.opts.onProgress
      ? setInterval(() => this.opts.onProgress?.(this.progress.snapshot()), this.opts.progressIntervalMs ?? 1000)
      : undefined;
    try {
      if (atomic) await atomic.run();
      else await new KeyByKeyMove(this).run();
    } finally {
      if (timer) clearInterval(timer);
      stopGuard();
    }
    const final = this.progress.snapshot();
    this.opts.onProgress?.(final);
    return {
      ...final,
      cancelled: Boolean(this.opts.signal?.aborted),
      failedSlots: this.failedSlots.sort((a, b) => a.slot - b.slot),
      elapsedMs: Math.round(this.clock.monotonicMs() - this.startedAt),
      method: atomic ? "atomic" : "keys",
      atomicJobs: atomic?.jobs ?? 0,
    };
  }

  /**
   * Measures the idle baseline, then probes and decides every DECISION_INTERVAL_MS until the move
   * ends. Returns the function that stops it. An atomic move probes from this thread (probe.ts).
   */
  private async startGuard(atomic: boolean): Promise<() => void> {
    const probe = new LatencyProbe([this.req.source, this.req.target], this.clock, {
      username: this.req.username, password: this.req.password, priority: this.probePriority, tls: this.req.tls, inline: atomic,
    });
    let baseline: number;
    try {
      baseline = probeP99(await probe.sample(BASELINE_MS));
    } catch (err) {
      probe.close();
      throw err;
    }
    const guard = new LatencyGuard(this.req.guard, baseline, this.req);
    // Work done (keys moved, slots charged SLOT_WORK_KEYS) at the last decisions: the achieved rate over ~300 ms.
    const history: { at: number; work: number }[] = [{ at: this.clock.monotonicMs(), work: 0 }];
    const decide = () => {
      const now = this.clock.monotonicMs();
      const work = this.progress.keysMoved + SLOT_WORK_KEYS * (this.progress.slotsDone + this.progress.slotsFailed);
      history.push({ at: now, work });
      if (history.length > 4) history.shift();
      const oldest = history[0];
      const achieved = now > oldest.at ? ((work - oldest.work) * 1000) / (now - oldest.at) : 0;
      this.pace.set(guard.decide(now, achieved, probe.pendingAges()));
      this.progress.guard = guard.status();
    };
    this.pace.set(guard.decide(this.clock.monotonicMs(), 0));
    this.progress.guard = guard.status();
    probe.start((at, ms) => guard.record(at, ms));
    const timer = setInterval(decide, DECISION_INTERVAL_MS);
    return () => {
      clearInterval(timer);
      probe.close();
    };
  }

  /** Slots move only between the same engine at the same major.minor version (docs/engines.md#mixed-engines). */
  private async checkEngines(): Promise<void> {
    const [s, t] = await Promise.all([this.source, this.target].map(async (r) => engineIdentityOf(parseInfo(String(await r.call("INFO", "server"))))));
    if (s && t && !enginesCompatible(s, t)) {
      const { source, target } = this.req;
      throw new MigrationPreconditionError(`source ${source.host}:${source.port} runs ${engineLabel(s)} and target ${target.host}:${target.port} ${engineLabel(t)}: ` +
        "slots cannot move between different engines or versions; run one engine at one major.minor version in a cluster");
    }
  }

  private async refreshViews(): Promise<void> {
    const [s, t] = await Promise.all([this.source.call("CLUSTER", "NODES"), this.target.call("CLUSTER", "NODES")]);
    this.sourceView = clusterViewOf(String(s));
    this.targetView = clusterViewOf(String(t));
  }

  private checkMembership(): void {
    const { source, target } = this.req;
    const targetInSource = this.sourceView.nodes.get(this.targetView.myId);
    if (!targetInSource) {
      throw new MigrationPreconditionError(`target ${target.host}:${target.port} (node ${this.targetView.myId}) is not in the source's cluster; join it first (CLUSTER MEET)`);
    }
    for (const [view, addr, name] of [[this.sourceView, source, "source"], [this.targetView, target, "target"]] as const) {
      const me = view.nodes.get(view.myId);
      if (!me?.flags.includes("master")) {
        throw new MigrationPreconditionError(`${name} ${addr.host}:${addr.port} is not a primary (flags ${me?.flags.join(",") ?? "unknown"}); migrate between primaries`);
      }
    }
  }
}
