// The member's cluster membership commands: meet the cluster (JoinCluster), own empty slots
// (AssignSlots), forget a removed node (ForgetNode), leave (LeaveCluster) and start over (Reset). Each
// takes the command checked at the gRPC edge (requests.ts) and judges done from what the engine reports.
import type { Redis } from "ioredis";
import { parseInfo } from "../../../common/engine-replies.ts";
import { engineIdentityOf, engineLabel, enginesCompatible, unsupportedEngineReason } from "../../../common/engine-image.ts";
import { compactSlots, countSlots, formatSlotRanges, rangesToSlots } from "../../../common/slots.ts";
import type { AssignSlotsCommand, ForgetNodeCommand, JoinClusterCommand, JoinClusterResult, LeaveClusterResult, ResetResult } from "./commands.ts";
import { InvalidArgumentError, SidecarError, failedPrecondition } from "./errors.ts";
import { pollUntil, type MemberContext } from "./member-context.ts";
import { requireState } from "./state-machine.ts";
import { engineRole, type MemberStatus } from "./status.ts";

export async function joinCluster(m: MemberContext, { peers, timeoutMs }: JoinClusterCommand): Promise<JoinClusterResult> {
  return m.exclusive("JoinCluster", async () => {
    requireState(m.state(), ["ONLINE", "MIGRATING", "ACTIVE", "STANDBY", "RECOVERED"], "JoinCluster");
    const me = m.myself();
    const others = peers.filter((p) => !(p.host === me.host && p.port === me.port));
    await refuseIncompatiblePeers(m, others);
    for (const p of others) await m.engine.call("CLUSTER", "MEET", p.host, p.port, p.busPort);
    await pollUntil(async () => {
      const s = await m.refresh();
      const nodes = m.snapshot().nodes;
      const missing = others.filter((p) => !nodes.some((n) => n.host === p.host && n.port === p.port && !n.flags.includes("handshake") && !n.flags.includes("noaddr")));
      return missing.length === 0 ? s : undefined;
    }, timeoutMs, () => `every peer to complete the cluster handshake (${others.map((p) => `${p.host}:${p.port}`).join(", ")})`);
    // Joining a cluster that already serves slots: return once this engine has learned the slot map
    // (cluster_state ok), so the next command (MigrateSlots, ReplicateFrom) sees the whole cluster.
    const peerView = others.length > 0 ? await clusterInfoOf(m.engine.connectPeer(others[0].host, others[0].port)) : undefined;
    const peerSlots = Number(peerView?.get("cluster_slots_assigned") ?? 0);
    if (peerSlots > 0) {
      await pollUntil(async () => {
        await m.refresh();
        const info = m.snapshot().clusterInfo;
        const caughtUp = Number(info.get("cluster_slots_assigned") ?? 0) >= peerSlots;
        const stateMatches = peerView?.get("cluster_state") !== "ok" || info.get("cluster_state") === "ok";
        return caughtUp && stateMatches ? true : undefined;
      }, timeoutMs, () => `this engine to learn the cluster's ${peerSlots} assigned slots (knows ${m.snapshot().clusterInfo.get("cluster_slots_assigned")}, cluster_state ${m.snapshot().clusterInfo.get("cluster_state")})`);
    }
    return { knownNodes: m.status().clusterKnownNodes };
  });
}

export async function assignSlots(m: MemberContext, { slots: ranges }: AssignSlotsCommand): Promise<MemberStatus> {
  return m.exclusive("AssignSlots", async () => {
    requireState(m.state(), ["ONLINE", "ACTIVE"], "AssignSlots", "assign slots to an empty or active primary; to move owned slots use MigrateSlots");
    if (engineRole(m.snapshot()) !== "primary") throw failedPrecondition("AssignSlots: the engine is a replica; only a primary can own slots");
    const wanted = new Set(rangesToSlots(ranges));
    const me = m.myself();
    const owners = new Map<number, string>();
    for (const n of m.snapshot().nodes) for (const r of n.slots) for (let s = r.start; s <= r.end; s++) if (wanted.has(s)) owners.set(s, n.id);
    const ownedElsewhere = [...owners].filter(([, id]) => id !== me.id);
    if (ownedElsewhere.length > 0) {
      const [slot, owner] = ownedElsewhere[0];
      throw failedPrecondition(`AssignSlots: slot ${slot} (and ${ownedElsewhere.length - 1} more) is already owned by node ${owner}; use MigrateSlots on this member to move owned slots`);
    }
    const toAdd = compactSlots([...wanted].filter((s) => !owners.has(s)));
    if (m.state() === "ONLINE") m.transition("MIGRATING", "AssignSlots");
    try {
      for (const r of toAdd) await m.engine.call("CLUSTER", "ADDSLOTSRANGE", r.start, r.end);
      // Make the new ownership win over any stale gossip (epoch collision), as redis-cli --cluster create does.
      await m.engine.call("CLUSTER", "BUMPEPOCH");
    } catch (err) {
      throw new SidecarError("FAILED_PRECONDITION", `AssignSlots: the engine refused CLUSTER ADDSLOTSRANGE: ${(err as Error).message}`);
    } finally {
      await m.refresh();
      if (m.state() === "MIGRATING") m.transition(countSlots(m.myself().slots) > 0 ? "ACTIVE" : "ONLINE", "AssignSlots");
    }
    return m.status();
  });
}

/** The engines' reply to CLUSTER FORGET of a node they do not know. */
const UNKNOWN_NODE = /unknown node/i;

export async function forgetNode(m: MemberContext, { nodeId }: ForgetNodeCommand): Promise<void> {
  await m.exclusive("ForgetNode", async () => {
    const me = m.myself();
    if (nodeId === me.id) throw new InvalidArgumentError("nodeId", "is this member's own node id; use LeaveCluster to leave");
    if (!m.snapshot().nodes.some((n) => n.id === nodeId)) throw new SidecarError("NOT_FOUND", `ForgetNode: node ${nodeId} is not known to this engine`);
    if (me.primaryId === nodeId) throw failedPrecondition(`ForgetNode: node ${nodeId} is this member's primary; promote or re-point this standby first`);
    try {
      await m.engine.call("CLUSTER", "FORGET", nodeId);
    } catch (err) {
      // Valkey spreads a FORGET over the bus: another member's forget may have reached this engine first.
      if (UNKNOWN_NODE.test((err as Error).message)) throw new SidecarError("NOT_FOUND", `ForgetNode: node ${nodeId} is not known to this engine (already forgotten)`);
      throw failedPrecondition(`ForgetNode: the engine refused CLUSTER FORGET ${nodeId}: ${(err as Error).message}`);
    }
  });
}

export async function leaveCluster(m: MemberContext): Promise<LeaveClusterResult> {
  return m.exclusive("LeaveCluster", async () => {
    const me = m.myself();
    if (me.slots.length > 0) throw failedPrecondition(`LeaveCluster: this member still owns slots ${formatSlotRanges(me.slots)}; migrate them to another primary first`);
    if (m.migration() || me.importing.length > 0 || me.migrating.length > 0) throw failedPrecondition("LeaveCluster: slots are being imported or migrated; wait for or cancel the migration first");
    const replicas = m.snapshot().nodes.filter((n) => n.primaryId === me.id && !n.failed);
    if (replicas.length > 0) throw failedPrecondition(`LeaveCluster: standbys ${replicas.map((r) => r.id).join(", ")} follow this member; re-point or remove them first`);
    requireState(m.state(), ["ONLINE", "MIGRATING", "STANDBY"], "LeaveCluster");
    if (m.state() !== "ONLINE") m.transition("ONLINE", "LeaveCluster");
    const forgottenBy: string[] = [];
    // Every peer not known to have failed, even one whose bus link is reconnecting this moment (a
    // restarted engine): FORGET goes over a client connection of its own, not over the bus link.
    for (const n of m.snapshot().nodes.filter((x) => !x.myself && !x.failed)) {
      const peer = m.engine.connectPeer(n.host, n.port);
      try {
        await peer.call("CLUSTER", "FORGET", me.id);
        forgottenBy.push(n.id);
      } catch (err) {
        // Already forgotten: Valkey spreads the first peer's FORGET over the bus.
        if (UNKNOWN_NODE.test((err as Error).message)) forgottenBy.push(n.id);
        else m.log.warn("a peer did not forget the leaving member", { peer: n.id, error: (err as Error).message });
      } finally {
        peer.disconnect();
      }
    }
    // Within the engines' 60 s forget ban, reset so this engine stops gossiping the old cluster.
    await wipeEngine(m);
    await m.refresh();
    m.persist("LeaveCluster: engine reset with a new node id");
    return { forgottenBy };
  });
}

export async function reset(m: MemberContext): Promise<ResetResult> {
  return m.exclusive("Reset", async () => {
    requireState(m.state(), ["ONLINE", "RECOVERED"], "Reset", m.state() === "ACTIVE" ? "migrate its slots away and LeaveCluster first" : "");
    const me = m.myself();
    if (me.slots.length > 0) throw failedPrecondition(`Reset: this member still owns slots ${formatSlotRanges(me.slots)}; migrate them away first`);
    await wipeEngine(m);
    await m.refresh();
    m.persist("Reset: engine flushed and reset");
    return { newNodeId: m.snapshot().nodeId };
  });
}

/**
 * FLUSHALL + CLUSTER RESET HARD (new node id, no cluster). A replica refuses FLUSHALL (READONLY) but
 * RESET turns it into an empty primary; a primary refuses RESET while it holds keys: so the order
 * depends on the role.
 */
async function wipeEngine(m: MemberContext): Promise<void> {
  if (engineRole(m.snapshot()) === "replica") {
    await m.engine.call("CLUSTER", "RESET", "HARD");
    await m.engine.call("FLUSHALL");
  } else {
    await m.engine.call("FLUSHALL");
    await m.engine.call("CLUSTER", "RESET", "HARD");
  }
}

/**
 * A cluster runs one engine at one major.minor version: slots could not move between members whose
 * engines differ (docs/engines.md#mixed-engines). A peer that does not answer is left to the handshake.
 */
async function refuseIncompatiblePeers(m: MemberContext, peers: readonly { host: string; port: number }[]): Promise<void> {
  const mine = engineIdentityOf(m.snapshot().info);
  if (!mine) return;
  const unsupported = unsupportedEngineReason(mine);
  if (unsupported) throw failedPrecondition(`JoinCluster: this member's engine is not supported: ${unsupported}`);
  for (const p of peers) {
    const peer = m.engine.connectPeer(p.host, p.port);
    let theirs;
    try {
      theirs = engineIdentityOf(parseInfo(String(await peer.call("INFO", "server"))));
    } catch {
      theirs = undefined;
    } finally {
      peer.disconnect();
    }
    if (theirs && !enginesCompatible(mine, theirs)) {
      throw failedPrecondition(`JoinCluster: peer ${p.host}:${p.port} runs ${engineLabel(theirs)} and this member ${engineLabel(mine)}; ` +
        "slots cannot move between different engines or versions, so a cluster runs one engine at one major.minor version: give every member the same spec.engine.image");
    }
  }
}

async function clusterInfoOf(peer: Redis): Promise<Map<string, string> | undefined> {
  try {
    return parseInfo(String(await peer.call("CLUSTER", "INFO")));
  } catch {
    return undefined;
  } finally {
    peer.disconnect();
  }
}
