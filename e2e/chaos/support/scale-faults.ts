// The faults of chaos:scale, struck at a point of a running scale plan: the operator's leader pod
// killed, a move's source engine killed, a move's target sidecar killed, a move's source or target
// partitioned for a while (docs/proving-ground.md#faults: the pod runner's control socket; off the
// proving ground only the operator's pod can be hit, by deleting it).
import { sleep, waitFor } from "../../../common/wait.ts";
import type { MdbCluster } from "../../../operator/src/api/types.ts";
import { sendControl, type ControlRequest } from "../../local/podrunner/control.ts";
import { releaseFullname } from "../../support/mdb.ts";
import type { ChaosTarget } from "./scale-round.ts";
import type { RoundPlan } from "./scale-round-plan.ts";

export interface Injected { what: string; heal(): Promise<void> }

interface MovePoint { plan: NonNullable<NonNullable<MdbCluster["status"]>["plan"]>; source?: string; target?: string }

/** The running move of this scale's plan once `afterMovesDone` moves are done, or undefined (pure). */
export function movePoint(c: MdbCluster | undefined, since: string, afterMovesDone: number): MovePoint | "over" | undefined {
  const plan = c?.status?.plan;
  if (!plan?.startedAt || plan.startedAt < since) return undefined;
  if (plan.phase !== "Running") return "over";
  const moves = (plan.steps ?? []).filter((s) => s.kind === "move-slots");
  const done = moves.filter((s) => s.state === "done").length;
  const running = moves.find((s) => s.state === "running");
  if (!running || done < Math.min(afterMovesDone, moves.length - 1)) return undefined;
  const primaryOf = (shard: string | undefined) => c!.status!.shardDetails?.find((d) => String(d.index) === shard)?.primary
    ?? c!.status!.members?.find((m) => String(m.shard) === shard && m.role === "primary")?.name;
  return { plan, source: primaryOf(running.from), target: primaryOf(running.to) };
}

async function control(t: ChaosTarget, req: ControlRequest): Promise<void> {
  if (!t.ground.stateDir) throw new Error(`${req.action}: needs the proving ground's pod runner (docs/proving-ground.md#faults)`);
  const reply = await sendControl(t.ground.stateDir, req);
  if (!reply.ok) throw new Error(`${JSON.stringify(req)}: ${reply.message}`);
}

async function killLeader(t: ChaosTarget): Promise<string> {
  const lease = releaseFullname(t.operator.release);
  const holder = (await t.kube.must("kubectl", ["get", "lease", lease, "-n", t.operator.namespace, "-o", "jsonpath={.spec.holderIdentity}"])).trim();
  if (!holder) throw new Error(`Lease ${t.operator.namespace}/${lease} has no holder`);
  if (t.ground.stateDir) await control(t, { action: "kill", pod: `${t.operator.namespace}/${holder}` });
  else await t.kube.must("kubectl", ["delete", "pod", holder, "-n", t.operator.namespace, "--grace-period=0", "--force"]);
  return holder;
}

/**
 * Waits for the fault's point of the plan (for the operator's leader: any point once the plan runs),
 * then strikes. A plan that finishes first gets the fault after it, and says so.
 */
export async function injectFault(t: ChaosTarget, round: RoundPlan, since: string): Promise<Injected> {
  let point: MovePoint | "over" | undefined;
  await waitFor(async () => {
    point = movePoint(await t.kube.getCluster(t.namespace, t.name), since, round.afterMovesDone);
    return point !== undefined;
  }, { what: `seed ${round.seed}: the scale plan's move to strike at`, timeoutMs: t.timeoutMs, intervalMs: 100 });
  await sleep(round.delayMs);
  const when = point === "over" ? "after the plan finished (it was quicker than the fault point)" : `mid-move (${round.afterMovesDone}+ moves done, +${round.delayMs} ms)`;
  const move = point === "over" ? undefined : point;
  const current = await t.kube.getCluster(t.namespace, t.name);
  const anyPrimary = current?.status?.shardDetails?.[round.to - 1]?.primary ?? current?.status?.shardDetails?.[0]?.primary;
  const pod = (name: string | undefined) => `${t.namespace}/${name ?? anyPrimary}`;
  const noop = async () => undefined;
  switch (round.fault) {
    case "kill-operator-leader":
      return { what: `killed the operator leader ${await killLeader(t)} ${when}`, heal: noop };
    case "kill-source-engine":
      await control(t, { action: "kill", pod: pod(move?.source), container: "engine" });
      return { what: `killed the engine of ${pod(move?.source)} (source) ${when}`, heal: noop };
    case "kill-target-sidecar":
      await control(t, { action: "kill", pod: pod(move?.target), container: "sidecar" });
      return { what: `killed the sidecar of ${pod(move?.target)} (target) ${when}`, heal: noop };
    case "partition-source":
    case "partition-target": {
      const victim = pod(round.fault === "partition-source" ? move?.source : move?.target);
      await control(t, { action: "partition", pod: victim });
      let healed = false;
      const heal = async () => {
        if (healed) return;
        healed = true;
        await control(t, { action: "heal", pod: victim });
      };
      const timer = sleep(round.partitionMs).then(heal).catch((err: Error) => t.log(`healing ${victim}: ${err.message}`));
      return { what: `partitioned ${victim} (${round.fault.slice("partition-".length)}) for ${round.partitionMs} ms ${when}`, heal: () => timer };
    }
  }
}
