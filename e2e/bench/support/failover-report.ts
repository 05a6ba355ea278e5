// bench:failover's last line (pure): the rows, the lost acknowledged writes per mode and the targets
// (docs/benchmarks.md#benchmark-failover).
import { NODE_TIMEOUT_MS, SHAPE } from "./failover-cluster.ts";
import { percentile, rowOf, summarize, type FaultMode, type KillResult } from "./failover-stats.ts";

export const TARGET = { ratio: 0.2, p99Ms: 1000, lostAckedReplicated: 0, lostAckedSwitchover: 0 };

export interface ReportInput {
  modes: readonly FaultMode[];
  killsPerRow: number;
  replicatedKillsPerMode: number;
  writeIntervalMs: number;
  /** The faults of the rows, ours and native. */
  results: readonly KillResult[];
  /** The faults on the cluster with durability replicated. */
  replicated: readonly KillResult[];
  /** Set when the replicated faults were not measured, saying why. */
  replicatedReason: string;
  switchovers: readonly KillResult[];
}

const sum = (rs: readonly KillResult[], f: (r: KillResult) => number) => rs.reduce((n, r) => n + f(r), 0);

export function failoverReport(i: ReportInput): Record<string, unknown> & { met: Record<string, boolean | null>; pass: boolean } {
  const engineKill = rowOf("engine-kill", i.results);
  const ratio = engineKill.ratioP99;
  const p99Ms = engineKill.ours.p99Ms;
  const ours = i.results.filter((r) => r.side === "ours");
  const native = i.results.filter((r) => r.side === "native");
  const lostReplicated = i.replicatedReason ? null : sum(i.replicated, (r) => r.lostAcked);
  const lostSwitchover = sum(i.switchovers, (r) => r.lostAcked);
  // null: not measured in this run (the reason is in lostAcked).
  const met = {
    ratio: ratio !== null && ratio <= TARGET.ratio,
    p99Ms: engineKill.ours.count > 0 && p99Ms <= TARGET.p99Ms,
    lostAckedReplicated: lostReplicated === null ? null : lostReplicated <= TARGET.lostAckedReplicated,
    lostAckedSwitchover: i.switchovers.length ? lostSwitchover <= TARGET.lostAckedSwitchover && i.switchovers.every((r) => !r.timedOut) : null,
  };
  const promoted = i.switchovers.filter((r) => r.promoteMs !== undefined).map((r) => r.promoteMs!);
  return {
    bench: "failover", shape: SHAPE, nodeTimeoutMs: NODE_TIMEOUT_MS, killsPerRow: i.killsPerRow,
    baseline: "the same member pods made by the bench, no operator: the engines' own failover after the node timeout",
    writer: {
      intervalMs: i.writeIntervalMs, keys: "each written once, round-robin over the shards",
      unavailability: "longest gap between acknowledged writes of the shard hit, from 0.5 s before the fault until its writes flowed again for 0.5 s with no gap over 250 ms",
    },
    ratio, p99Ms, units: "ms",
    rows: i.modes.map((m) => rowOf(m, i.results)),
    p99MsAllRows: summarize(ours).p99Ms,
    lostAcked: {
      async: sum(ours, (r) => r.lostAcked),
      replicated: lostReplicated,
      switchover: i.switchovers.length ? lostSwitchover : null,
      ...(i.replicatedReason ? { replicatedReason: i.replicatedReason } : {}),
      nativeAsync: sum(native, (r) => r.lostAcked),
      // How many acknowledged writes each count is over.
      ackedChecked: {
        async: sum(ours, (r) => r.ackedChecked), replicated: sum(i.replicated, (r) => r.ackedChecked),
        switchover: sum(i.switchovers, (r) => r.ackedChecked), nativeAsync: sum(native, (r) => r.ackedChecked),
      },
    },
    replicated: i.replicatedReason ? null : {
      killsPerMode: i.replicatedKillsPerMode, rows: i.modes.map((m) => ({ mode: m, ...summarize(i.replicated.filter((r) => r.mode === m)) })),
    },
    switchover: i.switchovers.length ? {
      how: "the sidecar's Promote GRACEFUL on the shard's in-sync standby (CLUSTER FAILOVER)", ...summarize(i.switchovers),
      promoteP50Ms: percentile(promoted, 50), refusedFirst: i.switchovers.filter((r) => (r.refusedMs ?? 0) > 0).length,
    } : null,
    target: TARGET, met,
    pass: Object.values(met).every((m) => m === true),
  };
}
