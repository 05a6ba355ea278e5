// The migration engine: moves slots from a source primary to a target primary (DESIGN §6), key by key
// with the engine's own commands, or with the engine's atomic slot migration where it exists.
//
// Per slot (lossless move-then-switch, as redis-cli's clusterManagerMoveSlot does it):
//   1. target CLUSTER SETSLOT s IMPORTING <source>; source CLUSTER SETSLOT s MIGRATING <target>
//   2. CLUSTER GETKEYSINSLOT pages; each page is cut into MIGRATE … KEYS batches with up to `window`
//      batches in flight; the next page is requested right behind the last batch on the same connection
//      (the engine answers it after those MIGRATEs ran, so it lists what is left)
//   3. the target claims it (SETSLOT s STABLE + NODE <target>, one BUMPEPOCH per round: claimOnTarget),
//      then CLUSTER SETSLOT s NODE <target> on the source, then on the other primaries
// Several slots run at once (`parallelSlots`), each on its own connection to the source.
// A MIGRATE error other than BUSYKEY aborts that slot without claiming it: it stays MIGRATING/IMPORTING
// and a resume (the same call again) continues it. A slot the target already owns is done.
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Redis, type RedisOptions } from "ioredis";
import { clusterViewOf, planSlot, type ClusterView } from "./clusterView.ts";
import { MigrationRateLimiter } from "./rate.ts";
import { compactSlots } from "../../../common/slots.ts";
import { sleep } from "../../../common/wait.ts";
import {
  DEFAULTS, validateMigrateSlotsRequest, type EngineAddress, type MigrateOptions, type MigrateSlotsRequest,
  type MigrationProgress, type MigrationResult,
} from "./request.ts";

/** A slot-level failure: the slot is left unclaimed (or claimed by the target only) and reported. */
class SlotMigrationError extends Error {}

/** Error raised before any slot was touched: the request cannot run against these engines. */
export class MigrationPreconditionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationPreconditionError";
  }
}

interface Stream {
  redis: Redis;
  /** When this connection's previous reply arrived: a pipelined command's engine time starts there. */
  lastReplyAt: number;
  /** MIGRATE batches this stream may have in flight (the window). */
  permits: Permits;
}

/** ioredis generates a Buffer-returning variant of every command at run time; its types omit this one. */
interface BufferCluster { clusterBuffer(subcommand: "GETKEYSINSLOT", slot: string, count: string): Promise<Buffer[]> }

class Permits {
  private readonly waiters: (() => void)[] = [];
  constructor(private free: number) {}

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free++;
  }
}

function connectionOptions(addr: EngineAddress, req: MigrateSlotsRequest, name: string): RedisOptions {
  return {
    host: addr.host, port: addr.port, username: req.username, password: req.password,
    connectionName: name,
    // Fail fast instead of replaying: a lost engine fails the slots in flight, and a resume continues them.
    lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false,
    retryStrategy: () => null, enableReadyCheck: false, connectTimeout: 5000,
    // Commands issued in the same tick (a round's GETKEYSINSLOTs, several slots' MIGRATE batches) go
    // out in one socket write: per-command writes were the driver's largest CPU cost.
    enableAutoPipelining: true,
  };
}

async function open(addr: EngineAddress, req: MigrateSlotsRequest, name: string): Promise<Redis> {
  const redis = new Redis(connectionOptions(addr, req, name));
  redis.on("error", () => { /* reported through the failing command */ });
  let authError: unknown;
  redis.once("error", (err) => { authError ??= err; });
  try {
    await redis.connect();
    // A wrong password surfaces only after connect (the AUTH reply); ask once to find out.
    await redis.ping();
  } catch (err) {
    err = authError ?? err;
    redis.disconnect();
    throw new MigrationPreconditionError(`cannot connect to ${addr.host}:${addr.port} (${errorText(err)}); check the address and password`);
  }
  return redis;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Whether the engine offers atomic slot migration (Valkey ≥ 9: CLUSTER MIGRATESLOTS). */
export async function probeAtomicSlotMigration(redis: Redis): Promise<boolean> {
  try {
    const info = (await redis.call("COMMAND", "INFO", "CLUSTER|MIGRATESLOTS")) as unknown[];
    return Array.isArray(info) && info.length > 0 && info[0] !== null;
  } catch {
    return false;
  }
}

class ProgressTracker {
  slotsDone = 0;
  slotsFailed = 0;
  keysMoved = 0;
  bytesMoved = 0;
  maxSourceBlockMs = 0;
  readonly activeSlots = new Set<number>();
  private lastSample = { at: performance.now(), keys: 0, bytes: 0 };
  private keysPerSecond = 0;
  private bytesPerSecond = 0;

  constructor(readonly slotsTotal: number) {}

  /** Rates since the previous snapshot (so each progress report carries the current speed). */
  snapshot(): MigrationProgress {
    const now = performance.now();
    const elapsed = now - this.lastSample.at;
    if (elapsed >= 100) {
      this.keysPerSecond = ((this.keysMoved - this.lastSample.keys) * 1000) / elapsed;
      this.bytesPerSecond = ((this.bytesMoved - this.lastSample.bytes) * 1000) / elapsed;
      this.lastSample = { at: now, keys: this.keysMoved, bytes: this.bytesMoved };
    }
    return {
      slotsTotal: this.slotsTotal, slotsDone: this.slotsDone, slotsFailed: this.slotsFailed,
      keysMoved: this.keysMoved, bytesMoved: this.bytesMoved,
      keysPerSecond: Math.round(this.keysPerSecond), bytesPerSecond: Math.round(this.bytesPerSecond),
      activeSlots: [...this.activeSlots].sort((a, b) => a - b),
      maxSourceBlockMs: Math.round(this.maxSourceBlockMs * 10) / 10,
    };
  }
}

/** Sum and count of MEMORY USAGE over the keys in ARGV (missing keys are skipped). */
const BATCH_BYTES_SCRIPT =
  "local bytes, present = 0, 0 for _, key in ipairs(ARGV) do local used = redis.call('MEMORY', 'USAGE', key) " +
  "if used then bytes = bytes + used present = present + 1 end end return { bytes, present }";

/**
 * One batch moved entirely inside the source engine: list up to ARGV[2] keys of slot ARGV[1], sum
 * their MEMORY USAGE when ARGV[3] is "1", and MIGRATE them to ARGV[4]:ARGV[5] (timeout ARGV[6], then
 * AUTH/AUTH2 words). Returns { keys moved, bytes }. Key names never travel to the driver and back,
 * which was a third of the CPU a move costs; the engine blocks for the same MIGRATE as before.
 */
const MIGRATE_BATCH_SCRIPT = `
local keys = redis.call('CLUSTER', 'GETKEYSINSLOT', ARGV[1], ARGV[2])
if #keys == 0 then return {0, 0} end
local bytes = 0
if ARGV[3] == '1' then
  for _, key in ipairs(keys) do bytes = bytes + (redis.call('MEMORY', 'USAGE', key) or 0) end
end
local args = {ARGV[4], ARGV[5], '', '0', ARGV[6]}
for i = 7, #ARGV do args[#args + 1] = ARGV[i] end
args[#args + 1] = 'KEYS'
for _, key in ipairs(keys) do args[#args + 1] = key end
redis.call('MIGRATE', unpack(args))
return {#keys, bytes}`;

/**
 * CLUSTER SETSLOT for many slots in one run. ARGV: mode, a, b, slots. "state": SETSLOT <slot> <a> <b>
 * (a = IMPORTING | MIGRATING | NODE, b = node id). "claim": SETSLOT <slot> STABLE, then NODE <a>; if NODE
 * is refused, IMPORTING <b> again; after all slots one CLUSTER BUMPEPOCH. Returns per slot 1 or the error.
 */
const SETSLOTS_SCRIPT = `
local mode, a, b = ARGV[1], ARGV[2], ARGV[3]
local function failed(r) return type(r) == 'table' and r.err end
local out = {}
for i = 4, #ARGV do
  local slot, r = ARGV[i], nil
  if mode == 'claim' then
    r = redis.pcall('CLUSTER', 'SETSLOT', slot, 'STABLE')
    if not failed(r) then
      r = redis.pcall('CLUSTER', 'SETSLOT', slot, 'NODE', a)
      if failed(r) then redis.pcall('CLUSTER', 'SETSLOT', slot, 'IMPORTING', b) end
    end
  else
    r = redis.pcall('CLUSTER', 'SETSLOT', slot, a, b)
  end
  out[#out + 1] = failed(r) or 1
end
if mode == 'claim' then redis.pcall('CLUSTER', 'BUMPEPOCH') end
return out`;

/** The engine's answer when scripting is unavailable (disabled, or denied to this user). */
const SCRIPTING_OFF = /NOSCRIPT|unknown command|not allowed|disabled|NOPERM/i;

/** EVALSHA saves sending the script's text with every batch; EVAL loads it when the engine lacks it. */
const MIGRATE_BATCH_SHA = createHash("sha1").update(MIGRATE_BATCH_SCRIPT).digest("hex");

/** Lua's unpack() takes at most ~8000 values: larger batches go through the driver. */
const MAX_SCRIPTED_BATCH_KEYS = 5000;

export async function migrateSlots(input: MigrateSlotsRequest, opts: MigrateOptions = {}): Promise<MigrationResult> {
  const req = validateMigrateSlotsRequest(input);
  const run = new MigrationRun(req, opts);
  try {
    return await run.execute();
  } finally {
    run.close();
  }
}

class MigrationRun {
  private readonly batchKeys: number;
  private readonly window: number;
  private readonly parallelSlots: number;
  private readonly slotsPerRound: number;
  private readonly migrateTimeoutMs: number;
  private readonly clock: () => number;
  private readonly progress: ProgressTracker;
  private readonly limiter: MigrationRateLimiter;
  private readonly failedSlots: { slot: number; error: string }[] = [];
  private readonly connections: Redis[] = [];
  private source!: Redis;
  private target!: Redis;
  private others: Redis[] = [];
  private sourceView!: ClusterView;
  private targetView!: ClusterView;
  /** Set when the source or target connection is gone: no new slot is started. */
  private fatal: string | undefined;
  private readonly startedAt = performance.now();
  private batchesSent = 0;
  private sampledKeys = 0;
  private sampledBytes = 0;
  /** Set when the engine refuses the batch script (scripting disabled): batches go through the driver. */
  private scriptUnavailable = false;

  constructor(private readonly req: MigrateSlotsRequest, private readonly opts: MigrateOptions) {
    this.batchKeys = req.batchKeys ?? DEFAULTS.batchKeys;
    this.window = req.window ?? DEFAULTS.window;
    this.parallelSlots = Math.min(req.parallelSlots ?? DEFAULTS.parallelSlots, req.slots.length);
    this.migrateTimeoutMs = req.migrateTimeoutMs ?? DEFAULTS.migrateTimeoutMs;
    this.slotsPerRound = req.slotsPerRound ?? DEFAULTS.slotsPerRound;
    this.clock = opts.clock ?? Date.now;
    this.progress = new ProgressTracker(req.slots.length);
    this.limiter = new MigrationRateLimiter(req.rate, req.schedule);
  }

  close(): void {
    for (const c of this.connections) c.disconnect();
  }

  private async connect(addr: EngineAddress, name: string): Promise<Redis> {
    const redis = await open(addr, this.req, name);
    this.connections.push(redis);
    return redis;
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
    this.others = await Promise.all((this.req.otherPrimaries ?? []).map((a) => this.connect(a, "mdb-migration-peer")));
    await this.refreshViews();
    this.checkMembership();
    const targetInfo = String(await this.target.call("CLUSTER", "INFO"));
    if (!targetInfo.includes("cluster_state:ok")) {
      // The target answers CLUSTERDOWN to every RESTORE until it has learned the whole slot map.
      throw new MigrationPreconditionError(`target ${target.host}:${target.port} reports ${/cluster_state:\w+/.exec(targetInfo)?.[0] ?? "no cluster_state"}; wait until it has joined the cluster (cluster_state:ok), then retry`);
    }

    const timer = this.opts.onProgress
      ? setInterval(() => this.opts.onProgress?.(this.progress.snapshot()), this.opts.progressIntervalMs ?? 1000)
      : undefined;
    let method: MigrationResult["method"] = "keys";
    try {
      const useAtomic = (this.req.atomicMigration ?? "auto") === "auto" && !this.limiter.limited &&
        await probeAtomicSlotMigration(this.source);
      if (useAtomic) {
        method = "atomic";
        await this.runAtomic();
      } else {
        await this.runKeyByKey();
      }
    } finally {
      if (timer) clearInterval(timer);
    }
    const final = this.progress.snapshot();
    this.opts.onProgress?.(final);
    return {
      ...final,
      cancelled: Boolean(this.opts.signal?.aborted),
      failedSlots: this.failedSlots.sort((a, b) => a.slot - b.slot),
      elapsedMs: Math.round(performance.now() - this.startedAt),
      method,
    };
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

  private fail(slot: number, err: unknown): void {
    this.progress.slotsFailed++;
    this.failedSlots.push({ slot, error: errorText(err) });
    if (!this.fatal) {
      for (const [redis, name] of [[this.source, "source"], [this.target, "target"]] as const) {
        if (redis.status === "end" || redis.status === "close") this.fatal = `the connection to the ${name} was lost`;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // key-by-key migration

  private async runKeyByKey(): Promise<void> {
    const queue = [...this.req.slots];
    const streams: Stream[] = [];
    for (let i = 0; i < this.parallelSlots; i++) {
      const redis = await this.connect(this.req.source, `mdb-migration-stream-${i}`);
      streams.push({ redis, lastReplyAt: 0, permits: new Permits(this.window) });
    }
    const worker = async (stream: Stream): Promise<void> => {
      for (;;) {
        if (this.opts.signal?.aborted || this.fatal) return;
        const round = queue.splice(0, this.slotsPerRound);
        if (round.length === 0) return;
        for (const s of round) this.progress.activeSlots.add(s);
        try {
          await this.migrateRound(round, stream);
        } finally {
          for (const s of round) this.progress.activeSlots.delete(s);
        }
      }
    };
    await Promise.all(streams.map(worker));
    if (this.fatal && !this.opts.signal?.aborted) {
      for (const slot of queue) this.fail(slot, `not started: ${this.fatal}; resume the migration when it is back`);
    }
  }

  /**
   * CLUSTER SETSLOT <slot> <state> <nodeId> for every slot, in one script run (SETSLOTS_SCRIPT) or, where
   * scripting is off, one pipeline. Every SETSLOT makes the engine rewrite and fsync nodes.conf before
   * it next waits for clients; done together, that is paid once per round instead of once per slot.
   * Returns the slots whose command succeeded; the others are failed with the engine's answer.
   */
  private async setSlots(redis: Redis, engine: string, slots: readonly number[], state: string, nodeId: string, failQuietly = false): Promise<number[]> {
    const errors = await this.runSetSlots(redis, "state", slots, state, nodeId);
    const ok: number[] = [];
    slots.forEach((s, i) => {
      const err = errors[i];
      if (err === null) ok.push(s);
      else if (!failQuietly) this.fail(s, `slot ${s}: CLUSTER SETSLOT ${state} on the ${engine} failed: ${err}`);
    });
    return ok;
  }

  /** Per slot the engine's error, or null; "claim" runs STABLE + NODE <a> per slot (IMPORTING <b> again if NODE fails), then BUMPEPOCH. */
  private async runSetSlots(redis: Redis, mode: "state" | "claim", slots: readonly number[], a: string, b: string): Promise<(string | null)[]> {
    if (slots.length === 0) return [];
    if (!this.scriptUnavailable) {
      try {
        const replies = (await redis.eval(SETSLOTS_SCRIPT, 0, mode, a, b, ...slots.map(String))) as unknown[];
        return slots.map((_, i) => (replies[i] === 1 ? null : String(replies[i] ?? "no reply")));
      } catch (err) {
        if (!SCRIPTING_OFF.test(errorText(err))) return slots.map(() => errorText(err));
        this.scriptUnavailable = true;
      }
    }
    const pipeline = redis.pipeline();
    for (const s of slots) {
      if (mode === "state") pipeline.call("CLUSTER", "SETSLOT", String(s), a, b);
      else pipeline.call("CLUSTER", "SETSLOT", String(s), "STABLE").call("CLUSTER", "SETSLOT", String(s), "NODE", a);
    }
    if (mode === "claim") pipeline.call("CLUSTER", "BUMPEPOCH");
    let results: [Error | null, unknown][];
    try {
      results = (await pipeline.exec()) ?? [];
    } catch (err) {
      return slots.map(() => errorText(err));
    }
    const perSlot = mode === "state" ? 1 : 2;
    const errors = slots.map((_, i) => {
      const failed = results.slice(i * perSlot, (i + 1) * perSlot).find(([err]) => err)?.[0] ?? (results.length === 0 ? new Error("no reply") : null);
      return failed ? failed.message : null;
    });
    if (mode === "claim") {
      // Without a script the claim is not atomic; a slot whose NODE failed is put back to IMPORTING.
      const back = slots.filter((_, i) => errors[i] !== null);
      if (back.length > 0) await this.runSetSlots(redis, "state", back, "IMPORTING", b);
    }
    return errors;
  }

  private async migrateRound(slots: readonly number[], stream: Stream): Promise<void> {
    const sourceId = this.sourceView.myId;
    const targetId = this.targetView.myId;
    const toMove: number[] = [];
    const claimed: number[] = [];
    for (const slot of slots) {
      const plan = planSlot(slot, this.sourceView, this.targetView);
      if (plan.kind === "done") this.progress.slotsDone++;
      else if (plan.kind === "refuse") this.fail(slot, plan.reason);
      else if (plan.kind === "finalize") claimed.push(slot);
      else toMove.push(slot);
    }
    // Step 1: IMPORTING on the target first, so an ASK from the source always finds it ready.
    const importing = [
      ...toMove.filter((s) => this.targetView.importing.get(s) === sourceId),
      ...await this.setSlots(this.target, "target", toMove.filter((s) => this.targetView.importing.get(s) !== sourceId), "IMPORTING", sourceId),
    ];
    const migrating = [
      ...importing.filter((s) => this.sourceView.migrating.get(s) === targetId),
      ...await this.setSlots(this.source, "source", importing.filter((s) => this.sourceView.migrating.get(s) !== targetId), "MIGRATING", targetId),
    ];
    // Step 2: the keys of every slot of the round, sharing the stream's window of batches.
    const moved = await Promise.all(migrating.map((s) => this.moveKeys(s, stream).then(() => s, (err: unknown) => { this.fail(s, err); return undefined; })));
    // Step 3: the target claims the slots, then the source and the other primaries learn it.
    claimed.push(...await this.claimOnTarget(moved.filter((s): s is number => s !== undefined)));
    await this.finalize(claimed, stream);
  }

  /**
   * The target takes ownership of a round's emptied slots in one script run: per slot STABLE then
   * NODE <target>, then one CLUSTER BUMPEPOCH. (SETSLOT NODE on a slot still IMPORTING would bump the
   * epoch and broadcast a PONG to every node for each slot: thousands of broadcasts whose receivers
   * each scan all 16384 slots, which cost the engines more CPU than the keys did.) The epoch is bumped
   * once for the round, as the engine would per slot, so the target's claim wins over the source's
   * older one; the source and the other primaries are told directly right after (finalize). A script
   * is atomic: no client command runs between STABLE and NODE, so an ASK never meets a slot the target
   * neither imports nor owns. A slot whose NODE is refused goes back to IMPORTING.
   */
  private async claimOnTarget(slots: readonly number[]): Promise<number[]> {
    const errors = await this.runSetSlots(this.target, "claim", slots, this.targetView.myId, this.sourceView.myId);
    return slots.filter((s, i) => {
      if (errors[i] === null) return true;
      this.fail(s, `slot ${s}: CLUSTER SETSLOT NODE on the target failed: ${errors[i]}; resume to finish`);
      return false;
    });
  }

  private async finalize(slots: readonly number[], stream: Stream): Promise<void> {
    const targetId = this.targetView.myId;
    const updated = await this.setSlots(this.source, "source", slots, "NODE", targetId, true);
    const retry = slots.filter((s) => !updated.includes(s));
    for (const slot of retry) {
      // The source refuses while it still holds keys of the slot (e.g. a resume after the target had
      // claimed it, or a key resurrected by a crash): move what is left, then try again.
      try {
        for (let attempt = 0; ; attempt++) {
          try {
            await this.source.call("CLUSTER", "SETSLOT", String(slot), "NODE", targetId);
            break;
          } catch (err) {
            if (!/still hold keys/i.test(errorText(err)) || attempt >= 3) throw err;
            await this.moveKeys(slot, stream);
          }
        }
        updated.push(slot);
      } catch (err) {
        this.fail(slot, `slot ${slot}: the target owns it but the source was not updated (${errorText(err)}); resume to finish`);
      }
    }
    // Other primaries also learn the owner from gossip (the target bumped its epoch); telling them
    // directly only makes their MOVED answers right sooner, so a failure there is not a slot failure.
    await Promise.all(this.others.map((o) => this.setSlots(o, "peer", updated, "NODE", targetId, true)));
    this.progress.slotsDone += updated.length;
  }

  private getKeys(slot: number, stream: Stream): Promise<Buffer[]> {
    const pageSize = this.batchKeys * this.window;
    // clusterBuffer (not callBuffer: ioredis' auto-pipelining drops callBuffer's command name) keeps
    // binary keys intact.
    return (stream.redis as unknown as BufferCluster).clusterBuffer("GETKEYSINSLOT", String(slot), String(pageSize))
      .then((keys) => { stream.lastReplyAt = performance.now(); return keys; });
  }

  private async moveKeys(slot: number, stream: Stream): Promise<void> {
    // Under a rate limit the batch must be sized before it is sent (the token bucket charges it), so
    // the driver lists the keys; otherwise the engine lists and moves them in one step.
    if (!this.limiter.limited && this.batchKeys <= MAX_SCRIPTED_BATCH_KEYS && !this.scriptUnavailable) {
      try {
        await this.moveKeysInEngine(slot, stream);
        return;
      } catch (err) {
        // BUSYKEY needs the keys by name (DUMP on both sides): finish the slot through the driver.
        if (!/BUSYKEY/.test(errorText(err))) throw err;
      }
    }
    await this.moveKeysThroughDriver(slot, stream);
  }

  /** Batches of the slot moved by MIGRATE_BATCH_SCRIPT, `window` of them in flight, until the slot is empty (no rate limit). */
  private async moveKeysInEngine(slot: number, stream: Stream): Promise<void> {
    const { target, username, password } = this.req;
    const auth = username && password ? ["AUTH2", username, password] : password ? ["AUTH", password] : [];
    for (;;) {
      const batches: Promise<void>[] = [];
      let drained = false;
      let error: unknown;
      for (let i = 0; i < this.window; i++) {
        await stream.permits.acquire();
        const measure = this.batchesSent++ % 16 === 0;
        const sentAt = performance.now();
        const args = [String(slot), String(this.batchKeys), measure ? "1" : "0", target.host, String(target.port), String(this.migrateTimeoutMs), ...auth];
        batches.push((stream.redis.evalsha(MIGRATE_BATCH_SHA, 0, ...args)
          .catch((err: unknown) => (/NOSCRIPT/.test(errorText(err)) ? stream.redis.eval(MIGRATE_BATCH_SCRIPT, 0, ...args) : Promise.reject(err))) as Promise<[number, number]>)
          .then(([moved, measuredBytes]) => {
            const doneAt = performance.now();
            this.noteBlock(doneAt - Math.max(sentAt, stream.lastReplyAt));
            stream.lastReplyAt = doneAt;
            if (moved < this.batchKeys) drained = true;
            this.countMoved(moved, measure ? measuredBytes : undefined);
          }, (err: unknown) => { error ??= err; })
          .finally(() => stream.permits.release()));
      }
      await Promise.all(batches);
      if (error !== undefined) {
        if (SCRIPTING_OFF.test(errorText(error))) {
          this.scriptUnavailable = true;
          return this.moveKeysThroughDriver(slot, stream);
        }
        if (/BUSYKEY/.test(errorText(error))) throw error;
        throw new SlotMigrationError(`slot ${slot}: MIGRATE of a batch of up to ${this.batchKeys} keys to ${target.host}:${target.port} failed: ${errorText(error).replace(/ script: \w+, on @user_script:\d+\.?/, "")}`);
      }
      if (drained) return;
    }
  }

  private noteBlock(blockMs: number): void {
    if (blockMs > this.progress.maxSourceBlockMs) this.progress.maxSourceBlockMs = blockMs;
  }

  private async moveKeysThroughDriver(slot: number, stream: Stream): Promise<void> {
    let page = this.getKeys(slot, stream);
    for (;;) {
      const keys = await page;
      if (keys.length === 0) return;
      let error: unknown;
      const tasks: Promise<void>[] = [];
      for (let start = 0; start < keys.length && error === undefined; start += this.batchKeys) {
        await stream.permits.acquire();
        if (error !== undefined) {
          stream.permits.release();
          break;
        }
        const batch = keys.slice(start, start + this.batchKeys);
        const { waitMs, estimatedBytes } = this.limiter.reserve(batch.length, performance.now(), this.clock());
        if (waitMs > 0) await sleep(waitMs);
        tasks.push(this.migrateBatch(slot, batch, stream, estimatedBytes)
          .catch((err: unknown) => { error ??= err; })
          .finally(() => stream.permits.release()));
      }
      // A short page held every key of the slot; in MIGRATING state the source creates no new keys
      // there (a write to a missing key is sent to the target with ASK), so the slot is empty now.
      // (If not, the source refuses SETSLOT NODE and finalize() moves the rest.)
      const complete = keys.length < this.batchKeys * this.window;
      // Otherwise the next page is pipelined behind the batches: answered once they ran, it lists the keys still here.
      if (error === undefined && !complete) page = this.getKeys(slot, stream);
      await Promise.all(tasks);
      if (error !== undefined) {
        page.catch(() => undefined);
        throw error;
      }
      if (complete) return;
    }
  }

  /** Counts a moved batch in the progress; `measuredBytes` also feeds the bytes-per-key average. Returns its bytes. */
  private countMoved(keys: number, measuredBytes: number | undefined): number {
    if (measuredBytes !== undefined && keys > 0) { this.sampledKeys += keys; this.sampledBytes += measuredBytes; }
    const bytes = measuredBytes ?? Math.round(keys * this.bytesPerKey());
    this.progress.keysMoved += keys;
    this.progress.bytesMoved += bytes;
    return bytes;
  }

  private bytesPerKey(): number {
    return this.sampledKeys > 0 ? this.sampledBytes / this.sampledKeys : 0;
  }

  private migrateArgs(keys: Buffer[], replace: boolean): (string | Buffer)[] {
    const { target, username, password } = this.req;
    const args: (string | Buffer)[] = [target.host, String(target.port), "", "0", String(this.migrateTimeoutMs)];
    if (replace) args.push("REPLACE");
    if (username && password) args.push("AUTH2", username, password);
    else if (password) args.push("AUTH", password);
    args.push("KEYS", ...keys);
    return args;
  }

  private async migrateBatch(slot: number, keys: Buffer[], stream: Stream, estimatedBytes: number): Promise<void> {
    // One script per batch sums MEMORY USAGE (sampled by the engine, O(1) for strings) of the keys
    // for rate control and progress; it runs in the same pipeline right before the MIGRATE.
    // Plain calls (not a Pipeline object): auto-pipelining writes every slot's batches of this tick at once.
    const settle = (p: Promise<unknown>): Promise<[Error | null, unknown]> =>
      p.then((v) => [null, v] as [null, unknown], (e: unknown) => [e instanceof Error ? e : new Error(String(e)), null] as [Error, null]);
    // Bytes are measured on every batch under a bytes/s limit, else on one batch in 16 (the first one
    // included) and estimated from the running average in between: the script costs engine time.
    const measure = this.limiter.bytesLimited || this.batchesSent++ % 16 === 0;
    const measured = measure ? settle(stream.redis.call("EVAL", BATCH_BYTES_SCRIPT, "0", ...keys)) : Promise.resolve([new Error("not sampled"), null] as [Error, null]);
    const migrated = settle(stream.redis.call("MIGRATE", ...this.migrateArgs(keys, false)));
    const sentAt = performance.now();
    const results = await Promise.all([measured, migrated]);
    const doneAt = performance.now();
    this.noteBlock(doneAt - Math.max(sentAt, stream.lastReplyAt));
    stream.lastReplyAt = doneAt;

    const [sizeError, size] = results[0] ?? [new Error("no reply")];
    const [migrateError] = results[1] ?? [new Error("no reply to MIGRATE")];
    if (migrateError) {
      if (!/BUSYKEY/.test(migrateError.message)) {
        throw new SlotMigrationError(`slot ${slot}: MIGRATE of ${keys.length} keys to ${this.req.target.host}:${this.req.target.port} failed: ${migrateError.message}`);
      }
      await this.resolveBusyKeys(slot, keys, stream);
    }
    // Not sampled, or the script could not see a key a client deleted meanwhile (the engine answers
    // ASK inside it): the batch is counted from the running average.
    const sized = !sizeError && Array.isArray(size) ? size : undefined;
    const bytes = this.countMoved(sized ? Number(sized[1]) : keys.length, sized ? Number(sized[0]) : undefined);
    this.limiter.settle(keys.length, estimatedBytes, bytes, performance.now());
  }

  /**
   * BUSYKEY: some keys already exist on the target — typically a resume after the source died
   * between the target's RESTORE and its own DEL. As redis-cli does: when both copies are byte-equal
   * (DUMP), MIGRATE again with REPLACE (it only drops the source's duplicate); when they differ, the
   * slot fails and names the keys, because neither copy is provably the newer one.
   */
  private async resolveBusyKeys(slot: number, keys: Buffer[], stream: Stream): Promise<void> {
    const sourceDumps = await this.dumpAll(stream.redis, keys, false);
    const stillHere = keys.filter((_, i) => sourceDumps[i] !== null);
    if (stillHere.length === 0) return;
    const targetDumps = await this.dumpAll(this.target, stillHere, true);
    const differing = stillHere.filter((_, i) => {
      const onTarget = targetDumps[i];
      const onSource = sourceDumps[keys.indexOf(stillHere[i])];
      return onTarget !== null && onSource !== null && !onTarget.equals(onSource);
    });
    if (differing.length > 0) {
      const names = differing.slice(0, 5).map((k) => k.toString()).join(", ");
      throw new SlotMigrationError(`slot ${slot}: ${differing.length} key(s) exist on both source and target with different values (${names}${differing.length > 5 ? ", …" : ""}); keep the right copy, delete the other, then resume`);
    }
    const [[err]] = (await stream.redis.pipeline().call("MIGRATE", ...this.migrateArgs(stillHere, true)).exec()) ?? [[new Error("no reply")]];
    if (err) throw new SlotMigrationError(`slot ${slot}: MIGRATE REPLACE of ${stillHere.length} duplicate keys failed: ${err.message}`);
  }

  private async dumpAll(redis: Redis, keys: Buffer[], asking: boolean): Promise<(Buffer | null)[]> {
    const pipeline = redis.pipeline();
    for (const key of keys) {
      // The target serves keys of a slot it is importing only after ASKING.
      if (asking) pipeline.call("ASKING");
      pipeline.dumpBuffer(key);
    }
    const results = (await pipeline.exec()) ?? [];
    const step = asking ? 2 : 1;
    return keys.map((_, i) => {
      const [err, value] = results[i * step + step - 1] ?? [];
      if (err) throw new SlotMigrationError(`DUMP failed while checking BUSYKEY duplicates: ${err.message}`);
      return Buffer.isBuffer(value) ? value : null;
    });
  }

  // ---------------------------------------------------------------------------------------------
  // atomic slot migration (Valkey ≥ 9)

  /**
   * The source runs CLUSTER MIGRATESLOTS for the ranges it still owns; completion is judged from the
   * target's view (it owns the slot), failures from CLUSTER GETSLOTMIGRATIONS. Cancel asks the source
   * to CANCELSLOTMIGRATIONS; the engine keeps every slot with exactly one owner.
   */
  private async runAtomic(): Promise<void> {
    const toMove: number[] = [];
    for (const slot of this.req.slots) {
      const plan = planSlot(slot, this.sourceView, this.targetView);
      if (plan.kind === "done") this.progress.slotsDone++;
      else if (plan.kind === "refuse") this.fail(slot, plan.reason);
      else if (plan.kind === "finalize") {
        await this.finalize([slot], { redis: this.source, lastReplyAt: 0, permits: new Permits(this.window) });
      } else toMove.push(slot);
    }
    if (toMove.length === 0) return;
    const args: string[] = ["MIGRATESLOTS", "SLOTSRANGE"];
    for (const r of compactSlots(toMove)) args.push(String(r.start), String(r.end));
    args.push("NODE", this.targetView.myId);
    await this.source.call("CLUSTER", ...args);
    for (const s of toMove) this.progress.activeSlots.add(s);
    let cancelSent = false;
    const pending = new Set(toMove);
    while (pending.size > 0) {
      if (this.opts.signal?.aborted && !cancelSent) {
        cancelSent = true;
        await this.source.call("CLUSTER", "CANCELSLOTMIGRATIONS").catch(() => undefined);
      }
      await sleep(100);
      this.targetView = clusterViewOf(String(await this.target.call("CLUSTER", "NODES")));
      for (const s of [...pending]) {
        if (this.targetView.owners[s] === this.targetView.myId) {
          pending.delete(s);
          this.progress.activeSlots.delete(s);
          this.progress.slotsDone++;
          this.progress.keysMoved += Number(await this.target.call("CLUSTER", "COUNTKEYSINSLOT", String(s)));
        }
      }
      const jobs = (await this.source.call("CLUSTER", "GETSLOTMIGRATIONS")) as unknown[][];
      const active = jobs.map(fieldsOf).filter((j) => !/success|fail|cancel/i.test(j.state ?? ""));
      if (pending.size > 0 && active.length === 0) {
        const ended = jobs.map(fieldsOf).find((j) => /fail|cancel/i.test(j.state ?? ""));
        for (const s of pending) {
          if (!(cancelSent && /cancel/i.test(ended?.state ?? ""))) this.fail(s, `atomic slot migration ended with ${ended?.state ?? "no active job"}${ended?.message ? `: ${ended.message}` : ""}; resume to retry`);
          this.progress.activeSlots.delete(s);
        }
        return;
      }
    }
  }
}

function fieldsOf(entry: unknown[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < entry.length; i += 2) out[String(entry[i])] = String(entry[i + 1]);
  return out;
}
