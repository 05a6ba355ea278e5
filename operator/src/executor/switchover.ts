// switchover: a shard's primary role moves to one of its standbys. Planned (a re-spread): GRACEFUL,
// the engine's manual failover, which pauses the primary's writers until the standby has every write.
// Forced (the primary is dead or gone): FORCE while a majority of the shards' primaries serve, so the
// engines vote; otherwise TAKEOVER, and only once the old primary is fenced — its pod gone, so it can
// accept no write (docs/architecture.md#failure-handling). Done when the standby owns the shard's slots.
import { promotable, servingPrimary, servingShards } from "../model/members.ts";
import type { SwitchoverStep, PlannedStep } from "../planner/index.ts";
import { SidecarCallError } from "../sidecar/client.ts";
import type { ExecutorContext, StepResult } from "./context.ts";

const running = (message: string): StepResult => ({ state: "running", message });

export async function advanceSwitchover(step: PlannedStep<SwitchoverStep>, ctx: ExecutorContext): Promise<StepResult> {
  if (!step.forced) return advancePlanned(step, ctx);
  const o = ctx.observation;
  const serving = servingPrimary(o.members, step.shard);
  if (serving) return { state: "done", message: `${serving.name} serves shard ${step.shard}` };
  const to = o.members.find((m) => m.name === step.to);
  const candidates = promotable(o.members, step.shard, { stale: step.stale === true });
  if (!to || !candidates.includes(to)) {
    const [other] = candidates;
    return running(other ? `${step.to} cannot take over now; ${other.name} can (the plan is made again)` : `${step.to} is not an in-sync standby now (${to?.status?.state ?? "no report"})`);
  }
  const client = ctx.sidecar(to.name);
  if (!client) return running(`no connection to ${to.name}'s sidecar`);
  const majority = servingShards(o.members, ctx.spec.shards) > ctx.spec.shards / 2;
  try {
    if (majority) {
      await client.promote("FORCE", { timeoutMs: 10_000 });
      return { state: "done", message: `${to.name} took over shard ${step.shard} (FORCE: the other primaries voted)` };
    }
    // Fenced: its pod is gone (a terminating pod may still take writes while it shuts down), or its
    // node is NotReady or gone (cut off; the pod is removed by the replacement).
    const old = o.members.find((m) => m.name === step.from && m.pod);
    const nodeDown = old !== undefined && !o.nodes.some((n) => n.name === old.node && n.ready);
    if (old && !nodeDown) return running(`${step.from}'s pod still exists and too few primaries serve to vote: waiting until it is gone (fenced) before a TAKEOVER`);
    const grant = await client.prepareTakeover();
    await client.promote("TAKEOVER", { fenceToken: grant.fenceToken, timeoutMs: 10_000 });
    return { state: "done", message: `${to.name} took over shard ${step.shard} (TAKEOVER: ${step.from || "the old primary"} is fenced, its pod gone)` };
  } catch (err) {
    // FAILED_PRECONDITION: e.g. the standby still sees its primary (link up); the next pass looks again.
    if (err instanceof SidecarCallError) return running(`${to.name}: ${err.details}`);
    throw err;
  }
}

async function advancePlanned(step: PlannedStep<SwitchoverStep>, ctx: ExecutorContext): Promise<StepResult> {
  const o = ctx.observation;
  const serving = servingPrimary(o.members, step.shard);
  if (serving?.name === step.to) return { state: "done", message: `${step.to} serves shard ${step.shard}` };
  if (!serving) return running(`shard ${step.shard} has no serving primary: a planned switchover waits (a failover comes first)`);
  const to = o.members.find((m) => m.name === step.to);
  const s = to?.status;
  if (!to || to.unknown || !s?.engineUp || s.state !== "STANDBY" || !s.replication?.linkUp || s.replication.primaryNodeId !== serving.status!.nodeId) {
    return running(`${step.to} is not an in-sync standby of ${serving.name} now (${s?.state ?? "no report"}${s?.replication && !s.replication.linkUp ? ", link down" : ""})`);
  }
  const client = ctx.sidecar(to.name);
  if (!client) return running(`no connection to ${to.name}'s sidecar`);
  try {
    await client.promote("GRACEFUL", { timeoutMs: 15_000 });
    return running(`${to.name} took over shard ${step.shard} from ${serving.name} (GRACEFUL: no acknowledged write lost); waiting for its report`);
  } catch (err) {
    if (err instanceof SidecarCallError) return running(`${to.name}: ${err.details}`);
    throw err;
  }
}
