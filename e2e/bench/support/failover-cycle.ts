// One cycle of bench:failover: wait until the clusters are quiet and a shard's primary has an in-sync
// standby, let the writer run, hit the primary (or switch it over), wait until that shard's writes are
// acknowledged again, and read the writer's acknowledgement times around the fault.
import { Redis } from "ioredis";
import { waitFor } from "../../../common/wait.ts";
import type { MdbCluster } from "../../../operator/src/api/types.ts";
import { ENGINE_PORT } from "../../../operator/src/resources/names.ts";
import { clusterProgress, podStates, type Kube } from "../../support/mdb.ts";
import {
  faultTookEffect, injectFault, inSyncStandbyOf, pickTarget, planRunning, podUid, quiet, servingPrimaryOf, SHAPE, startNode, whole, type Target,
} from "./failover-cluster.ts";
import type { CycleKind, FaultMode, KillResult, Side } from "./failover-stats.ts";
import { epochMs, type FailoverWriter } from "./failover-writer.ts";

export interface BenchSide {
  side: Side;
  /** The MdbCluster's name. */
  name: string;
  password: string;
  writer: FailoverWriter;
  /** The shard hit last: the next fault goes to the next one that can take it. */
  lastShard: number;
}

export interface CycleEnv {
  kube: Kube;
  stateDir: string;
  namespace: string;
  /** Every cluster on the ground: a fault waits until all of them are quiet. */
  sides: () => BenchSide[];
  /** Nodes a node stop must not hit (the operator's). */
  avoidNodes: ReadonlySet<string>;
  log: (line: string) => void;
  /** Members the bench found stuck and deleted so the operator rebuilds them (see repairStuck). */
  repairs: Repair[];
  /** When each member was first seen stuck. */
  stuckSince: Map<string, number>;
  /** The pod runner keeps no pod directory across a node stop: a member there comes back empty (see runFault). */
  podRunner: boolean;
}

export interface Repair { member: string; why: string; stuckMs: number; afterCycle: string }

const PACE_TIMEOUT_MS = 300_000;
const RECOVER_TIMEOUT_MS = 120_000;
/** Writes must flow this long, with no gap above FLOW_MAX_GAP_MS, before a fault and before a shard counts as serving again. */
const FLOW_SPAN_MS = 500;
const FLOW_MAX_GAP_MS = 250;
/** The window starts this long before the fault, so the gap that the fault opens is whole in it. */
const WINDOW_LEAD_MS = 500;
/** A stopped node is started again at the latest this long after the fault. */
const NODE_DOWN_MAX_MS = 30_000;

const round = (n: number) => Math.round(n);
/** A member back without a role for this long, with nothing planned, is stuck (see repairStuck). */
const STUCK_MS = 8_000;

async function clusters(env: CycleEnv): Promise<Map<string, MdbCluster | undefined>> {
  const sides = env.sides();
  const got = await Promise.all(sides.map((s) => env.kube.getCluster(env.namespace, s.name)));
  return new Map(sides.map((s, i) => [s.name, got[i]]));
}

async function describe(env: CycleEnv): Promise<string> {
  const all = await clusters(env);
  const lines = await Promise.all([...all].map(async ([name, c]) =>
    `${name}: ${clusterProgress(c)}; pods: ${podStates(await env.kube.pods(env.namespace, `mdbcluster.io/cluster=${name}`).catch(() => []))}`));
  return lines.join("\n  ");
}

/**
 * A member whose pod stayed but whose engine came back empty (a node stopped and started on the pod
 * runner, which keeps no pod directory across that) rejoins as an empty primary (state ONLINE, no slots)
 * next to its shard's new primary, and nothing makes it a standby again: the operator replaces only a
 * member whose pod is gone. So the bench deletes such a pod once it has been stuck STUCK_MS with no
 * plan running; the operator then puts the member back as a standby. Every repair is reported.
 */
async function repairStuck(env: CycleEnv, all: Map<string, MdbCluster | undefined>, cycle: string): Promise<void> {
  const now = epochMs();
  const stuck = new Set<string>();
  for (const c of all.values()) {
    if (!c || planRunning(c)) continue;
    for (const m of c.status?.members ?? []) {
      const other = servingPrimaryOf(c, m.shard ?? -1);
      if (m.ready || m.state !== "ONLINE" || !other || other.name === m.name) continue;
      stuck.add(m.name!);
      const since = env.stuckSince.get(m.name!) ?? now;
      env.stuckSince.set(m.name!, since);
      if (now - since < STUCK_MS) continue;
      await repair(env, m.name!, `${m.state} (${m.role || "no role"}) without a plan next to its shard's primary ${other.name}`, round(now - since), cycle);
      env.stuckSince.delete(m.name!);
    }
  }
  for (const name of env.stuckSince.keys()) if (!stuck.has(name)) env.stuckSince.delete(name);
}

async function repair(env: CycleEnv, member: string, why: string, stuckMs: number, cycle: string): Promise<void> {
  env.log(`${member}: ${why}${stuckMs ? ` for ${stuckMs} ms` : ""}: deleting its pod so the operator rebuilds it`);
  await env.kube.run("kubectl", ["delete", "pod", member, "-n", env.namespace, "--wait=false"]);
  env.repairs.push({ member, why, stuckMs, afterCycle: cycle });
}

/** Waits until every cluster is quiet for `mode` and `side` has a shard to hit; returns it. */
export async function nextTarget(env: CycleEnv, side: BenchSide, mode: CycleKind): Promise<Target> {
  const faultMode: FaultMode = mode === "engine-switchover" ? "pod-delete" : mode; // a switchover starts from a whole cluster
  try {
    return await waitFor(async () => {
      const all = await clusters(env);
      await repairStuck(env, all, `before ${mode} on ${side.name}`);
      if (![...all.values()].every((c) => quiet(c, faultMode))) return false;
      const t = pickTarget(all.get(side.name), side.lastShard, mode === "node-stop" ? env.avoidNodes : new Set());
      return t ? { ...t, podUid: await podUid(env.kube, env.namespace, t.member) } : false;
    }, { what: `every cluster quiet for a ${mode} and a primary of ${side.name} with an in-sync standby to hit`, timeoutMs: PACE_TIMEOUT_MS, intervalMs: 250 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n  ${await describe(env)}`);
  }
}

/** Waits until every cluster is whole (the end of a row: every acknowledged write is read back then). */
export async function waitWhole(env: CycleEnv): Promise<void> {
  try {
    await waitFor(async () => {
      const all = await clusters(env);
      await repairStuck(env, all, "end of a row");
      return [...all.values()].every(whole);
    }, { what: "every cluster whole", timeoutMs: PACE_TIMEOUT_MS, intervalMs: 250 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n  ${await describe(env)}`);
  }
}

/** Reads back every acknowledged write of `side` not read yet and charges what is lost to its cycle. */
export async function verifyInto(side: BenchSide, results: KillResult[], log: (line: string) => void): Promise<void> {
  const report = await side.writer.verify();
  for (const [cycle, n] of Object.entries(report.lostByCycle)) {
    const r = results.find((x) => x.cycle === cycle);
    if (r) r.lostAcked += n;
    else log(`${side.name}: ${n} acknowledged writes of cycle ${cycle} lost (no fault of that name)`);
  }
  const lost = Object.values(report.lostByCycle).reduce((a, b) => a + b, 0);
  if (lost || report.unreadable) log(`${side.name}: read back ${report.checked} acknowledged writes: ${lost} lost${report.unreadable ? `, ${report.unreadable} unreadable (checked again later)` : ""}; e.g. ${report.lostSamples.slice(0, 3).join("; ")}`);
}

/** Starts the writer for a cycle and waits until every shard's writes flow. */
async function startWriting(side: BenchSide, cycle: string): Promise<void> {
  await side.writer.resume(cycle);
  const since = epochMs();
  await waitFor(async () => {
    for (let s = 0; s < SHAPE.shards; s++) if (!(await side.writer.flowing(s, since, FLOW_SPAN_MS, FLOW_MAX_GAP_MS)).flowing) return false;
    return true;
  }, { what: `${side.name}'s writes acknowledged on every shard for ${FLOW_SPAN_MS} ms`, timeoutMs: 60_000, intervalMs: 100 });
}

interface OperatorSeen { noticedMs?: number; planStartedMs?: number; planFinishedMs?: number; steps: string[] }

/** What the status shows of the operator's work on this fault (ours only). */
function watchOperator(c: MdbCluster | undefined, t: Target, tFault: number, seen: OperatorSeen, now: number): void {
  const victim = c?.status?.members?.find((m) => m.name === t.member);
  if (seen.noticedMs === undefined && victim && (!victim.ready || victim.role !== "primary")) seen.noticedMs = round(now - tFault);
  const plan = c?.status?.plan;
  if (plan?.kind !== "failover" || !plan.startedAt) return;
  const started = Date.parse(plan.startedAt) - tFault;
  if (started < -1000) return; // an earlier fault's plan
  seen.planStartedMs ??= round(started);
  if (plan.finishedAt && seen.planFinishedMs === undefined) seen.planFinishedMs = round(Date.parse(plan.finishedAt) - tFault);
  // What the switchover step said while it ran (e.g. why it waited), each message once, with when it was first seen.
  for (const step of plan.steps ?? []) {
    const text = `${step.state}${step.message ? `: ${step.message}` : ""}`;
    if (!seen.steps.some((x) => x.endsWith(` ${text}`))) seen.steps.push(`+${round(now - tFault)} ms ${text}`);
  }
}

/** One fault of `mode` on `side`'s next primary; the unavailability of its shard's writes. */
export async function runFault(env: CycleEnv, side: BenchSide, mode: FaultMode, cycle: string): Promise<KillResult> {
  const t = await nextTarget(env, side, mode);
  side.lastShard = t.shard;
  await startWriting(side, cycle);
  const tFault = epochMs();
  const message = await injectFault(env.kube, env.stateDir, mode, env.namespace, t);
  const injectedMs = epochMs();
  const seen: OperatorSeen = { steps: [] };
  let effectMs: number | undefined;
  let timedOut = false;
  let nodeDown = mode === "node-stop";
  const restartNode = async () => {
    nodeDown = false;
    env.log(`${cycle}: ${await startNode(env.stateDir, t.node)}`);
    // On the pod runner the member comes back in the same pod with an empty data directory and a new
    // address, as an empty primary that nothing turns into a standby again (repairStuck); its pod is
    // deleted at once so the operator puts it back as a standby. On real nodes its volume survives.
    if (env.podRunner) await repair(env, t.member, "node started again; the pod runner kept no data of its pod", 0, cycle);
  };
  try {
    await waitFor(async () => {
      const now = epochMs();
      const c = await env.kube.getCluster(env.namespace, side.name);
      if (side.side === "ours") watchOperator(c, t, tFault, seen, now);
      if (effectMs === undefined) {
        if (!(await faultTookEffect(env.kube, mode, env.namespace, t))) return false;
        effectMs = mode === "pod-delete" ? now : injectedMs;
      }
      const flowing = (await side.writer.flowing(t.shard, effectMs, FLOW_SPAN_MS, FLOW_MAX_GAP_MS)).flowing;
      // The stopped node comes back once the shard was failed over (writes flow, or another member
      // serves it: with durability replicated the new primary refuses writes until a standby is back), or after NODE_DOWN_MAX_MS.
      const movedOn = servingPrimaryOf(c, t.shard)?.name !== undefined && servingPrimaryOf(c, t.shard)?.name !== t.member;
      if (nodeDown && (flowing || movedOn || now - tFault > NODE_DOWN_MAX_MS)) await restartNode();
      return flowing && !nodeDown;
    }, { what: `${side.name} shard ${t.shard}'s writes acknowledged again after the ${mode} of ${t.member}`, timeoutMs: RECOVER_TIMEOUT_MS, intervalMs: 100 });
  } catch (err) {
    timedOut = true;
    env.log(`${cycle}: ${(err as Error).message}\n  ${await describe(env)}`);
  }
  const tEnd = epochMs();
  const w = await side.writer.window(tFault - WINDOW_LEAD_MS, tEnd);
  await side.writer.pause();
  if (nodeDown) await restartNode();
  const gap = w.gaps[t.shard];
  const others = Object.entries(w.gaps).filter(([s]) => Number(s) !== t.shard).map(([, g]) => g.longestMs);
  const after = await waitFor(async () => servingPrimaryOf(await env.kube.getCluster(env.namespace, side.name), t.shard)?.name, {
    what: `${side.name} shard ${t.shard} shown with a serving primary`, timeoutMs: 60_000, intervalMs: 200 }).catch(() => "?");
  const { steps, ...times } = seen;
  const result: KillResult = {
    mode, side: side.side, cycle, shard: t.shard, victim: t.member, node: t.node,
    unavailableMs: round(gap.longestMs), faultToFirstAckMs: round(gap.endMs - tFault), otherShardsMaxGapMs: round(Math.max(0, ...others)),
    primaryAfter: after, failedWrites: w.failed[t.shard] ?? 0, lostAcked: 0,
    ...(timedOut ? { timedOut: true as const } : {}), ...(side.side === "ours" ? { operator: times } : {}),
  };
  env.log(`${cycle}: ${message}; shard ${t.shard} (${t.member} on ${t.node}) unavailable ${result.unavailableMs} ms (fault → first ack ${result.faultToFirstAckMs} ms), `
    + `primary now ${after}, ${result.failedWrites} failed writes, other shards' longest gap ${result.otherShardsMaxGapMs} ms`
    + `${side.side === "ours" ? `; operator: noticed +${seen.noticedMs ?? "?"} ms, failover plan +${seen.planStartedMs ?? "?"} → +${seen.planFinishedMs ?? "?"} ms` : ""}`
    + `${timedOut ? " (TIMED OUT)" : ""}${w.errorSamples.length ? `; e.g. ${w.errorSamples[0]}` : ""}`
    + `${steps.length ? `\n    failover step: ${steps.join("\n    failover step: ")}` : ""}`);
  return result;
}

/**
 * A planned switchover run on the engines directly: CLUSTER FAILOVER (no FORCE) on the shard's in-sync
 * standby, what the sidecar's GRACEFUL promote runs. The operator does not drive one yet, so this
 * measures the mechanism, not the operator.
 */
export async function runEngineSwitchover(env: CycleEnv, side: BenchSide, cycle: string): Promise<KillResult> {
  const t = await nextTarget(env, side, "engine-switchover");
  side.lastShard = t.shard;
  const standby = inSyncStandbyOf(await env.kube.getCluster(env.namespace, side.name), t.shard);
  if (!standby?.ip) throw new Error(`${side.name} shard ${t.shard}: no in-sync standby with an address to switch over to`);
  await startWriting(side, cycle);
  const engine = new Redis({ host: standby.ip, port: ENGINE_PORT, password: side.password, lazyConnect: true, maxRetriesPerRequest: 0 });
  engine.on("error", () => undefined);
  const tFault = epochMs();
  let becamePrimaryMs = 0;
  try {
    await engine.connect();
    await engine.call("CLUSTER", "FAILOVER");
    await waitFor(async () => ((await engine.call("ROLE")) as unknown[])[0] === "master", { what: `${standby.name} primary after CLUSTER FAILOVER`, timeoutMs: 30_000, intervalMs: 5 });
    becamePrimaryMs = epochMs();
    await waitFor(async () => (await side.writer.flowing(t.shard, becamePrimaryMs, FLOW_SPAN_MS, FLOW_MAX_GAP_MS)).flowing,
      { what: `${side.name} shard ${t.shard}'s writes flowing after the switchover`, timeoutMs: 60_000, intervalMs: 100 });
  } finally {
    engine.disconnect();
  }
  const w = await side.writer.window(tFault - WINDOW_LEAD_MS, epochMs());
  await side.writer.pause();
  const gap = w.gaps[t.shard];
  const result: KillResult = {
    mode: "engine-switchover", side: side.side, cycle, shard: t.shard, victim: t.member, node: t.node,
    unavailableMs: round(gap.longestMs), faultToFirstAckMs: round(gap.endMs - tFault), otherShardsMaxGapMs: 0,
    primaryAfter: standby.name!, failedWrites: w.failed[t.shard] ?? 0, lostAcked: 0,
  };
  env.log(`${cycle}: CLUSTER FAILOVER on ${standby.name}: primary after ${round(becamePrimaryMs - tFault)} ms; shard ${t.shard}'s longest write gap ${result.unavailableMs} ms, ${result.failedWrites} failed writes`);
  return result;
}
