// Parses the engine's CLUSTER NODES, CLUSTER INFO and INFO replies (pure); one parser for the
// sidecar, the migration engine and the tests.
import type { SlotRange } from "./slots.ts";

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

/** The comma-separated `name=value` fields of one INFO value (`keys=12,expires=0`, `ip=10.0.0.2,port=6379,state=online,…`). */
export function infoFields(value: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of value.split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return fields;
}

/**
 * The total keys over db0..dbN from INFO keyspace (`db0:keys=12,expires=0,avg_ttl=0`). A member reads it
 * several times from each observation (four a second when idle), so it is counted once per parsed map.
 */
export function keysFromInfo(info: Map<string, string>): number {
  let total = keysCounted.get(info);
  if (total !== undefined) return total;
  total = 0;
  for (const [k, v] of info) {
    if (!DB_FIELD.test(k)) continue;
    const m = KEYS_FIELD.exec(v);
    if (m) total += Number(m[1]);
  }
  keysCounted.set(info, total);
  return total;
}
const keysCounted = new WeakMap<Map<string, string>, number>();
const DB_FIELD = /^db\d+$/;
const KEYS_FIELD = /keys=(\d+)/;
