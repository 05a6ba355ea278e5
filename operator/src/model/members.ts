// Members in the planner's terms (pure): which pods exist, where, and what their sidecars report.
import type { ObservedCluster, ObservedMember, Plan } from "../planner/index.ts";
import type { MemberView } from "./observation.ts";

/** The role each member was placed for, from the plan's place-member steps. */
export function intendedRoles(plan: Plan | undefined): Map<string, "primary" | "standby"> {
  const roles = new Map<string, "primary" | "standby">();
  for (const s of plan?.steps ?? []) if (s.kind === "place-member") roles.set(s.member, s.role);
  return roles;
}

/**
 * A member is settled in its place when its engine serves the role it was placed for: a primary
 * knows every member of the cluster (one cluster, no islands, before slots are assigned); a standby
 * replicates.
 */
export function isSettled(m: MemberView, role: "primary" | "standby" | undefined, totalMembers: number): boolean {
  const s = m.status;
  if (!s || !s.engineUp || m.terminating) return false;
  if (role === "standby") return s.state === "STANDBY";
  const joined = s.clusterKnownNodes >= totalMembers;
  return joined && (s.state === "ONLINE" || s.state === "ACTIVE");
}

export function toObservedCluster(members: readonly MemberView[], plan: Plan | undefined, totalMembers: number): ObservedCluster {
  const roles = intendedRoles(plan);
  return {
    members: members.filter((m) => m.pod).map((m): ObservedMember => ({
      name: m.name,
      shard: m.shard,
      node: m.node,
      ...(m.status?.role === "PRIMARY" ? { role: "primary" as const } : m.status?.role === "REPLICA" ? { role: "standby" as const } : {}),
      slots: m.status?.slots ?? [],
      settled: isSettled(m, roles.get(m.name), totalMembers),
    })),
  };
}
