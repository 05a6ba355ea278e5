// A planned switchover in bench:failover: the sidecar's Promote GRACEFUL on a shard's in-sync standby,
// over the sidecar's gRPC API with the cluster's sidecar token, the call a planned switchover of the
// operator makes (docs/architecture/sidecar.md#the-api). The sidecar waits until the standby has caught
// up, then runs CLUSTER FAILOVER: the primary pauses its writers until the standby's offset matches, so
// no acknowledged write may be lost. The writer keeps writing through it; every acknowledged write of
// the cycle is read back afterwards like those of the faults.
import { SidecarCallError } from "../../../operator/src/sidecar/client.ts";
import { inSyncStandbyOf } from "./failover-cluster.ts";
import { FLOW_MAX_GAP_MS, FLOW_SPAN_MS, nextTarget, startWriting, WINDOW_LEAD_MS, type BenchSide, type CycleEnv } from "./failover-cycle.ts";
import type { KillResult } from "./failover-stats.ts";
import { epochMs } from "./failover-writer.ts";
import { sleep, waitFor } from "../../../common/wait.ts";

const PROMOTE_TIMEOUT_MS = 10_000;
/** How long the bench asks again while a standby is refused for a recent election (the bound is 4 × the node timeout). */
const COOLDOWN_MAX_MS = 30_000;

/** One GRACEFUL switchover of `side`'s next shard (ours only: its members run the sidecar the operator talks to). */
export async function runSwitchover(env: CycleEnv, side: BenchSide, cycle: string): Promise<KillResult> {
  const t = await nextTarget(env, side, "switchover");
  side.lastShard = t.shard;
  const standby = inSyncStandbyOf(await side.view(), t.shard);
  if (!standby?.ip) throw new Error(`${side.name} shard ${t.shard}: no in-sync standby with an address to switch over to`);
  const client = await env.kube.sidecarClient(side.namespace, side.name, standby.name!, standby.ip);
  await startWriting(side, cycle);
  const tStart = epochMs();
  let promotedMs = 0;
  let calledMs = tStart;
  let refused = false;
  let detail = "";
  try {
    // A standby that won an election moments ago is refused for a while (the engine would reuse that
    // election: docs/architecture/sidecar.md#the-api); the writer keeps writing while the bench asks again.
    for (;;) {
      calledMs = epochMs();
      const r = await client.promote("GRACEFUL", { timeoutMs: PROMOTE_TIMEOUT_MS }).catch((err: unknown) => {
        if (err instanceof SidecarCallError && err.code === "FAILED_PRECONDITION" && /retry in/.test(err.details) && calledMs - tStart < COOLDOWN_MAX_MS) {
          if (!refused) env.log(`${cycle}: ${standby.name}: ${err.details}`);
          refused = true;
          return undefined;
        }
        throw err;
      });
      if (r) {
        promotedMs = epochMs();
        detail = `engine paused ${r.pauseMs} ms, offset at the switch ${r.offsetAtSwitch}${refused ? `; refused for ${Math.round(calledMs - tStart)} ms first` : ""}`;
        break;
      }
      await sleep(500);
    }
    await waitFor(async () => (await side.writer.flowing(t.shard, promotedMs, FLOW_SPAN_MS, FLOW_MAX_GAP_MS)).flowing,
      { what: `${side.name} shard ${t.shard}'s writes flowing after the switchover`, timeoutMs: 60_000, intervalMs: 100 });
  } catch (err) {
    detail = `failed: ${(err as Error).message}`;
  } finally {
    client.close();
  }
  const w = await side.writer.window(tStart - WINDOW_LEAD_MS, epochMs());
  await side.writer.pause();
  const gap = w.gaps[t.shard];
  const result: KillResult = {
    mode: "switchover", side: side.side, cycle, shard: t.shard, victim: t.member, node: t.node,
    unavailableMs: Math.round(gap.longestMs), faultToFirstAckMs: Math.round(gap.endMs - tStart), otherShardsMaxGapMs: 0,
    primaryAfter: promotedMs ? standby.name : t.member, failedWrites: w.failed[t.shard] ?? 0, lostAcked: 0, ackedChecked: 0,
    ...(promotedMs ? { promoteMs: Math.round(promotedMs - calledMs), ...(refused ? { refusedMs: Math.round(calledMs - tStart) } : {}) } : { timedOut: true as const }),
  };
  env.log(`${cycle}: Promote GRACEFUL on ${standby.name}: ${promotedMs ? `done after ${result.promoteMs} ms (${detail})` : detail}; `
    + `shard ${t.shard}'s longest write gap ${result.unavailableMs} ms, ${result.failedWrites} failed writes`);
  return result;
}
