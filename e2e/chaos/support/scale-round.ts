// One chaos:scale round on a live cluster (docs/operations.md#scaling): a mixed client loads its keys
// and reads and writes the whole time, spec.shards changes, a fault strikes at the planned point of
// the plan (e2e/chaos/support/scale-faults.ts), and the round ends when the cluster is whole again —
// Ready with the new shape, every slot owned once in every primary's view, none importing or
// migrating — or when its time is up. Then every key the client loaded is read back.
import { waitFor } from "../../../common/wait.ts";
import { countSlots, parseSlotRanges } from "../../../common/slots.ts";
import type { MdbCluster } from "../../../operator/src/api/types.ts";
import { clusterProgress, conditionOf, isReady, type Kube, type OperatorRelease } from "../../support/mdb.ts";
import { MixedClient } from "../../support/mixed-client.ts";
import { checkSlotOwnership } from "../../support/slot-ownership.ts";
import type { Ground } from "../../support/ground.ts";
import type { RoundPlan } from "./scale-round-plan.ts";
import { injectFault, type Injected } from "./scale-faults.ts";

export interface ChaosTarget {
  kube: Kube; ground: Ground; operator: OperatorRelease; namespace: string; name: string; password: string;
  replicasPerShard: number; keysPerRound: number; opsPerSecond: number; timeoutMs: number; log: (line: string) => void;
}

export interface RoundResult {
  seed: number; from: number; to: number; fault: string; injected: string;
  converged: boolean; keysLost: number; orphanedSlots: number; clientErrors: number; clientUnknown: number; wrongReads: number;
  seconds: number; why?: string;
}

/** Ready with `shards` × members, no plan running, the slots on `shards` shards balanced ± 1. */
export function settled(c: MdbCluster | undefined, shards: number, members: number): boolean {
  if (!isReady(c) || conditionOf(c, "Degraded")?.status !== "False" || c!.status!.readyMembers !== members) return false;
  if (c!.status!.plan?.phase === "Running" || c!.status!.shards !== shards) return false;
  const counts = (c!.status!.shardDetails ?? []).map((d) => countSlots(parseSlotRanges(d.slots ?? "")));
  return counts.length === shards && counts.reduce((a, b) => a + b, 0) === 16384 && Math.max(...counts) - Math.min(...counts) <= 1;
}

/** The plan's steps that are not done, with their messages: what a round that did not converge waited for. */
export function planSteps(c: MdbCluster | undefined): string {
  const plan = c?.status?.plan;
  if (!plan) return "no plan";
  const open = (plan.steps ?? []).filter((s) => s.state !== "done").map((s) => `${s.id ?? s.kind} ${s.state}${s.message ? `: ${s.message}` : ""}`);
  return `${plan.kind} ${plan.phase} (${plan.summary ?? ""})${open.length ? `; open steps: ${open.join(" | ")}` : ""}`;
}

export async function runRound(t: ChaosTarget, plan: RoundPlan): Promise<RoundResult> {
  const t0 = Date.now();
  const members = plan.to * (t.replicasPerShard + 1);
  const result: RoundResult = {
    seed: plan.seed, from: plan.from, to: plan.to, fault: plan.fault, injected: "not yet",
    converged: false, keysLost: 0, orphanedSlots: 0, clientErrors: 0, clientUnknown: 0, wrongReads: 0, seconds: 0,
  };
  const before = (await t.kube.getCluster(t.namespace, t.name))!;
  const seeds = () => (before.status?.members ?? []).filter((m) => m.ip).map((m) => ({ host: m.ip!, port: 6379 }));
  const client = new MixedClient(seeds(), t.password, `c${plan.seed}`);
  let injected: Injected | undefined;
  try {
    await client.load(t.keysPerRound);
    client.start(t.opsPerSecond, plan.clientSeed);
    const since = new Date(Date.now() - 1000).toISOString();
    await t.kube.must("kubectl", ["patch", "mdb", t.name, "-n", t.namespace, "--type=merge", "-p", JSON.stringify({ spec: { shards: plan.to } })]);
    injected = await injectFault(t, plan, since);
    result.injected = injected.what;
    t.log(`seed ${plan.seed}: ${plan.from} → ${plan.to} shards, ${injected.what}`);
    let last: MdbCluster | undefined;
    let lastLine = "";
    const converged = await waitFor(async () => {
      last = await t.kube.getCluster(t.namespace, t.name);
      const line = clusterProgress(last);
      if (line !== lastLine) t.log(`seed ${plan.seed} [${((Date.now() - t0) / 1000).toFixed(0)}s] ${line}`);
      lastLine = line;
      return settled(last, plan.to, members);
    }, { what: `seed ${plan.seed}: Ready with ${plan.to} shards`, timeoutMs: t.timeoutMs, intervalMs: 500 }).then(() => true, () => false);
    await injected.heal();
    if (!converged) result.why = `not Ready with ${plan.to} shards after ${t.timeoutMs / 1000} s: ${clusterProgress(last)}; plan: ${planSteps(last)}`;
    const hosts = (last?.status?.members ?? []).filter((m) => m.ip).map((m) => m.ip!);
    const ownership = await checkSlotOwnership(hosts, t.password);
    result.orphanedSlots = ownership.orphanedSlots;
    if (ownership.views !== plan.to) ownership.problems.push(`${ownership.views} primaries answered, ${plan.to} wanted`);
    if (ownership.problems.length) result.why = [result.why, ...ownership.problems].filter(Boolean).join("; ");
    const report = await client.stop();
    result.keysLost = report.lost.length;
    result.clientErrors = report.failed;
    result.clientUnknown = report.unknown;
    result.wrongReads = report.wrongReads;
    if (report.lost.length) result.why = [result.why, `${report.lost.length} keys lost (e.g. ${report.lost.slice(0, 3).join(", ")})`].filter(Boolean).join("; ");
    result.converged = converged && ownership.problems.length === 0;
  } catch (err) {
    await injected?.heal().catch(() => undefined);
    await client.abort();
    result.why = `round failed: ${(err as Error).message}`;
  }
  result.seconds = Math.round((Date.now() - t0) / 100) / 10;
  return result;
}
