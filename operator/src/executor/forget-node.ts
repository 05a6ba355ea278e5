// forget-node: every engine forgets a lost member's old engine id (CLUSTER FORGET through each
// sidecar). The engines ban a forgotten id for 60 s only, so every member must answer in one pass:
// one that does not yet is waited for, and so is a standby that still follows the lost engine. Done
// when each answered "forgotten" or "not known", or when the member came back with that same engine.
import type { ForgetNodeStep, PlannedStep } from "../planner/index.ts";
import { SidecarCallError } from "../sidecar/client.ts";
import type { ExecutorContext, StepResult } from "./context.ts";

export async function advanceForgetNode(step: PlannedStep<ForgetNodeStep>, ctx: ExecutorContext): Promise<StepResult> {
  const members = ctx.observation.members.filter((m) => m.pod && !m.terminating);
  // Back from its volume, the member kept its engine: its id is live, and a FORGET would have every
  // other engine drop it for 60 s (its slots unserved there: CLUSTERDOWN). Until it reports, which
  // engine it runs is not known.
  const kept = members.find((m) => m.status?.nodeId === step.nodeId && !m.unknown);
  if (kept) return { state: "done", message: `${kept.name} runs the engine ${step.nodeId} (back from its volume): nothing to forget` };
  // A standby that still follows the lost engine needs it known: the other primaries vote for its
  // failover only while they know its primary (after every pod was made again, its shard may have
  // no primary yet).
  const follower = members.find((m) => m.status?.replication?.primaryNodeId === step.nodeId && m.status.role === "REPLICA");
  if (follower) return { state: "running", message: `${follower.name} still follows ${step.member}'s old engine ${step.nodeId}: it is forgotten once ${follower.name}'s shard has another primary` };
  const self = members.find((m) => m.name === step.member);
  if (!self || self.unknown || !self.status?.nodeId) return { state: "running", message: `waiting for ${step.member} to report which engine it runs before forgetting ${step.nodeId}` };
  const silent = members.filter((m) => m.unknown || !m.status?.engineUp || !ctx.sidecar(m.name));
  if (silent.length > 0) return { state: "running", message: `waiting for ${silent.map((m) => m.name).join(", ")} to answer before forgetting ${step.member}'s engine ${step.nodeId}` };
  const refused: string[] = [];
  await Promise.all(members.map(async (m) => {
    try {
      await ctx.sidecar(m.name)!.forget(step.nodeId);
    } catch (err) {
      if (err instanceof SidecarCallError && err.code === "NOT_FOUND") return;
      refused.push(`${m.name}: ${(err as Error)?.message ?? String(err)}`);
    }
  }));
  return refused.length === 0
    ? { state: "done", message: `every engine forgot ${step.member}'s old engine ${step.nodeId}` }
    : { state: "running", message: refused.join("; ") };
}
