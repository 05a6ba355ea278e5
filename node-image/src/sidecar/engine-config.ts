// Renders the engine's redis.conf from the pod's settings (pure), and reads those settings from the
// environment the chart gives the engine container.
export interface EngineSettings {
  podIp: string;
  announceHostname: string;
  port: number;
  nodeTimeoutMs: number;
  /** Bytes, or a redis size string such as "1gb"; "0" = no limit. */
  maxMemory: string;
  maxMemoryPolicy: string;
  dataDir: string;
  appendOnly: boolean;
  /** Standbys per shard: a primary starts a full sync as soon as this many replicas wait for one. */
  replicas: number;
}

export class SettingsError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = "SettingsError";
  }
}

const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const hostname = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const memorySize = /^\d+(b|k|kb|m|mb|g|gb)?$/i;
const policies = ["noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"];

type Env = Record<string, string | undefined>;

function required(env: Env, name: string, what: string): string {
  const value = env[name]?.trim();
  if (!value) throw new SettingsError(name, `is required (${what})`);
  return value;
}

export function parsePort(env: Env, name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 55535) throw new SettingsError(name, `"${text}" is not a port in 1..55535 (the cluster bus uses port + 10000)`);
  return port;
}

export function parseIpv4(env: Env, name: string, what: string): string {
  const ip = required(env, name, what);
  if (!ipv4.test(ip)) throw new SettingsError(name, `"${ip}" is not an IPv4 address`);
  return ip;
}

/** The spec's cluster-node-timeout; both containers read it (the sidecar runs a shorter one while a cluster forms). */
export function parseNodeTimeoutMs(env: Env): number {
  const text = (env.MDB_NODE_TIMEOUT_MS ?? "5000").trim();
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 100 || ms > 600_000) {
    throw new SettingsError("MDB_NODE_TIMEOUT_MS", `"${text}" must be an integer number of milliseconds in 100..600000`);
  }
  return ms;
}

export function parseEngineSettings(env: Env): EngineSettings {
  const podIp = parseIpv4(env, "MDB_POD_IP", "the pod IP the engine binds and announces; set it from status.podIP");
  const announceHostname = (env.MDB_ANNOUNCE_HOSTNAME ?? "").trim().toLowerCase();
  if (announceHostname && !hostname.test(announceHostname)) throw new SettingsError("MDB_ANNOUNCE_HOSTNAME", `"${announceHostname}" is not a DNS name`);
  const nodeTimeoutMs = parseNodeTimeoutMs(env);
  const maxMemory = (env.MDB_MAXMEMORY ?? "0").trim();
  if (!memorySize.test(maxMemory)) throw new SettingsError("MDB_MAXMEMORY", `"${maxMemory}" is not a size (e.g. 1073741824, 512mb, 1gb)`);
  const maxMemoryPolicy = (env.MDB_MAXMEMORY_POLICY ?? "noeviction").trim();
  if (!policies.includes(maxMemoryPolicy)) throw new SettingsError("MDB_MAXMEMORY_POLICY", `"${maxMemoryPolicy}" is not one of ${policies.join(", ")}`);
  const appendText = (env.MDB_APPENDONLY ?? "yes").trim();
  if (appendText !== "yes" && appendText !== "no") throw new SettingsError("MDB_APPENDONLY", `"${appendText}" must be yes or no`);
  const dataDir = (env.MDB_DATA_DIR ?? "/data").trim();
  if (!dataDir.startsWith("/")) throw new SettingsError("MDB_DATA_DIR", `"${dataDir}" must be an absolute path`);
  const replicasText = (env.MDB_REPLICAS ?? "1").trim();
  const replicas = Number(replicasText);
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 16) throw new SettingsError("MDB_REPLICAS", `"${replicasText}" must be the number of standbys per shard, an integer in 0..16`);
  return { podIp, announceHostname, port: parsePort(env, "MDB_ENGINE_PORT", 6379), nodeTimeoutMs, maxMemory, maxMemoryPolicy, dataDir, appendOnly: appendText === "yes", replicas };
}

/** Redis config strings are double-quoted with backslash escapes. */
export function quoteConfigValue(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`;
}

export function validatePassword(password: string, source: string): string {
  const trimmed = password.replace(/\r?\n$/, "");
  if (trimmed.length < 16) throw new SettingsError(source, "the engine password must be at least 16 characters");
  if (/[\r\n]/.test(trimmed)) throw new SettingsError(source, "the engine password must be a single line");
  return trimmed;
}

export function renderEngineConfig(s: EngineSettings, password: string): string {
  const lines = [
    "# Rendered by mdb-engine from the pod's settings; edits are overwritten at the next start.",
    // Pod IP and loopback; a loopback pod IP (local runs, several engines on one host) binds only itself.
    `bind ${s.podIp.startsWith("127.") ? s.podIp : `${s.podIp} 127.0.0.1`}`,
    "protected-mode yes",
    `port ${s.port}`,
    `dir ${quoteConfigValue(s.dataDir)}`,
    "daemonize no",
    'logfile ""',
    "cluster-enabled yes",
    `cluster-config-file ${quoteConfigValue(`${s.dataDir}/nodes.conf`)}`,
    `cluster-node-timeout ${s.nodeTimeoutMs}`,
    `cluster-announce-ip ${s.podIp}`,
    ...(s.announceHostname ? [`cluster-announce-hostname ${s.announceHostname}`, "cluster-preferred-endpoint-type ip"] : []),
    // A replica with a stale dataset must still be promotable by the operator's FORCE/TAKEOVER.
    "cluster-replica-validity-factor 0",
    // The operator moves slots and fails over; the engine must not move a replica to another primary on its own.
    "cluster-allow-replica-migration no",
    "cluster-require-full-coverage yes",
    `maxmemory ${s.maxMemory}`,
    `maxmemory-policy ${s.maxMemoryPolicy}`,
    `appendonly ${s.appendOnly ? "yes" : "no"}`,
    // A diskless full sync waits 5 s for more replicas to share it; once every standby of the shard
    // waits there is no one left to wait for (this took 5 s off every bootstrap).
    ...(s.replicas > 0 ? [`repl-diskless-sync-max-replicas ${s.replicas}`] : []),
    "appendfsync everysec",
    `requirepass ${quoteConfigValue(password)}`,
    `masterauth ${quoteConfigValue(password)}`,
    "",
  ];
  return lines.join("\n");
}
