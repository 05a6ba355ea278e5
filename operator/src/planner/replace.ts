// Replacement of members lost with their node (DESIGN §7: "if it never returns, the planner places a
// replacement"). A lost primary is failed over first to the best surviving standby; then each lost
// member gets a new standby placed with isolation from the shard's survivors; then the lost member is
// removed from the cluster's membership.

import { replacementName, type MaintenancePlan, type MaintenanceStep } from "./drain.ts";
import { planId, plural } from "./explain.ts";
import { PlacementEngine, type ClusterMember, type Placement, type PlacementPolicy } from "./placement.ts";
import { PrimarySpread } from "./primaries.ts";
import { PlannerInputError, type TopologyNode } from "./topology.ts";

export interface ReplaceInput {
  nodes: readonly TopologyNode[];
  policy: PlacementPolicy;
  members: readonly ClusterMember[];
  /** Names of the members that are gone for good. */
  lost: readonly string[];
  notCandidates?: readonly string[];
}

export function planReplacement(input: ReplaceInput): MaintenancePlan {
  const id = planId("replace", input);
  const byName = new Map(input.members.map((m) => [m.name, m]));
  const lost = [...new Set(input.lost)].map((name) => {
    const m = byName.get(name);
    if (!m) throw new PlannerInputError(`lost member "${name}" is not a member of the cluster; name members from status.members`);
    return m;
  }).sort((a, b) => a.shard - b.shard || (a.name < b.name ? -1 : 1));
  const lostNames = new Set(lost.map((m) => m.name));
  const lostNodes = new Set(lost.map((m) => m.node));

  const spread = new PrimarySpread({ nodes: input.nodes, topologyKeys: input.policy.topologyKeys, members: input.members.filter((m) => !lostNames.has(m.name)), notCandidates: input.notCandidates });
  const steps: MaintenanceStep[] = [];
  for (const m of lost.filter((x) => x.role === "primary")) {
    const standby = spread.chooseStandby(m.shard, lostNodes);
    if (!standby) {
      const survivors = input.members.filter((x) => x.shard === m.shard && !lostNames.has(x.name));
      throw new PlannerInputError(
        survivors.length === 0
          ? `shard ${m.shard} lost every member (${m.name} was its primary): its slots have no copy left; restore the shard from a backup`
          : `shard ${m.shard} lost its primary ${m.name} and no surviving member can be promoted (${survivors.map((s) => s.name).join(", ")} are on nodes that are not Ready or are excluded); bring one back before replacing`,
      );
    }
    spread.recordSwitchover("", standby); // the lost primary no longer counts anywhere
    steps.push({ action: "failover", shard: m.shard, from: m.name, to: standby.member, reason: `primary ${m.name} was lost with node ${m.node}; ${standby.member} on node ${standby.node} takes over` });
  }

  const taken = new Set(input.members.map((m) => m.name));
  const engine = new PlacementEngine(input.nodes, input.policy, input.members, [...lostNames]);
  const placements: Placement[] = [];
  for (const m of lost) {
    const name = replacementName(m.name, taken);
    taken.add(name);
    const outcome = engine.place({ name, shard: m.shard, role: "standby" });
    if ("failure" in outcome) {
      return { ok: false, id, kind: "replace", failure: outcome.failure, reasons: [...engine.notes, `cannot replace ${m.name}: ${outcome.failure.message}`] };
    }
    placements.push(outcome.placement);
    steps.push({ action: "add-member", shard: m.shard, member: name, node: outcome.placement.node, replaces: m.name, reason: `replaces ${m.name}, lost with node ${m.node}` });
  }
  for (const m of lost) steps.push({ action: "remove-member", shard: m.shard, member: m.name, node: m.node, reason: `${m.name} is gone with node ${m.node}; forget it so the cluster stops waiting for it` });
  const reasons = [
    `replace ${plural(lost.length, "lost member")}: ${plural(steps.filter((s) => s.action === "failover").length, "failover")}, ${plural(placements.length, "new standby")}`,
    ...engine.notes,
    ...[engine.filterSummary()].filter((x): x is string => x !== null),
    ...steps.map((s) => `${s.action} ${"member" in s ? s.member : `${s.from} → ${s.to}`}: ${s.reason}`),
  ];
  return { ok: true, id, kind: "replace", steps, placements, reasons };
}
