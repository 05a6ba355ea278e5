// Replacement of members lost with their node (docs/architecture.md#failure-handling: "if it never returns, the planner places a
// replacement"). A lost primary is failed over first (forced: it cannot consent) to the best
// surviving standby; then each lost member gets a new standby placed with isolation from the
// shard's survivors; then the lost member is removed from the cluster's membership.

import { plural, reason } from "./explain.ts";
import { maintenanceIdentity, type MaintenancePlan, type MaintenanceStep } from "./maintenance.ts";
import { replacementName } from "./member-names.ts";
import { planId, sortedByName } from "./identity.ts";
import { PlannerInputError, requireNames } from "./input.ts";
import { planned, type PlaceMemberStep, type PlanOutcome, type Reason, type SwitchoverStep } from "./plan.ts";
import { explainPlacement, solvePlacement, type ExistingMember, type PlacementPolicy } from "./placement.ts";
import { PrimarySpread } from "./primary-spread.ts";
import type { TopologyNode } from "./topology.ts";

export interface ReplaceInput {
  nodes: readonly TopologyNode[];
  policy: PlacementPolicy;
  members: readonly ExistingMember[];
  /** Names of the members that are gone for good. */
  lost: readonly string[];
  notCandidates?: readonly string[];
}

export function planReplacement(input: ReplaceInput): PlanOutcome<MaintenancePlan> {
  const identity = maintenanceIdentity(input);
  const byName = new Map(input.members.map((m) => [m.name, m]));
  requireNames(input.lost, "lost").forEach((name, i) => {
    if (!byName.has(name)) throw new PlannerInputError(`lost[${i}]`, `"${name}" is not a member of the cluster; name members from status.members`);
  });
  const lost = sortedByName([...new Set(input.lost)].map((name) => byName.get(name)!)).sort((a, b) => a.shard - b.shard);
  const id = planId("replace", { ...identity, lost: lost.map((m) => m.name) });
  if (lost.length === 0) return { ok: false, refusal: { id, kind: "replace", code: "NothingToDo", message: "no member is lost", reasons: [] } };
  const lostNames = new Set(lost.map((m) => m.name));
  const lostNodes = new Set(lost.map((m) => m.node));

  const spread = new PrimarySpread({ nodes: input.nodes, topologyKeys: input.policy.topologyKeys, members: input.members.filter((m) => !lostNames.has(m.name)), notCandidates: input.notCandidates });
  const failovers: SwitchoverStep[] = [];
  const reasons: Reason[] = [];
  for (const m of lost.filter((x) => x.role === "primary")) {
    const standby = spread.chooseStandby(m.shard, lostNodes);
    if (!standby) {
      const survivors = input.members.filter((x) => x.shard === m.shard && !lostNames.has(x.name));
      const refusal = survivors.length === 0
        ? { code: "ShardLost" as const, message: `shard ${m.shard} lost every member (${m.name} was its primary): its slots have no copy left; restore the shard from a backup` }
        : { code: "NoPromotableMember" as const, message: `shard ${m.shard} lost its primary ${m.name} and no surviving member can be promoted (${survivors.map((s) => s.name).join(", ")} are on nodes that are not Ready or are excluded); bring one back before replacing` };
      return { ok: false, refusal: { id, kind: "replace", ...refusal, reasons: [reason("PrimaryLost", refusal.message)] } };
    }
    spread.recordSwitchover("", standby); // the lost primary no longer counts anywhere
    failovers.push({ kind: "switchover", shard: m.shard, from: m.name, to: standby.member, forced: true });
    reasons.push(reason("PrimaryLost", `primary ${m.name} was lost with node ${m.node}; ${standby.member} on node ${standby.node} takes over`));
  }

  const taken = new Set(input.members.map((m) => m.name));
  const requests = lost.map((m) => {
    const name = replacementName(m.name, taken);
    taken.add(name);
    return { name, shard: m.shard, role: "standby" as const };
  });
  const placement = solvePlacement({ nodes: input.nodes, policy: input.policy, members: input.members, requests, leaving: [...lostNames] });
  if (!placement.ok) {
    const f = placement.failure;
    return { ok: false, refusal: { id, kind: "replace", ...f, message: `cannot replace ${plural(lost.length, "lost member")}: ${f.message}`, reasons: placement.reasons } };
  }
  const adds: PlaceMemberStep[] = placement.placements.map((p) => ({ kind: "place-member", member: p.member, shard: p.shard, role: "standby", node: p.node }));
  adds.forEach((a, i) => reasons.push(reason("MemberLost", `${a.member} replaces ${lost[i].name}, lost with node ${lost[i].node}: ${explainPlacement(placement.placements[i])}`)));
  const steps: MaintenanceStep[] = [...failovers, ...adds, ...lost.map((m) => ({ kind: "remove-member" as const, member: m.name, shard: m.shard }))];
  return {
    ok: true,
    plan: {
      id, kind: "replace", steps: steps.map((s) => planned(s)),
      reasons: [reason("MemberLost", `replace ${plural(lost.length, "lost member")}: ${plural(failovers.length, "failover")}, ${plural(adds.length, "new standby")}`), ...reasons, ...placement.reasons],
    },
  };
}
