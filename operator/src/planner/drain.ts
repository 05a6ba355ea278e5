// Drain of a node (store-state draining, seed 001's "disable the store and move every replica off
// it"): first switch its primaries over to standbys elsewhere, then place a replacement for each of
// its members, switch over to a replacement where a shard had no standby elsewhere, then remove the
// old members. With no downtime: a primary is only demoted once a synced member elsewhere exists.
// The standby that takes over is the one whose host, then rack, zone, region holds the fewest primaries.

import { plural, reason } from "./explain.ts";
import { planId, sortedByName } from "./identity.ts";
import { PlannerInputError, requireName } from "./input.ts";
import { maintenanceIdentity, type MaintenancePlan, type MaintenanceStep } from "./maintenance.ts";
import { replacementName } from "./member-names.ts";
import { planned, type PlaceMemberStep, type PlanOutcome, type Reason, type RemoveMemberStep, type SwitchoverStep } from "./plan.ts";
import { explainPlacement, solvePlacement, type ExistingMember, type MemberRequest, type PlacementPolicy } from "./placement.ts";
import { PrimarySpread } from "./primary-spread.ts";
import type { TopologyNode } from "./topology.ts";

export interface DrainInput {
  nodes: readonly TopologyNode[];
  policy: PlacementPolicy;
  members: readonly ExistingMember[];
  /** The node to empty. */
  node: string;
  /** Standbys that must not be promoted (e.g. not in sync). */
  notCandidates?: readonly string[];
}

export function planDrain(input: DrainInput): PlanOutcome<MaintenancePlan> {
  const identity = maintenanceIdentity(input);
  const drained = requireName(input.node, "node");
  if (!input.nodes.some((n) => n.name === drained)) throw new PlannerInputError("node", `"${drained}" is not in the topology snapshot; name a Node that exists`);
  const id = planId("drain", { ...identity, node: drained });
  const onNode = sortedByName(input.members.filter((m) => m.node === drained)).sort((a, b) => a.shard - b.shard);
  if (onNode.length === 0) {
    return { ok: false, refusal: { id, kind: "drain", code: "NothingToDo", message: `node ${drained} holds no member of this cluster: nothing to drain`, reasons: [] } };
  }
  const avoid = new Set([drained]);
  const spread = new PrimarySpread({ nodes: input.nodes, topologyKeys: input.policy.topologyKeys, members: input.members, notCandidates: input.notCandidates });

  const early: SwitchoverStep[] = [];
  const reasons: Reason[] = [];
  const primaryWithoutStandby = new Set<number>();
  for (const m of onNode.filter((x) => x.role === "primary")) {
    const standby = spread.chooseStandby(m.shard, avoid);
    if (standby) {
      early.push({ kind: "switchover", shard: m.shard, from: m.name, to: standby.member });
      reasons.push(reason("NodeDraining", `primary ${m.name} leaves draining node ${drained}; standby ${standby.member} on node ${standby.node} takes over first`));
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
  const placement = solvePlacement({
    nodes: input.nodes, policy: input.policy, members: input.members, requests,
    leaving: onNode.map((m) => m.name), excludedNodes: { [drained]: `node ${drained} is being drained` },
  });
  if (!placement.ok) {
    const f = placement.failure;
    return { ok: false, refusal: { id, kind: "drain", ...f, message: `cannot drain node ${drained}: ${f.message}`, reasons: placement.reasons } };
  }
  const adds: PlaceMemberStep[] = placement.placements.map((p) => ({ kind: "place-member", member: p.member, shard: p.shard, role: "standby", node: p.node }));
  const late: SwitchoverStep[] = [];
  onNode.forEach((m, i) => {
    if (m.role === "primary" && primaryWithoutStandby.has(m.shard)) {
      late.push({ kind: "switchover", shard: m.shard, from: m.name, to: adds[i].member });
      reasons.push(reason("NodeDraining", `shard ${m.shard} had no standby off node ${drained}; its new member ${adds[i].member} takes over once in sync`));
    }
  });
  const removes: RemoveMemberStep[] = onNode.map((m) => ({ kind: "remove-member", member: m.name, shard: m.shard }));
  const steps: MaintenanceStep[] = [...early, ...adds, ...late, ...removes];
  return {
    ok: true,
    plan: {
      id, kind: "drain", steps: steps.map((s) => planned(s)),
      reasons: [
        reason("NodeDraining", `drain node ${drained}: ${plural(onNode.length, "member")} to move, ${plural(early.length + late.length, "switchover")} (${late.length} after a replacement syncs), then ${plural(removes.length, "removal")}`),
        ...reasons, ...placement.reasons, ...placement.placements.map((p) => reason("Placement", explainPlacement(p))),
      ],
    },
  };
}
