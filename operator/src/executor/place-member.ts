// place-member: the member's pod (and volume) on the chosen node, its engine met with the cluster,
// a standby replicating its shard's primary. Each pass does the first thing missing and returns;
// done is judged from the pod and the sidecar's report, never from "the call returned".
import { buildMemberPod, buildMemberPvc } from "../resources/member-pod.ts";
import { ENGINE_PORT, pvcName } from "../resources/names.ts";
import type { PlaceMemberStep, PlannedStep } from "../planner/index.ts";
import { servingPrimary } from "../model/members.ts";
import type { MemberView } from "../model/observation.ts";
import type { EngineAddress } from "../sidecar/client.ts";
import type { ExecutorContext, StepResult } from "./context.ts";

const running = (message: string): StepResult => ({ state: "running", message });

function podWaitReason(m: MemberView): string {
  if (!m.status) return `pod ${m.name} on ${m.node || "?"}: ${m.podProblem ?? "starting"}${m.sidecarError ? `; sidecar: ${m.sidecarError}` : ""}`;
  return `member ${m.name}: engine not answering (${m.status.lastError || m.status.notReadyReason || "starting"})`;
}

const address = (m: MemberView): EngineAddress => ({ host: m.ip, port: ENGINE_PORT });

export async function advancePlaceMember(step: PlannedStep<PlaceMemberStep>, ctx: ExecutorContext, plan: readonly PlannedStep[]): Promise<StepResult> {
  const o = ctx.observation;
  const m = o.members.find((x) => x.name === step.member);
  const ns = o.cluster.metadata!.namespace!;
  if (m?.pod && m.node && m.node !== step.node) {
    // A replacement elsewhere: the old pod sits on a node that cannot run it (NotReady or gone), so
    // no kubelet will confirm it stopped; it is removed at once (its engine id is forgotten later).
    await ctx.kube.deletePod(ns, m.name, 0);
    return running(`removed ${m.name}'s pod from node ${m.node}, which cannot run it; it goes to ${step.node}`);
  }
  if (!m?.pod) {
    const pvc = o.owned.pvcs.find((p) => p.metadata?.name === pvcName(step.member));
    const pvcNode = pvc?.metadata?.annotations?.["volume.kubernetes.io/selected-node"];
    if (ctx.spec.persistence.enabled && pvc && (pvc.metadata?.deletionTimestamp || (pvcNode && pvcNode !== step.node))) {
      // The member's volume lives on its old node: it starts over with a new one (it resyncs anyway).
      if (!pvc.metadata?.deletionTimestamp) await ctx.kube.deletePvc(ns, pvc.metadata!.name!);
      return running(`${step.member}'s volume is on node ${pvcNode ?? "?"}; a new one is made on ${step.node}`);
    }
    if (ctx.spec.persistence.enabled && !pvc) {
      await ctx.kube.createPvc(buildMemberPvc(o.cluster, ctx.spec, step.member, step.shard));
    }
    const hostLabelValue = o.nodeLabels.get(step.node)?.[ctx.spec.placement.topologyKeys.host] ?? step.node;
    await ctx.kube.createPod(buildMemberPod({ cluster: o.cluster, spec: ctx.spec, member: step.member, shard: step.shard, node: step.node, hostLabelValue }));
    return running(`created pod ${step.member} on node ${step.node}`);
  }
  if (m.terminating) return running(`waiting for the old pod ${m.name} to terminate`);
  const status = m.status;
  if (!status?.engineUp || !m.ip) return running(podWaitReason(m));
  const client = ctx.sidecar(m.name);
  if (!client) return running(`no connection to ${m.name}'s sidecar yet`);

  // One seed for everyone — the first member of the plan — so the engines form one cluster and never
  // islands (two members that only met each other). A member that knows fewer engines than are up
  // meets the seed again (a no-op once met); gossip brings the rest. A standby also meets its primary
  // directly so it can follow it at once.
  const planned = plan.filter((s): s is PlannedStep<PlaceMemberStep> => s.kind === "place-member");
  const up = planned.map((s) => o.members.find((x) => x.name === s.member)).filter((x): x is MemberView => !!x?.status?.engineUp && !!x.ip && !x.terminating);
  // A replacement's plan places no primary: the standby follows whoever serves its shard now.
  const primary = step.role !== "standby" ? undefined
    : up.find((x) => x.shard === step.shard && planned.some((s) => s.member === x.name && s.role === "primary")) ?? servingPrimary(o.members, step.shard);
  const seedName = planned[0]?.member;
  const forming = plan.some((s) => s.kind === "assign-slots");
  if (forming && seedName !== m.name && status.clusterKnownNodes < up.length) {
    const seed = up.find((x) => x.name === seedName);
    if (!seed) return running(`${m.name} waits for the seed member ${seedName} to come up`);
    const peers = [address(seed), ...(primary && primary !== seed ? [address(primary)] : [])];
    await client.join(peers, { timeoutMs: 10_000 });
    return running(`${m.name} met ${peers.map((p) => p.host).join(", ")}`);
  }
  // A member that came back from its volume knows its peers at the addresses they had; after every
  // pod was made again none of those answer. It meets the members that are up now (a no-op for an
  // engine that already knows a peer at that address) until it sees the cluster whole.
  const others = o.members.filter((x) => x !== m && x.ip && x.status?.engineUp && !x.terminating && !x.unknown);
  const cutOff = status.state === "STANDBY" && status.replication !== null && !status.replication.linkUp && !status.replication.syncInProgress;
  if (!forming && (status.clusterState !== "ok" || cutOff) && (status.state === "ACTIVE" || status.state === "STANDBY") && others.length > 0) {
    await client.join(others.map(address), { timeoutMs: 10_000 });
    return running(`${m.name} came back with its data and meets ${others.length} members at their addresses now`);
  }
  if (!forming && (status.state === "STANDBY" || (status.state === "ACTIVE" && status.slotsOwned > 0))) {
    // Back in a formed cluster, in whichever role the engines gave it.
    return { state: "done", message: `${m.name} is back as ${status.state === "ACTIVE" ? "its shard's primary" : "a standby"} on ${m.node}` };
  }
  if (step.role === "primary") {
    // A new shard's primary in a formed cluster (scale-out) meets the members that are up now.
    if (!forming && status.state === "ONLINE" && status.clusterKnownNodes < others.length + 1) {
      await client.join(others.map(address), { timeoutMs: 10_000 });
      return running(`${m.name} meets the ${others.length} members of the cluster`);
    }
    const known = Math.max(planned.length, forming ? 0 : others.length + 1);
    if (status.clusterKnownNodes < known) return running(`${m.name} knows ${status.clusterKnownNodes} of ${known} members`);
    // MIGRATING: already taking slots (a move of this plan ran before a new leader looked again).
    return ["ONLINE", "ACTIVE", "MIGRATING"].includes(status.state) ? { state: "done", message: `${m.name} is in the cluster on ${m.node}` } : running(`${m.name} is ${status.state}`);
  }
  if (status.state === "STANDBY") return { state: "done", message: `${m.name} replicates its primary` };
  // Roles swapped on the way (an election in a new shard that owns no slot yet): the member planned as
  // primary follows this one, so the shard has its primary and its standby.
  if (primary && primary !== m && primary.status?.state === "STANDBY" && primary.status.replication?.primaryNodeId === status.nodeId) {
    return { state: "done", message: `${m.name} is its shard's primary and ${primary.name} follows it (roles swapped)` };
  }
  if (!primary?.status?.nodeId) return running(`${m.name} waits for its primary to come up`);
  if (primary.status.role !== "PRIMARY") return running(`${m.name} waits: ${primary.name} is not a primary yet`);
  if (status.state !== "ONLINE" && status.state !== "RECOVERED") return running(`${m.name} is ${status.state}; it can follow a primary from ONLINE or RECOVERED`);
  // Gossip may not have introduced the primary yet; meeting a known node again is a no-op.
  await client.join([address(primary)], { timeoutMs: 10_000 });
  let last;
  for await (const p of client.replicateFrom(primary.status.nodeId, { timeoutMs: 60_000 })) last = p;
  return last?.done ? { state: "done", message: `${m.name} follows ${primary.name}` } : running(`${m.name} is syncing from ${primary.name} (${last?.phase ?? "starting"})`);
}
