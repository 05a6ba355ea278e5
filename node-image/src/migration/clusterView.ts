// One engine's view of the cluster, parsed from CLUSTER NODES (pure).
import { SLOT_COUNT } from "./request.ts";

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

export function parseClusterNodes(text: string): ClusterView {
  const view: ClusterView = { myId: "", nodes: new Map(), owners: new Array(SLOT_COUNT).fill(undefined), migrating: new Map(), importing: new Map() };
  for (const line of text.split("\n")) {
    const parts = line.trim().split(" ");
    if (parts.length < 8) continue;
    const [id, addressField, flagsField, primaryField] = parts;
    const flags = flagsField.split(",");
    const address = addressField.split("@")[0];
    view.nodes.set(id, { id, address, flags, primaryId: primaryField === "-" ? undefined : primaryField });
    const isMe = flags.includes("myself");
    if (isMe) view.myId = id;
    for (const entry of parts.slice(8)) {
      if (entry.startsWith("[")) {
        // "[slot->-target]" migrating, "[slot-<-source]" importing; shown for this engine only.
        const m = /^\[(\d+)-([<>])-([0-9a-f]+)\]$/.exec(entry);
        if (!m || !isMe) continue;
        const slot = Number(m[1]);
        if (m[2] === ">") view.migrating.set(slot, m[3]);
        else view.importing.set(slot, m[3]);
        continue;
      }
      const [first, last] = entry.split("-").map(Number);
      for (let s = first; s <= (last ?? first); s++) view.owners[s] = id;
    }
  }
  return view;
}

export type SlotPlan =
  | { kind: "done" }                        // the target owns it and the source agrees
  | { kind: "finalize" }                    // the target owns it; tell the source (and others)
  | { kind: "migrate" }                     // the source owns it: move its keys
  | { kind: "refuse"; reason: string };     // neither: someone else owns it

/** What to do with one slot, from the source's and the target's views (resume = this, re-evaluated). */
export function planSlot(slot: number, source: ClusterView, target: ClusterView): SlotPlan {
  const targetId = target.myId;
  const sourceId = source.myId;
  if (target.owners[slot] === targetId) {
    return source.owners[slot] === targetId && !source.migrating.has(slot) ? { kind: "done" } : { kind: "finalize" };
  }
  if (source.owners[slot] === sourceId) return { kind: "migrate" };
  const owner = source.owners[slot] ?? target.owners[slot];
  return {
    kind: "refuse",
    reason: owner
      ? `slot ${slot} is owned by node ${owner}, not by the source ${sourceId}; plan the move from its owner`
      : `slot ${slot} is not assigned to any node; assign it (CLUSTER ADDSLOTS) instead of migrating it`,
  };
}
