// Cluster helpers on top of startEngines(): form a ready cluster quickly, load deterministic keys,
// take an order-independent checksum of the key space, and run `redis-cli --cluster check`.
import { createHash } from "node:crypto";
import { spawn } from "node:child_process";
import { Redis, type Cluster } from "ioredis";
import type { EngineProcess } from "./engines.ts";
import { waitFor } from "../common/wait.ts";

export const SLOT_COUNT = 16384;

interface Address { host: string; port: number; password?: string }

export type KeyspaceSource = readonly Address[] | Cluster;

// ---------------------------------------------------------------------------------------------------
// key slot (CRC16/XMODEM of the key or its {hash tag}, as the engine computes it)

const crcTable = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ crcTable[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc;
}

export function keySlot(key: string | Buffer): number {
  const bytes = typeof key === "string" ? Buffer.from(key) : key;
  const open = bytes.indexOf(0x7b); // "{"
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // "}"
    if (close > open + 1) return crc16(bytes, open + 1, close) % SLOT_COUNT;
  }
  return crc16(bytes, 0, bytes.length) % SLOT_COUNT;
}

// ---------------------------------------------------------------------------------------------------
// forming a cluster

export interface FormClusterOptions {
  primaries: number;
  replicasPerPrimary?: number;
  timeoutMs?: number;
}

export interface FormedCluster {
  primaries: EngineProcess[];
  replicas: EngineProcess[];
  /** engine "host:port" → node id */
  nodeIds: Map<string, string>;
}

function connectTo(addr: Address): Redis {
  const client = new Redis({ host: addr.host, port: addr.port, password: addr.password, maxRetriesPerRequest: 1 });
  client.on("error", () => { /* surfaced through the failing command */ });
  return client;
}

export async function clusterNodeId(client: Redis): Promise<string> {
  return String(await client.call("CLUSTER", "MYID"));
}

/** Primaries get balanced contiguous slot ranges; the rest become replicas, round-robin. */
export async function formCluster(engines: readonly EngineProcess[], opts: FormClusterOptions): Promise<FormedCluster> {
  const replicasPerPrimary = opts.replicasPerPrimary ?? 0;
  const needed = opts.primaries * (1 + replicasPerPrimary);
  if (opts.primaries < 1 || needed > engines.length) {
    throw new Error(`formCluster: ${opts.primaries} primaries × (1 + ${replicasPerPrimary} replicas) needs ${needed} engines, got ${engines.length}`);
  }
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const members = engines.slice(0, needed);
  const conns = members.map(connectTo);
  try {
    const ids = await Promise.all(conns.map(clusterNodeId));
    // Distinct epochs up front avoid the engine's slow epoch-collision resolution.
    await Promise.all(conns.map((c, i) => c.call("CLUSTER", "SET-CONFIG-EPOCH", String(i + 1)).catch(() => undefined)));
    for (let i = 1; i < members.length; i++) await conns[i].call("CLUSTER", "MEET", members[0].host, String(members[0].port));
    await waitFor(async () => {
      for (const c of conns) {
        const lines = nodesLines(String(await c.call("CLUSTER", "NODES")));
        if (lines.length !== members.length || lines.some((l) => /handshake|noaddr/.test(l[2]))) return false;
      }
      return true;
    }, { timeoutMs, what: `all ${members.length} engines to know each other` });

    const primaries = members.slice(0, opts.primaries);
    await Promise.all(primaries.map((_, p) => {
      const first = Math.floor((p * SLOT_COUNT) / opts.primaries);
      const last = Math.floor(((p + 1) * SLOT_COUNT) / opts.primaries) - 1;
      return conns[p].call("CLUSTER", "ADDSLOTSRANGE", String(first), String(last));
    }));
    await waitForClusterConsistent(primaries, { timeoutMs });

    const replicas = members.slice(opts.primaries);
    for (let r = 0; r < replicas.length; r++) {
      const primaryIndex = r % opts.primaries;
      const conn = conns[opts.primaries + r];
      await waitFor(async () => nodesLines(String(await conn.call("CLUSTER", "NODES"))).some((l) => l[0] === ids[primaryIndex] && l[2].includes("master")),
        { timeoutMs, what: `${replicas[r].host} to see ${primaries[primaryIndex].host} as a primary` });
      await conn.call("CLUSTER", "REPLICATE", ids[primaryIndex]);
    }
    await waitFor(async () => {
      for (let r = 0; r < replicas.length; r++) {
        const info = String(await conns[opts.primaries + r].info("replication"));
        if (!info.includes("master_link_status:up")) return false;
      }
      return true;
    }, { timeoutMs, what: "every replica's link to its primary to be up" });
    await waitForClusterConsistent(members, { timeoutMs });
    const nodeIds = new Map(members.map((m, i) => [`${m.host}:${m.port}`, ids[i]] as const));
    return { primaries, replicas, nodeIds };
  } finally {
    for (const c of conns) c.disconnect();
  }
}

/** MEETs `added` engines (empty, cluster mode) into the cluster of `existing` and waits until every engine knows every other. */
export async function addEmptyPrimaries(existing: readonly EngineProcess[], added: readonly EngineProcess[], { timeoutMs = 30_000 } = {}): Promise<string[]> {
  const all = [...existing, ...added];
  const conns = all.map(connectTo);
  try {
    const ids = await Promise.all(conns.slice(existing.length).map(clusterNodeId));
    for (let i = existing.length; i < all.length; i++) await conns[i].call("CLUSTER", "MEET", existing[0].host, String(existing[0].port));
    await waitFor(async () => {
      for (const c of conns) {
        const lines = nodesLines(String(await c.call("CLUSTER", "NODES")));
        if (lines.length < all.length || lines.some((l) => /handshake|noaddr/.test(l[2]))) return false;
      }
      return true;
    }, { timeoutMs, what: `all ${all.length} engines to know the ${added.length} new primaries` });
    await waitForClusterConsistent(all, { timeoutMs });
    return ids;
  } finally {
    for (const c of conns) c.disconnect();
  }
}

/** [id, addr, flags, master, pingSent, pongRecv, epoch, linkState, ...slots] per CLUSTER NODES line. */
function nodesLines(nodes: string): string[][] {
  return nodes.trim().split("\n").filter(Boolean).map((l) => l.split(" "));
}

/** Who owns which slots, as one node sees it (open migrating/importing markers excluded). */
function slotSignature(nodes: string): string {
  return nodesLines(nodes)
    .filter((l) => l.length > 8)
    .map((l) => `${l[0]}:${l.slice(8).filter((s) => !s.startsWith("[")).sort().join(",")}`)
    .filter((s) => !s.endsWith(":"))
    .sort()
    .join("|");
}

/** Every engine reports cluster_state:ok and all agree on slot ownership. */
export async function waitForClusterConsistent(
  engines: readonly Address[],
  { timeoutMs = 30_000 }: { timeoutMs?: number } = {},
): Promise<void> {
  const conns = engines.map(connectTo);
  try {
    await waitFor(async () => {
      const signatures = new Set<string>();
      for (const c of conns) {
        const info = String(await c.call("CLUSTER", "INFO"));
        if (!info.includes("cluster_state:ok")) return false;
        signatures.add(slotSignature(String(await c.call("CLUSTER", "NODES"))));
      }
      return signatures.size === 1;
    }, { timeoutMs, what: `cluster_state:ok and one slot map on ${engines.map((e) => e.host).join(", ")}` });
  } finally {
    for (const c of conns) c.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------------
// deterministic data

export function keyForIndex(i: number, prefix = "key:"): string {
  return `${prefix}${i}`;
}

/** The value loadKeys writes for `key`: the key and a separator repeated to `bytes` bytes. */
export function valueForKey(key: string, bytes: number): Buffer {
  return Buffer.alloc(bytes, `${key}|`);
}

export interface LoadKeysOptions {
  prefix?: string;
  /** Commands per pipeline flush per primary (default 5000). */
  pipelineSize?: number;
  password?: string;
}

async function seedAddress(source: KeyspaceSource, password?: string): Promise<Address> {
  if (Array.isArray(source)) return { ...source[0], password: password ?? source[0].password };
  const cluster = source as Cluster;
  const node = cluster.nodes("master")[0];
  if (!node) throw new Error("loadKeys: the cluster client has no primaries yet; await its 'ready' event first");
  return { host: String(node.options.host), port: Number(node.options.port), password: password ?? node.options.password };
}

/** Slot → primary address, as the seed engine sees it. */
async function slotOwners(seed: Address): Promise<Address[]> {
  const conn = connectTo(seed);
  try {
    const ranges = (await conn.call("CLUSTER", "SLOTS")) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
    const owners: Address[] = new Array(SLOT_COUNT);
    for (const [first, last, [host, port]] of ranges) {
      for (let s = first; s <= last; s++) owners[s] = { host, port, password: seed.password };
    }
    return owners;
  } finally {
    conn.disconnect();
  }
}

/**
 * Writes keys `${prefix}0 … ${prefix}${n-1}` with valueForKey(key, valueBytes), pipelined straight to
 * each slot's primary (much faster than a cluster client, which pipelines per slot only).
 */
export async function loadKeys(cluster: KeyspaceSource, n: number, valueBytes: number, opts: LoadKeysOptions = {}): Promise<void> {
  const prefix = opts.prefix ?? "key:";
  const pipelineSize = opts.pipelineSize ?? 5000;
  const owners = await slotOwners(await seedAddress(cluster, opts.password));
  const byOwner = new Map<string, { addr: Address; indexes: number[] }>();
  for (let i = 0; i < n; i++) {
    const owner = owners[keySlot(keyForIndex(i, prefix))];
    if (!owner) throw new Error(`loadKeys: slot of ${keyForIndex(i, prefix)} has no owner; form the cluster first`);
    const id = `${owner.host}:${owner.port}`;
    let group = byOwner.get(id);
    if (!group) byOwner.set(id, (group = { addr: owner, indexes: [] }));
    group.indexes.push(i);
  }
  await Promise.all([...byOwner.values()].map(async ({ addr, indexes }) => {
    const conn = connectTo(addr);
    try {
      for (let start = 0; start < indexes.length; start += pipelineSize) {
        // SETs in batches of a script each: one command per 1000 keys instead of 1000 (the keys are all
        // in slots this primary owns, so the script may touch them without declaring them).
        const pipeline = conn.pipeline();
        const chunk = indexes.slice(start, start + pipelineSize);
        for (let c = 0; c < chunk.length; c += 1000) {
          const args: (string | Buffer)[] = [];
          for (const i of chunk.slice(c, c + 1000)) {
            const key = keyForIndex(i, prefix);
            args.push(key, valueForKey(key, valueBytes));
          }
          pipeline.call("EVAL", LOAD_SCRIPT, "0", ...args);
        }
        const results = (await pipeline.exec()) ?? [];
        const failed = results.find(([err]) => err);
        if (failed) throw new Error(`loadKeys: SET on ${addr.host}:${addr.port} failed: ${failed[0]?.message}`);
      }
    } finally {
      conn.disconnect();
    }
  }));
}

// ---------------------------------------------------------------------------------------------------
// checksum over the key space

const LOAD_SCRIPT = "for i = 1, #ARGV, 2 do redis.call('SET', ARGV[i], ARGV[i + 1]) end return #ARGV / 2";
const READ_SCRIPT =
  "local out = {} for i, key in ipairs(ARGV) do local t = redis.call('TYPE', key)['ok'] out[2 * i - 1] = t " +
  "if t == 'string' then out[2 * i] = redis.call('GET', key) else out[2 * i] = false end end return out";

export interface KeyspaceChecksum {
  keys: number;
  /** Order-independent digest: sum mod 2^128 of sha256(key, type, canonical value) per key. */
  digest: string;
}

export interface KeyspaceChecksumOptions {
  /** SCAN MATCH pattern (default all keys). */
  match?: string;
  password?: string;
}

async function primaryAddresses(source: KeyspaceSource, password?: string): Promise<Address[]> {
  if (Array.isArray(source)) return source.map((a) => ({ ...a, password: password ?? a.password }));
  const cluster = source as Cluster;
  return cluster.nodes("master").map((n) => ({ host: String(n.options.host), port: Number(n.options.port), password: password ?? n.options.password }));
}

const MOD_128 = (1n << 128n) - 1n;

/**
 * Digest over every key on every primary: the value is read by type (string bytes; hash fields
 * sorted; set members sorted; list in order; zset in score order), not via DUMP, because DUMP of a
 * large hash or set follows dict order, which differs between engines holding the same data.
 * Replicas among the given engines are skipped; an unreachable engine is an error.
 */
export async function keyspaceChecksum(source: KeyspaceSource, opts: KeyspaceChecksumOptions = {}): Promise<KeyspaceChecksum> {
  const addrs = await primaryAddresses(source, opts.password);
  let keys = 0;
  let sum = 0n;
  for (const addr of addrs) {
    const conn = connectTo(addr);
    try {
      const role = (await conn.call("ROLE")) as unknown[];
      if (role[0] !== "master") continue;
      let cursor = "0";
      do {
        const args: (string | number)[] = [cursor, "COUNT", 2000];
        if (opts.match) args.push("MATCH", opts.match);
        const [next, batch] = (await conn.callBuffer("SCAN", ...args)) as [Buffer, Buffer[]];
        cursor = next.toString();
        if (batch.length === 0) continue;
        // One script reads type and (for strings) value of the whole batch; other types per key below.
        const flat = (await conn.callBuffer("EVAL", READ_SCRIPT, "0", ...batch)) as (Buffer | null)[];
        const types = batch.map((_, i) => String(flat[2 * i]));
        const strings = batch.map((_, i) => flat[2 * i + 1]);
        const others = batch.map((_, i) => i).filter((i) => types[i] !== "string" && types[i] !== "none");
        const valuePipe = conn.pipeline();
        for (const i of others) {
          const key = batch[i];
          switch (types[i]) {
            case "hash": valuePipe.hgetallBuffer(key); break;
            case "set": valuePipe.smembersBuffer(key); break;
            case "list": valuePipe.lrangeBuffer(key, 0, -1); break;
            case "zset": valuePipe.zrangeBuffer(key, 0, -1, "WITHSCORES"); break;
            default: valuePipe.dumpBuffer(key); break;
          }
        }
        const otherValues = others.length > 0 ? (await valuePipe.exec()) ?? [] : [];
        const fetchedByIndex = new Map(others.map((i, n) => [i, otherValues[n]] as const));
        batch.forEach((key, i) => {
          if (types[i] === "none") return; // deleted between SCAN and read
          const [err, fetched] = fetchedByIndex.get(i) ?? [null, null];
          if (err) throw err;
          const value = types[i] === "string" ? strings[i] : fetched;
          if (value === null) return; // expired or deleted between SCAN and read
          const h = createHash("sha256");
          h.update(`${key.length}:`).update(key).update(`|${types[i]}|`);
          for (const part of canonicalParts(types[i], value)) h.update(`${part.length}:`).update(part);
          sum = (sum + BigInt("0x" + h.digest("hex").slice(0, 32))) & MOD_128;
          keys++;
        });
      } while (cursor !== "0");
    } finally {
      conn.disconnect();
    }
  }
  return { keys, digest: sum.toString(16).padStart(32, "0") };
}

/** The checksum loadKeys(…, n, valueBytes, { prefix }) data must have, computed without an engine. */
export function expectedChecksum(n: number, valueBytes: number, prefix = "key:"): KeyspaceChecksum {
  let sum = 0n;
  for (let i = 0; i < n; i++) {
    const key = Buffer.from(keyForIndex(i, prefix));
    const value = valueForKey(keyForIndex(i, prefix), valueBytes);
    const h = createHash("sha256");
    h.update(`${key.length}:`).update(key).update("|string|").update(`${value.length}:`).update(value);
    sum = (sum + BigInt("0x" + h.digest("hex").slice(0, 32))) & MOD_128;
  }
  return { keys: n, digest: sum.toString(16).padStart(32, "0") };
}

function canonicalParts(type: string, value: unknown): Buffer[] {
  if (Buffer.isBuffer(value)) return [value];
  if (type === "hash") {
    const entries = Object.entries(value as Record<string, Buffer>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return entries.flatMap(([field, v]) => [Buffer.from(field), v]);
  }
  const parts = (value as Buffer[]).slice();
  if (type === "set") parts.sort(Buffer.compare);
  return parts;
}

// ---------------------------------------------------------------------------------------------------
// redis-cli --cluster check

export interface ClusterCheckResult { ok: boolean; output: string }

export function redisCliClusterCheck(host: string, port: number, password?: string): Promise<ClusterCheckResult> {
  return new Promise((resolve, reject) => {
    // REDISCLI_AUTH keeps the password off the command line.
    const child = spawn("redis-cli", ["--cluster", "check", `${host}:${port}`], {
      env: { ...process.env, ...(password ? { REDISCLI_AUTH: password } : {}) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d: Buffer) => { output += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { output += d.toString(); });
    child.once("error", reject);
    child.once("exit", (code) => {
      const ok = code === 0 && !output.includes("[ERR]") && output.includes("[OK] All 16384 slots covered");
      resolve({ ok, output });
    });
  });
}
