// Parses the engine's CLUSTER NODES, CLUSTER INFO and INFO replies (pure).
export const SLOT_COUNT = 16384;

export interface SlotRange { start: number; end: number }
export interface SlotTransfer { slot: number; nodeId: string }

export interface ClusterNode {
  id: string;
  host: string;
  port: number;
  busPort: number;
  hostname: string;
  flags: string[];
  myself: boolean;
  primary: boolean;
  /** The primary's id for a replica, "" for a primary. */
  primaryId: string;
  failed: boolean;
  connected: boolean;
  slots: SlotRange[];
  importing: SlotTransfer[];
  migrating: SlotTransfer[];
}

/** `<id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <link> <slot>...` */
export function parseClusterNodes(text: string): ClusterNode[] {
  const nodes: ClusterNode[] = [];
  for (const line of text.split("\n")) {
    const parts = line.trim().split(" ");
    if (parts.length < 8) continue;
    const [id, addr, flagText, primaryId, , , , link, ...slotParts] = parts;
    const [hostPort, hostname = ""] = addr.split(",");
    const at = hostPort.indexOf("@");
    const hp = at >= 0 ? hostPort.slice(0, at) : hostPort;
    const colon = hp.lastIndexOf(":");
    const host = hp.slice(0, colon);
    const port = Number(hp.slice(colon + 1));
    const busPort = at >= 0 ? Number(hostPort.slice(at + 1)) : port + 10000;
    const flags = flagText.split(",");
    const node: ClusterNode = {
      id, host, port, busPort, hostname, flags,
      myself: flags.includes("myself"),
      primary: flags.includes("master"),
      primaryId: primaryId === "-" ? "" : primaryId,
      failed: flags.includes("fail") || flags.includes("fail?"),
      connected: link === "connected",
      slots: [], importing: [], migrating: [],
    };
    for (const slot of slotParts) {
      if (slot.startsWith("[")) {
        const inner = slot.slice(1, -1);
        const mig = inner.split("->-");
        const imp = inner.split("-<-");
        if (mig.length === 2) node.migrating.push({ slot: Number(mig[0]), nodeId: mig[1] });
        else if (imp.length === 2) node.importing.push({ slot: Number(imp[0]), nodeId: imp[1] });
        continue;
      }
      const dash = slot.indexOf("-");
      const start = Number(dash >= 0 ? slot.slice(0, dash) : slot);
      const end = Number(dash >= 0 ? slot.slice(dash + 1) : slot);
      if (Number.isInteger(start) && Number.isInteger(end)) node.slots.push({ start, end });
    }
    nodes.push(node);
  }
  return nodes;
}

/** `key:value` lines (INFO, CLUSTER INFO) into a map; section headers and blanks are skipped. */
export function parseInfo(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon > 0) map.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return map;
}

export function countSlots(ranges: readonly SlotRange[]): number {
  return ranges.reduce((n, r) => n + (r.end - r.start + 1), 0);
}

/** Sorted, merged ranges from any slot numbers. */
export function slotsToRanges(slots: Iterable<number>): SlotRange[] {
  const sorted = [...new Set(slots)].sort((a, b) => a - b);
  const ranges: SlotRange[] = [];
  for (const s of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && last.end + 1 === s) last.end = s;
    else ranges.push({ start: s, end: s });
  }
  return ranges;
}

export function rangesToSlots(ranges: readonly SlotRange[]): number[] {
  const out: number[] = [];
  for (const r of ranges) for (let s = r.start; s <= r.end; s++) out.push(s);
  return out;
}

export function formatRanges(ranges: readonly SlotRange[]): string {
  return ranges.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(",");
}

/** The total keys over db0..dbN from INFO keyspace (`db0:keys=12,expires=0,avg_ttl=0`). */
export function keysFromInfo(info: Map<string, string>): number {
  let total = 0;
  for (const [k, v] of info) {
    if (!/^db\d+$/.test(k)) continue;
    const m = /keys=(\d+)/.exec(v);
    if (m) total += Number(m[1]);
  }
  return total;
}
