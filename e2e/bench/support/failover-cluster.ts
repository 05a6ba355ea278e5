// bench:failover's view of a cluster and its faults: ours' manifest, what a cluster's view (ours: the
// status; the baseline: its engines) says about a shard, which primary to hit next, and the three faults
// through the proving ground's pod runner and the API.
import type { V1Pod } from "@kubernetes/client-node";
import type { MdbCluster } from "../../../operator/src/api/types.ts";
import { ENGINE_PORT } from "../../../operator/src/resources/names.ts";
import { sendControl } from "../../local/podrunner/control.ts";
import { conditionOf, isNotFound, isReady, type Kube } from "../../support/mdb.ts";
import type { FaultMode } from "./failover-stats.ts";

export const SHAPE = { shards: 3, replicasPerShard: 1 } as const;
export const MEMBERS = SHAPE.shards * (SHAPE.replicasPerShard + 1);
export const RACK_LABEL = "topology.mdbcluster.io/rack";
/** The engines' cluster-node-timeout on both sides (the CRD's default, written out so both say it). */
export const NODE_TIMEOUT_MS = 5000;

export interface ClusterSpecOptions {
  name: string;
  failover: boolean;
  durability: "async" | "replicated";
  rack: string;
  maxMembersPerHost: number;
}

export function failoverClusterManifest(o: ClusterSpecOptions): string {
  return [
    "apiVersion: mdbcluster.io/v1alpha1",
    "kind: MdbCluster",
    `metadata: { name: ${o.name} }`,
    "spec:",
    `  shards: ${SHAPE.shards}`,
    `  replicasPerShard: ${SHAPE.replicasPerShard}`,
    `  engine: { maxMemory: 64mb, nodeTimeoutMs: ${NODE_TIMEOUT_MS} }`,
    "  resources: { requests: { cpu: 50m, memory: 96Mi }, limits: { memory: 128Mi } }",
    `  placement: { nodeSelector: { ${RACK_LABEL}: ${o.rack} }, maxMembersPerHost: ${o.maxMembersPerHost} }`,
    `  failover: { enabled: ${o.failover} }`,
    ...(o.durability === "async" ? [] : [`  durability: ${o.durability}`]),
    "",
  ].join("\n");
}

/** A member as the bench judges it: from the MdbCluster's status (ours) or from the engines (the baseline). */
export interface MemberView { name: string; shard: number; role: "primary" | "standby" | ""; state: string; ready: boolean; ip: string; node: string }

/** What the bench needs of a cluster, whoever keeps it. */
export interface ClusterView {
  members: MemberView[];
  shards: { index: number; primary: string; standbys: string[]; slots: string }[];
  /** A plan (ours) or the bench's own rebuild (the baseline) is in progress. */
  busy: boolean;
  /** Every shard at full strength and nothing in progress. */
  whole: boolean;
  /** When the keeper last acted or the cluster last changed (ours: a plan's end, a condition's flip; ms). */
  changedAtMs: number;
}

/** Ours: the MdbCluster's status. */
export function viewOfStatus(c: MdbCluster | undefined): ClusterView | undefined {
  if (!c?.status) return undefined;
  return {
    members: (c.status.members ?? []).map((m) => ({
      name: m.name ?? "", shard: m.shard ?? -1, role: m.role === "primary" || m.role === "standby" ? m.role : "", state: m.state ?? "", ready: m.ready === true, ip: m.ip ?? "", node: m.node ?? "",
    })),
    shards: (c.status.shardDetails ?? []).map((d) => ({ index: d.index ?? -1, primary: d.primary ?? "", standbys: d.standbys ?? [], slots: d.slots ?? "" })),
    busy: c.status.plan?.phase === "Running",
    changedAtMs: Math.max(0, ...[c.status.plan?.finishedAt, ...(c.status.conditions ?? []).map((x) => x.lastTransitionTime)].map((t) => Date.parse(t ?? "")).filter(Number.isFinite)),
    whole: isReady(c) && conditionOf(c, "Degraded")?.status === "False" && c.status.readyMembers === MEMBERS
      && (c.status.members ?? []).length === MEMBERS && c.status.members!.every((m) => m.ready) && c.status.plan?.phase !== "Running",
  };
}

const memberOf = (v: ClusterView | undefined, name: string | undefined): MemberView | undefined => (name ? v?.members.find((m) => m.name === name) : undefined);

/** The shard's primary, when it serves. */
export function servingPrimaryOf(v: ClusterView | undefined, shard: number): MemberView | undefined {
  const m = memberOf(v, v?.shards.find((d) => d.index === shard)?.primary);
  return m?.ready && m.role === "primary" ? m : undefined;
}

/** A standby of the shard that serves as one (in sync). */
export function inSyncStandbyOf(v: ClusterView | undefined, shard: number): MemberView | undefined {
  const d = v?.shards.find((x) => x.index === shard);
  return (d?.standbys ?? []).map((n) => memberOf(v, n)).find((m) => m?.ready && m.state === "STANDBY");
}

/** Quiet enough to take the next fault of `mode`: nothing in progress, every shard served; whole for the faults that replace pods. */
export function quiet(v: ClusterView | undefined, mode: FaultMode): boolean {
  if (!v) return false;
  if (mode !== "engine-kill") return v.whole;
  return !v.busy && Array.from({ length: SHAPE.shards }, (_, s) => s).every((s) => servingPrimaryOf(v, s));
}

export interface Target { shard: number; member: string; node: string; ip: string; podUid: string }

/**
 * The next shard to hit, in turn after `after`, among those whose primary serves with an in-sync standby
 * (and, for a node stop, whose primary's node holds nothing else the bench needs: `avoidNodes`).
 */
export function pickTarget(v: ClusterView | undefined, after: number, avoidNodes: ReadonlySet<string>): Omit<Target, "podUid"> | undefined {
  for (let k = 1; k <= SHAPE.shards; k++) {
    const shard = (after + k) % SHAPE.shards;
    const primary = servingPrimaryOf(v, shard);
    if (!primary || !inSyncStandbyOf(v, shard) || avoidNodes.has(primary.node)) continue;
    return { shard, member: primary.name, node: primary.node, ip: primary.ip };
  }
  return undefined;
}

export function seedsOf(v: ClusterView): { host: string; port: number }[] {
  return v.members.filter((m) => m.ip).map((m) => ({ host: m.ip, port: ENGINE_PORT }));
}

async function podOrUndefined(kube: Kube, namespace: string, name: string): Promise<V1Pod | undefined> {
  try {
    return await kube.core.readNamespacedPod({ name, namespace });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function podUid(kube: Kube, namespace: string, name: string): Promise<string> {
  return (await podOrUndefined(kube, namespace, name))?.metadata?.uid ?? "";
}

/** The fault itself. engine-kill and node-stop have happened when this returns; pod-delete has only started. */
export async function injectFault(kube: Kube, stateDir: string, mode: FaultMode, namespace: string, t: Target): Promise<string> {
  switch (mode) {
    case "engine-kill":
      return (await sendControl(stateDir, { action: "kill", pod: `${namespace}/${t.member}`, container: "engine" })).message;
    case "pod-delete":
      return (await kube.must("kubectl", ["delete", "pod", t.member, "-n", namespace, "--wait=false"])).trim();
    case "node-stop":
      return (await sendControl(stateDir, { action: "stop-node", node: t.node })).message;
  }
}

/** Whether the fault has fully happened: for a pod delete, the old pod object is gone (its containers stopped). */
export async function faultTookEffect(kube: Kube, mode: FaultMode, namespace: string, t: Target): Promise<boolean> {
  if (mode !== "pod-delete") return true;
  const pod = await podOrUndefined(kube, namespace, t.member);
  return pod?.metadata?.uid !== t.podUid;
}

export async function startNode(stateDir: string, node: string): Promise<string> {
  return (await sendControl(stateDir, { action: "start-node", node })).message;
}

/** Nodes holding an operator pod: a node stop there would also stop the operator. */
export async function operatorNodes(kube: Kube, namespace: string): Promise<Set<string>> {
  const pods = (await kube.core.listNamespacedPod({ namespace })).items;
  return new Set(pods.map((p) => p.spec?.nodeName ?? "").filter(Boolean));
}

/** How many nodes carry the rack label value (to decide members per host). */
export async function nodesInRack(kube: Kube, rack: string): Promise<string[]> {
  const nodes = (await kube.core.listNode({ labelSelector: `${RACK_LABEL}=${rack}` })).items;
  return nodes.map((n) => n.metadata!.name!);
}
