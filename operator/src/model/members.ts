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
export function isSettled(m: MemberView, role: "primary" | "standby" | "any" | undefined, totalMembers: number): boolean {
  const s = m.status;
  if (!s || !s.engineUp || m.terminating) return false;
  // A member brought back into a formed cluster is settled once it serves either role: the engines
  // decide which member of a shard is primary (a failover may have run while it was away).
  if (role === "any") return (s.state === "ACTIVE" && s.slotsOwned > 0) || s.state === "STANDBY";
  if (role === "standby") return s.state === "STANDBY";
  const joined = s.clusterKnownNodes >= totalMembers;
  return joined && (s.state === "ONLINE" || s.state === "ACTIVE");
}

export function toObservedCluster(members: readonly MemberView[], plan: Plan | undefined, totalMembers: number): ObservedCluster {
  const roles: Map<string, "primary" | "standby" | "any"> = intendedRoles(plan);
  // A bootstrap forms the members it places: joined means knowing those, whatever the spec says now.
  const total = plan?.kind === "bootstrap" ? roles.size : Math.min(totalMembers, members.filter((m) => m.pod && !m.terminating).length);
  if (plan?.kind === "replace") for (const name of roles.keys()) roles.set(name, "any");
  return {
    members: members.filter((m) => m.pod).map((m): ObservedMember => ({
      name: m.name,
      shard: m.shard,
      node: m.node,
      ...(m.status?.role === "PRIMARY" ? { role: "primary" as const } : m.status?.role === "REPLICA" ? { role: "standby" as const } : {}),
      slots: m.status?.slots ?? [],
      settled: isSettled(m, roles.get(m.name), total),
    })),
  };
}

/** The member of a shard that owns its slots and answers now. */
export const servingPrimary = (members: readonly MemberView[], shard: number): MemberView | undefined =>
  members.find((m) => m.shard === shard && !m.terminating && !m.unknown && m.status?.engineUp && m.status.role === "PRIMARY" && m.status.slotsOwned > 0);

/**
 * Standbys that may take over: in sync (STANDBY, engine up, fresh report, its link up at some time since
 * its engine started), highest replication offset first. With `stale`, also standbys that restarted and
 * have not reached their primary since (their data ends at their own stop), after the in-sync ones.
 */
export function promotable(members: readonly MemberView[], shard: number, { stale = false } = {}): MemberView[] {
  const linked = (m: MemberView) => m.status!.replication?.linkedSinceStart === true;
  return members
    .filter((m) => m.shard === shard && !m.terminating && !m.unknown && m.status?.engineUp && m.status.role === "REPLICA" && m.status.state === "STANDBY" && (stale || linked(m)))
    .sort((a, b) => Number(linked(b)) - Number(linked(a)) || (b.status!.replication?.offset ?? 0) - (a.status!.replication?.offset ?? 0) || a.name.localeCompare(b.name));
}

/** Shards that serve their slots: the engines' own vote (FORCE) needs a majority of them. */
export const servingShards = (members: readonly MemberView[], shards: number): number =>
  Array.from({ length: shards }, (_, s) => s).filter((s) => servingPrimary(members, s)).length;
