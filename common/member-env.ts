// The member pod's environment: the one contract between the operator, which writes it into the
// engine and sidecar containers (operator/src/resources/member-pod.ts, with engineContainerEnv and
// sidecarContainerEnv), and the member image, which reads it back (node-image/src/sidecar: parseEngineEnv
// when mdb-engine renders redis.conf, parseSidecarEnv when mdb-sidecar serves). Pure: names, typed
// values, an encoder and a parser; the sidecar reads the files the variables name itself.
//
// A parse error names the variable, the value it got and what the value must be (SettingsError).
import { DEFAULT_LOG_LEVEL, isLogLevel, LOG_LEVELS, type LogLevel } from "./log-level.ts";

/** Every variable of the contract. The pod's are set by the operator; the image's by node-image/Dockerfile. */
export const MemberEnv = {
  // ---- both containers ------------------------------------------------------------------------
  /** The pod's IPv4 address (the downward API's status.podIP): the engine binds and announces it, the sidecar listens on it. Required. */
  POD_IP: "MDB_POD_IP",
  /** Absolute path of the data volume (nodes.conf, the append-only file, the sidecar's state file). Default /data. */
  DATA_DIR: "MDB_DATA_DIR",
  /** The engine's client port, 1..55535 (its cluster bus listens on port + 10000). Default 6379. */
  ENGINE_PORT: "MDB_ENGINE_PORT",
  /** Path of the mounted engine password (a Secret's file: at least 16 characters, one line). Required. */
  PASSWORD_FILE: "MDB_PASSWORD_FILE",
  /**
   * The spec's cluster-node-timeout in milliseconds, an integer in 100..600000. The engine runs with
   * it (default 5000); the sidecar puts it back once a forming cluster, which runs a shorter one, is ok
   * (unset: the sidecar leaves the engine's timeout alone).
   */
  NODE_TIMEOUT_MS: "MDB_NODE_TIMEOUT_MS",
  /**
   * yes: the engine serves clients, replication and its cluster bus over TLS only, with the member's
   * certificate (the three TLS files, which this then requires), and the sidecar reaches engines over
   * TLS, checking them against the CA file (spec.tls.enabled; docs/usage.md#tls). Default no.
   */
  ENGINE_TLS: "MDB_ENGINE_TLS",

  // ---- the engine container -------------------------------------------------------------------
  /** The member's stable DNS name (<pod>.<headless service>.<namespace>.svc), announced to clients beside the IP. Default none. */
  ANNOUNCE_HOSTNAME: "MDB_ANNOUNCE_HOSTNAME",
  /** The engine's maxmemory: bytes or a size such as 512mb or 1gb; 0 = no limit. Default 0. */
  MAXMEMORY: "MDB_MAXMEMORY",
  /** The engine's maxmemory-policy, one of MAXMEMORY_POLICIES. Default noeviction. */
  MAXMEMORY_POLICY: "MDB_MAXMEMORY_POLICY",
  /** The append-only file on every write (fsync every second): yes or no. Default yes. */
  APPENDONLY: "MDB_APPENDONLY",
  /** Standbys per shard, an integer in 0..16: a primary starts a full sync once this many replicas wait for one. Default 1. */
  REPLICAS: "MDB_REPLICAS",
  /** How a primary acknowledges writes, one of DURABILITIES: replicated refuses a write while no standby is in sync (min-replicas-to-write; docs/usage.md#durability). Default async. */
  DURABILITY: "MDB_DURABILITY",

  // ---- the sidecar container ------------------------------------------------------------------
  /** Path of the mounted bearer token of the sidecar API (at least 32 characters). This and/or the three TLS files are required. */
  SIDECAR_TOKEN_FILE: "MDB_SIDECAR_TOKEN_FILE",
  /** The sidecar's gRPC port, 1..55535. Default 7070. */
  SIDECAR_PORT: "MDB_SIDECAR_PORT",
  /** The sidecar's HTTP probe port (/readyz, /livez), 1..55535. Default 7071. */
  HEALTH_PORT: "MDB_HEALTH_PORT",
  /** The sidecar's Prometheus port (/metrics, no token: it shows no secret), 1..55535. Default 7072. */
  METRICS_PORT: "MDB_METRICS_PORT",
  /** The sidecar's log level, one of LOG_LEVELS (the spec's logLevel). Default info. */
  LOG_LEVEL: "MDB_LOG_LEVEL",
  /** The MdbCluster's namespace, for the sidecar's log lines (cluster namespace/name). Default none. */
  NAMESPACE: "MDB_NAMESPACE",
  /** The MdbCluster's name: the sidecar's log lines and metrics carry it. Default none. */
  CLUSTER: "MDB_CLUSTER",
  /** The member's name (its pod's): the sidecar's log lines and metrics carry it. Default none. */
  MEMBER: "MDB_MEMBER",
  /** The member's shard, an integer in 0..999: the sidecar's log lines and metrics carry it. Default none. */
  SHARD: "MDB_SHARD",
  /** Path of the CA (PEM) that signs the operator's client certificate, for mTLS; the three TLS files come together. Default none. */
  TLS_CA_FILE: "MDB_TLS_CA_FILE",
  /** Path of the sidecar's server certificate (PEM), for mTLS. Default none. */
  TLS_CERT_FILE: "MDB_TLS_CERT_FILE",
  /** Path of the sidecar's server key (PEM), for mTLS. Default none. */
  TLS_KEY_FILE: "MDB_TLS_KEY_FILE",
  /** Milliseconds between two reads of the three TLS files: renewed files are served from then on, without a restart. 100..600000. Default 10000. */
  TLS_RELOAD_MS: "MDB_TLS_RELOAD_MS",
  /** Milliseconds between two observations of the engine, 50..5000. Default 250. */
  OBSERVE_INTERVAL_MS: "MDB_OBSERVE_INTERVAL_MS",
  /** /livez fails when no observation completed for this many milliseconds, 1000..600000. Default 15000. */
  LIVENESS_STALE_MS: "MDB_LIVENESS_STALE_MS",
  /** How long a TAKEOVER fence token stays valid, in milliseconds, 1000..3600000. Default 300000. */
  FENCE_TOKEN_TTL_MS: "MDB_FENCE_TOKEN_TTL_MS",

  // ---- the image (node-image/Dockerfile, bin/mdb-engine, bin/mdb-sidecar) ---------------------
  /** Where mdb-engine writes redis.conf (mdb-sidecar render-config's default --out). Default /tmp/mdb/redis.conf (in the image). */
  ENGINE_CONFIG: "MDB_ENGINE_CONFIG",
  /** The sidecar's bundle that bin/mdb-engine and bin/mdb-sidecar run. Default /opt/mdb/dist/mdb-sidecar.mjs. */
  SIDECAR_JS: "MDB_SIDECAR_JS",
  /** Node's own options: the sidecar's V8 heap flags, from its memory limit (common/node-options.ts); read by Node. */
  NODE_OPTIONS: "NODE_OPTIONS",
} as const;

export type MemberEnvName = (typeof MemberEnv)[keyof typeof MemberEnv];

/** The engine's eviction policies (MAXMEMORY_POLICY). */
export const MAXMEMORY_POLICIES = ["noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"] as const;
export type MaxMemoryPolicy = (typeof MAXMEMORY_POLICIES)[number];

/** The durability modes (DURABILITY; the CRD's spec.durability has the same). */
export const DURABILITIES = ["async", "replicated"] as const;
export type Durability = (typeof DURABILITIES)[number];

/**
 * The member pod's ports and their names: the operator declares them on the containers (a PodMonitor
 * selects `metrics`), the sidecar listens on them. The cluster bus is the engine's port + 10000.
 */
export const MEMBER_PORTS = { engine: 6379, bus: 16379, grpc: 7070, health: 7071, metrics: 7072 } as const;

/**
 * How long a primary stopping on SIGTERM (its pod deleted) may take to hand its slots to a standby: its
 * sidecar keeps reporting that long while the engine stops, and the operator does not fail the shard
 * over meanwhile (docs/architecture.md#failure-handling). Within the member pod's grace period (30 s).
 */
export const SHUTDOWN_HANDOVER_MS = 15_000;

/**
 * The common name of the operator's client certificate. With mTLS a sidecar serves only it: a member's
 * own certificate is for clientAuth too when its engine serves TLS (the cluster bus presents it).
 */
export const OPERATOR_CLIENT_CN = "mdb-operator";

/** The range of NODE_TIMEOUT_MS (the CRD's spec.engine.nodeTimeoutMs has the same). */
export const NODE_TIMEOUT_RANGE_MS = { min: 100, max: 600_000 } as const;

/** A bad value: names the variable, what it got and what it must be. */
export class SettingsError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = "SettingsError";
  }
}

// ---- typed values ------------------------------------------------------------------------------

/** What both containers get. */
export interface SharedEnvInput {
  dataDir: string; enginePort: number; passwordFile: string; nodeTimeoutMs: number;
  /** The member's certificate files when the engines serve TLS (ENGINE_TLS); undefined: plaintext. */
  engineTls?: TlsFiles;
}

/** What the operator gives the engine container (the pod IP comes from the downward API). */
export interface EngineEnvInput extends SharedEnvInput {
  announceHostname: string;
  maxMemory: string;
  /** One of MAXMEMORY_POLICIES (the CRD validates the spec's). */
  maxMemoryPolicy: string;
  appendOnly: boolean; replicas: number; durability: Durability;
}

export interface TlsFiles { caFile: string; certFile: string; keyFile: string }

/** Who a member is, for its sidecar's log lines and metrics ("" / undefined: not known, e.g. a pod of an older operator). */
export interface MemberIdentity { namespace: string; cluster: string; member: string; shard: number | undefined }

/** What the operator gives the sidecar container; the optional ones are left to their defaults when not given. */
export interface SidecarEnvInput extends SharedEnvInput {
  tokenFile?: string;
  tls?: TlsFiles;
  tlsReloadMs?: number;
  sidecarPort: number;
  healthPort: number;
  metricsPort?: number;
  logLevel?: LogLevel;
  identity?: MemberIdentity;
  observeIntervalMs?: number; livenessStaleMs?: number; fenceTokenTtlMs?: number;
  /** Node's options for the sidecar (its V8 heap flags: common/node-options.ts); Node reads them, not the sidecar. */
  nodeOptions?: string;
}

/** The engine container's settings as mdb-engine reads them (parseEngineEnv; the password file: parsePasswordFile). */
export interface EngineEnv {
  podIp: string;
  /** "" = none */
  announceHostname: string;
  enginePort: number;
  nodeTimeoutMs: number;
  /** Bytes, or a size string such as "1gb"; "0" = no limit. */
  maxMemory: string;
  maxMemoryPolicy: MaxMemoryPolicy;
  dataDir: string; appendOnly: boolean; replicas: number; durability: Durability;
  /** The member's certificate files when the engine serves TLS only; absent: plaintext. */
  engineTls?: TlsFiles;
}

/** The sidecar container's settings as mdb-sidecar reads them (parseSidecarEnv), before it reads the files they name. */
export interface SidecarEnv {
  podIp: string; enginePort: number; dataDir: string; passwordFile: string;
  /** undefined: leave the engine's timeout alone. */
  nodeTimeoutMs: number | undefined;
  /** At least one of tokenFile and tls is set. */
  tokenFile: string | undefined;
  tls: TlsFiles | undefined;
  /** The engines serve TLS only (ENGINE_TLS): the files, the same as `tls`; the sidecar reaches engines with their CA. Absent: plaintext. */
  engineTls?: TlsFiles;
  tlsReloadMs: number;
  sidecarPort: number; healthPort: number; metricsPort: number; observeIntervalMs: number; livenessStaleMs: number; fenceTokenTtlMs: number;
  logLevel: LogLevel;
  identity: MemberIdentity;
}

// ---- the operator's side: the containers' env lists ----------------------------------------------

/** A container's variable, shaped as the Kubernetes API's EnvVar. */
export interface MemberEnvVar { name: MemberEnvName; value?: string; valueFrom?: { fieldRef: { fieldPath: string } } }

/** The downward API field the pod IP comes from. */
export const POD_IP_FIELD = "status.podIP";

function sharedEnv(v: SharedEnvInput): MemberEnvVar[] {
  return [
    { name: MemberEnv.POD_IP, valueFrom: { fieldRef: { fieldPath: POD_IP_FIELD } } },
    { name: MemberEnv.DATA_DIR, value: v.dataDir },
    { name: MemberEnv.ENGINE_PORT, value: String(v.enginePort) },
    { name: MemberEnv.PASSWORD_FILE, value: v.passwordFile },
    { name: MemberEnv.NODE_TIMEOUT_MS, value: String(v.nodeTimeoutMs) },
    ...(v.engineTls ? [{ name: MemberEnv.ENGINE_TLS, value: "yes" }] : []),
  ];
}

/** The engine container's environment. */
export function engineContainerEnv(v: EngineEnvInput): MemberEnvVar[] {
  return [
    ...sharedEnv(v),
    { name: MemberEnv.ANNOUNCE_HOSTNAME, value: v.announceHostname },
    { name: MemberEnv.MAXMEMORY, value: v.maxMemory },
    { name: MemberEnv.MAXMEMORY_POLICY, value: v.maxMemoryPolicy },
    { name: MemberEnv.APPENDONLY, value: v.appendOnly ? "yes" : "no" },
    { name: MemberEnv.REPLICAS, value: String(v.replicas) },
    { name: MemberEnv.DURABILITY, value: v.durability },
    ...(v.engineTls ? [
      { name: MemberEnv.TLS_CA_FILE, value: v.engineTls.caFile }, { name: MemberEnv.TLS_CERT_FILE, value: v.engineTls.certFile },
      { name: MemberEnv.TLS_KEY_FILE, value: v.engineTls.keyFile },
    ] : []),
  ];
}

/** The sidecar container's environment. */
export function sidecarContainerEnv(v: SidecarEnvInput): MemberEnvVar[] {
  const optional = (name: MemberEnvName, value: string | number | undefined): MemberEnvVar[] => (value === undefined ? [] : [{ name, value: String(value) }]);
  return [
    ...sharedEnv(v),
    ...optional(MemberEnv.SIDECAR_TOKEN_FILE, v.tokenFile),
    { name: MemberEnv.SIDECAR_PORT, value: String(v.sidecarPort) },
    { name: MemberEnv.HEALTH_PORT, value: String(v.healthPort) },
    ...optional(MemberEnv.METRICS_PORT, v.metricsPort),
    ...optional(MemberEnv.LOG_LEVEL, v.logLevel),
    ...optional(MemberEnv.NAMESPACE, v.identity?.namespace),
    ...optional(MemberEnv.CLUSTER, v.identity?.cluster),
    ...optional(MemberEnv.MEMBER, v.identity?.member),
    ...optional(MemberEnv.SHARD, v.identity?.shard),
    ...optional(MemberEnv.TLS_CA_FILE, v.tls?.caFile),
    ...optional(MemberEnv.TLS_CERT_FILE, v.tls?.certFile),
    ...optional(MemberEnv.TLS_KEY_FILE, v.tls?.keyFile),
    ...optional(MemberEnv.TLS_RELOAD_MS, v.tlsReloadMs),
    ...optional(MemberEnv.OBSERVE_INTERVAL_MS, v.observeIntervalMs),
    ...optional(MemberEnv.LIVENESS_STALE_MS, v.livenessStaleMs),
    ...optional(MemberEnv.FENCE_TOKEN_TTL_MS, v.fenceTokenTtlMs),
    ...optional(MemberEnv.NODE_OPTIONS, v.nodeOptions),
  ];
}

// ---- the member image's side: the environment back into typed settings --------------------------

export type Env = Readonly<Record<string, string | undefined>>;

const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const hostname = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const memorySize = /^\d+(b|k|kb|m|mb|g|gb)?$/i;
/** A Kubernetes object name (namespace, cluster, pod). */
const objectName = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function required(env: Env, name: MemberEnvName, what: string): string {
  const value = env[name]?.trim();
  if (!value) throw new SettingsError(name, `is required (${what})`);
  return value;
}

function parseIpv4(env: Env, name: MemberEnvName, what: string): string {
  const ip = required(env, name, what);
  if (!ipv4.test(ip)) throw new SettingsError(name, `"${ip}" is not an IPv4 address`);
  return ip;
}

/** A port (unset or blank: `fallback`); at most 55535 because the engine's cluster bus is port + 10000. */
function parsePort(env: Env, name: MemberEnvName, fallback: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 55535) throw new SettingsError(name, `"${text}" is not a port in 1..55535 (the cluster bus uses port + 10000)`);
  return port;
}

function parseInteger(env: Env, name: MemberEnvName, fallback: number, min: number, max: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min || v > max) throw new SettingsError(name, `"${text}" must be an integer in ${min}..${max}`);
  return v;
}

function parseAbsolutePath(env: Env, name: MemberEnvName, fallback: string): string {
  const path = (env[name] ?? fallback).trim();
  if (!path.startsWith("/")) throw new SettingsError(name, `"${path}" must be an absolute path`);
  return path;
}

/** NODE_TIMEOUT_MS (unset: 5000). */
function parseNodeTimeoutMs(env: Env): number {
  const text = (env[MemberEnv.NODE_TIMEOUT_MS] ?? "5000").trim();
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < NODE_TIMEOUT_RANGE_MS.min || ms > NODE_TIMEOUT_RANGE_MS.max) {
    throw new SettingsError(MemberEnv.NODE_TIMEOUT_MS, `"${text}" must be an integer number of milliseconds in ${NODE_TIMEOUT_RANGE_MS.min}..${NODE_TIMEOUT_RANGE_MS.max}`);
  }
  return ms;
}

/** PASSWORD_FILE: both containers need it (mdb-engine renders it into redis.conf, the sidecar logs in with it). */
export function parsePasswordFile(env: Env): string {
  const path = env[MemberEnv.PASSWORD_FILE]?.trim();
  if (!path) throw new SettingsError(MemberEnv.PASSWORD_FILE, "is required (path of the mounted engine password Secret)");
  return path;
}

/** The engine container's settings; throws SettingsError on the first bad variable. */
export function parseEngineEnv(env: Env): EngineEnv {
  const podIp = parseIpv4(env, MemberEnv.POD_IP, "the pod IP the engine binds and announces; set it from status.podIP");
  const announceHostname = (env[MemberEnv.ANNOUNCE_HOSTNAME] ?? "").trim().toLowerCase();
  if (announceHostname && !hostname.test(announceHostname)) throw new SettingsError(MemberEnv.ANNOUNCE_HOSTNAME, `"${announceHostname}" is not a DNS name`);
  const nodeTimeoutMs = parseNodeTimeoutMs(env);
  const maxMemory = (env[MemberEnv.MAXMEMORY] ?? "0").trim();
  if (!memorySize.test(maxMemory)) throw new SettingsError(MemberEnv.MAXMEMORY, `"${maxMemory}" is not a size (e.g. 1073741824, 512mb, 1gb)`);
  const maxMemoryPolicy = (env[MemberEnv.MAXMEMORY_POLICY] ?? "noeviction").trim();
  if (!isOneOf(MAXMEMORY_POLICIES, maxMemoryPolicy)) throw new SettingsError(MemberEnv.MAXMEMORY_POLICY, `"${maxMemoryPolicy}" is not one of ${MAXMEMORY_POLICIES.join(", ")}`);
  const appendText = (env[MemberEnv.APPENDONLY] ?? "yes").trim();
  if (appendText !== "yes" && appendText !== "no") throw new SettingsError(MemberEnv.APPENDONLY, `"${appendText}" must be yes or no`);
  const dataDir = parseAbsolutePath(env, MemberEnv.DATA_DIR, "/data");
  const replicasText = (env[MemberEnv.REPLICAS] ?? "1").trim();
  const replicas = Number(replicasText);
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 16) throw new SettingsError(MemberEnv.REPLICAS, `"${replicasText}" must be the number of standbys per shard, an integer in 0..16`);
  const durability = (env[MemberEnv.DURABILITY] ?? "async").trim();
  if (!isOneOf(DURABILITIES, durability)) throw new SettingsError(MemberEnv.DURABILITY, `"${durability}" is not one of ${DURABILITIES.join(", ")}`);
  const enginePort = parsePort(env, MemberEnv.ENGINE_PORT, MEMBER_PORTS.engine);
  const engineTls = parseEngineTls(env) ? requireTlsFiles(env, `${MemberEnv.ENGINE_TLS}=yes`) : undefined;
  return {
    podIp, announceHostname, enginePort, nodeTimeoutMs, maxMemory, maxMemoryPolicy, dataDir, appendOnly: appendText === "yes", replicas, durability,
    ...(engineTls ? { engineTls } : {}),
  };
}

/** ENGINE_TLS: yes or no (unset: no). */
function parseEngineTls(env: Env): boolean {
  const text = (env[MemberEnv.ENGINE_TLS] ?? "no").trim() || "no";
  if (text !== "yes" && text !== "no") throw new SettingsError(MemberEnv.ENGINE_TLS, `"${text}" must be yes or no`);
  return text === "yes";
}

/** The three TLS files, or undefined when none is set; one or two of them is an error. */
function parseTlsFiles(env: Env, what: string): TlsFiles | undefined {
  const files = { [MemberEnv.TLS_CA_FILE]: env[MemberEnv.TLS_CA_FILE]?.trim(), [MemberEnv.TLS_CERT_FILE]: env[MemberEnv.TLS_CERT_FILE]?.trim(), [MemberEnv.TLS_KEY_FILE]: env[MemberEnv.TLS_KEY_FILE]?.trim() };
  const missing = Object.entries(files).filter(([, v]) => !v).map(([k]) => k);
  if (missing.length === 3) return undefined;
  if (missing.length > 0) {
    throw new SettingsError(missing[0], `${what} needs ${MemberEnv.TLS_CA_FILE}, ${MemberEnv.TLS_CERT_FILE} and ${MemberEnv.TLS_KEY_FILE} together; missing ${missing.join(", ")}`);
  }
  return { caFile: files[MemberEnv.TLS_CA_FILE]!, certFile: files[MemberEnv.TLS_CERT_FILE]!, keyFile: files[MemberEnv.TLS_KEY_FILE]! };
}

function requireTlsFiles(env: Env, what: string): TlsFiles {
  const files = parseTlsFiles(env, what);
  if (!files) throw new SettingsError(MemberEnv.TLS_CA_FILE, `${what} needs ${MemberEnv.TLS_CA_FILE}, ${MemberEnv.TLS_CERT_FILE} and ${MemberEnv.TLS_KEY_FILE} (the member's certificate)`);
  return files;
}

const isOneOf = <T extends string>(values: readonly T[], value: string): value is T => (values as readonly string[]).includes(value);

function parseObjectName(env: Env, name: MemberEnvName): string {
  const value = (env[name] ?? "").trim();
  if (value && !objectName.test(value)) throw new SettingsError(name, `"${value}" is not a Kubernetes object name (lower-case letters, digits, '-' and '.')`);
  return value;
}

function parseIdentity(env: Env): MemberIdentity {
  const shardText = env[MemberEnv.SHARD]?.trim();
  return {
    namespace: parseObjectName(env, MemberEnv.NAMESPACE), cluster: parseObjectName(env, MemberEnv.CLUSTER), member: parseObjectName(env, MemberEnv.MEMBER),
    shard: shardText ? parseInteger(env, MemberEnv.SHARD, 0, 0, 999) : undefined,
  };
}

function parseLogLevel(env: Env): LogLevel {
  const level = (env[MemberEnv.LOG_LEVEL] ?? DEFAULT_LOG_LEVEL).trim() || DEFAULT_LOG_LEVEL;
  if (!isLogLevel(level)) throw new SettingsError(MemberEnv.LOG_LEVEL, `"${level}" is not one of ${LOG_LEVELS.join(", ")}`);
  return level;
}

/** The sidecar container's settings; throws SettingsError on the first bad variable. */
export function parseSidecarEnv(env: Env): SidecarEnv {
  const podIp = parseIpv4(env, MemberEnv.POD_IP, "the pod IP the sidecar listens on and its engine binds");
  const passwordFile = parsePasswordFile(env);
  const tokenFile = env[MemberEnv.SIDECAR_TOKEN_FILE]?.trim() || undefined;
  const engineTls = parseEngineTls(env);
  const tls = engineTls ? requireTlsFiles(env, `${MemberEnv.ENGINE_TLS}=yes`) : parseTlsFiles(env, "mTLS");
  if (!tokenFile && !tls) {
    throw new SettingsError(MemberEnv.SIDECAR_TOKEN_FILE,
      `the sidecar API must be authenticated: set ${MemberEnv.SIDECAR_TOKEN_FILE} (bearer token) and/or ${MemberEnv.TLS_CA_FILE}, ${MemberEnv.TLS_CERT_FILE}, ${MemberEnv.TLS_KEY_FILE} (mTLS)`);
  }
  const dataDir = parseAbsolutePath(env, MemberEnv.DATA_DIR, "/data");
  return {
    podIp, enginePort: parsePort(env, MemberEnv.ENGINE_PORT, MEMBER_PORTS.engine), dataDir, passwordFile, tokenFile, tls,
    ...(engineTls && tls ? { engineTls: tls } : {}),
    tlsReloadMs: parseInteger(env, MemberEnv.TLS_RELOAD_MS, 10_000, 100, 600_000),
    sidecarPort: parsePort(env, MemberEnv.SIDECAR_PORT, MEMBER_PORTS.grpc),
    healthPort: parsePort(env, MemberEnv.HEALTH_PORT, MEMBER_PORTS.health),
    metricsPort: parsePort(env, MemberEnv.METRICS_PORT, MEMBER_PORTS.metrics),
    logLevel: parseLogLevel(env),
    identity: parseIdentity(env),
    observeIntervalMs: parseInteger(env, MemberEnv.OBSERVE_INTERVAL_MS, 250, 50, 5000),
    livenessStaleMs: parseInteger(env, MemberEnv.LIVENESS_STALE_MS, 15_000, 1000, 600_000),
    fenceTokenTtlMs: parseInteger(env, MemberEnv.FENCE_TOKEN_TTL_MS, 300_000, 1000, 3_600_000),
    nodeTimeoutMs: env[MemberEnv.NODE_TIMEOUT_MS]?.trim() ? parseNodeTimeoutMs(env) : undefined,
  };
}
