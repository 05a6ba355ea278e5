// One cycle of bench:failover: wait until the clusters are quiet and a shard's primary has an in-sync
// standby, let the writer run, hit the primary (a planned switchover: failover-switchover.ts), wait
// until that shard's writes are acknowledged again, read the writer's acknowledgement times around the fault, and only then let the
// cluster's keeper (the operator, or the bench for the baseline) get the member back.
import { RESPREAD_SETTLE_MS } from "../../../operator/src/controller/respread.ts";
import { waitFor } from "../../../common/wait.ts";
import type { MdbCluster } from "../../../operator/src/api/types.ts";
import { podStates, type Kube } from "../../support/mdb.ts";
import {
  faultTookEffect, injectFault, pickTarget, podUid, quiet, servingPrimaryOf, SHAPE, startNode, type ClusterView, type Target,
} from "./failover-cluster.ts";
import type { CycleKind, FaultMode, KillResult, Side } from "./failover-stats.ts";
import { epochMs, type FailoverWriter } from "./failover-writer.ts";

export interface BenchSide {
  side: Side;
  /** The cluster's name (an MdbCluster for ours, the pods' cluster label for the baseline). */
  name: string;
  namespace: string;
  password: string;
  writer: FailoverWriter;
  /** The shard hit last: the next fault goes to the next one that can take it. */
  lastShard: number;
  view(): Promise<ClusterView | undefined>;
  /** Ours: the MdbCluster, for what its status shows of the operator's work. */
  cluster?: () => Promise<MdbCluster | undefined>;
  /** Right after a stopped node runs again (the fault's window may still be open). */
  onNodeStarted(t: Target, cycle: string): Promise<void>;
  /** After the measurement window: get the member back where its keeper does not (see the implementations). */
  afterFault(mode: FaultMode, t: Target): Promise<void>;
}

export interface CycleEnv {
  kube: Kube;
  stateDir: string;
  /** Every cluster on the ground: a fault waits until all of them are quiet. */
  sides: () => BenchSide[];
  /** Nodes a node stop must not hit (the operator's). */
  avoidNodes: ReadonlySet<string>;
  log: (line: string) => void;
  /** Members the bench deleted so the operator rebuilt them (see repairStuck and failover.ts). */
  repairs: Repair[];
  /** When each member was first seen stuck. */
  stuckSince: Map<string, number>;
}

export interface Repair { member: string; why: string; stuckMs: number; afterCycle: string }

const PACE_TIMEOUT_MS = 300_000;
const RECOVER_TIMEOUT_MS = 120_000;
/** Writes must flow this long, with no gap above FLOW_MAX_GAP_MS, before a fault and before a shard counts as serving again. */
export const FLOW_SPAN_MS = 500;
export const FLOW_MAX_GAP_MS = 250;
/** The window starts this long before the fault, so the gap that the fault opens is whole in it. */
export const WINDOW_LEAD_MS = 500;
/** A stopped node is started again at the latest this long after the fault. */
const NODE_DOWN_MAX_MS = 30_000;
/** A member of ours back without a role for this long, with nothing planned, is stuck (see repairStuck). */
const STUCK_MS = 8_000;

const round = (n: number) => Math.round(n);

async function views(env: CycleEnv): Promise<Map<BenchSide, ClusterView | undefined>> {
  const sides = env.sides();
  const got = await Promise.all(sides.map((s) => s.view()));
  return new Map(sides.map((s, i) => [s, got[i]]));
}

async function describe(env: CycleEnv): Promise<string> {
  const lines = await Promise.all([...(await views(env))].map(async ([s, v]) => {
    const members = v ? v.members.map((m) => `${m.name}:${m.role || "-"}/${m.state}${m.ready ? "" : "(not ready)"}`).join(" ") : "no view";
    const pods = podStates(await env.kube.pods(s.namespace, `mdbcluster.io/cluster=${s.name}`).catch(() => []));
    return `${s.name}: ${v?.busy ? "busy; " : ""}${members}; pods: ${pods}`;
  }));
  return lines.join("\n  ");
}

export async function deletePodForRebuild(env: CycleEnv, side: BenchSide, member: string, why: string, stuckMs: number, cycle: string): Promise<void> {
  env.log(`${member}: ${why}${stuckMs ? ` for ${stuckMs} ms` : ""}: deleting its pod so the operator rebuilds it`);
  await env.kube.run("kubectl", ["delete", "pod", member, "-n", side.namespace, "--wait=false"]);
  env.repairs.push({ member, why, stuckMs, afterCycle: cycle });
}

/**
 * A member of ours whose pod stayed but whose engine came back empty rejoins as an empty primary (state
 * ONLINE, no slots) next to its shard's new primary, and one whose sidecar judged it RECOVERED stays
 * RECOVERED: nothing makes either a standby again, since the operator replaces only a member whose pod
 * is gone. The bench deletes such a pod once it has been stuck STUCK_MS with no plan running; the
 * operator then puts the member back as a standby. Every repair is reported.
 */
async function repairStuck(env: CycleEnv, all: Map<BenchSide, ClusterView | undefined>, cycle: string): Promise<void> {
  const now = epochMs();
  const stuck = new Set<string>();
  for (const [side, v] of all) {
    if (!v || v.busy || !side.cluster) continue;
    for (const m of v.members) {
      const other = servingPrimaryOf(v, m.shard);
      if (m.ready || (m.state !== "ONLINE" && m.state !== "RECOVERED") || !other || other.name === m.name) continue;
      stuck.add(m.name);
      const since = env.stuckSince.get(m.name) ?? now;
      env.stuckSince.set(m.name, since);
      if (now - since < STUCK_MS) continue;
      await deletePodForRebuild(env, side, m.name, `${m.state} (${m.role || "no role"}) without a plan next to its shard's primary ${other.name}`, round(now - since), cycle);
      env.stuckSince.delete(m.name);
    }
  }
  for (const name of env.stuckSince.keys()) if (!stuck.has(name)) env.stuckSince.delete(name);
}

/** Waits until every cluster is quiet for `mode` and `side` has a shard to hit; returns it. */
export async function nextTarget(env: CycleEnv, side: BenchSide, mode: CycleKind): Promise<Target> {
  const faultMode: FaultMode = mode === "switchover" ? "pod-delete" : mode; // a switchover starts from a whole cluster
  try {
    return await waitFor(async () => {
      const all = await views(env);
      await repairStuck(env, all, `before ${mode} on ${side.name}`);
      if (![...all.values()].every((v) => quiet(v, faultMode))) return false;
      // A switchover waits out the operator's re-spread (RESPREAD_SETTLE_MS after the last plan or
      // flip): a re-spread that starts in the same moment would promote the same standby.
      if (mode === "switchover" && Date.now() - (all.get(side)?.changedAtMs ?? 0) < RESPREAD_SETTLE_MS + 2_000) return false;
      const t = pickTarget(all.get(side), side.lastShard, mode === "node-stop" ? env.avoidNodes : new Set());
      return t ? { ...t, podUid: await podUid(env.kube, side.namespace, t.member) } : false;
    }, { what: `every cluster quiet for a ${mode} and a primary of ${side.name} with an in-sync standby to hit`, timeoutMs: PACE_TIMEOUT_MS, intervalMs: 250 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n  ${await describe(env)}`);
  }
}

/** Waits until every cluster is whole (the end of a row: every acknowledged write is read back then). */
export async function waitWhole(env: CycleEnv): Promise<void> {
  try {
    await waitFor(async () => {
      const all = await views(env);
      await repairStuck(env, all, "end of a row");
      return [...all.values()].every((v) => v?.whole);
    }, { what: "every cluster whole", timeoutMs: PACE_TIMEOUT_MS, intervalMs: 250 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n  ${await describe(env)}`);
  }
}

/** Reads back every acknowledged write of `side` not read yet and charges what is lost to its cycle. */
export async function verifyInto(side: BenchSide, results: KillResult[], log: (line: string) => void): Promise<void> {
  const report = await side.writer.verify();
  for (const [cycle, n] of Object.entries(report.checkedByCycle)) {
    const r = results.find((x) => x.cycle === cycle);
    if (r) r.ackedChecked += n;
  }
  for (const [cycle, n] of Object.entries(report.lostByCycle)) {
    const r = results.find((x) => x.cycle === cycle);
    if (r) r.lostAcked += n;
    else log(`${side.name}: ${n} acknowledged writes of cycle ${cycle} lost (no fault of that name)`);
  }
  const lost = Object.values(report.lostByCycle).reduce((a, b) => a + b, 0);
  if (lost || report.unreadable) log(`${side.name}: read back ${report.checked} acknowledged writes: ${lost} lost${report.unreadable ? `, ${report.unreadable} unreadable (checked again later)` : ""}; e.g. ${report.lostSamples.slice(0, 3).join("; ")}`);
}

/** Starts the writer for a cycle and waits until every shard's writes flow. */
export async function startWriting(side: BenchSide, cycle: string): Promise<void> {
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
  const message = await injectFault(env.kube, env.stateDir, mode, side.namespace, t);
  const injectedMs = epochMs();
  const seen: OperatorSeen = { steps: [] };
  let effectMs: number | undefined;
  let timedOut = false;
  let nodeDown = mode === "node-stop";
  const restartNode = async () => {
    nodeDown = false;
    env.log(`${cycle}: ${await startNode(env.stateDir, t.node)}`);
    await side.onNodeStarted(t, cycle);
  };
  try {
    await waitFor(async () => {
      const now = epochMs();
      const [v, c] = await Promise.all([side.view(), side.cluster?.()]);
      if (c) watchOperator(c, t, tFault, seen, now);
      if (effectMs === undefined) {
        if (!(await faultTookEffect(env.kube, mode, side.namespace, t))) return false;
        effectMs = mode === "pod-delete" ? now : injectedMs;
      }
      const flowing = (await side.writer.flowing(t.shard, effectMs, FLOW_SPAN_MS, FLOW_MAX_GAP_MS)).flowing;
      // The stopped node comes back once the shard was failed over (writes flow, or another member
      // serves it: with durability replicated the new primary refuses writes until a standby is back), or after NODE_DOWN_MAX_MS.
      const movedOn = (servingPrimaryOf(v, t.shard)?.name ?? t.member) !== t.member;
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
  const after = await waitFor(async () => servingPrimaryOf(await side.view(), t.shard)?.name, {
    what: `${side.name} shard ${t.shard} with a serving primary`, timeoutMs: 60_000, intervalMs: 200 }).catch(() => "?");
  await side.afterFault(mode, t);
  const { steps, ...times } = seen;
  const result: KillResult = {
    mode, side: side.side, cycle, shard: t.shard, victim: t.member, node: t.node,
    unavailableMs: round(gap.longestMs), faultToFirstAckMs: round(gap.endMs - tFault), otherShardsMaxGapMs: round(Math.max(0, ...others)),
    primaryAfter: after, failedWrites: w.failed[t.shard] ?? 0, lostAcked: 0, ackedChecked: 0,
    ...(timedOut ? { timedOut: true as const } : {}), ...(side.cluster ? { operator: times } : {}),
  };
  env.log(`${cycle}: ${message}; shard ${t.shard} (${t.member} on ${t.node}) unavailable ${result.unavailableMs} ms (fault → first ack ${result.faultToFirstAckMs} ms), `
    + `primary now ${after}, ${result.failedWrites} failed writes, other shards' longest gap ${result.otherShardsMaxGapMs} ms`
    + `${side.cluster ? `; operator: noticed +${seen.noticedMs ?? "?"} ms, failover plan +${seen.planStartedMs ?? "?"} → +${seen.planFinishedMs ?? "?"} ms` : ""}`
    + `${timedOut ? " (TIMED OUT)" : ""}${w.errorSamples.length ? `; e.g. ${w.errorSamples[0]}` : ""}`
    + `${steps.length ? `\n    failover step: ${steps.join("\n    failover step: ")}` : ""}`);
  return result;
}
