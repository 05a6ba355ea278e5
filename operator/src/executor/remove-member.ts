// remove-member: a member that holds no slots leaves the cluster — every other engine forgets it
// (LeaveCluster through its sidecar) — then its pod and its volume are deleted. Done when its pod is
// gone (stepFinished); a member whose engine is down or gone is forgotten by the others instead.
import type { PlannedStep, RemoveMemberStep } from "../planner/index.ts";
import { pvcName } from "../resources/names.ts";
import { SidecarCallError } from "../sidecar/client.ts";
import type { ExecutorContext, StepResult } from "./context.ts";

export async function advanceRemoveMember(step: PlannedStep<RemoveMemberStep>, ctx: ExecutorContext): Promise<StepResult> {
  const o = ctx.observation;
  const ns = o.cluster.metadata!.namespace!;
  const m = o.members.find((x) => x.name === step.member);
  if (!m?.pod) {
    if (o.owned.pvcs.some((p) => p.metadata?.name === pvcName(step.member))) await ctx.kube.deletePvc(ns, pvcName(step.member));
    return { state: "done", message: `${step.member} is gone` };
  }
  if (m.terminating) return { state: "running", message: `waiting for ${step.member}'s pod to terminate` };
  const s = m.status;
  if (s && s.slotsOwned > 0) return { state: "running", message: `${step.member} still owns ${s.slotsOwned} slots; they move first` };
  const others = o.members.filter((x) => x !== m && x.pod && !x.terminating && x.status?.engineUp && !x.unknown);
  const forgetByOthers = async (nodeId: string) => {
    for (const x of others) await ctx.sidecar(x.name)?.forget(nodeId).catch((err: unknown) => { if (!(err instanceof SidecarCallError && err.code === "NOT_FOUND")) throw err; });
  };
  try {
    if (s?.engineUp && !m.unknown && ctx.sidecar(m.name)) {
      // An engine restarted mid-move may keep slots marked importing or migrating in its own view
      // (it owns none): it cannot leave by itself, so the others forget it; its pod goes next.
      await ctx.sidecar(m.name)!.leave().catch(async (err: unknown) => {
        if (!(err instanceof SidecarCallError && err.code === "FAILED_PRECONDITION" && /imported or migrated/.test(err.details) && s.nodeId)) throw err;
        await forgetByOthers(s.nodeId);
      });
    } else if (s?.nodeId) {
      await forgetByOthers(s.nodeId);
    }
  } catch (err) {
    if (err instanceof SidecarCallError) return { state: "running", message: `${step.member}: ${err.details}` };
    throw err;
  }
  await ctx.kube.deletePod(ns, step.member);
  if (ctx.spec.persistence.enabled) await ctx.kube.deletePvc(ns, pvcName(step.member));
  return { state: "running", message: `${step.member} left the cluster; its pod${ctx.spec.persistence.enabled ? " and volume are" : " is"} being deleted` };
}
