// What drain and replacement plans share: their step kinds, replacement member names, the checked
// and order-free identity of their inputs, and the end state of a plan's steps.

import { validatePolicy, type PlacementPolicy } from "./filters.ts";
import { canonicalNodes, canonicalTolerations, sortedByName, sortedNames } from "./identity.ts";
import { PlannerInputError, requireMembers, requireNames } from "./input.ts";
import type { PlaceMemberStep, Plan, RemoveMemberStep, SwitchoverStep } from "./plan.ts";
import type { ExistingMember } from "./placement-model.ts";
import { checkNodes, type TopologyNode } from "./topology.ts";

export type MaintenanceStep = PlaceMemberStep | SwitchoverStep | RemoveMemberStep;
/** Kind drain or replace: switchovers, new members, switchovers onto them, removals — in that order. */
export type MaintenancePlan = Plan<MaintenanceStep>;

/** The input every maintenance plan is checked against, and its order-free identity. */
export function maintenanceIdentity(input: { nodes: readonly TopologyNode[]; policy: PlacementPolicy; members: readonly ExistingMember[]; notCandidates?: readonly string[] }): object {
  checkNodes(input.nodes);
  validatePolicy(input.policy);
  requireMembers(input.members, "members");
  if (input.notCandidates !== undefined) requireNames(input.notCandidates, "notCandidates");
  return {
    nodes: canonicalNodes(input.nodes), policy: { ...input.policy, tolerations: canonicalTolerations(input.policy.tolerations) },
    members: sortedByName(input.members), notCandidates: sortedNames(input.notCandidates),
  };
}

/** The members once a maintenance plan's steps are done (what the cluster looks like afterwards). */
export function applySteps(members: readonly ExistingMember[], steps: readonly MaintenanceStep[]): ExistingMember[] {
  const result = new Map(members.map((m) => [m.name, { ...m }]));
  for (const step of steps) {
    if (step.kind === "place-member") {
      result.set(step.member, { name: step.member, shard: step.shard, node: step.node, role: step.role });
    } else if (step.kind === "remove-member") {
      result.delete(step.member);
    } else {
      const from = result.get(step.from);
      const to = result.get(step.to);
      if (!to) throw new PlannerInputError("steps", `switchover names member ${step.to}, which does not exist at that point of the plan`);
      if (from) from.role = "standby";
      to.role = "primary";
    }
  }
  return [...result.values()];
}
