// One engine's view of the cluster, parsed from CLUSTER NODES (pure).
import { parseClusterNodes } from "../../../common/engine-replies.ts";
import { SLOT_COUNT } from "../../../common/slots.ts";

export interface ClusterNodeEntry {
  id: string;
  /** "ip:port" (the cluster bus port and hostname stripped) */
  address: string;
  flags: string[];
  primaryId: string | undefined;
}

export interface ClusterView {
  myId: string;
  nodes: Map<string, ClusterNodeEntry>;
  /** slot → owning node id, as this engine sees it */
  owners: (string | undefined)[];
  /** slot → node id this engine is migrating the slot to (only this engine's own state) */
  migrating: Map<number, string>;
  /** slot → node id this engine is importing the slot from */
  importing: Map<number, string>;
}

/** The view from a CLUSTER NODES reply, read with the shared parser. */
export function clusterViewOf(text: string): ClusterView {
  const view: ClusterView = { myId: "", nodes: new Map(), owners: new Array(SLOT_COUNT).fill(undefined), migrating: new Map(), importing: new Map() };
  for (const node of parseClusterNodes(text)) {
    view.nodes.set(node.id, { id: node.id, address: `${node.host}:${node.port}`, flags: node.flags, primaryId: node.primaryId || undefined });
    if (node.myself) {
      view.myId = node.id;
      // "[slot->-target]" / "[slot-<-source]" are shown for this engine only.
      for (const t of node.migrating) view.migrating.set(t.slot, t.nodeId);
      for (const t of node.importing) view.importing.set(t.slot, t.nodeId);
    }
    for (const r of node.slots) for (let s = r.start; s <= r.end; s++) view.owners[s] = node.id;
  }
  return view;
}

export type SlotAction =
  | { kind: "done" }                        // the target owns it and the source agrees
  | { kind: "finalize" }                    // the target owns it; tell the source (and others)
  | { kind: "migrate" }                     // the source owns it: move its keys
  | { kind: "reclaim" }                     // the source gave it to the target, which lost its claim: claim, then finalize
  | { kind: "refuse"; reason: string };     // neither: someone else owns it

/** What to do with one slot, from the source's and the target's views (resume = this, re-evaluated). */
export function planSlot(slot: number, source: ClusterView, target: ClusterView): SlotAction {
  const targetId = target.myId;
  const sourceId = source.myId;
  if (target.owners[slot] === targetId) {
    return source.owners[slot] === targetId && !source.migrating.has(slot) ? { kind: "done" } : { kind: "finalize" };
  }
  if (source.owners[slot] === sourceId) return { kind: "migrate" };
  // The source set NODE <target> (it holds no key of the slot then: the engine refuses NODE while it
  // does) but the target does not claim it: its claim lost to an older epoch or was never made (a
  // sidecar killed between the steps). No engine serves the slot; the target claims it again.
  if (source.owners[slot] === targetId) return { kind: "reclaim" };
  const owner = source.owners[slot] ?? target.owners[slot];
  return {
    kind: "refuse",
    reason: owner
      ? `slot ${slot} is owned by node ${owner}, not by the source ${sourceId}; plan the move from its owner`
      : `slot ${slot} is not assigned to any node; assign it (CLUSTER ADDSLOTS) instead of migrating it`,
  };
}
