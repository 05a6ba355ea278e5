// What `npm run demo` prints about a cluster, from plain data (the MdbCluster and the Nodes as read):
// one progress line while it converges, and the placement table once it is Ready.
import { DEFAULT_TOPOLOGY_KEYS } from "../../common/labels.ts";
import type { MdbCluster, MdbClusterStatusMembersItem } from "../../operator/src/api/generated/mdbcluster.ts";

/** The order members go through their life (docs/architecture.md#member-states), so counts read as progress. */
const STATE_ORDER = ["Pending", "OFFLINE", "ONLINE", "MIGRATING", "RECOVERED", "STANDBY", "ACTIVE"];

/** Ready means: the operator has seen the current spec, phase Ready, condition Available True. */
export function isReady(c: MdbCluster): boolean {
  const s = c.status;
  const seen = s?.observedGeneration !== undefined && s.observedGeneration >= (c.metadata?.generation ?? 0);
  return seen && s?.phase === "Ready" && condition(c, "Available")?.status === "True";
}

export function condition(c: MdbCluster, type: string) {
  return c.status?.conditions?.find((x) => x.type === type);
}

/** "ACTIVE 3, STANDBY 2, Pending 1": members counted by the sidecar's state, in life order. */
export function membersByState(members: MdbClusterStatusMembersItem[] = []): string {
  const counts = new Map<string, number>();
  for (const m of members) counts.set(m.state || "Pending", (counts.get(m.state || "Pending") ?? 0) + 1);
  const rank = (s: string) => (STATE_ORDER.includes(s) ? STATE_ORDER.indexOf(s) : -1);
  return [...counts].sort(([a], [b]) => rank(b) - rank(a) || a.localeCompare(b)).map(([s, n]) => `${s} ${n}`).join(", ") || "none yet";
}

/** One line of progress, e.g. "Creating · ready 2/6 · members ACTIVE 2, Pending 4 · plan bootstrap 3/9 steps · Progressing: …". */
export function progressLine(c: MdbCluster): string {
  const s = c.status;
  if (!s || s.phase === undefined) return "no status yet (the operator has not reconciled it)";
  const wanted = (c.spec.shards ?? 3) * ((c.spec.replicasPerShard ?? 1) + 1);
  const parts = [s.phase, `ready ${s.ready ?? `${s.readyMembers ?? 0}/${wanted}`}`, `members ${membersByState(s.members)}`];
  const plan = s.plan;
  if (plan?.kind && plan.phase === "Running") {
    const p = plan.progress;
    parts.push(`plan ${plan.kind}${p?.stepsTotal ? ` ${p.stepsDone ?? 0}/${p.stepsTotal} steps` : ""}${p?.slotsTotal ? `, ${p.slotsDone ?? 0}/${p.slotsTotal} slots` : ""}`);
  }
  for (const type of ["Progressing", "Degraded"]) {
    const cond = condition(c, type);
    if (cond?.status === "True" && cond.message) parts.push(`${type}: ${cond.message}`);
  }
  if (s.observedGeneration !== undefined && s.observedGeneration < (c.metadata?.generation ?? 0)) parts.push("(status is for an older spec)");
  return parts.join(" · ");
}

/** The plan's steps that are running or failed with a message: where a stuck cluster waits, and why. */
export function stepsWaiting(c: MdbCluster, limit = 3): string[] {
  const steps = (c.status?.plan?.steps ?? []).filter((s) => (s.state === "running" || s.state === "failed") && s.message);
  const lines = steps.slice(0, limit).map((s) => `${s.id ?? s.kind} (${s.state}): ${s.message}`);
  return steps.length > limit ? [...lines, `… and ${steps.length - limit} more (kubectl get mdb -o yaml)`] : lines;
}

export interface NodeLabels { name: string; labels: Record<string, string> }

/**
 * Member → node → zone/rack, read from the Nodes' labels (not from status, which could be wrong), and
 * the shards whose members share a domain at the cluster's isolation level.
 */
export function placement(c: MdbCluster, nodes: NodeLabels[]): { rows: string[][]; violations: string[] } {
  const keys = { ...DEFAULT_TOPOLOGY_KEYS, ...c.spec.placement?.topologyKeys };
  const byName = new Map(nodes.map((n) => [n.name, n.labels]));
  const level = c.spec.placement?.isolationLevel ?? "zone";
  const members = [...(c.status?.members ?? [])].sort((a, b) => (a.shard ?? 0) - (b.shard ?? 0) || Number(b.role === "primary") - Number(a.role === "primary") || (a.name ?? "").localeCompare(b.name ?? ""));
  const rows = [["MEMBER", "SHARD", "ROLE", "STATE", "NODE", "ZONE", "RACK", "IP"]];
  const domains = new Map<number, Map<string, string[]>>();
  for (const m of members) {
    const labels = byName.get(m.node ?? "") ?? {};
    const zone = labels[keys.zone] ?? "?";
    const rack = labels[keys.rack] ?? "?";
    rows.push([m.name ?? "?", String(m.shard ?? "?"), m.role ?? "?", m.state ?? "Pending", m.node ?? "-", zone, rack, m.ip ?? "-"]);
    if (level === "none" || m.shard === undefined || !m.node) continue;
    // A domain at a level is named by the labels of that level and every level above it.
    const chain = ["region", "zone", "rack", "host"] as const;
    const domain = chain.slice(0, chain.indexOf(level) + 1).map((l) => labels[keys[l]] ?? "?").join("/");
    const shard = domains.get(m.shard) ?? new Map<string, string[]>();
    shard.set(domain, [...(shard.get(domain) ?? []), m.name ?? "?"]);
    domains.set(m.shard, shard);
  }
  const violations = [...domains].flatMap(([shard, byDomain]) => [...byDomain]
    .filter(([, names]) => names.length > 1)
    .map(([domain, names]) => `shard ${shard}: ${names.join(", ")} share ${level} ${domain}`));
  return { rows, violations };
}

/** Left-aligned columns, two spaces apart, like kubectl's tables. */
export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join("  ")).join("\n");
}
