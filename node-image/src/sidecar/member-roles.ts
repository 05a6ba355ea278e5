// The member's role commands: follow a primary (ReplicateFrom), and become one (PrepareTakeover, Promote
// GRACEFUL / FORCE / TAKEOVER), each judged done from what the engine reports. Each takes the command
// checked at the gRPC edge (requests.ts).
import { parseInfo } from "../../../common/engine-replies.ts";
import { countSlots, formatSlotRanges } from "../../../common/slots.ts";
import { sleep } from "../../../common/wait.ts";
import type { PromoteCommand, PromoteResult, ReplicateFromCommand, ReplicationProgress, TakeoverGrant } from "./commands.ts";
import { InvalidArgumentError, failedPrecondition } from "./errors.ts";
import { pollUntil, primaryReplOffset, type MemberContext } from "./member-context.ts";
import { checkTransition, requireState } from "./state-machine.ts";
import { engineRole, observationOf } from "./status.ts";

export async function replicateFrom(m: MemberContext, { primaryNodeId: primaryId, timeoutMs }: ReplicateFromCommand, onProgress: (p: ReplicationProgress) => void): Promise<void> {
  await m.exclusive("ReplicateFrom", async () => {
    requireState(m.state(), ["ONLINE", "RECOVERED", "STANDBY"], "ReplicateFrom", "a member with slots must migrate them away first");
    checkTransition(m.state() === "STANDBY" ? "ONLINE" : m.state(), "STANDBY", "ReplicateFrom");
    const me = m.myself();
    if (primaryId === me.id) throw new InvalidArgumentError("primaryNodeId", "is this member's own node id; name the primary to follow");
    if (countSlots(me.slots) > 0) throw failedPrecondition(`ReplicateFrom: the engine owns slots ${formatSlotRanges(me.slots)}; migrate them away first`);
    const primary = m.snapshot().nodes.find((n) => n.id === primaryId);
    if (!primary) throw failedPrecondition(`ReplicateFrom: node ${primaryId} is not known to this engine; call JoinCluster with its address first`);
    if (!primary.primary) throw failedPrecondition(`ReplicateFrom: node ${primaryId} is a replica, not a primary; name its primary ${primary.primaryId}`);
    const keys = observationOf(m.snapshot()).keys;
    // A replica may switch primaries with its data (the new primary's full sync replaces it); a
    // primary must be empty before the engine lets it become a replica.
    if (keys > 0 && me.primaryId !== primaryId && engineRole(m.snapshot()) === "primary") {
      if (m.state() !== "RECOVERED") throw failedPrecondition(`ReplicateFrom: the engine holds ${keys} keys and the member is ${m.state()}; call Reset first (a standby starts empty)`);
      // A RECOVERED member's data is stale by definition; the full sync replaces it.
      await m.engine.call("FLUSHALL");
    }
    if (me.primaryId !== primaryId) await m.engine.call("CLUSTER", "REPLICATE", primaryId);
    const peer = m.engine.connectPeer(primary.host, primary.port);
    try {
      await pollUntil(async () => {
        await m.refresh();
        const info = m.snapshot().info;
        const primaryOffset = await primaryReplOffset(peer);
        const linkUp = info.get("master_link_status") === "up";
        const syncing = info.get("master_sync_in_progress") === "1";
        const offset = Number(info.get("slave_repl_offset") ?? 0);
        const phase = syncing ? "syncing" : !linkUp ? "connecting" : offset < primaryOffset ? "catching-up" : "in-sync";
        const inSync = phase === "in-sync" || (linkUp && !syncing && primaryOffset - offset < 1024 * 1024 && m.snapshot().myself?.primaryId === primaryId);
        const progress: ReplicationProgress = {
          phase, linkUp,
          syncTotalBytes: Number(info.get("master_sync_total_bytes") ?? 0),
          syncReadBytes: Number(info.get("master_sync_read_bytes") ?? 0),
          primaryOffset, offset, state: m.state(), done: false,
        };
        if (!inSync) { onProgress(progress); return undefined; }
        m.transition("STANDBY", "ReplicateFrom");
        onProgress({ ...progress, phase: "in-sync", state: m.state(), done: true });
        return true;
      }, timeoutMs, () => `the full sync from ${primaryId} (link ${m.snapshot().info.get("master_link_status") ?? "?"})`, 200);
    } finally {
      peer.disconnect();
    }
  });
}

export function prepareTakeover(m: MemberContext): TakeoverGrant {
  requireState(m.state(), ["STANDBY"], "PrepareTakeover");
  const me = m.snapshot().myself;
  if (!me || !me.primaryId) throw failedPrecondition("PrepareTakeover: the engine follows no primary");
  const grant = m.fence.issue(me.primaryId);
  m.log.warn("fence token issued for TAKEOVER", { primaryNodeId: me.primaryId, expiresAtMs: grant.expiresAtMs });
  return { fenceToken: grant.token, primaryNodeId: grant.primaryNodeId, expiresAtMs: grant.expiresAtMs };
}

export async function promote(m: MemberContext, { mode, fenceToken, timeoutMs }: PromoteCommand): Promise<PromoteResult> {
  return m.exclusive("Promote", async () => {
    if (m.state() === "ACTIVE") throw failedPrecondition(`Promote ${mode}: the member is already ACTIVE (a primary serving its slots)`);
    checkTransition(m.state(), "ACTIVE", `Promote ${mode}`);
    requireState(m.state(), ["STANDBY"], `Promote ${mode}`);
    const me = m.myself();
    if (engineRole(m.snapshot()) !== "replica" || !me.primaryId) throw failedPrecondition(`Promote ${mode}: the engine is not a replica of any primary`);
    const linkUp = m.snapshot().info.get("master_link_status") === "up";
    let args: string[];
    if (mode === "GRACEFUL") {
      if (!linkUp) throw failedPrecondition(`Promote GRACEFUL: the replication link to primary ${me.primaryId} is down, so a switchover cannot confirm every acknowledged write; use FORCE if the primary is gone`);
      const wonAt = m.becamePrimaryAtMs();
      if (wonAt !== undefined) {
        const left = electionCooldownLeftMs(wonAt, await engineNodeTimeoutMs(m), m.clock.nowMs());
        if (left > 0) throw failedPrecondition(`Promote GRACEFUL: this member won an election ${Math.round((m.clock.nowMs() - wonAt) / 1000)} s ago, and the engine counts that election's votes again until 4 × cluster-node-timeout has passed (a manual failover now would not take and would pause the primary's writes for 5 s); retry in ${Math.ceil(left / 1000)} s`);
      }
      args = ["CLUSTER", "FAILOVER"];
    } else if (mode === "FORCE") {
      if (linkUp) throw failedPrecondition(`Promote FORCE: primary ${me.primaryId} is reachable (replication link up); use GRACEFUL so no acknowledged write is lost`);
      args = ["CLUSTER", "FAILOVER", "FORCE"];
    } else {
      const refused = m.fence.redeem(fenceToken, me.primaryId);
      if (refused) throw failedPrecondition(refused);
      args = ["CLUSTER", "FAILOVER", "TAKEOVER"];
    }
    if (mode === "GRACEFUL") await waitUntilCaughtUp(m, me.primaryId, 5000);
    const started = m.clock.nowMs();
    await m.engine.call(...args);
    // For GRACEFUL the engine's manual failover pauses writers on the primary and waits until this
    // replica's offset equals the primary's before it switches, so no acknowledged write is lost.
    await pollUntil(async () => {
      await m.refresh();
      const nowMe = m.snapshot().myself;
      return engineRole(m.snapshot()) === "primary" && nowMe && countSlots(nowMe.slots) > 0 ? true : undefined;
    }, timeoutMs, () => `the engine to become primary after ${args.join(" ")} (still ${engineRole(m.snapshot())})`, 50);
    const pauseMs = m.clock.nowMs() - started;
    m.transition("ACTIVE", `Promote ${mode}`);
    return { status: m.status(), offsetAtSwitch: Number(m.snapshot().info.get("master_repl_offset") ?? 0), pauseMs };
  });
}

/**
 * How long after an election it won the engine must wait before a manual failover can take. A Redis
 * Cluster replica keeps its last election's vote count and epoch for 2 × its auth timeout
 * (auth timeout = max(2 × cluster-node-timeout, 2 s)): a manual failover within the auth timeout
 * "wins" at once with that stale epoch and is undone, one after it expires is not started; either way
 * the primary keeps its writers paused until the manual failover times out (5 s). 0 when it may go now.
 */
export function electionCooldownLeftMs(wonAtMs: number, nodeTimeoutMs: number, nowMs: number): number {
  const authTimeoutMs = Math.max(2 * nodeTimeoutMs, 2000);
  return Math.max(0, wonAtMs + 2 * authTimeoutMs - nowMs);
}

async function engineNodeTimeoutMs(m: MemberContext): Promise<number> {
  const reply = (await m.engine.call("CONFIG", "GET", "cluster-node-timeout")) as unknown[];
  const value = Number(String(reply?.[1] ?? ""));
  return Number.isFinite(value) && value > 0 ? value : 15_000;
}

/**
 * Before a switchover, let the replica catch up (lag ≤ 64 KiB) so the engine's manual failover, which
 * pauses writers on the primary until the offsets match, pauses them only briefly. Best effort: the
 * engine's own check is what guarantees no acknowledged write is lost.
 */
async function waitUntilCaughtUp(m: MemberContext, primaryId: string, maxWaitMs: number): Promise<void> {
  const primary = m.snapshot().nodes.find((n) => n.id === primaryId);
  if (!primary) return;
  const peer = m.engine.connectPeer(primary.host, primary.port);
  try {
    const deadline = Date.now() + maxWaitMs;
    while (Date.now() < deadline) {
      const [primaryOffset, info] = await Promise.all([primaryReplOffset(peer), m.engine.callString("INFO", "replication")]);
      const mine = Number(parseInfo(info).get("slave_repl_offset") ?? 0);
      if (primaryOffset === 0 || primaryOffset - mine <= 64 * 1024) return;
      await sleep(20);
    }
  } finally {
    peer.disconnect();
  }
}
