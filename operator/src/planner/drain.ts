// Drain of a node (store-state draining, seed 001's "disable the store and move every replica off
// it"): first switch its primaries over to standbys elsewhere, then place a replacement for each of
// its members, switch over to a replacement where a shard had no standby elsewhere, then remove the
// old members. With no downtime: a primary is only demoted once a synced member elsewhere exists.
// The standby that takes over is the one whose host, then rack, zone, region holds the fewest primaries.
// Replacement member names: "<name>-r1", then "-r2" … (a previous "-rK" suffix is bumped).

import { planId, plural } from "./explain.ts";
import { PlacementEngine, type ClusterMember, type MemberRequest, type PlacementFailure, type PlacementPolicy, type Placement } from "./placement.ts";
import { PrimarySpread } from "./primaries.ts";
import { PlannerInputError, type TopologyNode } from "./topology.ts";

export type MaintenanceStep =
  | { action: "failover"; shard: number; from: string; to: string; reason: string }
  | { action: "switchover"; shard: number; from: string; to: string; reason: string }
  | { action: "add-member"; shard: number; member: string; node: string; replaces: string; reason: string }
  | { action: "remove-member"; shard: number; member: string; node: string; reason: string };

export type MaintenancePlan =
  | { ok: true; id: string; kind: "drain" | "replace"; steps: MaintenanceStep[]; placements: Placement[]; reasons: string[] }
  | { ok: false; id: string; kind: "drain" | "replace"; failure: PlacementFailure; reasons: string[] };

export interface DrainInput {
  nodes: readonly TopologyNode[];
  policy: PlacementPolicy;
  members: readonly ClusterMember[];
  /** The node to empty. */
  node: string;
  /** Standbys that must not be promoted (e.g. not in sync). */
  notCandidates?: readonly string[];
}

export function replacementName(name: string, taken: ReadonlySet<string>): string {
  const match = /^(.*)-r(\d+)$/.exec(name);
  const stem = match ? match[1] : name;
  let k = match ? Number(match[2]) + 1 : 1;
  while (taken.has(`${stem}-r${k}`)) k++;
  return `${stem}-r${k}`;
}

export function planDrain(input: DrainInput): MaintenancePlan {
  const id = planId("drain", input);
  const target = input.nodes.find((n) => n.name === input.node);
  if (!target) throw new PlannerInputError(`node "${input.node}" is not in the topology snapshot; name a Node that exists`);
  const onNode = input.members.filter((m) => m.node === input.node).sort((a, b) => a.shard - b.shard || (a.name < b.name ? -1 : 1));
  const reasons: string[] = [];
  if (onNode.length === 0) {
    return { ok: true, id, kind: "drain", steps: [], placements: [], reasons: [`node ${input.node} holds no member of this cluster: nothing to drain`] };
  }
  const avoid = new Set([input.node]);
  const spread = new PrimarySpread({ nodes: input.nodes, topologyKeys: input.policy.topologyKeys, members: input.members, notCandidates: input.notCandidates });

  const early: MaintenanceStep[] = [];
  const primaryWithoutStandby = new Set<number>();
  for (const m of onNode.filter((x) => x.role === "primary")) {
    const standby = spread.chooseStandby(m.shard, avoid);
    if (standby) {
      early.push({ action: "switchover", shard: m.shard, from: m.name, to: standby.member, reason: `primary ${m.name} leaves draining node ${input.node}; standby ${standby.member} on node ${standby.node} takes over first` });
      spread.recordSwitchover(m.node, standby);
    } else {
      primaryWithoutStandby.add(m.shard);
    }
  }

  const taken = new Set(input.members.map((m) => m.name));
  const requests: MemberRequest[] = onNode.map((m) => {
    const name = replacementName(m.name, taken);
    taken.add(name);
    return { name, shard: m.shard, role: "standby" };
  });
  const engine = new PlacementEngine(input.nodes, input.policy, input.members, onNode.map((m) => m.name), { [input.node]: `node ${input.node} is being drained` });
  const placements: Placement[] = [];
  for (const request of requests) {
    const outcome = engine.place(request);
    if ("failure" in outcome) {
      return { ok: false, id, kind: "drain", failure: outcome.failure, reasons: [...engine.notes, `cannot drain node ${input.node}: ${outcome.failure.message}`] };
    }
    placements.push(outcome.placement);
  }
  const adds: MaintenanceStep[] = placements.map((p, i) => ({
    action: "add-member", shard: p.shard, member: p.member, node: p.node, replaces: onNode[i].name,
    reason: `replaces ${onNode[i].name} (leaving draining node ${input.node}) on node ${p.node}${p.isolation ? `, isolated from the shard's other members at ${p.isolation} level` : ""}`,
  }));
  const late: MaintenanceStep[] = [];
  onNode.forEach((m, i) => {
    if (m.role === "primary" && primaryWithoutStandby.has(m.shard)) {
      late.push({ action: "switchover", shard: m.shard, from: m.name, to: placements[i].member, reason: `shard ${m.shard} had no standby off node ${input.node}; its new member ${placements[i].member} takes over once in sync` });
    }
  });
  const removes: MaintenanceStep[] = onNode.map((m) => ({ action: "remove-member", shard: m.shard, member: m.name, node: m.node, reason: `node ${input.node} is drained once its replacement is in sync` }));
  const steps = [...early, ...adds, ...late, ...removes];
  reasons.push(
    `drain node ${input.node}: ${plural(onNode.length, "member")} to move, ${plural(early.length + late.length, "switchover")} (${late.length} after a replacement syncs), then ${plural(removes.length, "removal")}`,
    ...engine.notes,
    ...[engine.filterSummary()].filter((x): x is string => x !== null),
    ...steps.map((s) => `${s.action} ${"member" in s ? s.member : `${s.from} → ${s.to}`}: ${s.reason}`),
  );
  return { ok: true, id, kind: "drain", steps, placements, reasons };
}

/** Apply a maintenance plan's steps to the member list (what the cluster looks like once it is done). */
export function applySteps(members: readonly ClusterMember[], steps: readonly MaintenanceStep[]): ClusterMember[] {
  const result = new Map(members.map((m) => [m.name, { ...m }]));
  for (const step of steps) {
    if (step.action === "add-member") {
      result.set(step.member, { name: step.member, shard: step.shard, node: step.node, role: "standby" });
    } else if (step.action === "remove-member") {
      result.delete(step.member);
    } else {
      const from = result.get(step.from);
      const to = result.get(step.to);
      if (!to) throw new PlannerInputError(`step ${step.action} names member ${step.to}, which does not exist at that point of the plan`);
      if (from) from.role = "standby";
      to.role = "primary";
    }
  }
  return [...result.values()];
}
