// node-image/src/sidecar/main.ts
import { readFileSync as readFileSync4, writeFileSync, mkdirSync as mkdirSync2, renameSync as renameSync2 } from "node:fs";
import { dirname as dirname2 } from "node:path";
import { fileURLToPath } from "node:url";

// common/log-level.ts
var LOG_LEVELS = ["error", "warn", "info", "debug"];
var DEFAULT_LOG_LEVEL = "info";
var isLogLevel = (value) => typeof value === "string" && LOG_LEVELS.includes(value);

// common/member-env.ts
var MemberEnv = {
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
  NODE_OPTIONS: "NODE_OPTIONS"
};
var MAXMEMORY_POLICIES = ["noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"];
var DURABILITIES = ["async", "replicated"];
var MEMBER_PORTS = { engine: 6379, bus: 16379, grpc: 7070, health: 7071, metrics: 7072 };
var SHUTDOWN_HANDOVER_MS = 15e3;
var OPERATOR_CLIENT_CN = "mdb-operator";
var NODE_TIMEOUT_RANGE_MS = { min: 100, max: 6e5 };
var SettingsError = class extends Error {
  constructor(variable, message) {
    super(`${variable}: ${message}`);
    this.variable = variable;
    this.name = "SettingsError";
  }
  variable;
};
var ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
var hostname = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
var memorySize = /^\d+(b|k|kb|m|mb|g|gb)?$/i;
var objectName = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
function required(env, name, what) {
  const value = env[name]?.trim();
  if (!value) throw new SettingsError(name, `is required (${what})`);
  return value;
}
function parseIpv4(env, name, what) {
  const ip = required(env, name, what);
  if (!ipv4.test(ip)) throw new SettingsError(name, `"${ip}" is not an IPv4 address`);
  return ip;
}
function parsePort(env, name, fallback) {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 55535) throw new SettingsError(name, `"${text}" is not a port in 1..55535 (the cluster bus uses port + 10000)`);
  return port;
}
function parseInteger(env, name, fallback, min, max) {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min || v > max) throw new SettingsError(name, `"${text}" must be an integer in ${min}..${max}`);
  return v;
}
function parseAbsolutePath(env, name, fallback) {
  const path = (env[name] ?? fallback).trim();
  if (!path.startsWith("/")) throw new SettingsError(name, `"${path}" must be an absolute path`);
  return path;
}
function parseNodeTimeoutMs(env) {
  const text = (env[MemberEnv.NODE_TIMEOUT_MS] ?? "5000").trim();
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < NODE_TIMEOUT_RANGE_MS.min || ms > NODE_TIMEOUT_RANGE_MS.max) {
    throw new SettingsError(MemberEnv.NODE_TIMEOUT_MS, `"${text}" must be an integer number of milliseconds in ${NODE_TIMEOUT_RANGE_MS.min}..${NODE_TIMEOUT_RANGE_MS.max}`);
  }
  return ms;
}
function parsePasswordFile(env) {
  const path = env[MemberEnv.PASSWORD_FILE]?.trim();
  if (!path) throw new SettingsError(MemberEnv.PASSWORD_FILE, "is required (path of the mounted engine password Secret)");
  return path;
}
function parseEngineEnv(env) {
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
  const engineTls = parseEngineTls(env) ? requireTlsFiles(env, `${MemberEnv.ENGINE_TLS}=yes`) : void 0;
  return {
    podIp,
    announceHostname,
    enginePort,
    nodeTimeoutMs,
    maxMemory,
    maxMemoryPolicy,
    dataDir,
    appendOnly: appendText === "yes",
    replicas,
    durability,
    ...engineTls ? { engineTls } : {}
  };
}
function parseEngineTls(env) {
  const text = (env[MemberEnv.ENGINE_TLS] ?? "no").trim() || "no";
  if (text !== "yes" && text !== "no") throw new SettingsError(MemberEnv.ENGINE_TLS, `"${text}" must be yes or no`);
  return text === "yes";
}
function parseTlsFiles(env, what) {
  const files = { [MemberEnv.TLS_CA_FILE]: env[MemberEnv.TLS_CA_FILE]?.trim(), [MemberEnv.TLS_CERT_FILE]: env[MemberEnv.TLS_CERT_FILE]?.trim(), [MemberEnv.TLS_KEY_FILE]: env[MemberEnv.TLS_KEY_FILE]?.trim() };
  const missing = Object.entries(files).filter(([, v]) => !v).map(([k]) => k);
  if (missing.length === 3) return void 0;
  if (missing.length > 0) {
    throw new SettingsError(missing[0], `${what} needs ${MemberEnv.TLS_CA_FILE}, ${MemberEnv.TLS_CERT_FILE} and ${MemberEnv.TLS_KEY_FILE} together; missing ${missing.join(", ")}`);
  }
  return { caFile: files[MemberEnv.TLS_CA_FILE], certFile: files[MemberEnv.TLS_CERT_FILE], keyFile: files[MemberEnv.TLS_KEY_FILE] };
}
function requireTlsFiles(env, what) {
  const files = parseTlsFiles(env, what);
  if (!files) throw new SettingsError(MemberEnv.TLS_CA_FILE, `${what} needs ${MemberEnv.TLS_CA_FILE}, ${MemberEnv.TLS_CERT_FILE} and ${MemberEnv.TLS_KEY_FILE} (the member's certificate)`);
  return files;
}
var isOneOf = (values, value) => values.includes(value);
function parseObjectName(env, name) {
  const value = (env[name] ?? "").trim();
  if (value && !objectName.test(value)) throw new SettingsError(name, `"${value}" is not a Kubernetes object name (lower-case letters, digits, '-' and '.')`);
  return value;
}
function parseIdentity(env) {
  const shardText = env[MemberEnv.SHARD]?.trim();
  return {
    namespace: parseObjectName(env, MemberEnv.NAMESPACE),
    cluster: parseObjectName(env, MemberEnv.CLUSTER),
    member: parseObjectName(env, MemberEnv.MEMBER),
    shard: shardText ? parseInteger(env, MemberEnv.SHARD, 0, 0, 999) : void 0
  };
}
function parseLogLevel(env) {
  const level = (env[MemberEnv.LOG_LEVEL] ?? DEFAULT_LOG_LEVEL).trim() || DEFAULT_LOG_LEVEL;
  if (!isLogLevel(level)) throw new SettingsError(MemberEnv.LOG_LEVEL, `"${level}" is not one of ${LOG_LEVELS.join(", ")}`);
  return level;
}
function parseSidecarEnv(env) {
  const podIp = parseIpv4(env, MemberEnv.POD_IP, "the pod IP the sidecar listens on and its engine binds");
  const passwordFile = parsePasswordFile(env);
  const tokenFile = env[MemberEnv.SIDECAR_TOKEN_FILE]?.trim() || void 0;
  const engineTls = parseEngineTls(env);
  const tls2 = engineTls ? requireTlsFiles(env, `${MemberEnv.ENGINE_TLS}=yes`) : parseTlsFiles(env, "mTLS");
  if (!tokenFile && !tls2) {
    throw new SettingsError(
      MemberEnv.SIDECAR_TOKEN_FILE,
      `the sidecar API must be authenticated: set ${MemberEnv.SIDECAR_TOKEN_FILE} (bearer token) and/or ${MemberEnv.TLS_CA_FILE}, ${MemberEnv.TLS_CERT_FILE}, ${MemberEnv.TLS_KEY_FILE} (mTLS)`
    );
  }
  const dataDir = parseAbsolutePath(env, MemberEnv.DATA_DIR, "/data");
  return {
    podIp,
    enginePort: parsePort(env, MemberEnv.ENGINE_PORT, MEMBER_PORTS.engine),
    dataDir,
    passwordFile,
    tokenFile,
    tls: tls2,
    ...engineTls && tls2 ? { engineTls: tls2 } : {},
    tlsReloadMs: parseInteger(env, MemberEnv.TLS_RELOAD_MS, 1e4, 100, 6e5),
    sidecarPort: parsePort(env, MemberEnv.SIDECAR_PORT, MEMBER_PORTS.grpc),
    healthPort: parsePort(env, MemberEnv.HEALTH_PORT, MEMBER_PORTS.health),
    metricsPort: parsePort(env, MemberEnv.METRICS_PORT, MEMBER_PORTS.metrics),
    logLevel: parseLogLevel(env),
    identity: parseIdentity(env),
    observeIntervalMs: parseInteger(env, MemberEnv.OBSERVE_INTERVAL_MS, 250, 50, 5e3),
    livenessStaleMs: parseInteger(env, MemberEnv.LIVENESS_STALE_MS, 15e3, 1e3, 6e5),
    fenceTokenTtlMs: parseInteger(env, MemberEnv.FENCE_TOKEN_TTL_MS, 3e5, 1e3, 36e5),
    nodeTimeoutMs: env[MemberEnv.NODE_TIMEOUT_MS]?.trim() ? parseNodeTimeoutMs(env) : void 0
  };
}

// node-image/src/sidecar/engine-config.ts
function parseEngineSettings(env) {
  return parseEngineEnv(env);
}
function quoteConfigValue(value) {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`;
}
function validatePassword(password, source) {
  const trimmed = password.replace(/\r?\n$/, "");
  if (trimmed.length < 16) throw new SettingsError(source, "the engine password must be at least 16 characters");
  if (/[\r\n]/.test(trimmed)) throw new SettingsError(source, "the engine password must be a single line");
  return trimmed;
}
var REPLICA_MAX_LAG_SECONDS = { min: 2, max: 10 };
function replicaMaxLagSeconds(nodeTimeoutMs) {
  return Math.min(REPLICA_MAX_LAG_SECONDS.max, Math.max(REPLICA_MAX_LAG_SECONDS.min, Math.ceil(nodeTimeoutMs / 1e3)));
}
function durabilityDirectives(s) {
  if (s.durability !== "replicated" || s.replicas === 0) return ["min-replicas-to-write 0"];
  return ["min-replicas-to-write 1", `min-replicas-max-lag ${replicaMaxLagSeconds(s.nodeTimeoutMs)}`];
}
function portDirectives(s) {
  if (!s.engineTls) return [`port ${s.enginePort}`];
  return [
    "port 0",
    `tls-port ${s.enginePort}`,
    `tls-cert-file ${quoteConfigValue(s.engineTls.certFile)}`,
    `tls-key-file ${quoteConfigValue(s.engineTls.keyFile)}`,
    `tls-ca-cert-file ${quoteConfigValue(s.engineTls.caFile)}`,
    "tls-cluster yes",
    "tls-replication yes",
    "tls-auth-clients no"
  ];
}
function renderEngineConfig(s, password) {
  const lines = [
    "# Rendered by mdb-engine from the pod's settings; edits are overwritten at the next start.",
    // Pod IP and loopback; a loopback pod IP (local runs, several engines on one host) binds only itself.
    `bind ${s.podIp.startsWith("127.") ? s.podIp : `${s.podIp} 127.0.0.1`}`,
    "protected-mode yes",
    ...portDirectives(s),
    `dir ${quoteConfigValue(s.dataDir)}`,
    "daemonize no",
    'logfile ""',
    "cluster-enabled yes",
    `cluster-config-file ${quoteConfigValue(`${s.dataDir}/nodes.conf`)}`,
    `cluster-node-timeout ${s.nodeTimeoutMs}`,
    `cluster-announce-ip ${s.podIp}`,
    ...s.announceHostname ? [`cluster-announce-hostname ${s.announceHostname}`, "cluster-preferred-endpoint-type ip"] : [],
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
    ...s.replicas > 0 ? [`repl-diskless-sync-max-replicas ${s.replicas}`] : [],
    ...durabilityDirectives(s),
    "appendfsync everysec",
    `requirepass ${quoteConfigValue(password)}`,
    `masterauth ${quoteConfigValue(password)}`,
    ""
  ];
  return lines.join("\n");
}

// common/log.ts
import { AsyncLocalStorage } from "node:async_hooks";
import winston from "winston";
var LEADING_FIELDS = ["time", "level", "cluster", "member", "shard", "plan", "step", "message"];
var logContext = new AsyncLocalStorage();
var currentLogContext = () => logContext.getStore() ?? {};
function withLogContext(ctx, fn) {
  return logContext.run({ ...currentLogContext(), ...ctx }, fn);
}
var MESSAGE = /* @__PURE__ */ Symbol.for("message");
function jsonValue(_key, value) {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) return value.message;
  return value;
}
function formatLine(info, base, context, now) {
  const { level, message, ...fields } = info;
  const line = { time: now.toISOString(), level };
  const about = { ...base, ...context, ...fields };
  for (const key of LEADING_FIELDS.slice(2, -1)) if (about[key] !== void 0 && about[key] !== "") line[key] = about[key];
  line.message = message;
  for (const [key, value] of Object.entries(about)) if (!(key in line) && value !== void 0) line[key] = value;
  try {
    return JSON.stringify(line, jsonValue);
  } catch (err) {
    return JSON.stringify({ time: line.time, level, message, logError: `a field could not be written: ${err.message}` });
  }
}
function makeLogger(opts = {}) {
  const base = opts.base ?? {};
  const now = opts.now ?? (() => /* @__PURE__ */ new Date());
  const line = winston.format((info) => {
    info[MESSAGE] = formatLine(info, base, currentLogContext(), now());
    return info;
  });
  return winston.createLogger({
    level: opts.level ?? DEFAULT_LOG_LEVEL,
    levels: winston.config.npm.levels,
    silent: opts.silent,
    format: winston.format.combine(winston.format.errors({ stack: true }), line()),
    transports: [opts.stream ? new winston.transports.Stream({ stream: opts.stream, silent: opts.silent }) : new winston.transports.Console({ stderrLevels: ["error", "warn"], silent: opts.silent })]
  });
}

// node-image/src/sidecar/settings.ts
function readSecret(readFile, variable, path) {
  try {
    return readFile(path);
  } catch (err) {
    throw new SettingsError(variable, `cannot read ${path} (${err.code ?? err.message}); mount the Secret there`);
  }
}
function parseSidecarSettings(env, readFile) {
  const e = parseSidecarEnv(env);
  const enginePassword = validatePassword(readSecret(readFile, MemberEnv.PASSWORD_FILE, e.passwordFile).toString("utf8"), MemberEnv.PASSWORD_FILE);
  let bearerToken;
  if (e.tokenFile) {
    bearerToken = readSecret(readFile, MemberEnv.SIDECAR_TOKEN_FILE, e.tokenFile).toString("utf8").trim();
    if (bearerToken.length < 32) throw new SettingsError(MemberEnv.SIDECAR_TOKEN_FILE, "the API token must be at least 32 characters");
  }
  const tls2 = e.tls ? {
    caPem: readSecret(readFile, MemberEnv.TLS_CA_FILE, e.tls.caFile),
    certPem: readSecret(readFile, MemberEnv.TLS_CERT_FILE, e.tls.certFile),
    keyPem: readSecret(readFile, MemberEnv.TLS_KEY_FILE, e.tls.keyFile),
    files: e.tls,
    reloadMs: e.tlsReloadMs
  } : void 0;
  return {
    podIp: e.podIp,
    enginePort: e.enginePort,
    enginePassword,
    dataDir: e.dataDir,
    sidecarPort: e.sidecarPort,
    healthPort: e.healthPort,
    metricsPort: e.metricsPort,
    logLevel: e.logLevel,
    identity: e.identity,
    listenHosts: e.podIp.startsWith("127.") ? [e.podIp] : [e.podIp, "127.0.0.1"],
    auth: { bearerToken, tls: tls2 },
    engineTls: e.engineTls && tls2 ? { ca: tls2.caPem.toString("utf8") } : void 0,
    observeIntervalMs: e.observeIntervalMs,
    livenessStaleMs: e.livenessStaleMs,
    fenceTokenTtlMs: e.fenceTokenTtlMs,
    nodeTimeoutMs: e.nodeTimeoutMs
  };
}

// node-image/src/sidecar/log.ts
function memberLogContext(identity) {
  const cluster = identity.namespace && identity.cluster ? `${identity.namespace}/${identity.cluster}` : identity.cluster;
  return { cluster: cluster || void 0, member: identity.member || void 0, shard: identity.shard };
}
function sidecarLogger(settings) {
  return makeLogger({ level: settings.logLevel, base: memberLogContext(settings.identity) });
}

// common/clock.ts
import { performance as performance2 } from "node:perf_hooks";
var systemClock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance2.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  }
};

// node-image/src/sidecar/engine.ts
import { Redis as Redis2 } from "ioredis";

// common/engine-replies.ts
function parseClusterNodes(text) {
  const nodes = [];
  for (const line of text.split("\n")) {
    const parts = line.trim().split(" ");
    if (parts.length < 8) continue;
    const [id, addr, flagText, primaryId, , , , link, ...slotParts] = parts;
    const [hostPort, hostname2 = ""] = addr.split(",");
    const at = hostPort.indexOf("@");
    const hp = at >= 0 ? hostPort.slice(0, at) : hostPort;
    const colon = hp.lastIndexOf(":");
    const host = hp.slice(0, colon);
    const port = Number(hp.slice(colon + 1));
    const busPort = at >= 0 ? Number(hostPort.slice(at + 1)) : port + 1e4;
    const flags = flagText.split(",");
    const node = {
      id,
      host,
      port,
      busPort,
      hostname: hostname2,
      flags,
      myself: flags.includes("myself"),
      primary: flags.includes("master"),
      primaryId: primaryId === "-" ? "" : primaryId,
      failed: flags.includes("fail") || flags.includes("fail?"),
      connected: link === "connected",
      slots: [],
      importing: [],
      migrating: []
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
function parseInfo(text) {
  const map = /* @__PURE__ */ new Map();
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon > 0) map.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return map;
}
function infoFields(value) {
  const fields = /* @__PURE__ */ new Map();
  for (const part of value.split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return fields;
}
function keysFromInfo(info) {
  let total = 0;
  for (const [k, v] of info) {
    if (!/^db\d+$/.test(k)) continue;
    const m = /keys=(\d+)/.exec(v);
    if (m) total += Number(m[1]);
  }
  return total;
}

// node-image/src/migration/connection.ts
import { Redis } from "ioredis";
var MigrationPreconditionError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "MigrationPreconditionError";
  }
};
var SlotMigrationError = class extends Error {
};
var SCRIPTING_OFF = /NOSCRIPT|unknown command|not allowed|disabled|NOPERM/i;
function errorText(err) {
  return err instanceof Error ? err.message : String(err);
}
function engineTlsOptions(t) {
  return { get ca() {
    return t.ca;
  }, checkServerIdentity: () => void 0 };
}
function connectionOptions(addr, req, name) {
  return {
    host: addr.host,
    port: addr.port,
    username: req.username,
    password: req.password,
    ...req.tls ? { tls: engineTlsOptions(req.tls) } : {},
    connectionName: name,
    // Fail fast instead of replaying: a lost engine fails the slots in flight, and a resume continues them.
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: () => null,
    enableReadyCheck: false,
    connectTimeout: 5e3,
    // Commands issued in the same tick (a round's GETKEYSINSLOTs, several slots' MIGRATE batches) go
    // out in one socket write: per-command writes were the driver's largest CPU cost.
    enableAutoPipelining: true
  };
}
async function openEngine(addr, req, name) {
  const redis = new Redis(connectionOptions(addr, req, name));
  redis.on("error", () => {
  });
  let authError;
  redis.once("error", (err) => {
    authError ??= err;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    err = authError ?? err;
    redis.disconnect();
    throw new MigrationPreconditionError(`cannot connect to ${addr.host}:${addr.port} (${errorText(err)}); check the address and password`);
  }
  return redis;
}
async function setSlotScriptable(redis) {
  const info = String(await redis.info("server").catch(() => ""));
  return !/^server_name:valkey/m.test(info);
}
async function probeAtomicSlotMigration(redis) {
  try {
    const info = await redis.call("COMMAND", "INFO", "CLUSTER|MIGRATESLOTS");
    return Array.isArray(info) && info.length > 0 && info[0] !== null;
  } catch {
    return false;
  }
}

// node-image/src/sidecar/engine.ts
function downSnapshot(error, nowMs) {
  return { up: false, error, runId: "", nodeId: "", nodes: [], myself: void 0, clusterInfo: /* @__PURE__ */ new Map(), info: /* @__PURE__ */ new Map(), observedAtMs: nowMs };
}
var EngineDriver = class {
  /** `tls`: the engines serve TLS only (spec.tls.enabled); this and every peer connection use it. */
  constructor(host, port, password, tls2) {
    this.host = host;
    this.port = port;
    this.password = password;
    this.tls = tls2;
    this.client = new Redis2({
      host,
      port,
      password,
      ...tls2 ? { tls: engineTlsOptions(tls2) } : {},
      // Fail fast while the engine is down instead of queueing: the observe loop reports it.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 5e3,
      connectTimeout: 2e3,
      retryStrategy: (times) => Math.min(100 * times, 1e3)
    });
    this.client.on("error", () => {
    });
  }
  host;
  port;
  password;
  tls;
  client;
  /** Calls `listener` whenever the connection to the engine closes (the engine died or restarts, or a reconnect failed). */
  onDisconnect(listener) {
    this.client.on("close", listener);
  }
  async call(...args) {
    const [command, ...rest] = args;
    return this.client.call(String(command), ...rest.map(String));
  }
  async callString(...args) {
    const reply = await this.call(...args);
    return Buffer.isBuffer(reply) ? reply.toString("utf8") : String(reply);
  }
  async observe(nowMs) {
    if (this.client.status !== "ready") return downSnapshot(`engine ${this.host}:${this.port} is not connected (${this.client.status})`, nowMs);
    try {
      const [nodesText, clusterInfoText, infoText] = await Promise.all([
        this.callString("CLUSTER", "NODES"),
        this.callString("CLUSTER", "INFO"),
        this.callString("INFO", "server", "clients", "replication", "memory", "stats", "keyspace")
      ]);
      const nodes = parseClusterNodes(nodesText);
      const myself = nodes.find((n) => n.myself);
      const info = parseInfo(infoText);
      return {
        up: true,
        error: "",
        runId: info.get("run_id") ?? "",
        nodeId: myself?.id ?? "",
        nodes,
        myself,
        clusterInfo: parseInfo(clusterInfoText),
        info,
        observedAtMs: nowMs
      };
    } catch (err) {
      return downSnapshot(`engine ${this.host}:${this.port}: ${err.message}`, nowMs);
    }
  }
  /** A short-lived connection to another engine of the cluster (same password); the caller disconnects it. */
  connectPeer(host, port) {
    const peer = new Redis2({
      host,
      port,
      password: this.password,
      lazyConnect: true,
      enableOfflineQueue: true,
      ...this.tls ? { tls: engineTlsOptions(this.tls) } : {},
      maxRetriesPerRequest: 0,
      connectTimeout: 2e3,
      commandTimeout: 3e3,
      retryStrategy: () => null
    });
    peer.on("error", () => {
    });
    return peer;
  }
  async close() {
    this.client.disconnect();
  }
};

// node-image/src/sidecar/errors.ts
var SidecarError = class extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
    this.name = "SidecarError";
  }
  code;
};
var InvalidArgumentError = class extends SidecarError {
  constructor(field, message) {
    super("INVALID_ARGUMENT", `${field}: ${message}`);
    this.field = field;
    this.name = "InvalidArgumentError";
  }
  field;
};
function failedPrecondition(message) {
  return new SidecarError("FAILED_PRECONDITION", message);
}

// node-image/src/sidecar/auth.ts
import { createHash as createHash2, timingSafeEqual, randomBytes } from "node:crypto";
import * as grpc from "@grpc/grpc-js";

// node-image/src/sidecar/tls-files.ts
import { readFileSync } from "node:fs";
import { createPrivateKey, X509Certificate } from "node:crypto";

// common/tls-digest.ts
import { createHash } from "node:crypto";
function tlsFilesDigest(caPem, certPem) {
  return createHash("sha256").update(caPem).update("\0").update(certPem).digest("hex").slice(0, 32);
}

// node-image/src/sidecar/tls-files.ts
function tlsMaterialProblem(m) {
  try {
    new X509Certificate(m.caPem);
  } catch (err) {
    return { variable: MemberEnv.TLS_CA_FILE, message: `is not a PEM certificate (${err.message})` };
  }
  let cert;
  try {
    cert = new X509Certificate(m.certPem);
  } catch (err) {
    return { variable: MemberEnv.TLS_CERT_FILE, message: `is not a PEM certificate (${err.message})` };
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(m.keyPem))) return { variable: MemberEnv.TLS_KEY_FILE, message: `is not the key of the certificate in ${MemberEnv.TLS_CERT_FILE}` };
  } catch (err) {
    return { variable: MemberEnv.TLS_KEY_FILE, message: `is not a PEM private key (${err.message})` };
  }
  return void 0;
}
function checkTlsMaterial(m) {
  const problem = tlsMaterialProblem(m);
  if (problem) throw new SettingsError(problem.variable, problem.message);
}
var same = (a, b) => a.caPem.equals(b.caPem) && a.certPem.equals(b.certPem) && a.keyPem.equals(b.keyPem);
var ReloadingTlsFiles = class {
  constructor(files, current, reloadMs, log, readFile = (p) => readFileSync(p)) {
    this.files = files;
    this.current = current;
    this.reloadMs = reloadMs;
    this.log = log;
    this.readFile = readFile;
  }
  files;
  current;
  reloadMs;
  log;
  readFile;
  caListeners = /* @__PURE__ */ new Set();
  identityListeners = /* @__PURE__ */ new Set();
  timer;
  lastProblem = "";
  /** The set in use. */
  material() {
    return this.current;
  }
  /** Reads the files once; true when a new set was taken. */
  reload() {
    let next;
    try {
      next = { caPem: this.readFile(this.files.caFile), certPem: this.readFile(this.files.certFile), keyPem: this.readFile(this.files.keyFile) };
    } catch (err) {
      this.skip(`cannot read the TLS files (${err.code ?? err.message})`);
      return false;
    }
    if (same(next, this.current)) return false;
    const problem = tlsMaterialProblem(next);
    if (problem) {
      this.skip(`${problem.variable} ${problem.message}`);
      return false;
    }
    this.current = next;
    this.lastProblem = "";
    this.log.info("TLS files renewed: new connections use them", { validTo: new X509Certificate(next.certPem).validTo });
    for (const l of this.caListeners) l({ caCertificate: next.caPem });
    for (const l of this.identityListeners) l({ certificate: next.certPem, privateKey: next.keyPem });
    return true;
  }
  skip(problem) {
    if (problem !== this.lastProblem) this.log.warn("TLS files not taken; the last good ones stay in use", { problem });
    this.lastProblem = problem;
  }
  addCaCertificateListener(listener) {
    this.caListeners.add(listener);
    process.nextTick(listener, { caCertificate: this.current.caPem });
    this.watch();
  }
  removeCaCertificateListener(listener) {
    this.caListeners.delete(listener);
    this.unwatch();
  }
  addIdentityCertificateListener(listener) {
    this.identityListeners.add(listener);
    process.nextTick(listener, { certificate: this.current.certPem, privateKey: this.current.keyPem });
    this.watch();
  }
  removeIdentityCertificateListener(listener) {
    this.identityListeners.delete(listener);
    this.unwatch();
  }
  watch() {
    if (this.timer) return;
    this.timer = setInterval(() => this.reload(), this.reloadMs);
    this.timer.unref();
  }
  unwatch() {
    if (this.caListeners.size > 0 || this.identityListeners.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = void 0;
  }
};
function materialDigest(m) {
  return tlsFilesDigest(m.caPem, m.certPem);
}
function liveEngineTls(files) {
  return { get ca() {
    return files.material().caPem.toString("utf8");
  } };
}

// node-image/src/sidecar/auth.ts
function secretsEqual(presented, expected) {
  const a = createHash2("sha256").update(presented).digest();
  const b = createHash2("sha256").update(expected).digest();
  return timingSafeEqual(a, b) && presented.length === expected.length;
}
function newFenceToken() {
  return randomBytes(24).toString("hex");
}
function checkBearer(metadata, expectedToken) {
  if (expectedToken === void 0) return void 0;
  const values = metadata.get("authorization");
  if (values.length === 0) return `missing authorization metadata: send "authorization: Bearer <token>" with the token from the sidecar's Secret`;
  const header = String(values[0]);
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) return 'authorization metadata must be "Bearer <token>"';
  if (!secretsEqual(match[1], expectedToken)) return "the bearer token does not match the sidecar's Secret";
  return void 0;
}
function memberTlsFiles(auth, log) {
  if (!auth.tls) return void 0;
  const initial = { caPem: auth.tls.caPem, certPem: auth.tls.certPem, keyPem: auth.tls.keyPem };
  checkTlsMaterial(initial);
  return new ReloadingTlsFiles(auth.tls.files, initial, auth.tls.reloadMs, log);
}
function serverCredentials(files) {
  if (!files) return grpc.ServerCredentials.createInsecure();
  return grpc.experimental.createCertificateProviderServerCredentials(files, files, true);
}

// node-image/src/sidecar/fence.ts
var FenceTokens = class {
  constructor(ttlMs, clock, newToken = newFenceToken) {
    this.ttlMs = ttlMs;
    this.clock = clock;
    this.newToken = newToken;
  }
  ttlMs;
  clock;
  newToken;
  grant;
  issue(primaryNodeId) {
    this.grant = { token: this.newToken(), primaryNodeId, expiresAtMs: this.clock.nowMs() + this.ttlMs };
    return { ...this.grant };
  }
  /**
   * Checks `presented` against the grant for a takeover of `currentPrimaryId`; returns undefined when
   * it holds (and spends it: a token is single use), otherwise the reason it is refused.
   */
  redeem(presented, currentPrimaryId) {
    const grant = this.grant;
    if (!presented) return "Promote TAKEOVER needs fenceToken: call PrepareTakeover on this member, fence the old primary (delete its pod or prove it is cut off), then Promote with that token";
    if (!grant || !secretsEqual(presented, grant.token)) return "Promote TAKEOVER: fenceToken does not match the token this member issued with PrepareTakeover; call PrepareTakeover again";
    if (this.clock.nowMs() > grant.expiresAtMs) return "Promote TAKEOVER: the fence token expired; call PrepareTakeover again after fencing";
    if (grant.primaryNodeId !== currentPrimaryId) return `Promote TAKEOVER: the token fences primary ${grant.primaryNodeId} but this member now follows ${currentPrimaryId}; call PrepareTakeover again`;
    this.grant = void 0;
    return void 0;
  }
};

// node-image/src/sidecar/health.ts
function judgeReadiness(s) {
  if (!s.engineUp) return { ok: false, reason: "engine is not answering" };
  switch (s.state) {
    case "ACTIVE":
      if (s.role !== "primary") return { ok: false, reason: "ACTIVE but the engine is not a primary" };
      if (s.slotsOwned === 0) return { ok: false, reason: "ACTIVE but the engine owns no slots" };
      if (s.clusterState !== "ok") return { ok: false, reason: `cluster_state is ${s.clusterState || "unknown"}, not ok` };
      return { ok: true, reason: `ACTIVE with ${s.slotsOwned} slots, cluster_state ok` };
    case "STANDBY":
      if (s.role !== "replica") return { ok: false, reason: "STANDBY but the engine is not a replica" };
      if (!s.linkUp || s.syncInProgress) return { ok: false, reason: "STANDBY but the replication link is down or syncing" };
      if (s.clusterState !== "ok") return { ok: false, reason: `STANDBY but cluster_state is ${s.clusterState || "unknown"}, not ok` };
      return { ok: true, reason: "STANDBY with the replication link up, cluster_state ok" };
    case "MIGRATING":
      if (s.role !== "primary" || s.slotsOwned === 0) return { ok: false, reason: "MIGRATING and owning no slots yet" };
      if (s.clusterState !== "ok") return { ok: false, reason: `cluster_state is ${s.clusterState || "unknown"}, not ok` };
      return { ok: true, reason: `MIGRATING with ${s.slotsOwned} slots, cluster_state ok` };
    default:
      return { ok: false, reason: `member is ${s.state}: it serves no role yet` };
  }
}
function judgeLiveness(nowMs, lastTickMs, staleAfterMs) {
  const age = nowMs - lastTickMs;
  if (age > staleAfterMs) return { ok: false, reason: `the observe loop last completed ${age} ms ago (limit ${staleAfterMs} ms): the sidecar is wedged` };
  return { ok: true, reason: `observe loop ticked ${age} ms ago` };
}

// common/engine-image.ts
var ENGINE_CONFIG_DIR = "/etc/mdb/engine";
var ENGINE_CONFIG_FILE = `${ENGINE_CONFIG_DIR}/engine.conf`;
var CAPABILITY_ATOMIC_SLOT_MIGRATION = "atomic-slot-migration";
var MINIMUM_VERSIONS = { redis: "7.0.0", valkey: "8.0.0" };
function versionParts(version) {
  const [a = 0, b = 0, c = 0] = version.split(".").map((p) => Number.parseInt(p, 10) || 0);
  return [a, b, c];
}
function compareVersions(a, b) {
  const [x, y] = [versionParts(a), versionParts(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}
function engineIdentityOf(info) {
  const valkey = info.get("valkey_version");
  const name = valkey ? "valkey" : "redis";
  const version = valkey ?? info.get("redis_version");
  if (!version) return void 0;
  const atomic = name === "valkey" && compareVersions(version, "9.0.0") >= 0;
  return { name, version, capabilities: atomic ? [CAPABILITY_ATOMIC_SLOT_MIGRATION] : [] };
}
function unsupportedEngineReason(e) {
  const min = MINIMUM_VERSIONS[e.name];
  if (compareVersions(e.version, min) >= 0) return void 0;
  return `${e.name} ${e.version} is older than the oldest supported ${e.name} (${min}); use an image of Valkey >= 8 or Redis >= 7.0`;
}
function engineLabel(e) {
  return `${e.name} ${e.version}`;
}
function enginesCompatible(a, b) {
  const [x, y] = [versionParts(a.version), versionParts(b.version)];
  return a.name === b.name && x[0] === y[0] && x[1] === y[1];
}

// common/slots.ts
var SLOT_COUNT = 16384;
function countSlots(ranges) {
  let total = 0;
  for (const r of ranges) total += r.end - r.start + 1;
  return total;
}
function compactSlots(slots) {
  const sorted = [...slots].sort((a, b) => a - b);
  const ranges = [];
  for (const slot of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && slot <= last.end + 1) last.end = Math.max(last.end, slot);
    else ranges.push({ start: slot, end: slot });
  }
  return ranges;
}
function rangesToSlots(ranges) {
  const out = [];
  for (const r of ranges) for (let s = r.start; s <= r.end; s++) out.push(s);
  return out;
}
function formatSlotRanges(ranges) {
  return ranges.map((r) => r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`).join(",");
}

// common/wait.ts
var sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// node-image/src/sidecar/member-context.ts
async function pollUntil(check, timeoutMs, what, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (; ; ) {
    const value = await check();
    if (value !== void 0) return value;
    if (Date.now() > deadline) throw new SidecarError("DEADLINE_EXCEEDED", `timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(intervalMs);
  }
}
async function primaryReplOffset(peer) {
  try {
    const info = String(await peer.call("INFO", "replication"));
    const m = /master_repl_offset:(\d+)/.exec(info);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

// node-image/src/sidecar/state-machine.ts
var memberStates = ["OFFLINE", "ONLINE", "MIGRATING", "ACTIVE", "STANDBY", "RECOVERED"];
var transitions = {
  OFFLINE: ["ONLINE", "RECOVERED"],
  ONLINE: ["MIGRATING", "STANDBY", "OFFLINE", "RECOVERED"],
  MIGRATING: ["ACTIVE", "ONLINE", "RECOVERED"],
  ACTIVE: ["MIGRATING", "STANDBY", "RECOVERED"],
  STANDBY: ["ACTIVE", "ONLINE", "RECOVERED"],
  RECOVERED: ["STANDBY"]
};
function isMemberState(value) {
  return typeof value === "string" && memberStates.includes(value);
}
function canTransition(from, to) {
  return transitions[from].includes(to);
}
var InvalidTransitionError = class extends Error {
  from;
  to;
  allowed;
  constructor(from, to, action) {
    const allowed = transitions[from];
    super(`${action} needs a transition ${from} \u2192 ${to}, which is not allowed: the member is ${from}; from ${from} it may go to ${allowed.join(", ") || "nothing"}`);
    this.name = "InvalidTransitionError";
    this.from = from;
    this.to = to;
    this.allowed = allowed;
  }
};
function checkTransition(from, to, action) {
  if (!canTransition(from, to)) throw new InvalidTransitionError(from, to, action);
}
var WrongStateError = class extends Error {
  constructor(current, requiredStates, action, hint = "") {
    super(`${action} is allowed only when the member is ${requiredStates.join(" or ")}; it is ${current}${hint ? `: ${hint}` : ""}`);
    this.current = current;
    this.requiredStates = requiredStates;
    this.name = "WrongStateError";
  }
  current;
  requiredStates;
};
function requireState(current, requiredStates, action, hint = "") {
  if (!requiredStates.includes(current)) throw new WrongStateError(current, requiredStates, action, hint);
}
function restoredState(persisted, engine) {
  if (!persisted) return "ONLINE";
  const heldData = persisted.state === "ACTIVE" || persisted.state === "MIGRATING" || persisted.state === "STANDBY";
  const lostIdentity = persisted.engineNodeId !== "" && persisted.engineNodeId !== engine.nodeId;
  const forgotCluster = engine.knownPeers === 0 && engine.slotsOwned === 0;
  const lostKeys = persisted.engineHadKeys === true && engine.keys === 0;
  if (persisted.state === "RECOVERED") return "RECOVERED";
  if (heldData && (lostIdentity || forgotCluster || lostKeys)) return "RECOVERED";
  if (persisted.state === "OFFLINE") return "ONLINE";
  return reconciledState(persisted.state, engine, false) ?? persisted.state;
}
function reconciledState(current, engine, migrationRunningHere) {
  switch (current) {
    case "ACTIVE":
      if (engine.role === "replica") return "STANDBY";
      if (engine.importingOrMigrating) return "MIGRATING";
      if (engine.slotsOwned === 0) return "MIGRATING";
      return void 0;
    case "STANDBY":
      if (engine.role === "primary" && engine.slotsOwned > 0) return "ACTIVE";
      return void 0;
    case "MIGRATING":
      if (migrationRunningHere || engine.importingOrMigrating || engine.role !== "primary") return void 0;
      return engine.slotsOwned > 0 ? "ACTIVE" : "ONLINE";
    default:
      return void 0;
  }
}

// node-image/src/sidecar/status.ts
function num(info, key) {
  const v = Number(info.get(key));
  return Number.isFinite(v) ? v : 0;
}
function engineRole(s) {
  if (!s.up) return "unknown";
  const role = s.info.get("role");
  return role === "master" ? "primary" : role === "slave" ? "replica" : "unknown";
}
function observationOf(s) {
  const me = s.myself;
  return {
    nodeId: s.nodeId,
    role: engineRole(s) === "replica" ? "replica" : "primary",
    slotsOwned: me ? countSlots(me.slots) : 0,
    importingOrMigrating: !!me && (me.importing.length > 0 || me.migrating.length > 0),
    knownPeers: Math.max(0, num(s.clusterInfo, "cluster_known_nodes") - 1),
    keys: keysFromInfo(s.info)
  };
}
function readinessInputOf(state, s) {
  return {
    state,
    engineUp: s.up,
    role: engineRole(s),
    slotsOwned: s.myself ? countSlots(s.myself.slots) : 0,
    clusterState: s.clusterInfo.get("cluster_state") ?? "",
    linkUp: s.info.get("master_link_status") === "up",
    syncInProgress: s.info.get("master_sync_in_progress") === "1"
  };
}
function buildStatus(state, s, migration, lastError, tlsDigest = "") {
  const me = s.myself;
  const role = engineRole(s);
  const replica = role === "replica";
  const primary = replica && me ? s.nodes.find((n) => n.id === me.primaryId) : void 0;
  const readiness = judgeReadiness(readinessInputOf(state, s));
  return {
    state,
    role: role === "primary" ? "PRIMARY" : role === "replica" ? "REPLICA" : "UNKNOWN",
    nodeId: s.nodeId,
    slots: me ? compactSlots(rangesToSlots(me.slots)) : [],
    importing: me ? me.importing : [],
    migrating: me ? me.migrating : [],
    replication: {
      primaryNodeId: me?.primaryId ?? "",
      primaryHost: replica ? s.info.get("master_host") ?? primary?.host ?? "" : "",
      primaryPort: replica ? num(s.info, "master_port") : 0,
      linkUp: replica && s.info.get("master_link_status") === "up",
      syncInProgress: s.info.get("master_sync_in_progress") === "1",
      offset: replica ? num(s.info, "slave_repl_offset") : num(s.info, "master_repl_offset"),
      connectedReplicas: num(s.info, "connected_slaves"),
      linkedSinceStart: replica && (s.info.get("master_link_status") === "up" || Number(s.info.get("master_link_down_since_seconds") ?? -1) >= 0)
    },
    memoryUsedBytes: num(s.info, "used_memory"),
    memoryMaxBytes: num(s.info, "maxmemory"),
    keys: keysFromInfo(s.info),
    opsPerSecond: num(s.info, "instantaneous_ops_per_sec"),
    engineUp: s.up,
    clusterState: s.clusterInfo.get("cluster_state") ?? "",
    clusterKnownNodes: num(s.clusterInfo, "cluster_known_nodes"),
    slotsOwned: me ? countSlots(me.slots) : 0,
    migration,
    ready: readiness.ok,
    notReadyReason: readiness.ok ? "" : readiness.reason,
    observedAtMs: s.observedAtMs,
    lastError: lastError || s.error,
    engine: engineInfoOf(s),
    unreachablePeers: s.nodes.filter((n) => !n.myself && !n.flags.includes("handshake") && (!n.connected || n.failed)).map((n) => ({ nodeId: n.id, host: n.host, port: n.port })).sort((x, y) => x.nodeId.localeCompare(y.nodeId)),
    tlsDigest
  };
}
function engineInfoOf(s) {
  const identity = s.up ? engineIdentityOf(s.info) : void 0;
  return identity ? { ...identity, unsupportedReason: unsupportedEngineReason(identity) ?? "" } : null;
}
function significantPart(st) {
  return JSON.stringify([
    st.state,
    st.role,
    st.nodeId,
    st.slots,
    st.importing,
    st.migrating,
    st.engineUp,
    st.clusterState,
    st.clusterKnownNodes,
    st.replication?.primaryNodeId,
    st.replication?.linkUp,
    st.replication?.syncInProgress,
    st.ready,
    st.migration?.slotsDone,
    st.lastError,
    st.engine?.version,
    st.unreachablePeers,
    st.tlsDigest
  ]);
}

// node-image/src/sidecar/member-cluster.ts
async function joinCluster(m, { peers, timeoutMs }) {
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
      return missing.length === 0 ? s : void 0;
    }, timeoutMs, () => `every peer to complete the cluster handshake (${others.map((p) => `${p.host}:${p.port}`).join(", ")})`);
    const peerView = others.length > 0 ? await clusterInfoOf(m.engine.connectPeer(others[0].host, others[0].port)) : void 0;
    const peerSlots = Number(peerView?.get("cluster_slots_assigned") ?? 0);
    if (peerSlots > 0) {
      await pollUntil(async () => {
        await m.refresh();
        const info = m.snapshot().clusterInfo;
        const caughtUp = Number(info.get("cluster_slots_assigned") ?? 0) >= peerSlots;
        const stateMatches = peerView?.get("cluster_state") !== "ok" || info.get("cluster_state") === "ok";
        return caughtUp && stateMatches ? true : void 0;
      }, timeoutMs, () => `this engine to learn the cluster's ${peerSlots} assigned slots (knows ${m.snapshot().clusterInfo.get("cluster_slots_assigned")}, cluster_state ${m.snapshot().clusterInfo.get("cluster_state")})`);
    }
    return { knownNodes: m.status().clusterKnownNodes };
  });
}
async function assignSlots(m, { slots: ranges }) {
  return m.exclusive("AssignSlots", async () => {
    requireState(m.state(), ["ONLINE", "ACTIVE"], "AssignSlots", "assign slots to an empty or active primary; to move owned slots use MigrateSlots");
    if (engineRole(m.snapshot()) !== "primary") throw failedPrecondition("AssignSlots: the engine is a replica; only a primary can own slots");
    const wanted = new Set(rangesToSlots(ranges));
    const me = m.myself();
    const owners = /* @__PURE__ */ new Map();
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
      await m.engine.call("CLUSTER", "BUMPEPOCH");
    } catch (err) {
      throw new SidecarError("FAILED_PRECONDITION", `AssignSlots: the engine refused CLUSTER ADDSLOTSRANGE: ${err.message}`);
    } finally {
      await m.refresh();
      if (m.state() === "MIGRATING") m.transition(countSlots(m.myself().slots) > 0 ? "ACTIVE" : "ONLINE", "AssignSlots");
    }
    return m.status();
  });
}
var UNKNOWN_NODE = /unknown node/i;
async function forgetNode(m, { nodeId }) {
  await m.exclusive("ForgetNode", async () => {
    const me = m.myself();
    if (nodeId === me.id) throw new InvalidArgumentError("nodeId", "is this member's own node id; use LeaveCluster to leave");
    if (!m.snapshot().nodes.some((n) => n.id === nodeId)) throw new SidecarError("NOT_FOUND", `ForgetNode: node ${nodeId} is not known to this engine`);
    if (me.primaryId === nodeId) throw failedPrecondition(`ForgetNode: node ${nodeId} is this member's primary; promote or re-point this standby first`);
    try {
      await m.engine.call("CLUSTER", "FORGET", nodeId);
    } catch (err) {
      if (UNKNOWN_NODE.test(err.message)) throw new SidecarError("NOT_FOUND", `ForgetNode: node ${nodeId} is not known to this engine (already forgotten)`);
      throw failedPrecondition(`ForgetNode: the engine refused CLUSTER FORGET ${nodeId}: ${err.message}`);
    }
  });
}
async function leaveCluster(m) {
  return m.exclusive("LeaveCluster", async () => {
    const me = m.myself();
    if (me.slots.length > 0) throw failedPrecondition(`LeaveCluster: this member still owns slots ${formatSlotRanges(me.slots)}; migrate them to another primary first`);
    if (m.migration() || me.importing.length > 0 || me.migrating.length > 0) throw failedPrecondition("LeaveCluster: slots are being imported or migrated; wait for or cancel the migration first");
    const replicas = m.snapshot().nodes.filter((n) => n.primaryId === me.id && !n.failed);
    if (replicas.length > 0) throw failedPrecondition(`LeaveCluster: standbys ${replicas.map((r) => r.id).join(", ")} follow this member; re-point or remove them first`);
    requireState(m.state(), ["ONLINE", "MIGRATING", "STANDBY"], "LeaveCluster");
    if (m.state() !== "ONLINE") m.transition("ONLINE", "LeaveCluster");
    const forgottenBy = [];
    for (const n of m.snapshot().nodes.filter((x) => !x.myself && !x.failed)) {
      const peer = m.engine.connectPeer(n.host, n.port);
      try {
        await peer.call("CLUSTER", "FORGET", me.id);
        forgottenBy.push(n.id);
      } catch (err) {
        if (UNKNOWN_NODE.test(err.message)) forgottenBy.push(n.id);
        else m.log.warn("a peer did not forget the leaving member", { peer: n.id, error: err.message });
      } finally {
        peer.disconnect();
      }
    }
    await wipeEngine(m);
    await m.refresh();
    m.persist("LeaveCluster: engine reset with a new node id");
    return { forgottenBy };
  });
}
async function reset(m) {
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
async function wipeEngine(m) {
  if (engineRole(m.snapshot()) === "replica") {
    await m.engine.call("CLUSTER", "RESET", "HARD");
    await m.engine.call("FLUSHALL");
  } else {
    await m.engine.call("FLUSHALL");
    await m.engine.call("CLUSTER", "RESET", "HARD");
  }
}
async function refuseIncompatiblePeers(m, peers) {
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
      theirs = void 0;
    } finally {
      peer.disconnect();
    }
    if (theirs && !enginesCompatible(mine, theirs)) {
      throw failedPrecondition(`JoinCluster: peer ${p.host}:${p.port} runs ${engineLabel(theirs)} and this member ${engineLabel(mine)}; slots cannot move between different engines or versions, so a cluster runs one engine at one major.minor version: give every member the same spec.engine.image`);
    }
  }
}
async function clusterInfoOf(peer) {
  try {
    return parseInfo(String(await peer.call("CLUSTER", "INFO")));
  } catch {
    return void 0;
  } finally {
    peer.disconnect();
  }
}

// node-image/src/sidecar/member-migration.ts
import { randomUUID } from "node:crypto";

// node-image/src/migration/request.ts
var DEFAULTS = {
  batchKeys: 100,
  window: 2,
  parallelSlots: 4,
  migrateTimeoutMs: 1e4,
  slotsPerRound: 64,
  /** The latency guard's (on unless the request says disabled; no absolute budget unless it gives budgetMs). */
  guard: {
    /** The budget is this factor times the idle p99, when the request gives neither a factor nor budgetMs (budgetFor, guard.ts). */
    budgetFactor: 2,
    /** The pace never drops below this many keys/s (validate.ts fills it in). */
    floorKeysPerSecond: 2e3
  }
};

// common/address.ts
var ipv42 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
var dnsName = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
function hostProblem(host) {
  if (host === "") return "is required (an IPv4 address or DNS name)";
  if (ipv42.test(host) || dnsName.test(host) && /[a-z]/i.test(host)) return void 0;
  return `"${host}" is not an IPv4 address or DNS name`;
}
function portProblem(port) {
  return typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535 ? void 0 : `${String(port)} is not a port in 1..65535`;
}

// node-image/src/migration/validate.ts
var MigrationRequestError = class extends Error {
  constructor(field, detail) {
    super(`${field}: ${detail}`);
    this.field = field;
    this.detail = detail;
    this.name = "MigrationRequestError";
  }
  field;
  detail;
};
function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function describe(value) {
  if (value === void 0) return "nothing";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`;
}
function checkAddress(value, field) {
  if (!isObject(value)) throw new MigrationRequestError(field, `is required (the { host, port } of an engine), got ${describe(value)}; pass the engine's address`);
  const { host, port, busPort } = value;
  if (typeof host !== "string") throw new MigrationRequestError(`${field}.host`, `expected an IPv4 address or DNS name, got ${describe(host)}`);
  const badHost = hostProblem(host.trim());
  if (badHost) throw new MigrationRequestError(`${field}.host`, badHost);
  const badPort = portProblem(port);
  if (badPort) throw new MigrationRequestError(`${field}.port`, badPort);
  const address = { host: host.trim(), port };
  if (busPort !== void 0 && busPort !== null && busPort !== 0) {
    const badBus = portProblem(busPort);
    if (badBus) throw new MigrationRequestError(`${field}.busPort`, `${badBus} (0 or unset = port + 10000)`);
    address.busPort = busPort;
  }
  return address;
}
function sameAddress(a, b) {
  return a.host === b.host && a.port === b.port;
}
function optionalInteger(value, field, min, max, hint) {
  if (value === void 0 || value === null) return void 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new MigrationRequestError(field, `expected an integer ${min}..${max}, got ${describe(value)}; ${hint}`);
  }
  return value;
}
function optionalNumber(value, field, min, max, hint) {
  if (value === void 0 || value === null) return void 0;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new MigrationRequestError(field, `expected a number ${min}..${max}, got ${describe(value)}; ${hint}`);
  }
  return value;
}
function rejectUnknown(value, field, known) {
  for (const name of Object.keys(value)) {
    if (!known.includes(name)) throw new MigrationRequestError(`${field}.${name}`, `unknown field; known fields are ${known.join(", ")}`);
  }
}
function checkRate(value, field) {
  if (value === void 0 || value === null) return {};
  if (!isObject(value)) throw new MigrationRequestError(field, `expected { keysPerSecond?, bytesPerSecond? }, got ${describe(value)}`);
  rejectUnknown(value, field, ["keysPerSecond", "bytesPerSecond"]);
  const rate = {};
  for (const name of ["keysPerSecond", "bytesPerSecond"]) {
    const v = value[name];
    if (v === void 0 || v === null) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new MigrationRequestError(`${field}.${name}`, `expected a number \u2265 0 (0 or unset = unlimited), got ${describe(v)}`);
    }
    if (v > 0) rate[name] = v;
  }
  return rate;
}
var TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;
function parseTimeOfDay(value) {
  const m = TIME_OF_DAY.exec(value);
  return m ? Number(m[1]) * 60 + Number(m[2]) : void 0;
}
function checkSchedule(value) {
  if (value === void 0 || value === null) return void 0;
  if (!Array.isArray(value)) throw new MigrationRequestError("schedule", `expected an array of { start, end, rate }, got ${describe(value)}`);
  return value.map((w, i) => {
    const field = `schedule[${i}]`;
    if (!isObject(w)) throw new MigrationRequestError(field, `expected { start: "HH:MM", end: "HH:MM", rate }, got ${describe(w)}`);
    for (const edge of ["start", "end"]) {
      const v = w[edge];
      if (typeof v !== "string" || parseTimeOfDay(v) === void 0) {
        throw new MigrationRequestError(`${field}.${edge}`, `expected "HH:MM" (24h UTC, 00:00..23:59), got ${describe(v)}`);
      }
    }
    if (w.start === w.end) {
      throw new MigrationRequestError(`${field}.end`, `equals start (${String(w.start)}), which makes an empty window; for all day leave the schedule out and set rate`);
    }
    if (!isObject(w.rate)) throw new MigrationRequestError(`${field}.rate`, `expected { keysPerSecond?, bytesPerSecond? }, got ${describe(w.rate)}`);
    return { start: w.start, end: w.end, rate: checkRate(w.rate, `${field}.rate`) };
  });
}
function checkSlots(value) {
  if (!Array.isArray(value) || value.length === 0) {
    throw new MigrationRequestError("slots", `must name at least one slot range or slot number (0..${SLOT_COUNT - 1}), got ${describe(value)}`);
  }
  const seen = /* @__PURE__ */ new Set();
  const out = [];
  const isSlot = (s) => typeof s === "number" && Number.isInteger(s) && s >= 0 && s < SLOT_COUNT;
  value.forEach((item, i) => {
    let start;
    let end;
    if (isObject(item)) {
      for (const edge of ["start", "end"]) {
        if (!isSlot(item[edge])) throw new MigrationRequestError(`slots[${i}].${edge}`, `expected a slot number 0..${SLOT_COUNT - 1}, got ${describe(item[edge])}`);
      }
      [start, end] = [item.start, item.end];
      if (end < start) throw new MigrationRequestError(`slots[${i}]`, `end ${end} is before start ${start}; list the range low to high`);
    } else if (isSlot(item)) {
      [start, end] = [item, item];
    } else {
      throw new MigrationRequestError(`slots[${i}]`, `expected a slot number 0..${SLOT_COUNT - 1} or { start, end }, got ${describe(item)}`);
    }
    for (let s = start; s <= end; s++) {
      if (seen.has(s)) throw new MigrationRequestError(`slots[${i}]`, `slot ${s} is listed twice; list each slot once`);
      seen.add(s);
      out.push(s);
    }
  });
  return out;
}
function checkGuard(value) {
  if (value === void 0 || value === null) return checkGuard({});
  if (!isObject(value)) throw new MigrationRequestError("guard", `expected { disabled?, budgetFactor?, budgetMs?, floorKeysPerSecond? }, got ${describe(value)}`);
  rejectUnknown(value, "guard", ["disabled", "budgetFactor", "budgetMs", "floorKeysPerSecond"]);
  if (value.disabled !== void 0 && value.disabled !== null && typeof value.disabled !== "boolean") {
    throw new MigrationRequestError("guard.disabled", `expected true or false, got ${describe(value.disabled)}`);
  }
  const zeroIsUnset = (v) => v === 0 ? void 0 : v;
  const budgetFactor = optionalNumber(zeroIsUnset(value.budgetFactor), "guard.budgetFactor", 1.1, 100, "the budget is this factor times the idle p99 measured before the move (e.g. 2)");
  const budgetMs = optionalNumber(zeroIsUnset(value.budgetMs), "guard.budgetMs", 0.1, 1e4, "an absolute p99 ceiling in ms for the probes (unset = factor \xD7 idle only)");
  const floor = optionalInteger(zeroIsUnset(value.floorKeysPerSecond), "guard.floorKeysPerSecond", 1, 1e7, "the guard never paces below it, so the move always progresses");
  return {
    enabled: value.disabled !== true,
    // 0 = not given: budgetFor (guard.ts) then applies DEFAULTS.guard.budgetFactor, unless budgetMs was given.
    budgetFactor: budgetFactor ?? 0,
    budgetMs: budgetMs ?? 0,
    floorKeysPerSecond: floor ?? DEFAULTS.guard.floorKeysPerSecond
  };
}
var KNOWN_FIELDS = [
  "source",
  "target",
  "slots",
  "otherPrimaries",
  "username",
  "password",
  "batchKeys",
  "window",
  "parallelSlots",
  "slotsPerRound",
  "rate",
  "schedule",
  "migrateTimeoutMs",
  "atomicMigration",
  "guard",
  "tls"
];
function validateMigrateSlotsRequest(req) {
  if (!isObject(req)) throw new MigrationRequestError("request", `expected an object, got ${describe(req)}`);
  for (const name of Object.keys(req)) {
    if (!KNOWN_FIELDS.includes(name)) throw new MigrationRequestError(name, `unknown field; known fields are ${KNOWN_FIELDS.join(", ")}`);
  }
  const source = checkAddress(req.source, "source");
  const target = checkAddress(req.target, "target");
  if (sameAddress(source, target)) {
    throw new MigrationRequestError("source", `is the same engine as the target (${source.host}:${source.port}); migrate from a different primary (call MigrateSlots on the target member with the source's address)`);
  }
  const slots = checkSlots(req.slots);
  let otherPrimaries;
  if (req.otherPrimaries !== void 0 && req.otherPrimaries !== null) {
    if (!Array.isArray(req.otherPrimaries)) {
      throw new MigrationRequestError("otherPrimaries", `expected an array of { host, port }, got ${describe(req.otherPrimaries)}`);
    }
    otherPrimaries = req.otherPrimaries.map((a, i) => {
      const addr = checkAddress(a, `otherPrimaries[${i}]`);
      if (sameAddress(addr, source) || sameAddress(addr, target)) {
        throw new MigrationRequestError(`otherPrimaries[${i}]`, `${addr.host}:${addr.port} is the source or target; list only the other primaries`);
      }
      return addr;
    });
  }
  for (const name of ["username", "password"]) {
    const v = req[name];
    if (v !== void 0 && v !== null && (typeof v !== "string" || v === "")) {
      throw new MigrationRequestError(name, `expected a non-empty string or nothing, got ${describe(v)}`);
    }
  }
  if (req.username && !req.password) {
    throw new MigrationRequestError("password", "is required when username is set (MIGRATE AUTH2 needs both)");
  }
  const atomic = req.atomicMigration;
  if (atomic !== void 0 && atomic !== null && atomic !== "auto" && atomic !== "never") {
    throw new MigrationRequestError("atomicMigration", `expected "auto" or "never", got ${describe(atomic)}`);
  }
  if (req.tls !== void 0 && req.tls !== null && (!isObject(req.tls) || typeof req.tls.ca !== "string" || !req.tls.ca.includes("BEGIN CERTIFICATE"))) {
    throw new MigrationRequestError("tls", `expected { ca: a PEM certificate }, got ${describe(req.tls)}`);
  }
  const schedule = checkSchedule(req.schedule);
  const rate = req.rate !== void 0 && req.rate !== null ? checkRate(req.rate, "rate") : void 0;
  return {
    source,
    target,
    slots,
    otherPrimaries,
    username: typeof req.username === "string" ? req.username : void 0,
    password: typeof req.password === "string" ? req.password : void 0,
    batchKeys: optionalInteger(req.batchKeys, "batchKeys", 1, 1e4, "it is the number of keys per MIGRATE") ?? DEFAULTS.batchKeys,
    window: optionalInteger(req.window, "window", 1, 256, "it is the number of MIGRATE batches in flight per slot") ?? DEFAULTS.window,
    parallelSlots: optionalInteger(req.parallelSlots, "parallelSlots", 1, 256, "it is the number of slots migrated at once") ?? DEFAULTS.parallelSlots,
    slotsPerRound: optionalInteger(req.slotsPerRound, "slotsPerRound", 1, 1024, "it is the number of slots whose SETSLOT commands are sent together") ?? DEFAULTS.slotsPerRound,
    migrateTimeoutMs: optionalInteger(req.migrateTimeoutMs, "migrateTimeoutMs", 100, 6e5, "it is MIGRATE's idle timeout") ?? DEFAULTS.migrateTimeoutMs,
    rate,
    schedule,
    atomicMigration: atomic === "never" ? "never" : "auto",
    guard: checkGuard(req.guard),
    tls: isObject(req.tls) ? { ca: req.tls.ca } : void 0
    // The brand exists only in the type: this function is the one place that makes a MigrationRequest.
  };
}
function withOtherPrimaries(req, others) {
  return { ...req, otherPrimaries: others.filter((a) => !sameAddress(a, req.source) && !sameAddress(a, req.target)) };
}

// node-image/src/migration/clusterView.ts
function clusterViewOf(text) {
  const view = { myId: "", nodes: /* @__PURE__ */ new Map(), owners: new Array(SLOT_COUNT).fill(void 0), migrating: /* @__PURE__ */ new Map(), importing: /* @__PURE__ */ new Map() };
  for (const node of parseClusterNodes(text)) {
    view.nodes.set(node.id, { id: node.id, address: `${node.host}:${node.port}`, flags: node.flags, primaryId: node.primaryId || void 0 });
    if (node.myself) {
      view.myId = node.id;
      for (const t of node.migrating) view.migrating.set(t.slot, t.nodeId);
      for (const t of node.importing) view.importing.set(t.slot, t.nodeId);
    }
    for (const r of node.slots) for (let s = r.start; s <= r.end; s++) view.owners[s] = node.id;
  }
  return view;
}
function planSlot(slot, source, target) {
  const targetId = target.myId;
  const sourceId = source.myId;
  if (target.owners[slot] === targetId) {
    return source.owners[slot] === targetId && !source.migrating.has(slot) ? { kind: "done" } : { kind: "finalize" };
  }
  if (source.owners[slot] === sourceId) return { kind: "migrate" };
  if (source.owners[slot] === targetId) return { kind: "reclaim" };
  const owner = source.owners[slot] ?? target.owners[slot];
  return {
    kind: "refuse",
    reason: owner ? `slot ${slot} is owned by node ${owner}, not by the source ${sourceId}; plan the move from its owner` : `slot ${slot} is not assigned to any node; assign it (CLUSTER ADDSLOTS) instead of migrating it`
  };
}

// node-image/src/migration/rate.ts
var SLICE_MS = 10;
var SLOT_WORK_KEYS = 10;
var TokenBucket = class {
  tokens = 0;
  sliceIndex;
  perSlice = 0;
  constructor(ratePerSecond = 0) {
    this.setRate(ratePerSecond);
  }
  get unlimited() {
    return this.perSlice === 0;
  }
  /** Tokens available now (negative while in debt), after refilling up to `nowMs`. */
  available(nowMs) {
    this.refill(nowMs);
    return this.tokens;
  }
  /** Changes the rate (e.g. a schedule window began); 0 = unlimited. */
  setRate(ratePerSecond, nowMs) {
    if (nowMs !== void 0) this.refill(nowMs);
    const perSlice = ratePerSecond > 0 ? ratePerSecond * SLICE_MS / 1e3 : 0;
    if (perSlice === this.perSlice) return;
    const wasUnlimited = this.perSlice === 0;
    this.perSlice = perSlice;
    if (perSlice === 0) this.tokens = 0;
    else if (wasUnlimited) this.tokens = perSlice;
    else this.tokens = Math.min(this.tokens, perSlice);
  }
  /**
   * Takes `amount` tokens and returns how long the caller must wait (ms) before acting on them:
   * 0 when the bucket covered it, otherwise the time until the slice in which the debt is repaid.
   */
  reserve(amount, nowMs) {
    if (this.unlimited || amount <= 0) return 0;
    this.refill(nowMs);
    this.tokens -= amount;
    if (this.tokens >= 0) return 0;
    const slicesNeeded = Math.ceil(-this.tokens / this.perSlice - 1e-9);
    const currentSliceStart = Math.floor(nowMs / SLICE_MS) * SLICE_MS;
    return currentSliceStart + slicesNeeded * SLICE_MS - nowMs;
  }
  /** Corrects an earlier estimate: a positive amount adds debt, a negative one refunds. */
  adjust(amount, nowMs) {
    if (this.unlimited || amount === 0) return;
    this.refill(nowMs);
    this.tokens = Math.min(this.perSlice, this.tokens - amount);
  }
  refill(nowMs) {
    const index = Math.floor(nowMs / SLICE_MS);
    if (this.sliceIndex === void 0) {
      this.sliceIndex = index;
      this.tokens = this.perSlice;
      return;
    }
    if (index <= this.sliceIndex) return;
    if (!this.unlimited) this.tokens = Math.min(this.perSlice, this.tokens + (index - this.sliceIndex) * this.perSlice);
    this.sliceIndex = index;
  }
};
var SmoothBucket = class {
  tokens = 0;
  lastMs;
  perMs = 0;
  /** Changes the rate; 0 = unlimited. A limit that begins now starts with one slice. */
  setRate(ratePerSecond, nowMs) {
    this.refill(nowMs);
    const perMs = ratePerSecond > 0 ? ratePerSecond / 1e3 : 0;
    if (perMs === this.perMs) return;
    const wasUnlimited = this.perMs === 0;
    this.perMs = perMs;
    this.tokens = perMs === 0 ? 0 : wasUnlimited ? this.capacity : Math.min(this.tokens, this.capacity);
  }
  /** Takes `amount` and returns how long (ms) to wait before acting on it: until the debt is paid. */
  reserve(amount, nowMs) {
    if (this.perMs === 0 || amount <= 0) return 0;
    this.refill(nowMs);
    this.tokens -= amount;
    return this.tokens >= 0 ? 0 : -this.tokens / this.perMs;
  }
  /** Corrects an earlier charge: a positive amount adds debt, a negative one refunds. */
  adjust(amount, nowMs) {
    if (this.perMs === 0 || amount === 0) return;
    this.refill(nowMs);
    this.tokens = Math.min(this.capacity, this.tokens - amount);
  }
  get capacity() {
    return this.perMs * SLICE_MS;
  }
  refill(nowMs) {
    if (this.lastMs !== void 0 && nowMs > this.lastMs) this.tokens = Math.min(this.capacity, this.tokens + (nowMs - this.lastMs) * this.perMs);
    this.lastMs = Math.max(nowMs, this.lastMs ?? nowMs);
  }
};
var MINUTES_PER_DAY = 24 * 60;
function windowContains(window, minute) {
  const start = parseTimeOfDay(window.start);
  const end = parseTimeOfDay(window.end);
  if (start === void 0 || end === void 0) return false;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}
function rateAt(defaultRate, schedule, epochMs) {
  const minute = Math.floor(epochMs / 6e4) % MINUTES_PER_DAY;
  const window = schedule?.find((w) => windowContains(w, minute));
  return window ? window.rate : defaultRate ?? {};
}
var MigrationRateLimiter = class {
  constructor(defaultRate, schedule) {
    this.defaultRate = defaultRate;
    this.schedule = schedule;
  }
  defaultRate;
  schedule;
  keys = new TokenBucket();
  bytes = new TokenBucket();
  bytesPerKeyEstimate = 0;
  keysSeen = 0;
  bytesSeen = 0;
  get limited() {
    return Boolean(this.defaultRate?.keysPerSecond || this.defaultRate?.bytesPerSecond || this.schedule?.some((w) => w.rate.keysPerSecond || w.rate.bytesPerSecond));
  }
  /** Whether any bytes/s limit is configured (then every batch's bytes are measured). */
  get bytesLimited() {
    return Boolean(this.defaultRate?.bytesPerSecond || this.schedule?.some((w) => w.rate.bytesPerSecond));
  }
  /** Reserves `keyCount` keys; returns the wait in ms and the bytes estimate to settle later. */
  reserve(keyCount, nowMs, epochMs) {
    const rate = rateAt(this.defaultRate, this.schedule, epochMs);
    this.keys.setRate(rate.keysPerSecond ?? 0, nowMs);
    this.bytes.setRate(rate.bytesPerSecond ?? 0, nowMs);
    const estimatedBytes = Math.round(keyCount * this.bytesPerKeyEstimate);
    const waitMs = Math.max(this.keys.reserve(keyCount, nowMs), this.bytes.reserve(estimatedBytes, nowMs));
    return { waitMs, estimatedBytes };
  }
  /** After a batch: charge the difference between its measured and estimated bytes. */
  settle(keyCount, estimatedBytes, actualBytes, nowMs) {
    this.keysSeen += keyCount;
    this.bytesSeen += actualBytes;
    this.bytesPerKeyEstimate = this.keysSeen > 0 ? this.bytesSeen / this.keysSeen : 0;
    this.bytes.adjust(actualBytes - estimatedBytes, nowMs);
  }
};

// node-image/src/migration/guard.ts
var PROBE_INTERVAL_MS = SLICE_MS;
var DECISION_INTERVAL_MS = 100;
var SAMPLE_WINDOW_MS = 1e3;
var MIN_SAMPLES = 20;
var STALL_SAMPLES = 2;
var DECREASE_FACTOR = 0.5;
var DECREASE_ABOVE = 0.8;
var HOLD_ABOVE = 0.6;
var START_LEVEL = 1 / 4;
var ADDITIVE_STEP = 1 / 16;
var MIN_LEVEL = 1 / 64;
var MIN_BATCH_KEYS = 10;
var FULL_BATCH_LEVEL = 1 / 16;
var BASELINE_MIN_SAMPLES = 100;
var MIN_BUDGET_MS = 2;
function percentile(values, p) {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))];
}
function probeP99(values) {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.min(percentile(sorted, 99), sorted[Math.max(0, sorted.length - 1 - STALL_SAMPLES)]);
}
function budgetFor(settings, baselineP99Ms) {
  const factor = settings.budgetFactor || (settings.budgetMs > 0 ? 0 : DEFAULTS.guard.budgetFactor);
  const byFactor = factor > 0 ? Math.max(MIN_BUDGET_MS, factor * baselineP99Ms) : Infinity;
  return Math.min(byFactor, settings.budgetMs > 0 ? settings.budgetMs : Infinity);
}
var LatencyGuard = class {
  constructor(settings, baselineP99Ms, limits) {
    this.settings = settings;
    this.limits = limits;
    this.baselineMs = baselineP99Ms;
    this.budget = budgetFor(settings, baselineP99Ms);
    this.current = { ...this.knobs(), action: "start", observedP99Ms: 0, level: this.level };
  }
  settings;
  limits;
  baselineMs;
  budget;
  level = START_LEVEL;
  /** Half the level an overload began at (Infinity before the first): below it growth doubles, above it adds. */
  threshold = Infinity;
  /** Halved since the last increase: the same overload. */
  overloaded = false;
  /** The move's rate at full pace (keys/s, slots charged SLOT_WORK_KEYS), estimated as achieved ÷ level: what level × scales below 1. */
  fullPaceKeysPerSecond = 0;
  /** Samples before this time are ignored (the window restarts at each decrease). */
  windowStart = -Infinity;
  samples = [];
  firstSampleAt = Infinity;
  current;
  increases = 0;
  decreases = 0;
  /** The idle p99 the budget is a factor of: the one measured before the move, or a lower one seen since. */
  get baselineP99Ms() {
    return this.baselineMs;
  }
  get budgetMs() {
    return this.budget;
  }
  record(atMs, latencyMs) {
    this.samples.push({ at: atMs, ms: latencyMs });
    this.firstSampleAt = Math.min(this.firstSampleAt, atMs);
  }
  /**
   * One decision at `nowMs`. `achievedKeysPerSecond`: what the move really did lately (slots charged SLOT_WORK_KEYS);
   * `pendingAgesMs`: probes still unanswered (a probe stuck behind a long command counts with its age so far).
   */
  decide(nowMs, achievedKeysPerSecond, pendingAgesMs = []) {
    if (this.level >= START_LEVEL) this.fullPaceKeysPerSecond = Math.max(this.fullPaceKeysPerSecond, achievedKeysPerSecond / this.level);
    const since = Math.max(nowMs - SAMPLE_WINDOW_MS, this.windowStart);
    this.samples = this.samples.filter((s) => s.at >= nowMs - SAMPLE_WINDOW_MS);
    this.lowerBaseline(nowMs);
    const recent = this.samples.filter((s) => s.at >= since).map((s) => s.ms);
    const p99 = Math.max(probeP99(recent), ...pendingAgesMs);
    let action;
    if (recent.length + pendingAgesMs.length < MIN_SAMPLES) {
      action = "hold";
    } else if (p99 > DECREASE_ABOVE * this.budgetMs) {
      if (!this.overloaded) this.threshold = Math.max(MIN_LEVEL, this.level * DECREASE_FACTOR);
      this.overloaded = true;
      this.level = Math.max(MIN_LEVEL, this.level * DECREASE_FACTOR);
      this.windowStart = nowMs;
      this.decreases++;
      action = this.level === MIN_LEVEL ? "floor" : "decrease";
    } else if (p99 > HOLD_ABOVE * this.budgetMs || this.level >= 1) {
      action = "hold";
    } else {
      this.level = Math.min(1, this.level < this.threshold ? Math.min(this.level * 2, this.threshold) : this.level + ADDITIVE_STEP);
      this.overloaded = false;
      this.increases++;
      action = "increase";
    }
    this.current = { ...this.knobs(), action, observedP99Ms: p99, level: this.level };
    return this.current;
  }
  /**
   * Idle latency is at most what is seen while the move runs, so a second of probes (all of them,
   * also across a restarted window) whose p99 is below the baseline means the baseline was measured
   * high (another move already running, a busy moment): the baseline follows it down, never up.
   */
  lowerBaseline(nowMs) {
    if (this.firstSampleAt > nowMs - SAMPLE_WINDOW_MS || this.samples.length < BASELINE_MIN_SAMPLES) return;
    const p99 = probeP99(this.samples.map((s) => s.ms));
    if (p99 >= this.baselineMs) return;
    this.baselineMs = p99;
    this.budget = budgetFor(this.settings, p99);
  }
  /** The configured knobs scaled by the level; below 1, a keys/s rate scaled from the estimated full pace. */
  knobs() {
    const { level, limits } = this;
    const scaled = (max, min, full = 1) => Math.max(Math.min(min, max), Math.min(max, Math.ceil(max * level / full)));
    const keysPerSecond = level >= 1 || this.fullPaceKeysPerSecond === 0 ? 0 : Math.round(Math.max(this.settings.floorKeysPerSecond, level * this.fullPaceKeysPerSecond));
    return {
      keysPerSecond,
      batchKeys: scaled(limits.batchKeys, MIN_BATCH_KEYS, FULL_BATCH_LEVEL),
      window: scaled(limits.window, 1),
      parallelSlots: scaled(limits.parallelSlots, 1)
    };
  }
  status() {
    const c = this.current;
    const r2 = (n) => Math.round(n * 100) / 100;
    return {
      enabled: true,
      baselineP99Ms: r2(this.baselineMs),
      budgetMs: r2(this.budget),
      observedP99Ms: r2(c.observedP99Ms),
      level: r2(c.level),
      keysPerSecond: c.keysPerSecond,
      batchKeys: c.batchKeys,
      window: c.window,
      parallelSlots: c.parallelSlots,
      lastAction: c.action,
      increases: this.increases,
      decreases: this.decreases
    };
  }
};

// node-image/src/migration/setslot.ts
var SETSLOTS_SCRIPT = `
local mode, a, b = ARGV[1], ARGV[2], ARGV[3]
local function failed(r) return type(r) == 'table' and r.err end
local out = {}
for i = 4, #ARGV do
  local slot, r = ARGV[i], nil
  if mode == 'claim' then
    r = redis.pcall('CLUSTER', 'SETSLOT', slot, 'STABLE')
    if not failed(r) then
      r = redis.pcall('CLUSTER', 'SETSLOT', slot, 'NODE', a)
      if failed(r) then redis.pcall('CLUSTER', 'SETSLOT', slot, 'IMPORTING', b) end
    end
  else
    r = redis.pcall('CLUSTER', 'SETSLOT', slot, a, b)
  end
  out[#out + 1] = failed(r) or 1
end
if mode == 'claim' then redis.pcall('CLUSTER', 'BUMPEPOCH') end
return out`;
async function runSetSlots(ctx, redis, mode, slots, a, b) {
  if (slots.length === 0) return [];
  if (!ctx.scriptingUnavailable && ctx.setSlotScriptable) {
    try {
      const replies = await redis.eval(SETSLOTS_SCRIPT, 0, mode, a, b, ...slots.map(String));
      return slots.map((_, i) => replies[i] === 1 ? null : String(replies[i] ?? "no reply"));
    } catch (err) {
      if (!SCRIPTING_OFF.test(errorText(err))) return slots.map(() => errorText(err));
      ctx.scriptingUnavailable = true;
    }
  }
  const pipeline = redis.pipeline();
  if (mode === "claim") pipeline.call("CLUSTER", "BUMPEPOCH");
  for (const s of slots) {
    if (mode === "state") pipeline.call("CLUSTER", "SETSLOT", String(s), a, b);
    else pipeline.call("CLUSTER", "SETSLOT", String(s), "STABLE").call("CLUSTER", "SETSLOT", String(s), "NODE", a);
  }
  if (mode === "claim") pipeline.call("CLUSTER", "BUMPEPOCH");
  let results;
  try {
    results = await pipeline.exec() ?? [];
  } catch (err) {
    return slots.map(() => errorText(err));
  }
  const perSlot = mode === "state" ? 1 : 2;
  const first = mode === "claim" ? 1 : 0;
  const errors = slots.map((_, i) => {
    const failed = results.slice(first + i * perSlot, first + (i + 1) * perSlot).find(([err]) => err)?.[0] ?? (results.length === 0 ? new Error("no reply") : null);
    return failed ? failed.message : null;
  });
  if (mode === "claim") {
    const back = slots.filter((_, i) => errors[i] !== null);
    if (back.length > 0) await runSetSlots(ctx, redis, "state", back, "IMPORTING", b);
  }
  return errors;
}
async function setSlots(ctx, redis, engine, slots, state, nodeId, failQuietly = false) {
  const errors = await runSetSlots(ctx, redis, "state", slots, state, nodeId);
  const ok = [];
  slots.forEach((s, i) => {
    const err = errors[i];
    if (err === null) ok.push(s);
    else if (!failQuietly) ctx.fail(s, `slot ${s}: CLUSTER SETSLOT ${state} on the ${engine} failed: ${err}`);
  });
  return ok;
}
async function openSlots(ctx, slots) {
  const sourceId = ctx.sourceView.myId;
  const targetId = ctx.targetView.myId;
  const importing = [
    ...slots.filter((s) => ctx.targetView.importing.get(s) === sourceId),
    ...await setSlots(ctx, ctx.target, "target", slots.filter((s) => ctx.targetView.importing.get(s) !== sourceId), "IMPORTING", sourceId)
  ];
  return [
    ...importing.filter((s) => ctx.sourceView.migrating.get(s) === targetId),
    ...await setSlots(ctx, ctx.source, "source", importing.filter((s) => ctx.sourceView.migrating.get(s) !== targetId), "MIGRATING", targetId)
  ];
}
async function claimOnTarget(ctx, slots) {
  const errors = await runSetSlots(ctx, ctx.target, "claim", slots, ctx.targetView.myId, ctx.sourceView.myId);
  return slots.filter((s, i) => {
    if (errors[i] === null) return true;
    ctx.fail(s, `slot ${s}: CLUSTER SETSLOT NODE on the target failed: ${errors[i]}; resume to finish`);
    return false;
  });
}
async function finalize(ctx, slots, moveRest) {
  const targetId = ctx.targetView.myId;
  const updated = await setSlots(ctx, ctx.source, "source", slots, "NODE", targetId, true);
  const retry = slots.filter((s) => !updated.includes(s));
  for (const slot of retry) {
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await ctx.source.call("CLUSTER", "SETSLOT", String(slot), "NODE", targetId);
          break;
        } catch (err) {
          if (!/still hold keys/i.test(errorText(err)) || attempt >= 3) throw err;
          await moveRest(slot);
        }
      }
      updated.push(slot);
    } catch (err) {
      ctx.fail(slot, `slot ${slot}: the target owns it but the source was not updated (${errorText(err)}); resume to finish`);
    }
  }
  await Promise.all(ctx.others.map((o) => setSlots(ctx, o, "peer", updated, "NODE", targetId, true)));
  ctx.progress.slotsDone += updated.length;
}

// node-image/src/migration/batch-engine.ts
import { createHash as createHash3 } from "node:crypto";
var MIGRATE_BATCH_SCRIPT = `
local keys = redis.call('CLUSTER', 'GETKEYSINSLOT', ARGV[1], ARGV[2])
if #keys == 0 then return {0, 0} end
local bytes = 0
if ARGV[3] == '1' then
  for _, key in ipairs(keys) do bytes = bytes + (redis.call('MEMORY', 'USAGE', key) or 0) end
end
local args = {ARGV[4], ARGV[5], '', '0', ARGV[6]}
for i = 7, #ARGV do args[#args + 1] = ARGV[i] end
args[#args + 1] = 'KEYS'
for _, key in ipairs(keys) do args[#args + 1] = key end
redis.call('MIGRATE', unpack(args))
return {#keys, bytes}`;
var MIGRATE_BATCH_SHA = createHash3("sha1").update(MIGRATE_BATCH_SCRIPT).digest("hex");
var MAX_SCRIPTED_BATCH_KEYS = 5e3;
var ScriptingUnavailable = class extends Error {
};
async function moveKeysInEngine(ctx, slot, stream, batchCounter) {
  const { target, username, password, migrateTimeoutMs } = ctx.req;
  const auth = username && password ? ["AUTH2", username, password] : password ? ["AUTH", password] : [];
  let drained = false;
  let error;
  const inFlight = /* @__PURE__ */ new Set();
  while (!drained && error === void 0) {
    await stream.permits.acquire();
    if (drained || error !== void 0) {
      stream.permits.release();
      break;
    }
    const batchKeys = ctx.pace.setting.batchKeys;
    await ctx.pace.reserve(batchKeys);
    const measure = batchCounter.sent++ % 16 === 0;
    const sentAt = ctx.clock.monotonicMs();
    const args = [String(slot), String(batchKeys), measure ? "1" : "0", target.host, String(target.port), String(migrateTimeoutMs), ...auth];
    const batch = stream.redis.evalsha(MIGRATE_BATCH_SHA, 0, ...args).catch((err) => /NOSCRIPT/.test(errorText(err)) ? stream.redis.eval(MIGRATE_BATCH_SCRIPT, 0, ...args) : Promise.reject(err)).then(([moved, measuredBytes]) => {
      const doneAt = ctx.clock.monotonicMs();
      ctx.progress.noteBlock(doneAt - Math.max(sentAt, stream.lastReplyAt));
      stream.lastReplyAt = doneAt;
      if (moved < batchKeys) drained = true;
      ctx.pace.refund(batchKeys - moved);
      ctx.progress.countMoved(moved, measure ? measuredBytes : void 0);
    }, (err) => {
      error ??= err;
    }).finally(() => {
      stream.permits.release();
      inFlight.delete(batch);
    });
    inFlight.add(batch);
  }
  await Promise.all(inFlight);
  if (error === void 0) return;
  const text = errorText(error);
  if (/BUSYKEY/.test(text)) throw error;
  if (SCRIPTING_OFF.test(text)) throw new ScriptingUnavailable(text);
  throw new SlotMigrationError(`slot ${slot}: MIGRATE of a batch of up to ${ctx.pace.setting.batchKeys} keys to ${target.host}:${target.port} failed: ${text.replace(/ script: \w+, on @user_script:\d+\.?/, "")}`);
}

// node-image/src/migration/batch-driver.ts
var BATCH_BYTES_SCRIPT = "local bytes, present = 0, 0 for _, key in ipairs(ARGV) do local used = redis.call('MEMORY', 'USAGE', key) if used then bytes = bytes + used present = present + 1 end end return { bytes, present }";
function getKeys(slot, stream, count, clock) {
  return stream.redis.clusterBuffer("GETKEYSINSLOT", String(slot), String(count)).then((keys) => {
    stream.lastReplyAt = clock.monotonicMs();
    return keys;
  });
}
async function moveKeysThroughDriver(ctx, slot, stream, batchCounter) {
  const pageSize = () => ctx.pace.setting.batchKeys * ctx.pace.setting.window;
  let size = pageSize();
  let page = getKeys(slot, stream, size, ctx.clock);
  for (; ; ) {
    const keys = await page;
    if (keys.length === 0) return;
    const batchKeys = ctx.pace.setting.batchKeys;
    let error;
    const tasks = [];
    for (let start = 0; start < keys.length && error === void 0; start += batchKeys) {
      await stream.permits.acquire();
      if (error !== void 0) {
        stream.permits.release();
        break;
      }
      const batch = keys.slice(start, start + batchKeys);
      const estimatedBytes = await ctx.pace.reserve(batch.length);
      tasks.push(migrateBatch(ctx, slot, batch, stream, estimatedBytes, batchCounter).catch((err) => {
        error ??= err;
      }).finally(() => stream.permits.release()));
    }
    const complete = keys.length < size;
    if (error === void 0 && !complete) {
      size = pageSize();
      page = getKeys(slot, stream, size, ctx.clock);
    }
    await Promise.all(tasks);
    if (error !== void 0) {
      page.catch(() => void 0);
      throw error;
    }
    if (complete) return;
  }
}
function migrateArgs(ctx, keys, replace) {
  const { target, username, password, migrateTimeoutMs } = ctx.req;
  const args = [target.host, String(target.port), "", "0", String(migrateTimeoutMs)];
  if (replace) args.push("REPLACE");
  if (username && password) args.push("AUTH2", username, password);
  else if (password) args.push("AUTH", password);
  args.push("KEYS", ...keys);
  return args;
}
async function migrateBatch(ctx, slot, keys, stream, estimatedBytes, batchCounter) {
  const settle = (p) => p.then((v) => [null, v], (e) => [e instanceof Error ? e : new Error(String(e)), null]);
  const measure = !ctx.scriptingUnavailable && (ctx.pace.limiter.bytesLimited || batchCounter.sent++ % 16 === 0);
  const measured = measure ? settle(stream.redis.call("EVAL", BATCH_BYTES_SCRIPT, "0", ...keys)) : Promise.resolve([new Error("not sampled"), null]);
  const migrated = settle(stream.redis.call("MIGRATE", ...migrateArgs(ctx, keys, false)));
  const sentAt = ctx.clock.monotonicMs();
  const results = await Promise.all([measured, migrated]);
  const doneAt = ctx.clock.monotonicMs();
  ctx.progress.noteBlock(doneAt - Math.max(sentAt, stream.lastReplyAt));
  stream.lastReplyAt = doneAt;
  const [sizeError, size] = results[0] ?? [new Error("no reply")];
  const [migrateError] = results[1] ?? [new Error("no reply to MIGRATE")];
  if (migrateError) {
    if (!/BUSYKEY/.test(migrateError.message)) {
      throw new SlotMigrationError(`slot ${slot}: MIGRATE of ${keys.length} keys to ${ctx.req.target.host}:${ctx.req.target.port} failed: ${migrateError.message}`);
    }
    await resolveBusyKeys(ctx, slot, keys, stream);
  }
  const sized = !sizeError && Array.isArray(size) ? size : void 0;
  const bytes = ctx.progress.countMoved(sized ? Number(sized[1]) : keys.length, sized ? Number(sized[0]) : void 0);
  ctx.pace.limiter.settle(keys.length, estimatedBytes, bytes, ctx.clock.monotonicMs());
}
async function resolveBusyKeys(ctx, slot, keys, stream) {
  const sourceDumps = await dumpAll(stream.redis, keys, false);
  const stillHere = keys.filter((_, i) => sourceDumps[i] !== null);
  if (stillHere.length === 0) return;
  const targetDumps = await dumpAll(ctx.target, stillHere, true);
  const differing = stillHere.filter((_, i) => {
    const onTarget = targetDumps[i];
    const onSource = sourceDumps[keys.indexOf(stillHere[i])];
    return onTarget !== null && onSource !== null && !onTarget.equals(onSource);
  });
  if (differing.length > 0) {
    const names = differing.slice(0, 5).map((k) => k.toString()).join(", ");
    throw new SlotMigrationError(`slot ${slot}: ${differing.length} key(s) exist on both source and target with different values (${names}${differing.length > 5 ? ", \u2026" : ""}); keep the right copy, delete the other, then resume`);
  }
  const [[err]] = await stream.redis.pipeline().call("MIGRATE", ...migrateArgs(ctx, stillHere, true)).exec() ?? [[new Error("no reply")]];
  if (err) throw new SlotMigrationError(`slot ${slot}: MIGRATE REPLACE of ${stillHere.length} duplicate keys failed: ${err.message}`);
}
async function dumpAll(redis, keys, asking) {
  const pipeline = redis.pipeline();
  for (const key of keys) {
    if (asking) pipeline.call("ASKING");
    pipeline.dumpBuffer(key);
  }
  const results = await pipeline.exec() ?? [];
  const step = asking ? 2 : 1;
  return keys.map((_, i) => {
    const [err, value] = results[i * step + step - 1] ?? [];
    if (err) throw new SlotMigrationError(`DUMP failed while checking BUSYKEY duplicates: ${err.message}`);
    return Buffer.isBuffer(value) ? value : null;
  });
}

// node-image/src/migration/key-by-key.ts
var KeyByKeyMove = class {
  constructor(ctx) {
    this.ctx = ctx;
  }
  ctx;
  batchCounter = { sent: 0 };
  stopped() {
    return Boolean(this.ctx.opts.signal?.aborted || this.ctx.fatal);
  }
  /** Every slot of the request, `parallelSlots` streams (each its own connection to the source) taking rounds. */
  async run() {
    const { ctx } = this;
    const queue = [...ctx.req.slots];
    const streamCount = Math.min(ctx.req.parallelSlots, Math.ceil(queue.length / ctx.req.slotsPerRound) || 1);
    const streams = [];
    for (let i = 0; i < streamCount; i++) {
      const redis = await ctx.connect(ctx.req.source, `mdb-migration-stream-${i}`);
      streams.push({ redis, lastReplyAt: 0, permits: ctx.pace.windowFor() });
    }
    const onAbort = () => ctx.pace.wake();
    ctx.opts.signal?.addEventListener("abort", onAbort, { once: true });
    const worker = async (stream, index) => {
      for (; ; ) {
        if (this.stopped() || queue.length === 0) return;
        if (!ctx.pace.streamActive(index)) {
          await ctx.pace.changed();
          continue;
        }
        const round = queue.splice(0, ctx.req.slotsPerRound);
        for (const s of round) ctx.progress.activeSlots.add(s);
        try {
          await this.migrateRound(round, stream);
        } finally {
          for (const s of round) ctx.progress.activeSlots.delete(s);
        }
      }
    };
    try {
      await Promise.all(streams.map((s, i) => worker(s, i).finally(() => ctx.pace.wake())));
    } finally {
      ctx.opts.signal?.removeEventListener("abort", onAbort);
    }
    if (ctx.fatal && !ctx.opts.signal?.aborted) {
      for (const slot of queue) ctx.fail(slot, `not started: ${ctx.fatal}; resume the migration when it is back`);
    }
  }
  async migrateRound(slots, stream) {
    const { ctx } = this;
    const toMove = [];
    const claimed = [];
    const reclaim = [];
    for (const slot of slots) {
      const plan = planSlot(slot, ctx.sourceView, ctx.targetView);
      if (plan.kind === "done") ctx.progress.slotsDone++;
      else if (plan.kind === "refuse") ctx.fail(slot, plan.reason);
      else if (plan.kind === "finalize") claimed.push(slot);
      else if (plan.kind === "reclaim") reclaim.push(slot);
      else toMove.push(slot);
    }
    await ctx.pace.reserveSlots(toMove.length + claimed.length + reclaim.length);
    const open = await openSlots(ctx, toMove);
    const moved = await Promise.all(open.map((s) => this.moveKeys(s, stream).then(() => s, (err) => {
      ctx.fail(s, err);
      return void 0;
    })));
    claimed.push(...await claimOnTarget(ctx, [...reclaim, ...moved.filter((s) => s !== void 0)]));
    await finalize(ctx, claimed, (slot) => this.moveKeys(slot, stream));
  }
  /** Moves every key of `slot` still on the source. */
  moveKeys(slot, stream) {
    return moveSlotKeys(this.ctx, slot, stream, this.batchCounter);
  }
};
var IOERR_RETRIES = 3;
async function moveSlotKeys(ctx, slot, stream, batchCounter) {
  for (let attempt = 0; ; attempt++) {
    try {
      await moveSlotKeysOnce(ctx, slot, stream, batchCounter);
      return;
    } catch (err) {
      if (attempt >= IOERR_RETRIES || !/IOERR/.test(errorText(err)) || ctx.opts.signal?.aborted || ctx.fatal) throw err;
      await new Promise((resolve) => ctx.clock.setTimeout(resolve, 250 * 2 ** attempt));
    }
  }
}
async function moveSlotKeysOnce(ctx, slot, stream, batchCounter) {
  if (!ctx.pace.limiter.limited && ctx.req.batchKeys <= MAX_SCRIPTED_BATCH_KEYS && !ctx.scriptingUnavailable) {
    try {
      await moveKeysInEngine(ctx, slot, stream, batchCounter);
      return;
    } catch (err) {
      if (err instanceof ScriptingUnavailable) ctx.scriptingUnavailable = true;
      else if (!/BUSYKEY/.test(errorText(err))) throw err;
    }
  }
  await moveKeysThroughDriver(ctx, slot, stream, batchCounter);
}

// node-image/src/migration/atomic-jobs.ts
var TERMINAL_JOB_STATES = ["success", "failed", "cancelled"];
function terminalState(state) {
  return TERMINAL_JOB_STATES.includes(state) ? state : void 0;
}
function parseSlotMigrations(reply) {
  if (!Array.isArray(reply)) return [];
  return reply.filter(Array.isArray).map((entry) => {
    const f = /* @__PURE__ */ new Map();
    for (let i = 0; i + 1 < entry.length; i += 2) f.set(String(entry[i]), String(entry[i + 1]));
    return {
      name: f.get("name") ?? "",
      operation: f.get("operation") ?? "",
      slotRanges: f.get("slot_ranges") ?? "",
      sourceNode: f.get("source_node") ?? "",
      targetNode: f.get("target_node") ?? "",
      state: f.get("state") ?? "",
      message: f.get("message") ?? ""
    };
  });
}
function slotRangesText(slots) {
  return compactSlots([...slots]).map((r) => `${r.start}-${r.end}`).join(" ");
}
function findOwnJob(jobs, namesBefore, ranges, targetId) {
  return jobs.find((j) => j.operation === "EXPORT" && !namesBefore.has(j.name) && j.slotRanges === ranges && j.targetNode === targetId);
}
function otherActiveJobs(jobs, name) {
  return jobs.filter((j) => j.name !== name && !terminalState(j.state));
}
function nextJob(slots, keysOf, maxKeys) {
  const job = [];
  let keys = 0;
  for (const slot of slots) {
    const k = keysOf(slot);
    if (job.length > 0 && keys + k > maxKeys) break;
    job.push(slot);
    keys += k;
  }
  return { slots: job, keys };
}
function describeSlots(slots) {
  return `slots ${formatSlotRanges(compactSlots([...slots]))}`;
}

// node-image/src/migration/atomic.ts
var ATOMIC_JOB_KEYS = 16e3;
var POLL_MS = 10;
var COUNT_CHUNK_SLOTS = 256;
var LISTED_WITHIN_MS = 5e3;
var JOB_LOG_ENTRIES = 16;
var SAMPLE_BYTES_SCRIPT = `
local bytes, keys = 0, 0
for i = 1, math.min(#ARGV, 4) do
  for _, k in ipairs(redis.call('CLUSTER', 'GETKEYSINSLOT', ARGV[i], 10)) do
    bytes = bytes + (redis.call('MEMORY', 'USAGE', k) or 0)
    keys = keys + 1
  end
end
return { bytes, keys }`;
var AtomicMove = class {
  constructor(ctx) {
    this.ctx = ctx;
  }
  ctx;
  jobs = 0;
  cancelSent = false;
  keysOf = /* @__PURE__ */ new Map();
  stopped() {
    return Boolean(this.ctx.opts.signal?.aborted || this.ctx.fatal);
  }
  async run() {
    const { ctx } = this;
    const toMove = [];
    for (const slot of ctx.req.slots) {
      const plan = planSlot(slot, ctx.sourceView, ctx.targetView);
      if (plan.kind === "done") ctx.progress.slotsDone++;
      else if (plan.kind === "refuse") ctx.fail(slot, plan.reason);
      else if (plan.kind === "finalize" || plan.kind === "reclaim") {
        const stream = { redis: ctx.source, lastReplyAt: 0, permits: ctx.pace.windowFor() };
        const claimed = plan.kind === "reclaim" ? await claimOnTarget(ctx, [slot]) : [slot];
        await finalize(ctx, claimed, (s) => moveSlotKeys(ctx, s, stream, { sent: 0 }));
      } else toMove.push(slot);
    }
    if (toMove.length === 0) return;
    toMove.sort((a, b) => a - b);
    await this.shortenJobLog();
    const keysOf = this.keysOf;
    for (let i = 0; i < toMove.length; i += COUNT_CHUNK_SLOTS) {
      const chunk = toMove.slice(i, i + COUNT_CHUNK_SLOTS);
      const counts = await Promise.all(chunk.map((s) => ctx.source.call("CLUSTER", "COUNTKEYSINSLOT", String(s)).then(Number)));
      chunk.forEach((s, j) => keysOf.set(s, counts[j]));
    }
    let remaining = toMove;
    while (remaining.length > 0 && !this.stopped()) {
      const maxKeys = ctx.req.guard.enabled ? Math.max(1, Math.round(ctx.pace.level * ATOMIC_JOB_KEYS)) : Infinity;
      const job = nextJob(remaining, (s) => keysOf.get(s) ?? 0, maxKeys);
      if (ctx.req.guard.enabled) {
        await ctx.pace.reserve(job.keys);
        await ctx.pace.reserveSlots(job.slots.length);
        if (this.stopped()) break;
      }
      remaining = remaining.slice(job.slots.length);
      for (const s of job.slots) ctx.progress.activeSlots.add(s);
      try {
        await this.runJob(job.slots, job.keys);
      } finally {
        for (const s of job.slots) ctx.progress.activeSlots.delete(s);
      }
    }
    if (ctx.fatal && !ctx.opts.signal?.aborted) {
      for (const slot of remaining) ctx.fail(slot, `not started: ${ctx.fatal}; resume the migration when it is back`);
    }
  }
  /** One MIGRATESLOTS job, followed until it ends. */
  async runJob(slots, keys) {
    const { ctx } = this;
    const ranges = slotRangesText(slots);
    const targetId = ctx.targetView.myId;
    let job;
    try {
      const bytes = await this.sampleBytes(slots, keys);
      const namesBefore = new Set((await this.sourceJobs()).map((j) => j.name));
      const args = ["MIGRATESLOTS", "SLOTSRANGE", ...ranges.split(" ").flatMap((r) => r.split("-")), "NODE", targetId];
      await ctx.source.call("CLUSTER", ...args);
      this.jobs++;
      const submittedAt = ctx.clock.monotonicMs();
      for (; ; ) {
        const jobs = await this.sourceJobs();
        job = job ? jobs.find((j) => j.name === job.name) : findOwnJob(jobs, namesBefore, ranges, targetId);
        if (!job && ctx.clock.monotonicMs() - submittedAt > LISTED_WITHIN_MS) {
          throw new Error(`the source accepted MIGRATESLOTS for ${describeSlots(slots)} but lists no such job`);
        }
        const end = job && terminalState(job.state);
        if (job && end) {
          this.settle(slots, keys, bytes, job, end);
          return;
        }
        if (job && ctx.opts.signal?.aborted && !this.cancelSent) await this.cancel(job, jobs);
        await sleep(POLL_MS);
      }
    } catch (err) {
      const where = job ? `job ${job.name.slice(0, 8)} (${job.state})` : "MIGRATESLOTS";
      for (const s of slots) ctx.fail(s, `atomic slot migration ${where}: ${errorText(err)}; resume to retry (a job that did not succeed leaves its slots with the source)`);
    }
  }
  /** JOB_LOG_ENTRIES on the source; an engine that refuses keeps its log (polling it then costs more). */
  async shortenJobLog() {
    try {
      const [, current] = await this.ctx.source.call("CONFIG", "GET", "cluster-slot-migration-log-max-len");
      if (current === void 0 || Number(current) > JOB_LOG_ENTRIES) {
        await this.ctx.source.call("CONFIG", "SET", "cluster-slot-migration-log-max-len", String(JOB_LOG_ENTRIES));
      }
    } catch {
    }
  }
  /** A job's bytes from a sample of its keys (one script run); undefined where scripts are refused. */
  async sampleBytes(slots, keys) {
    if (this.ctx.scriptingUnavailable || keys === 0) return void 0;
    try {
      const [bytes, sampled] = await this.ctx.source.eval(SAMPLE_BYTES_SCRIPT, 0, ...slots.filter((s) => (this.keysOf.get(s) ?? 0) > 0).slice(0, 4).map(String));
      return sampled > 0 ? Math.round(keys * bytes / sampled) : void 0;
    } catch {
      return void 0;
    }
  }
  settle(slots, keys, bytes, job, end) {
    const { ctx } = this;
    if (end === "success") {
      ctx.progress.slotsDone += slots.length;
      ctx.progress.countMoved(keys, bytes);
    } else if (end === "cancelled" && this.cancelSent) {
    } else {
      const why = job.message ? `: ${job.message}` : "";
      for (const s of slots) ctx.fail(s, `atomic slot migration job ${job.name.slice(0, 8)} ended ${end}${why}; the slots stay with the source; resume to retry`);
    }
  }
  /**
   * Cancels this move's running job. CANCELSLOTMIGRATIONS cancels every job of the engine it is sent
   * to: on the target that is only this move's (a target runs one migration at a time); the source
   * may also export to other targets, so it is asked only when ours is its only running job.
   */
  async cancel(job, sourceJobs) {
    const { ctx } = this;
    const onTarget = await ctx.target.call("CLUSTER", "CANCELSLOTMIGRATIONS").then(() => true, () => false);
    if (onTarget) this.cancelSent = true;
    else if (otherActiveJobs(sourceJobs, job.name).length === 0) {
      this.cancelSent = await ctx.source.call("CLUSTER", "CANCELSLOTMIGRATIONS").then(() => true, () => false);
    }
  }
  async sourceJobs() {
    return parseSlotMigrations(await this.ctx.source.call("CLUSTER", "GETSLOTMIGRATIONS"));
  }
};

// node-image/src/migration/pace.ts
var Permits = class {
  constructor(capacity) {
    this.capacity = capacity;
  }
  capacity;
  inUse = 0;
  waiters = [];
  acquire() {
    if (this.inUse < this.capacity()) {
      this.inUse++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  release() {
    this.inUse--;
    this.wake();
  }
  /** Lets waiters in while there is room (after a release, or when the capacity grew). */
  wake() {
    while (this.waiters.length > 0 && this.inUse < this.capacity()) {
      this.inUse++;
      this.waiters.shift()?.();
    }
  }
};
var Pace = class {
  constructor(req, clock) {
    this.req = req;
    this.clock = clock;
    this.limiter = new MigrationRateLimiter(req.rate, req.schedule);
    this.current = { keysPerSecond: 0, batchKeys: req.batchKeys, window: req.window, parallelSlots: req.parallelSlots };
  }
  req;
  clock;
  limiter;
  current;
  guardBucket = new SmoothBucket();
  permits = /* @__PURE__ */ new Set();
  listeners = /* @__PURE__ */ new Set();
  get setting() {
    return this.current;
  }
  /** The guard's last level (1 until it decides). */
  get level() {
    return this.current.level ?? 1;
  }
  /** The guard's decision; a narrower window or fewer streams take effect as batches and rounds end. */
  set(next) {
    this.current = {
      keysPerSecond: next.keysPerSecond,
      batchKeys: Math.min(next.batchKeys, this.req.batchKeys),
      window: Math.min(next.window, this.req.window),
      parallelSlots: Math.max(1, Math.min(next.parallelSlots, this.req.parallelSlots)),
      ...next.level === void 0 ? {} : { level: next.level }
    };
    this.guardBucket.setRate(next.keysPerSecond, this.clock.monotonicMs());
    this.wake();
  }
  /** A stream's window of batches in flight, following the current setting. */
  windowFor() {
    const permits = new Permits(() => this.current.window);
    this.permits.add(permits);
    return permits;
  }
  /** Whether stream `index` may start another round of slots now. */
  streamActive(index) {
    return index < this.current.parallelSlots;
  }
  /** Resolves on the next change of pace (or wake()). */
  changed() {
    return new Promise((resolve) => {
      const once = () => {
        this.listeners.delete(once);
        resolve();
      };
      this.listeners.add(once);
    });
  }
  wake() {
    for (const p of this.permits) p.wake();
    for (const l of [...this.listeners]) l();
  }
  /**
   * Charges `keys` to the guard's bucket and the explicit keys/s (and bytes/s) limit; returns how long
   * to wait before sending them (the longer wait: the tighter limit wins) and the bytes estimate the
   * explicit limiter wants settled afterwards.
   */
  charge(keys) {
    const now = this.clock.monotonicMs();
    const { waitMs, estimatedBytes } = this.limiter.reserve(keys, now, this.clock.nowMs());
    return { waitMs: Math.max(waitMs, this.guardBucket.reserve(keys, now)), estimatedBytes };
  }
  /** charge(), then wait as long as it says. */
  async reserve(keys) {
    const { waitMs, estimatedBytes } = this.charge(keys);
    if (waitMs > 0) await sleep(waitMs);
    return estimatedBytes;
  }
  /** Charges a round's slots to the guard's bucket (their SETSLOTs cost the engines work too); returns the wait. */
  chargeSlots(slots) {
    return this.guardBucket.reserve(slots * SLOT_WORK_KEYS, this.clock.monotonicMs());
  }
  async reserveSlots(slots) {
    const waitMs = this.chargeSlots(slots);
    if (waitMs > 0) await sleep(waitMs);
  }
  /** A batch moved fewer keys than it reserved (the slot ran out): give the rest back. */
  refund(keys) {
    if (keys > 0) this.guardBucket.adjust(-keys, this.clock.monotonicMs());
  }
};

// node-image/src/migration/probe.ts
import * as net from "node:net";
import * as os from "node:os";
import * as tls from "node:tls";
import { Worker } from "node:worker_threads";

// node-image/src/migration/probe-worker.ts
function runProbeLoop(data, post, mods) {
  const { engines, username, password, intervalMs, priority, name, tlsCa } = data;
  const resp = (args) => "*" + args.length + "\r\n" + args.map((a) => "$" + Buffer.byteLength(a) + "\r\n" + a + "\r\n").join("");
  const PING = resp(["PING"]);
  const timers = /* @__PURE__ */ new Set();
  let ticker;
  let stopped = false;
  const state = [];
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    if (ticker) clearInterval(ticker);
    for (const s of state) {
      s.lost = true;
      s.socket.destroy();
    }
  };
  const fail = (message) => {
    if (stopped) return;
    post({ kind: "error", message });
    stop();
  };
  if (priority !== null) {
    try {
      mods.os.setPriority(priority);
    } catch (err) {
      fail("probePriority: the probe thread cannot take priority " + priority + " (" + err.message + "); run with CAP_SYS_NICE or leave probePriority unset");
      return stop;
    }
  }
  const schedule = (s) => {
    if (s.lost) return;
    const t = setTimeout(() => {
      timers.delete(t);
      if (s.lost) return;
      s.sentAt = performance.now();
      s.socket.write(PING);
    }, intervalMs * (0.5 + Math.random()));
    timers.add(t);
  };
  const whenReady = () => {
    state.forEach(schedule);
    ticker = setInterval(() => {
      const now = performance.now();
      const ages = [];
      state.forEach((s, engine) => {
        if (!s.lost && s.sentAt !== void 0 && now - s.sentAt >= intervalMs) ages.push({ engine, ms: now - s.sentAt });
      });
      if (ages.length > 0) post({ kind: "pending", ages });
    }, intervalMs);
  };
  let connecting = engines.length;
  engines.forEach((addr, engine) => {
    const socket = tlsCa !== null ? mods.tls.connect({ host: addr.host, port: addr.port, ca: tlsCa, checkServerIdentity: () => void 0 }) : mods.net.connect({ host: addr.host, port: addr.port });
    const s = { socket, sentAt: void 0, setup: 0, buffered: "", lost: false };
    state.push(s);
    socket.setNoDelay(true);
    socket.setEncoding("latin1");
    socket.on(tlsCa !== null ? "secureConnect" : "connect", () => {
      const setup = [];
      if (password !== null) setup.push(username !== null ? resp(["AUTH", username, password]) : resp(["AUTH", password]));
      setup.push(resp(["CLIENT", "SETNAME", name]));
      s.setup = setup.length;
      socket.write(setup.join(""));
    });
    socket.on("data", (chunk) => {
      s.buffered += chunk;
      for (let end = s.buffered.indexOf("\r\n"); end >= 0 && !stopped; end = s.buffered.indexOf("\r\n")) {
        const line = s.buffered.slice(0, end);
        s.buffered = s.buffered.slice(end + 2);
        if (s.setup > 0) {
          if (line.startsWith("-")) return fail("probe " + addr.host + ":" + addr.port + ": " + line.slice(1));
          if (--s.setup === 0 && --connecting === 0) {
            post({ kind: "ready" });
            whenReady();
          }
        } else if (s.sentAt !== void 0) {
          post({ kind: "sample", engine, ms: performance.now() - s.sentAt });
          s.sentAt = void 0;
          schedule(s);
        }
      }
    });
    const lost = () => {
      if (s.lost) return;
      s.lost = true;
      if (s.setup > 0) return fail("probe " + addr.host + ":" + addr.port + ": connection closed before it was ready");
      post({ kind: "lost", engine });
    };
    socket.on("error", lost);
    socket.on("close", lost);
  });
  return stop;
}
var PROBE_WORKER_SOURCE = `"use strict";
const __name = (fn) => fn;
const { parentPort, workerData } = require("node:worker_threads");
const run = ${runProbeLoop.toString()};
run(workerData, (m) => { parentPort.postMessage(m); if (m.kind === "error") process.exit(1); },
  { net: require("node:net"), tls: require("node:tls"), os: require("node:os") });
`;

// node-image/src/migration/probe.ts
var PROBE_WARMUP_MS = 100;
function checkProbePriority(priority) {
  if (priority === void 0) return void 0;
  if (typeof priority !== "number" || !Number.isInteger(priority) || priority < -20 || priority > 19) {
    throw new RangeError(`probePriority: expected an integer -20..19 (a nice value, lower runs first), got ${typeof priority} ${String(priority)}; leave it unset to keep the caller's priority`);
  }
  return priority;
}
var LatencyProbe = class {
  constructor(engines, clock, opts) {
    this.clock = clock;
    this.pendingSince = engines.map(() => void 0);
    const workerData = {
      engines: engines.map(({ host, port }) => ({ host, port })),
      username: opts.username ?? null,
      password: opts.password ?? null,
      intervalMs: PROBE_INTERVAL_MS,
      priority: opts.priority ?? null,
      name: "mdb-migration-probe",
      tlsCa: opts.tls?.ca ?? null
    };
    this.inline = Boolean(opts.inline) && workerData.priority === null;
    let settle;
    this.ready = new Promise((resolve, reject) => {
      settle = { resolve, reject };
    });
    const onMessage = (m) => {
      if (m.kind === "ready") settle?.resolve();
      else if (m.kind === "error") settle?.reject(new MigrationPreconditionError(m.message));
      else this.receive(m);
    };
    if (this.inline) {
      this.end = runProbeLoop(workerData, onMessage, { net, tls, os });
    } else {
      const worker = new Worker(PROBE_WORKER_SOURCE, { eval: true, workerData });
      worker.unref();
      worker.on("message", onMessage);
      worker.once("error", (err) => settle?.reject(err));
      worker.once("exit", (code) => settle?.reject(new MigrationPreconditionError(`the probe thread exited (${code}) before it was ready`)));
      this.end = () => void worker.terminate();
    }
    this.ready.catch(() => void 0);
  }
  clock;
  /** Ends the probe: the worker terminated, or the inline loop stopped. */
  end;
  ready;
  /** Whether the PINGs go from this thread (ProbeOptions.inline). */
  inline;
  /** Per engine: since when (this clock) its PING has been unanswered, as the probe thread last reported. */
  pendingSince;
  onSample = () => void 0;
  /** Starts handing samples to `onSample` (each with this clock's time of arrival). */
  start(onSample) {
    this.onSample = onSample;
  }
  stop() {
    this.onSample = () => void 0;
  }
  close() {
    this.stop();
    this.end();
  }
  /** Ages of the PINGs still unanswered now. */
  pendingAges() {
    const now = this.clock.monotonicMs();
    return this.pendingSince.filter((t) => t !== void 0).map((t) => now - t);
  }
  /** Probes for `durationMs` once every engine answers, and returns every round trip seen (the idle baseline before a move). */
  async sample(durationMs) {
    await this.ready;
    await sleep(PROBE_WARMUP_MS);
    const seen = [];
    this.start((_, ms) => seen.push(ms));
    await sleep(durationMs);
    this.stop();
    return seen;
  }
  receive(m) {
    const now = this.clock.monotonicMs();
    if (m.kind === "sample") {
      this.pendingSince[m.engine] = void 0;
      this.onSample(now, m.ms);
    } else if (m.kind === "pending") {
      for (const { engine, ms } of m.ages) this.pendingSince[engine] = now - ms;
    } else {
      this.pendingSince[m.engine] = void 0;
    }
  }
};

// node-image/src/migration/progress.ts
var ProgressTracker = class {
  constructor(slotsTotal, clock) {
    this.slotsTotal = slotsTotal;
    this.clock = clock;
    this.lastSample = { at: clock.monotonicMs(), keys: 0, bytes: 0 };
  }
  slotsTotal;
  clock;
  slotsDone = 0;
  slotsFailed = 0;
  keysMoved = 0;
  bytesMoved = 0;
  maxSourceBlockMs = 0;
  guard = null;
  activeSlots = /* @__PURE__ */ new Set();
  lastSample;
  keysPerSecond = 0;
  bytesPerSecond = 0;
  sampledKeys = 0;
  sampledBytes = 0;
  /** Counts a moved batch; `measuredBytes` also feeds the bytes-per-key average. Returns its bytes. */
  countMoved(keys, measuredBytes) {
    if (measuredBytes !== void 0 && keys > 0) {
      this.sampledKeys += keys;
      this.sampledBytes += measuredBytes;
    }
    const bytes = measuredBytes ?? Math.round(keys * (this.sampledKeys > 0 ? this.sampledBytes / this.sampledKeys : 0));
    this.keysMoved += keys;
    this.bytesMoved += bytes;
    return bytes;
  }
  noteBlock(blockMs) {
    if (blockMs > this.maxSourceBlockMs) this.maxSourceBlockMs = blockMs;
  }
  /** Rates since the previous snapshot (so each progress report carries the current speed). */
  snapshot() {
    const now = this.clock.monotonicMs();
    const elapsed = now - this.lastSample.at;
    if (elapsed >= 100) {
      this.keysPerSecond = (this.keysMoved - this.lastSample.keys) * 1e3 / elapsed;
      this.bytesPerSecond = (this.bytesMoved - this.lastSample.bytes) * 1e3 / elapsed;
      this.lastSample = { at: now, keys: this.keysMoved, bytes: this.bytesMoved };
    }
    return {
      slotsTotal: this.slotsTotal,
      slotsDone: this.slotsDone,
      slotsFailed: this.slotsFailed,
      keysMoved: this.keysMoved,
      bytesMoved: this.bytesMoved,
      keysPerSecond: Math.round(this.keysPerSecond),
      bytesPerSecond: Math.round(this.bytesPerSecond),
      activeSlots: [...this.activeSlots].sort((a, b) => a - b),
      maxSourceBlockMs: Math.round(this.maxSourceBlockMs * 10) / 10,
      guard: this.guard ? { ...this.guard } : null
    };
  }
};

// node-image/src/migration/migrate.ts
var BASELINE_MS = 1e3;
async function migrateSlots(req, opts = {}) {
  const run = new MigrationRun(req, opts);
  try {
    return await run.execute();
  } finally {
    run.close();
  }
}
var MigrationRun = class {
  constructor(req, opts) {
    this.req = req;
    this.opts = opts;
    this.probePriority = checkProbePriority(opts.probePriority);
    this.clock = opts.clock ?? systemClock;
    this.startedAt = this.clock.monotonicMs();
    this.progress = new ProgressTracker(req.slots.length, this.clock);
    this.pace = new Pace(req, this.clock);
  }
  req;
  opts;
  clock;
  progress;
  pace;
  scriptingUnavailable = false;
  setSlotScriptable = true;
  fatal;
  source;
  target;
  others = [];
  sourceView;
  targetView;
  failedSlots = [];
  connections = [];
  startedAt;
  probePriority;
  close() {
    for (const c of this.connections) c.disconnect();
  }
  async connect(addr, name) {
    const redis = await openEngine(addr, this.req, name);
    this.connections.push(redis);
    return redis;
  }
  fail(slot, err) {
    this.progress.slotsFailed++;
    this.failedSlots.push({ slot, error: errorText(err) });
    if (!this.fatal) {
      for (const [redis, name] of [[this.source, "source"], [this.target, "target"]]) {
        if (redis.status === "end" || redis.status === "close") this.fatal = `the connection to the ${name} was lost`;
      }
    }
  }
  async execute() {
    const { source, target } = this.req;
    const [s, t] = await Promise.allSettled([
      this.connect(source, "mdb-migration-source"),
      this.connect(target, "mdb-migration-target")
    ]);
    if (s.status === "rejected") throw s.reason;
    if (t.status === "rejected") throw t.reason;
    [this.source, this.target] = [s.value, t.value];
    await this.checkEngines();
    this.others = await Promise.all((this.req.otherPrimaries ?? []).map((a) => this.connect(a, "mdb-migration-peer")));
    await this.refreshViews();
    this.checkMembership();
    const targetInfo = String(await this.target.call("CLUSTER", "INFO"));
    if (!targetInfo.includes("cluster_state:ok")) {
      throw new MigrationPreconditionError(`target ${target.host}:${target.port} reports ${/cluster_state:\w+/.exec(targetInfo)?.[0] ?? "no cluster_state"}; wait until it has joined the cluster (cluster_state:ok), then retry`);
    }
    this.setSlotScriptable = (await Promise.all([this.source, this.target].map(setSlotScriptable))).every(Boolean);
    const useAtomic = this.req.atomicMigration === "auto" && !this.pace.limiter.limited && (await Promise.all([this.source, this.target].map(probeAtomicSlotMigration))).every(Boolean);
    const stopGuard = !this.req.guard.enabled ? () => void 0 : await this.startGuard(useAtomic);
    const atomic = useAtomic ? new AtomicMove(this) : void 0;
    const timer = this.opts.onProgress ? setInterval(() => this.opts.onProgress?.(this.progress.snapshot()), this.opts.progressIntervalMs ?? 1e3) : void 0;
    try {
      if (atomic) await atomic.run();
      else await new KeyByKeyMove(this).run();
    } finally {
      if (timer) clearInterval(timer);
      stopGuard();
    }
    const final = this.progress.snapshot();
    this.opts.onProgress?.(final);
    return {
      ...final,
      cancelled: Boolean(this.opts.signal?.aborted),
      failedSlots: this.failedSlots.sort((a, b) => a.slot - b.slot),
      elapsedMs: Math.round(this.clock.monotonicMs() - this.startedAt),
      method: atomic ? "atomic" : "keys",
      atomicJobs: atomic?.jobs ?? 0
    };
  }
  /**
   * Measures the idle baseline, then probes and decides every DECISION_INTERVAL_MS until the move
   * ends. Returns the function that stops it. An atomic move probes from this thread (probe.ts).
   */
  async startGuard(atomic) {
    const probe = new LatencyProbe([this.req.source, this.req.target], this.clock, {
      username: this.req.username,
      password: this.req.password,
      priority: this.probePriority,
      tls: this.req.tls,
      inline: atomic
    });
    let baseline;
    try {
      baseline = probeP99(await probe.sample(BASELINE_MS));
    } catch (err) {
      probe.close();
      throw err;
    }
    const guard = new LatencyGuard(this.req.guard, baseline, this.req);
    const history = [{ at: this.clock.monotonicMs(), work: 0 }];
    const decide = () => {
      const now = this.clock.monotonicMs();
      const work = this.progress.keysMoved + SLOT_WORK_KEYS * (this.progress.slotsDone + this.progress.slotsFailed);
      history.push({ at: now, work });
      if (history.length > 4) history.shift();
      const oldest = history[0];
      const achieved = now > oldest.at ? (work - oldest.work) * 1e3 / (now - oldest.at) : 0;
      this.pace.set(guard.decide(now, achieved, probe.pendingAges()));
      this.progress.guard = guard.status();
    };
    this.pace.set(guard.decide(this.clock.monotonicMs(), 0));
    this.progress.guard = guard.status();
    probe.start((at, ms) => guard.record(at, ms));
    const timer = setInterval(decide, DECISION_INTERVAL_MS);
    return () => {
      clearInterval(timer);
      probe.close();
    };
  }
  /** Slots move only between the same engine at the same major.minor version (docs/engines.md#mixed-engines). */
  async checkEngines() {
    const [s, t] = await Promise.all([this.source, this.target].map(async (r) => engineIdentityOf(parseInfo(String(await r.call("INFO", "server"))))));
    if (s && t && !enginesCompatible(s, t)) {
      const { source, target } = this.req;
      throw new MigrationPreconditionError(`source ${source.host}:${source.port} runs ${engineLabel(s)} and target ${target.host}:${target.port} ${engineLabel(t)}: slots cannot move between different engines or versions; run one engine at one major.minor version in a cluster`);
    }
  }
  async refreshViews() {
    const [s, t] = await Promise.all([this.source.call("CLUSTER", "NODES"), this.target.call("CLUSTER", "NODES")]);
    this.sourceView = clusterViewOf(String(s));
    this.targetView = clusterViewOf(String(t));
  }
  checkMembership() {
    const { source, target } = this.req;
    const targetInSource = this.sourceView.nodes.get(this.targetView.myId);
    if (!targetInSource) {
      throw new MigrationPreconditionError(`target ${target.host}:${target.port} (node ${this.targetView.myId}) is not in the source's cluster; join it first (CLUSTER MEET)`);
    }
    for (const [view, addr, name] of [[this.sourceView, source, "source"], [this.targetView, target, "target"]]) {
      const me = view.nodes.get(view.myId);
      if (!me?.flags.includes("master")) {
        throw new MigrationPreconditionError(`${name} ${addr.host}:${addr.port} is not a primary (flags ${me?.flags.join(",") ?? "unknown"}); migrate between primaries`);
      }
    }
  }
};

// node-image/src/sidecar/member-migration.ts
async function migrateSlots2(m, checked, signal, onProgress) {
  let libRequest = checked.request;
  const { progressIntervalMs } = checked;
  const source = { ...libRequest.source, busPort: libRequest.source.busPort ?? libRequest.source.port + 1e4 };
  const already = m.migration();
  if (already) throw new SidecarError("ALREADY_EXISTS", `MigrateSlots: migration ${already.id} is running on this member; wait for it or CancelMigration`);
  return m.exclusive("MigrateSlots", async () => {
    requireState(m.state(), ["ONLINE", "ACTIVE", "MIGRATING"], "MigrateSlots", "the target must be an empty or active primary");
    if (engineRole(m.snapshot()) !== "primary") throw failedPrecondition("MigrateSlots: this member's engine is a replica; call MigrateSlots on a primary (the target)");
    const me = m.myself();
    const sourceNode = m.snapshot().nodes.find((n) => n.host === source.host && n.port === source.port);
    if (!sourceNode) throw failedPrecondition(`MigrateSlots: source ${source.host}:${source.port} is not in this engine's cluster; JoinCluster first`);
    if (libRequest.otherPrimaries === void 0) {
      libRequest = withOtherPrimaries(libRequest, m.snapshot().nodes.filter((n) => n.primary && !n.failed && n.id !== me.id && n.id !== sourceNode.id && n.slots.length > 0).map((n) => ({ host: n.host, port: n.port })));
    }
    const running = { id: randomUUID(), source, slots: [...libRequest.slots], controller: new AbortController(), progress: void 0 };
    const abortFromCaller = () => running.controller.abort();
    if (signal.aborted) throw new SidecarError("ABORTED", "MigrateSlots: the caller cancelled before the migration started");
    signal.addEventListener("abort", abortFromCaller, { once: true });
    m.setMigration(running);
    m.transition("MIGRATING", "MigrateSlots");
    const report = (p) => ({
      migrationId: running.id,
      slotsTotal: p.slotsTotal,
      slotsDone: p.slotsDone,
      slotsFailed: p.slotsFailed,
      keysMoved: p.keysMoved,
      bytesMoved: p.bytesMoved,
      keysPerSecond: p.keysPerSecond,
      bytesPerSecond: p.bytesPerSecond,
      activeSlots: p.activeSlots,
      maxSourceBlockMs: p.maxSourceBlockMs,
      guard: p.guard,
      done: false,
      cancelled: false,
      failedSlots: [],
      elapsedMs: m.clock.nowMs() - startedAtMs
    });
    const startedAtMs = m.clock.nowMs();
    m.log.info("migration started", { id: running.id, source: `${source.host}:${source.port}`, slots: formatSlotRanges(compactSlots(running.slots)) });
    let result;
    try {
      onProgress(report({ slotsTotal: running.slots.length, slotsDone: 0, slotsFailed: 0, keysMoved: 0, bytesMoved: 0, keysPerSecond: 0, bytesPerSecond: 0, activeSlots: [], maxSourceBlockMs: 0, guard: null }));
      result = await migrateSlots(libRequest, {
        signal: running.controller.signal,
        progressIntervalMs,
        onProgress: (p) => {
          running.progress = p;
          m.publish();
          onProgress(report(p));
        }
      });
    } catch (err) {
      if (err instanceof MigrationPreconditionError) throw failedPrecondition(`MigrateSlots: ${err.message}`);
      throw err;
    } finally {
      signal.removeEventListener("abort", abortFromCaller);
      m.setMigration(void 0);
      await m.refresh();
      const owns = countSlots(m.myself().slots) > 0;
      if (m.state() === "MIGRATING" && !observationOf(m.snapshot()).importingOrMigrating) m.transition(owns ? "ACTIVE" : "ONLINE", "MigrateSlots finished");
    }
    m.log.info("migration finished", { id: running.id, cancelled: result.cancelled, slotsDone: result.slotsDone, failed: result.failedSlots.length, keysMoved: result.keysMoved, elapsedMs: result.elapsedMs });
    return { ...report(result), done: true, cancelled: result.cancelled, failedSlots: result.failedSlots, elapsedMs: result.elapsedMs };
  });
}
function cancelMigration(m, { migrationId: id }) {
  const running = m.migration();
  if (!running) return { wasRunning: false };
  if (id && id !== running.id) throw new SidecarError("NOT_FOUND", `CancelMigration: migration ${id} is not running here; the running one is ${running.id}`);
  running.controller.abort();
  m.log.info("migration cancel requested", { id: running.id });
  return { wasRunning: true };
}

// node-image/src/sidecar/member-roles.ts
async function replicateFrom(m, { primaryNodeId: primaryId, timeoutMs }, onProgress) {
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
    if (keys > 0 && me.primaryId !== primaryId && engineRole(m.snapshot()) === "primary") {
      if (m.state() !== "RECOVERED") throw failedPrecondition(`ReplicateFrom: the engine holds ${keys} keys and the member is ${m.state()}; call Reset first (a standby starts empty)`);
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
        const inSync = phase === "in-sync" || linkUp && !syncing && primaryOffset - offset < 1024 * 1024 && m.snapshot().myself?.primaryId === primaryId;
        const progress = {
          phase,
          linkUp,
          syncTotalBytes: Number(info.get("master_sync_total_bytes") ?? 0),
          syncReadBytes: Number(info.get("master_sync_read_bytes") ?? 0),
          primaryOffset,
          offset,
          state: m.state(),
          done: false
        };
        if (!inSync) {
          onProgress(progress);
          return void 0;
        }
        m.transition("STANDBY", "ReplicateFrom");
        onProgress({ ...progress, phase: "in-sync", state: m.state(), done: true });
        return true;
      }, timeoutMs, () => `the full sync from ${primaryId} (link ${m.snapshot().info.get("master_link_status") ?? "?"})`, 200);
    } finally {
      peer.disconnect();
    }
  });
}
function prepareTakeover(m) {
  requireState(m.state(), ["STANDBY"], "PrepareTakeover");
  const me = m.snapshot().myself;
  if (!me || !me.primaryId) throw failedPrecondition("PrepareTakeover: the engine follows no primary");
  const grant = m.fence.issue(me.primaryId);
  m.log.warn("fence token issued for TAKEOVER", { primaryNodeId: me.primaryId, expiresAtMs: grant.expiresAtMs });
  return { fenceToken: grant.token, primaryNodeId: grant.primaryNodeId, expiresAtMs: grant.expiresAtMs };
}
async function promote(m, { mode, fenceToken, timeoutMs }) {
  return m.exclusive("Promote", async () => {
    if (m.state() === "ACTIVE") throw failedPrecondition(`Promote ${mode}: the member is already ACTIVE (a primary serving its slots)`);
    checkTransition(m.state(), "ACTIVE", `Promote ${mode}`);
    requireState(m.state(), ["STANDBY"], `Promote ${mode}`);
    const me = m.myself();
    if (engineRole(m.snapshot()) !== "replica" || !me.primaryId) throw failedPrecondition(`Promote ${mode}: the engine is not a replica of any primary`);
    const linkUp = m.snapshot().info.get("master_link_status") === "up";
    let args;
    if (mode === "GRACEFUL") {
      if (!linkUp) throw failedPrecondition(`Promote GRACEFUL: the replication link to primary ${me.primaryId} is down, so a switchover cannot confirm every acknowledged write; use FORCE if the primary is gone`);
      const wonAt = m.becamePrimaryAtMs();
      if (wonAt !== void 0) {
        const left = electionCooldownLeftMs(wonAt, await engineNodeTimeoutMs(m), m.clock.nowMs());
        if (left > 0) throw failedPrecondition(`Promote GRACEFUL: this member won an election ${Math.round((m.clock.nowMs() - wonAt) / 1e3)} s ago, and the engine counts that election's votes again until 4 \xD7 cluster-node-timeout has passed (a manual failover now would not take and would pause the primary's writes for 5 s); retry in ${Math.ceil(left / 1e3)} s`);
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
    if (mode === "GRACEFUL") await waitUntilCaughtUp(m, me.primaryId, 5e3);
    const started = m.clock.nowMs();
    await m.engine.call(...args);
    await pollUntil(async () => {
      await m.refresh();
      const nowMe = m.snapshot().myself;
      return engineRole(m.snapshot()) === "primary" && nowMe && countSlots(nowMe.slots) > 0 ? true : void 0;
    }, timeoutMs, () => `the engine to become primary after ${args.join(" ")} (still ${engineRole(m.snapshot())})`, 50);
    const pauseMs = m.clock.nowMs() - started;
    m.transition("ACTIVE", `Promote ${mode}`);
    return { status: m.status(), offsetAtSwitch: Number(m.snapshot().info.get("master_repl_offset") ?? 0), pauseMs };
  });
}
function electionCooldownLeftMs(wonAtMs, nodeTimeoutMs, nowMs) {
  const authTimeoutMs = Math.max(2 * nodeTimeoutMs, 2e3);
  return Math.max(0, wonAtMs + 2 * authTimeoutMs - nowMs);
}
async function engineNodeTimeoutMs(m) {
  const reply = await m.engine.call("CONFIG", "GET", "cluster-node-timeout");
  const value = Number(String(reply?.[1] ?? ""));
  return Number.isFinite(value) && value > 0 ? value : 15e3;
}
async function waitUntilCaughtUp(m, primaryId, maxWaitMs) {
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

// node-image/src/sidecar/shutdown-handover.ts
var ShutdownHandover = class {
  constructor(engine, log) {
    this.engine = engine;
    this.log = log;
  }
  engine;
  log;
  runId = "";
  /** Whether the running engine hands over on SIGTERM; undefined until it was asked. */
  enabled;
  /** Called on every observation of an engine that is up. */
  async keep(snapshot) {
    if (snapshot.runId === this.runId) return;
    try {
      await this.engine.call("CONFIG", "SET", "shutdown-on-sigterm", "failover");
      this.enabled = true;
      this.log.info("engine hands its slots to a standby when it stops (shutdown-on-sigterm failover)");
    } catch (err) {
      const reply = err.message;
      if (!/^ERR/.test(reply)) return;
      this.enabled = false;
      this.log.info("engine has no failover on shutdown; the operator fails its shard over once it stopped", { reply });
    }
    this.runId = snapshot.runId;
  }
};
var ENGINE_STOP_START_MS = 1e3;
function stopVerdict(engine, elapsedMs, limitMs) {
  if (!engine.up || !engine.primaryWithSlots) return "released";
  if (elapsedMs >= limitMs) return "timeout";
  if (!engine.stopping && elapsedMs >= ENGINE_STOP_START_MS) return "not-stopping";
  return "wait";
}

// node-image/src/sidecar/node-timeout.ts
var FORMATION_NODE_TIMEOUT_MS = 1e3;
function formationNodeTimeoutMs(specMs) {
  return Math.min(specMs, FORMATION_NODE_TIMEOUT_MS);
}
function wantedNodeTimeoutMs(clusterInfo, specMs) {
  if (clusterInfo.get("cluster_state") === "ok") return specMs;
  if (Number(clusterInfo.get("cluster_slots_assigned") ?? 0) === 0) return formationNodeTimeoutMs(specMs);
  return void 0;
}
var NodeTimeoutKeeper = class {
  constructor(engine, specMs, log) {
    this.engine = engine;
    this.specMs = specMs;
    this.log = log;
  }
  engine;
  specMs;
  log;
  runId = "";
  current;
  /** Called on every observation of an engine that is up. */
  async keep(snapshot) {
    if (snapshot.runId !== this.runId) {
      this.runId = snapshot.runId;
      this.current = void 0;
    }
    const wanted = wantedNodeTimeoutMs(snapshot.clusterInfo, this.specMs);
    if (wanted === void 0) return;
    if (this.current === void 0) this.current = Number(configValue(await this.engine.call("CONFIG", "GET", "cluster-node-timeout")));
    if (this.current === wanted) return;
    await this.engine.call("CONFIG", "SET", "cluster-node-timeout", wanted);
    this.log.info("engine cluster-node-timeout set", {
      from: this.current,
      to: wanted,
      why: wanted === this.specMs ? "cluster_state ok: the spec's timeout" : "no slot owner known: forming a cluster"
    });
    this.current = wanted;
  }
};
function configValue(reply) {
  if (Array.isArray(reply)) return String(reply[1]);
  if (reply && typeof reply === "object") return String(Object.values(reply)[0]);
  return String(reply);
}

// node-image/src/sidecar/state-store.ts
import { openSync, writeSync, fsyncSync, closeSync, renameSync, readFileSync as readFileSync2, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
var stateFileName = "mdb-member-state.json";
function stateFilePath(dataDir) {
  return join(dataDir, stateFileName);
}
function writeMemberState(path, value) {
  writeJsonAtomic(path, value);
}
function writeJsonAtomic(path, value) {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, "w", 384);
  try {
    writeSync(fd, JSON.stringify(value, null, 2) + "\n");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  const dirFd = openSync(dirname(path), "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
function readMemberState(path) {
  let text;
  try {
    text = readFileSync2(path, "utf8");
  } catch (err) {
    if (err.code === "ENOENT") return void 0;
    throw err;
  }
  return parsePersistedMemberState(text, path);
}
function parsePersistedMemberState(text, source) {
  let raw;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${err.message}); delete it to start the member as ONLINE`);
  }
  const obj = raw;
  if (typeof obj !== "object" || obj === null) throw new Error(`${source}: expected a JSON object`);
  if (!isMemberState(obj.state)) throw new Error(`${source}: field "state" is ${JSON.stringify(obj.state)}, expected one of OFFLINE, ONLINE, MIGRATING, ACTIVE, STANDBY, RECOVERED`);
  return {
    state: obj.state,
    engineNodeId: typeof obj.engineNodeId === "string" ? obj.engineNodeId : "",
    engineHadKeys: obj.engineHadKeys === true,
    updatedAtMs: typeof obj.updatedAtMs === "number" ? obj.updatedAtMs : 0,
    reason: typeof obj.reason === "string" ? obj.reason : ""
  };
}

// node-image/src/sidecar/member.ts
var Member = class {
  constructor(settings, log = sidecarLogger(settings), clock = systemClock) {
    this.settings = settings;
    this.log = log;
    this.clock = clock;
    this.fence = new FenceTokens(settings.fenceTokenTtlMs, clock);
    this.statePath = stateFilePath(settings.dataDir);
    this.persisted = readMemberState(this.statePath);
    this.engine = new EngineDriver(settings.podIp, settings.enginePort, settings.enginePassword, settings.engineTls);
    this.nodeTimeout = settings.nodeTimeoutMs === void 0 ? void 0 : new NodeTimeoutKeeper(this.engine, settings.nodeTimeoutMs, log);
    this.handover = new ShutdownHandover(this.engine, log);
    this.status = buildStatus(this.state, this.snapshot, null, "");
    this.context = {
      engine: this.engine,
      clock,
      log,
      fence: this.fence,
      state: () => this.state,
      snapshot: () => this.snapshot,
      becamePrimaryAtMs: () => this.becamePrimaryAtMs,
      status: () => this.status,
      refresh: () => this.refresh(),
      exclusive: (action, fn) => this.exclusive(action, fn),
      transition: (next, action) => this.transition(next, action),
      persist: (reason) => this.persist(reason),
      myself: () => this.myself(),
      publish: () => this.publish(),
      migration: () => this.migration,
      setMigration: (m) => {
        this.migration = m;
      }
    };
  }
  settings;
  log;
  clock;
  state = "OFFLINE";
  persisted;
  snapshot = downSnapshot("not observed yet", Date.now());
  status;
  lastRunId = "";
  lastRole = "unknown";
  becamePrimaryAtMs;
  lastTickMs = Date.now();
  lastError = "";
  tickInFlight;
  timer;
  stopped = false;
  busy;
  migration;
  fence;
  listeners = /* @__PURE__ */ new Set();
  statePath;
  nodeTimeout;
  handover;
  engine;
  /** The digest of the TLS files in use, reported in status (tls-files.ts); "" without TLS. */
  tlsDigest = () => "";
  /** What the command files (member-cluster.ts, member-roles.ts, member-migration.ts) see of this member. */
  context;
  start() {
    const loop = async () => {
      if (this.stopped) return;
      await this.refresh().catch((err) => {
        this.lastError = `observe: ${err.message}`;
        this.log.warn("observe tick failed", { error: err.message });
      });
      if (!this.stopped) this.timer = setTimeout(loop, this.settings.observeIntervalMs);
    };
    this.engine.onDisconnect(() => this.observeAfterTick());
    void loop();
  }
  /** One more observation now, after the one in flight (which may have begun before the news). */
  observeAfterTick() {
    if (this.stopped) return;
    void (this.tickInFlight ?? Promise.resolve()).then(() => this.stopped ? void 0 : this.refresh()).catch(() => void 0);
  }
  /**
   * Called on the sidecar's SIGTERM before it closes its servers: observes and reports every 100 ms while
   * the engine hands its slots over as it stops (shutdown-handover.ts stopVerdict), up to `limitMs`.
   */
  async reportWhileEngineStops(limitMs) {
    const startedAt = this.clock.nowMs();
    for (; ; ) {
      await this.refresh().catch(() => void 0);
      const s = this.snapshot;
      const verdict = stopVerdict({
        up: s.up,
        primaryWithSlots: engineRole(s) === "primary" && observationOf(s).slotsOwned > 0,
        stopping: s.info.has("shutdown_in_milliseconds")
      }, this.clock.nowMs() - startedAt, limitMs);
      if (verdict !== "wait") return { verdict, waitedMs: this.clock.nowMs() - startedAt };
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  async stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.migration?.controller.abort();
    await this.tickInFlight;
    await this.engine.close();
  }
  // ------------------------------------------------------------------------------------------------
  // observation, state restore and reconcile
  /** Observes the engine now (or joins the observation already running) and returns the fresh status. */
  async refresh() {
    if (!this.tickInFlight) {
      this.tickInFlight = this.tick().finally(() => {
        this.tickInFlight = void 0;
      });
    }
    await this.tickInFlight;
    return this.status;
  }
  async tick() {
    const snapshot = await this.engine.observe(this.clock.nowMs());
    this.snapshot = snapshot;
    const role = engineRole(snapshot);
    if (role === "primary" && this.lastRole === "replica") this.becamePrimaryAtMs = snapshot.observedAtMs;
    if (role !== "unknown") this.lastRole = role;
    if (snapshot.up) {
      const engineRestarted = snapshot.runId !== this.lastRunId;
      if (engineRestarted) {
        this.becamePrimaryAtMs = void 0;
        this.restoreAfterStart(snapshot);
        this.lastRunId = snapshot.runId;
      } else if (!this.busy) {
        const next = reconciledState(this.state, observationOf(snapshot), this.migration !== void 0);
        if (next) this.setState(next, `engine now ${engineRole(snapshot)} with ${observationOf(snapshot).slotsOwned} slots`);
      }
      await this.nodeTimeout?.keep(snapshot).catch((err) => this.log.warn("cannot set the engine's cluster-node-timeout", { error: err.message }));
      await this.handover.keep(snapshot);
      if (snapshot.nodeId && (this.state === "ONLINE" || this.state === "RECOVERED") && this.persisted?.engineNodeId !== snapshot.nodeId) {
        this.persist("engine node id changed while holding no data");
      } else if (this.persisted && this.persisted.engineHadKeys !== observationOf(snapshot).keys > 0) {
        this.persist(observationOf(snapshot).keys > 0 ? "engine now holds keys" : "engine now holds no keys");
      }
    }
    this.lastTickMs = this.clock.nowMs();
    this.publish();
  }
  /** The engine (re)started, or the sidecar did: decide where this member belongs (docs/architecture.md#member-states). */
  restoreAfterStart(snapshot) {
    const before = this.state;
    const next = restoredState(this.persisted, observationOf(snapshot));
    const why = this.persisted ? `engine started (node ${snapshot.nodeId}); persisted ${this.persisted.state} for node ${this.persisted.engineNodeId || "(none)"}` : `engine started (node ${snapshot.nodeId}); no persisted state`;
    this.state = next;
    if (next !== before || this.persisted?.state !== next || this.persisted?.engineNodeId !== snapshot.nodeId) this.persist(why);
    if (next === "RECOVERED" && before !== "RECOVERED") this.log.warn("member RECOVERED: its engine lost its data; it must resync as a standby", { why });
    else this.log.info(`member restored as ${next}`, { why });
  }
  persist(reason) {
    const value = {
      state: this.state,
      engineNodeId: this.snapshot.nodeId || this.persisted?.engineNodeId || "",
      engineHadKeys: this.snapshot.up ? observationOf(this.snapshot).keys > 0 : this.persisted?.engineHadKeys ?? false,
      updatedAtMs: this.clock.nowMs(),
      reason
    };
    writeMemberState(this.statePath, value);
    this.persisted = value;
  }
  setState(next, reason) {
    if (next === this.state) return;
    const from = this.state;
    this.state = next;
    this.persist(reason);
    this.log.info(`state ${from} \u2192 ${next}`, { reason });
    this.publish();
  }
  /** Moves through the table, refusing a transition it does not allow (FAILED_PRECONDITION upstream). */
  transition(next, action) {
    if (next === this.state) return;
    checkTransition(this.state, next, action);
    this.setState(next, action);
  }
  publish() {
    const m = this.migration;
    const summary = m ? {
      migrationId: m.id,
      source: { host: m.source.host, port: m.source.port, busPort: m.source.busPort },
      slotsTotal: m.slots.length,
      slotsDone: m.progress?.slotsDone ?? 0,
      keysMoved: m.progress?.keysMoved ?? 0
    } : null;
    const before = significantPart(this.status);
    this.status = buildStatus(this.state, this.snapshot, summary, this.lastError, this.tlsDigest());
    if (significantPart(this.status) !== before) for (const l of this.listeners) l(this.status);
  }
  currentStatus() {
    return this.status;
  }
  /** Calls `listener` on every significant change; returns the unsubscribe function. */
  onChange(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  /** What /metrics shows: the engine observed now (as last observed when that fails), the state and the migration this member drives. */
  async metricsView() {
    await this.refresh().catch(() => void 0);
    const m = this.migration;
    return { state: this.state, ready: this.status.ready, snapshot: this.snapshot, migration: m && { slotsTotal: m.slots.length, progress: m.progress }, nowMs: this.clock.nowMs() };
  }
  readiness() {
    return judgeReadiness(readinessInputOf(this.state, this.snapshot));
  }
  liveness(nowMs) {
    return judgeLiveness(nowMs, this.lastTickMs, this.settings.livenessStaleMs);
  }
  // ------------------------------------------------------------------------------------------------
  // the gate every mutating command passes
  /** One mutating command at a time; reconcile pauses meanwhile so it does not race the command. */
  async exclusive(action, fn) {
    if (this.busy) throw new SidecarError("ABORTED", `${action} refused: ${this.busy} is in progress on this member; retry when it has finished${this.busy === "MigrateSlots" ? " or CancelMigration" : ""}`);
    this.busy = action;
    try {
      await this.refresh();
      this.requireEngine(action);
      return await fn();
    } catch (err) {
      const refusal = err instanceof SidecarError ? err.code === "INVALID_ARGUMENT" || err.code === "FAILED_PRECONDITION" || err.code === "ABORTED" : err instanceof InvalidTransitionError || err instanceof WrongStateError;
      if (!refusal) this.lastError = `${action}: ${err.message}`;
      throw err;
    } finally {
      this.busy = void 0;
      await this.refresh().catch(() => void 0);
    }
  }
  requireEngine(action) {
    if (!this.snapshot.up) throw new SidecarError("UNAVAILABLE", `${action} needs the engine, which is not answering (${this.snapshot.error}); check the engine container`);
  }
  myself() {
    const me = this.snapshot.myself;
    if (!me) throw new SidecarError("UNAVAILABLE", "the engine did not report itself in CLUSTER NODES; is cluster-enabled on?");
    return me;
  }
  // The commands, each checked at the gRPC edge (requests.ts, migrate-request.ts).
  joinCluster(command) {
    return joinCluster(this.context, command);
  }
  assignSlots(command) {
    return assignSlots(this.context, command);
  }
  forgetNode(command) {
    return forgetNode(this.context, command);
  }
  leaveCluster() {
    return leaveCluster(this.context);
  }
  reset() {
    return reset(this.context);
  }
  replicateFrom(command, onProgress) {
    return replicateFrom(this.context, command, onProgress);
  }
  prepareTakeover() {
    return prepareTakeover(this.context);
  }
  promote(command) {
    return promote(this.context, command);
  }
  /** MigrateSlots on this member (the target). */
  migrateSlots(command, signal, onProgress) {
    return migrateSlots2(this.context, command, signal, onProgress);
  }
  cancelMigration(command) {
    return cancelMigration(this.context, command);
  }
};

// common/http-server.ts
import { createRequire } from "node:module";
var { createServer } = createRequire(import.meta.url)("node:http");

// node-image/src/sidecar/metrics-server.ts
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";

// node-image/src/sidecar/engine-metrics.ts
var def = (name, type, help, labelNames = []) => ({ name, type, help, labelNames });
var PRIMARY_SIDE = ["slave_ip", "slave_port", "slave_state"];
var REPLICA_SIDE = ["master_host", "master_port"];
var MEMBER_METRICS = [
  def("redis_up", "gauge", "1 when the engine answered the sidecar's last observation, else 0."),
  def("redis_instance_info", "gauge", "Always 1, labelled with the engine's role (master, slave), INFO redis_version and the engine and its version.", ["role", "redis_version", "engine", "engine_version"]),
  def("redis_uptime_in_seconds", "gauge", "Seconds since the engine process started."),
  def("redis_memory_used_bytes", "gauge", "Memory the engine's allocator holds (INFO used_memory)."),
  def("redis_memory_max_bytes", "gauge", "The engine's maxmemory in bytes; 0 = no limit."),
  def("redis_connected_clients", "gauge", "Client connections to the engine (the sidecar's own included)."),
  def("redis_commands_processed_total", "counter", "Commands the engine processed since it started."),
  def("redis_instantaneous_ops_per_sec", "gauge", "Commands per second, as the engine samples it."),
  def("redis_keyspace_hits_total", "counter", "Key lookups that found the key."),
  def("redis_keyspace_misses_total", "counter", "Key lookups that did not find the key."),
  def("redis_expired_keys_total", "counter", "Keys removed because they expired."),
  def("redis_evicted_keys_total", "counter", "Keys evicted under maxmemory."),
  def("redis_db_keys", "gauge", "Keys in the database (a cluster engine has db0 only).", ["db"]),
  def("redis_db_keys_expiring", "gauge", "Keys with an expiry in the database.", ["db"]),
  def("redis_connected_slaves", "gauge", "Replicas connected to this engine."),
  def("redis_master_repl_offset", "gauge", "The engine's replication offset (a primary's stream position; a replica's copy of its primary's)."),
  def("redis_connected_slave_offset_bytes", "gauge", "On a primary: the offset each replica acknowledged.", PRIMARY_SIDE),
  def("redis_connected_slave_lag_seconds", "gauge", "On a primary: seconds since each replica last acknowledged.", PRIMARY_SIDE),
  def("redis_master_link_up", "gauge", "On a replica: 1 while its link to its primary is up.", REPLICA_SIDE),
  def("redis_master_sync_in_progress", "gauge", "On a replica: 1 while a full sync from its primary runs.", REPLICA_SIDE),
  def("redis_master_last_io_seconds_ago", "gauge", "On a replica: seconds since its primary last sent anything (-1 while the link is down).", REPLICA_SIDE),
  def("redis_slave_repl_offset", "gauge", "On a replica: the offset of its primary's stream it has processed.", REPLICA_SIDE),
  def("redis_cluster_state", "gauge", "1 when the engine's cluster_state is ok (it serves), else 0."),
  def("redis_cluster_slots_assigned", "gauge", "Slots the engine sees assigned to some node."),
  def("redis_cluster_slots_ok", "gauge", "Assigned slots whose owner the engine sees healthy."),
  def("redis_cluster_slots_pfail", "gauge", "Assigned slots whose owner the engine suspects failed."),
  def("redis_cluster_slots_fail", "gauge", "Assigned slots whose owner the cluster agreed has failed."),
  def("redis_cluster_known_nodes", "gauge", "Nodes the engine knows, itself included."),
  def("redis_cluster_size", "gauge", "Primaries that own at least one slot, as the engine sees them."),
  def("redis_cluster_current_epoch", "gauge", "The cluster's current epoch as the engine sees it."),
  def("redis_cluster_my_epoch", "gauge", "The engine's own config epoch."),
  def("mdb_member_state", "gauge", "1 for the member's state in the sidecar's state machine, 0 for the others.", ["state"]),
  def("mdb_member_ready", "gauge", "1 while the member serves its role (its /readyz is 200)."),
  def("mdb_member_slots", "gauge", "Slots this engine owns, and those it is importing or migrating.", ["state"]),
  def("mdb_member_replica_lag_bytes", "gauge", "On a primary: how far each replica's acknowledged offset is behind the primary's.", ["replica_ip", "replica_port"]),
  def("mdb_member_observation_age_seconds", "gauge", "Age of the observation of the engine these values come from."),
  def("mdb_member_migration_running", "gauge", "1 while this member (a move's target) drives a slot migration."),
  def("mdb_member_migration_slots", "gauge", "Slots of the running migration by state (total, done, failed).", ["state"]),
  def("mdb_member_migration_keys_moved", "gauge", "Keys the running migration has moved."),
  def("mdb_member_migration_keys_per_second", "gauge", "Keys per second the running migration moves now."),
  def("mdb_member_migration_guard_probe_p99_milliseconds", "gauge", "The latency guard's p99 of its PING probes to source and target over its last window."),
  def("mdb_member_migration_guard_baseline_p99_milliseconds", "gauge", "The guard's idle p99 of the probes, measured before the move (or lower since)."),
  def("mdb_member_migration_guard_budget_milliseconds", "gauge", "The p99 the guard keeps the probes under."),
  def("mdb_member_migration_guard_level", "gauge", "The guard's pace level: 1 = the configured pace, lower = slowed for the clients.")
];
function reported(map, key) {
  const text = map.get(key);
  if (text === void 0 || text === "") return void 0;
  const v = Number(text);
  return Number.isFinite(v) ? v : void 0;
}
function memberSamples(view) {
  const out = [];
  const add = (name, value, labels = {}) => {
    if (value !== void 0) out.push({ name, labels, value });
  };
  const { snapshot: s } = view;
  add("redis_up", s.up ? 1 : 0);
  if (s.up) engineSamples(s, add);
  for (const state of memberStates) add("mdb_member_state", state === view.state ? 1 : 0, { state });
  add("mdb_member_ready", view.ready ? 1 : 0);
  if (s.up && s.myself) {
    add("mdb_member_slots", countSlots(s.myself.slots), { state: "owned" });
    add("mdb_member_slots", s.myself.importing.length, { state: "importing" });
    add("mdb_member_slots", s.myself.migrating.length, { state: "migrating" });
  }
  add("mdb_member_observation_age_seconds", Math.max(0, view.nowMs - s.observedAtMs) / 1e3);
  migrationSamples(view.migration, add);
  return out;
}
function engineSamples(s, add) {
  const { info, clusterInfo } = s;
  const identity = engineIdentityOf(info);
  add("redis_instance_info", 1, { role: info.get("role") ?? "", redis_version: info.get("redis_version") ?? "", engine: identity?.name ?? "", engine_version: identity?.version ?? "" });
  const direct = [
    ["redis_uptime_in_seconds", "uptime_in_seconds"],
    ["redis_memory_used_bytes", "used_memory"],
    ["redis_memory_max_bytes", "maxmemory"],
    ["redis_connected_clients", "connected_clients"],
    ["redis_commands_processed_total", "total_commands_processed"],
    ["redis_instantaneous_ops_per_sec", "instantaneous_ops_per_sec"],
    ["redis_keyspace_hits_total", "keyspace_hits"],
    ["redis_keyspace_misses_total", "keyspace_misses"],
    ["redis_expired_keys_total", "expired_keys"],
    ["redis_evicted_keys_total", "evicted_keys"],
    ["redis_connected_slaves", "connected_slaves"],
    ["redis_master_repl_offset", "master_repl_offset"]
  ];
  for (const [metric, field] of direct) add(metric, reported(info, field));
  const db0 = infoFields(info.get("db0") ?? "keys=0,expires=0");
  add("redis_db_keys", Number(db0.get("keys") ?? 0), { db: "db0" });
  add("redis_db_keys_expiring", Number(db0.get("expires") ?? 0), { db: "db0" });
  replicationSamples(info, add);
  add("redis_cluster_state", clusterInfo.get("cluster_state") === "ok" ? 1 : 0);
  for (const field of ["slots_assigned", "slots_ok", "slots_pfail", "slots_fail", "known_nodes", "size", "current_epoch", "my_epoch"]) {
    add(`redis_cluster_${field}`, reported(clusterInfo, `cluster_${field}`));
  }
}
function replicationSamples(info, add) {
  const primaryOffset = reported(info, "master_repl_offset");
  for (const [key, value] of info) {
    if (!/^slave\d+$/.test(key)) continue;
    const r = infoFields(value);
    const labels2 = { slave_ip: r.get("ip") ?? "", slave_port: r.get("port") ?? "", slave_state: r.get("state") ?? "" };
    const offset = reported(r, "offset");
    add("redis_connected_slave_offset_bytes", offset, labels2);
    add("redis_connected_slave_lag_seconds", reported(r, "lag"), labels2);
    if (offset !== void 0 && primaryOffset !== void 0) add("mdb_member_replica_lag_bytes", Math.max(0, primaryOffset - offset), { replica_ip: labels2.slave_ip, replica_port: labels2.slave_port });
  }
  if (info.get("role") !== "slave") return;
  const labels = { master_host: info.get("master_host") ?? "", master_port: info.get("master_port") ?? "" };
  add("redis_master_link_up", info.get("master_link_status") === "up" ? 1 : 0, labels);
  add("redis_master_sync_in_progress", reported(info, "master_sync_in_progress"), labels);
  add("redis_master_last_io_seconds_ago", reported(info, "master_last_io_seconds_ago"), labels);
  add("redis_slave_repl_offset", reported(info, "slave_repl_offset"), labels);
}
function migrationSamples(migration, add) {
  add("mdb_member_migration_running", migration ? 1 : 0);
  if (!migration) return;
  const p = migration.progress;
  add("mdb_member_migration_slots", migration.slotsTotal, { state: "total" });
  add("mdb_member_migration_slots", p?.slotsDone ?? 0, { state: "done" });
  add("mdb_member_migration_slots", p?.slotsFailed ?? 0, { state: "failed" });
  add("mdb_member_migration_keys_moved", p?.keysMoved ?? 0);
  add("mdb_member_migration_keys_per_second", p?.keysPerSecond ?? 0);
  const g = p?.guard;
  if (!g?.enabled) return;
  add("mdb_member_migration_guard_probe_p99_milliseconds", g.observedP99Ms);
  add("mdb_member_migration_guard_baseline_p99_milliseconds", g.baselineP99Ms);
  add("mdb_member_migration_guard_budget_milliseconds", g.budgetMs);
  add("mdb_member_migration_guard_level", g.level);
}

// node-image/src/sidecar/metrics-server.ts
function memberLabels(identity) {
  const labels = {};
  if (identity.cluster) labels.cluster = identity.cluster;
  if (identity.member) labels.member = identity.member;
  if (identity.shard !== void 0) labels.shard = String(identity.shard);
  return labels;
}
var MemberMetrics = class {
  registry = new Registry();
  metrics = /* @__PURE__ */ new Map();
  /** Metrics without labels: prom-client keeps a 0 for them after reset, and a value nobody reported is not 0. */
  unlabelled = [];
  constructor(identity, opts = {}) {
    this.registry.setDefaultLabels(memberLabels(identity));
    const registers = [this.registry];
    for (const d of MEMBER_METRICS) {
      const config = { name: d.name, help: d.help, labelNames: [...d.labelNames], registers };
      const metric = d.type === "counter" ? new Counter(config) : new Gauge(config);
      this.metrics.set(d.name, metric);
      if (d.labelNames.length === 0) this.unlabelled.push(metric);
    }
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "mdb_sidecar_" });
  }
  /** The exposition text for `view`: exactly its samples (a metric without one lists no value, not 0). */
  render(view) {
    for (const metric of this.metrics.values()) metric.reset();
    for (const metric of this.unlabelled) metric.remove();
    for (const s of memberSamples(view)) {
      const metric = this.metrics.get(s.name);
      if (metric instanceof Counter) metric.inc(s.labels, s.value);
      else metric.set(s.labels, s.value);
    }
    return this.registry.metrics();
  }
};
async function startMetricsServer(source, metrics, hosts, port) {
  const servers = [];
  for (const host of hosts) {
    const server = createServer((req, res) => {
      if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") return void res.writeHead(404, { "content-type": "text/plain" }).end("unknown path: use GET /metrics\n");
      source.metricsView().then((view) => metrics.render(view)).then(
        (text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
        (err) => res.writeHead(500, { "content-type": "text/plain" }).end(`${err.message}
`)
      );
    });
    await new Promise((resolve, reject) => {
      server.once("error", (err) => reject(new Error(`metrics server cannot listen on ${host}:${port}: ${err.message}`)));
      server.listen(port, host, () => resolve());
    });
    servers.push(server);
  }
  return { close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(() => r())))).then(() => void 0) };
}

// node-image/src/sidecar/server.ts
import * as grpc3 from "@grpc/grpc-js";

// proto/service.ts
import * as grpc2 from "@grpc/grpc-js";

// proto/generated/schema.ts
var SCHEMA = {
  package: "mdb.sidecar.v1",
  enums: {
    MemberState: { "MEMBER_STATE_UNSPECIFIED": 0, "OFFLINE": 1, "ONLINE": 2, "MIGRATING": 3, "ACTIVE": 4, "STANDBY": 5, "RECOVERED": 6 },
    EngineRole: { "ENGINE_ROLE_UNSPECIFIED": 0, "PRIMARY": 1, "REPLICA": 2 },
    PromoteMode: { "PROMOTE_MODE_UNSPECIFIED": 0, "GRACEFUL": 1, "FORCE": 2, "TAKEOVER": 3 }
  },
  messages: {
    EngineAddress: [["host", 1, "string", false], ["port", 2, "uint32", false], ["busPort", 3, "uint32", false]],
    SlotRange: [["start", 1, "uint32", false], ["end", 2, "uint32", false]],
    SlotTransfer: [["slot", 1, "uint32", false], ["nodeId", 2, "string", false]],
    ReplicationStatus: [["primaryNodeId", 1, "string", false], ["primaryHost", 2, "string", false], ["primaryPort", 3, "uint32", false], ["linkUp", 4, "bool", false], ["syncInProgress", 5, "bool", false], ["offset", 6, "uint64", false], ["connectedReplicas", 7, "uint32", false], ["linkedSinceStart", 8, "bool", false]],
    MigrationSummary: [["migrationId", 1, "string", false], ["source", 2, "EngineAddress", false], ["slotsTotal", 3, "uint32", false], ["slotsDone", 4, "uint32", false], ["keysMoved", 5, "uint64", false]],
    MemberStatus: [["state", 1, "MemberState", false], ["role", 2, "EngineRole", false], ["nodeId", 3, "string", false], ["slots", 4, "SlotRange", true], ["importing", 5, "SlotTransfer", true], ["migrating", 6, "SlotTransfer", true], ["replication", 7, "ReplicationStatus", false], ["memoryUsedBytes", 8, "uint64", false], ["memoryMaxBytes", 9, "uint64", false], ["keys", 10, "uint64", false], ["opsPerSecond", 11, "double", false], ["engineUp", 12, "bool", false], ["clusterState", 13, "string", false], ["clusterKnownNodes", 14, "uint32", false], ["slotsOwned", 15, "uint32", false], ["migration", 16, "MigrationSummary", false], ["ready", 17, "bool", false], ["notReadyReason", 18, "string", false], ["observedAtMs", 19, "uint64", false], ["lastError", 20, "string", false], ["engine", 21, "EngineInfo", false], ["unreachablePeers", 22, "UnreachablePeer", true], ["tlsDigest", 23, "string", false]],
    UnreachablePeer: [["nodeId", 1, "string", false], ["host", 2, "string", false], ["port", 3, "uint32", false]],
    EngineInfo: [["name", 1, "string", false], ["version", 2, "string", false], ["capabilities", 3, "string", true], ["unsupportedReason", 4, "string", false]],
    GetStatusRequest: [],
    WatchStatusRequest: [],
    JoinClusterRequest: [["peers", 1, "EngineAddress", true], ["timeoutMs", 2, "uint32", false]],
    JoinClusterResponse: [["knownNodes", 1, "uint32", false]],
    AssignSlotsRequest: [["slots", 1, "SlotRange", true]],
    AssignSlotsResponse: [["status", 1, "MemberStatus", false]],
    ReplicateFromRequest: [["primaryNodeId", 1, "string", false], ["timeoutMs", 2, "uint32", false]],
    ReplicationProgress: [["phase", 1, "string", false], ["linkUp", 2, "bool", false], ["syncTotalBytes", 3, "uint64", false], ["syncReadBytes", 4, "uint64", false], ["primaryOffset", 5, "uint64", false], ["offset", 6, "uint64", false], ["state", 7, "MemberState", false], ["done", 8, "bool", false]],
    PrepareTakeoverRequest: [],
    PrepareTakeoverResponse: [["fenceToken", 1, "string", false], ["primaryNodeId", 2, "string", false], ["expiresAtMs", 3, "uint64", false]],
    PromoteRequest: [["mode", 1, "PromoteMode", false], ["fenceToken", 2, "string", false], ["timeoutMs", 3, "uint32", false]],
    PromoteResponse: [["status", 1, "MemberStatus", false], ["offsetAtSwitch", 2, "uint64", false], ["pauseMs", 3, "uint64", false]],
    RateLimit: [["keysPerSecond", 1, "double", false], ["bytesPerSecond", 2, "double", false]],
    ScheduleWindow: [["start", 1, "string", false], ["end", 2, "string", false], ["rate", 3, "RateLimit", false]],
    MigrateSlotsRequest: [["source", 1, "EngineAddress", false], ["slots", 2, "SlotRange", true], ["otherPrimaries", 3, "EngineAddress", true], ["batchKeys", 4, "uint32", false], ["window", 5, "uint32", false], ["parallelSlots", 6, "uint32", false], ["rate", 7, "RateLimit", false], ["schedule", 8, "ScheduleWindow", true], ["migrateTimeoutMs", 9, "uint32", false], ["progressIntervalMs", 10, "uint32", false], ["guard", 11, "LatencyGuard", false]],
    LatencyGuard: [["disabled", 1, "bool", false], ["budgetFactor", 2, "double", false], ["budgetMs", 3, "double", false], ["floorKeysPerSecond", 4, "uint32", false]],
    FailedSlot: [["slot", 1, "uint32", false], ["error", 2, "string", false]],
    MigrationProgress: [["migrationId", 1, "string", false], ["slotsTotal", 2, "uint32", false], ["slotsDone", 3, "uint32", false], ["slotsFailed", 4, "uint32", false], ["keysMoved", 5, "uint64", false], ["bytesMoved", 6, "uint64", false], ["keysPerSecond", 7, "double", false], ["bytesPerSecond", 8, "double", false], ["activeSlots", 9, "uint32", true], ["maxSourceBlockMs", 10, "double", false], ["done", 11, "bool", false], ["cancelled", 12, "bool", false], ["failedSlots", 13, "FailedSlot", true], ["elapsedMs", 14, "uint64", false], ["guard", 15, "GuardStatus", false]],
    GuardStatus: [["enabled", 1, "bool", false], ["baselineP99Ms", 2, "double", false], ["budgetMs", 3, "double", false], ["observedP99Ms", 4, "double", false], ["keysPerSecond", 5, "double", false], ["batchKeys", 6, "uint32", false], ["window", 7, "uint32", false], ["parallelSlots", 8, "uint32", false], ["lastAction", 9, "string", false], ["increases", 10, "uint32", false], ["decreases", 11, "uint32", false], ["level", 12, "double", false]],
    CancelMigrationRequest: [["migrationId", 1, "string", false]],
    CancelMigrationResponse: [["wasRunning", 1, "bool", false]],
    ForgetNodeRequest: [["nodeId", 1, "string", false]],
    ForgetNodeResponse: [],
    LeaveClusterRequest: [],
    LeaveClusterResponse: [["forgottenBy", 1, "string", true]],
    ResetRequest: [],
    ResetResponse: [["newNodeId", 1, "string", false]]
  },
  services: {
    Sidecar: {
      GetStatus: ["GetStatusRequest", "MemberStatus", false, false],
      WatchStatus: ["WatchStatusRequest", "MemberStatus", false, true],
      JoinCluster: ["JoinClusterRequest", "JoinClusterResponse", false, false],
      AssignSlots: ["AssignSlotsRequest", "AssignSlotsResponse", false, false],
      ReplicateFrom: ["ReplicateFromRequest", "ReplicationProgress", false, true],
      PrepareTakeover: ["PrepareTakeoverRequest", "PrepareTakeoverResponse", false, false],
      Promote: ["PromoteRequest", "PromoteResponse", false, false],
      MigrateSlots: ["MigrateSlotsRequest", "MigrationProgress", false, true],
      CancelMigration: ["CancelMigrationRequest", "CancelMigrationResponse", false, false],
      ForgetNode: ["ForgetNodeRequest", "ForgetNodeResponse", false, false],
      LeaveCluster: ["LeaveClusterRequest", "LeaveClusterResponse", false, false],
      Reset: ["ResetRequest", "ResetResponse", false, false]
    }
  }
};

// proto/wire.ts
var SCALAR_TYPES = ["double", "bool", "string", "int32", "uint32", "uint64"];
var TWO_32 = 4294967296;
var Writer = class {
  buf = new Uint8Array(64);
  length = 0;
  reserve(n) {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  byte(b) {
    this.reserve(1);
    this.buf[this.length++] = b;
  }
  /** An unsigned varint of up to 64 bits, from its low and high 32-bit halves. */
  varint64(lo, hi) {
    while (hi !== 0 || lo > 127) {
      this.byte(lo & 127 | 128);
      lo = (lo >>> 7 | hi << 25) >>> 0;
      hi >>>= 7;
    }
    this.byte(lo);
  }
  uint(n) {
    this.varint64(n % TWO_32 >>> 0, Math.floor(n / TWO_32) >>> 0);
  }
  /** int32 and enums: a negative value is its 64-bit two's complement (ten bytes), as protobuf requires. */
  int(n) {
    if (n >= 0) this.varint64(n >>> 0, 0);
    else this.varint64(n >>> 0, 4294967295);
  }
  double(n) {
    this.reserve(8);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat64(this.length, n, true);
    this.length += 8;
  }
  bytes(b) {
    this.uint(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  finish() {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.length);
  }
};
var Reader = class {
  constructor(buf, end = buf.length) {
    this.buf = buf;
    this.end = end;
  }
  buf;
  end;
  pos = 0;
  /** An unsigned varint as [low, high] 32-bit halves. */
  varint64() {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (this.pos >= this.end) throw new RangeError("protobuf: truncated varint");
      const b = this.buf[this.pos++];
      if (shift < 28) lo |= (b & 127) << shift;
      else if (shift === 28) {
        lo |= (b & 15) << 28;
        hi |= (b & 127) >> 4;
      } else hi |= (b & 127) << shift - 32;
      if ((b & 128) === 0) return [lo >>> 0, hi >>> 0];
    }
    throw new RangeError("protobuf: varint longer than 10 bytes");
  }
  length() {
    const [lo, hi] = this.varint64();
    const n = hi * TWO_32 + lo;
    if (this.pos + n > this.end) throw new RangeError("protobuf: length beyond the message");
    return n;
  }
  double() {
    if (this.pos + 8 > this.end) throw new RangeError("protobuf: truncated double");
    const v = new DataView(this.buf.buffer, this.buf.byteOffset).getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  sub(n) {
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  skip(wireType) {
    if (wireType === 0) this.varint64();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.pos += this.length();
    else if (wireType === 5) this.pos += 4;
    else throw new RangeError(`protobuf: wire type ${wireType} is not supported`);
    if (this.pos > this.end) throw new RangeError("protobuf: field beyond the message");
  }
};
var WIRE_TYPE = { double: 1, bool: 0, string: 2, int32: 0, uint32: 0, uint64: 0 };
var PACKABLE = /* @__PURE__ */ new Set(["double", "bool", "int32", "uint32", "uint64"]);
var Codec = class {
  constructor(schema) {
    this.schema = schema;
    for (const [name, values] of Object.entries(schema.enums)) this.enumNames.set(name, new Map(Object.entries(values).map(([k, v]) => [v, k])));
  }
  schema;
  decoder = new TextDecoder("utf-8");
  encoder = new TextEncoder();
  enumNames = /* @__PURE__ */ new Map();
  fields(type) {
    const fields = this.schema.messages[type];
    if (!fields) throw new Error(`protobuf: no message ${this.schema.package}.${type} in the schema`);
    return fields;
  }
  isScalar(type) {
    return SCALAR_TYPES.includes(type);
  }
  // ---- encoding (what protobufjs's fromObject accepts, then encode)
  encode(type, value) {
    const w = new Writer();
    this.writeMessage(w, type, value);
    return w.finish();
  }
  writeMessage(w, type, value) {
    for (const [name, id, fieldType, repeated] of this.fields(type)) {
      const v = value[name];
      if (v === void 0 || v === null) continue;
      const where = `.${this.schema.package}.${type}.${name}`;
      if (repeated) {
        if (!Array.isArray(v)) throw new TypeError(`${where}: array expected`);
        if (v.length === 0) continue;
        if (PACKABLE.has(fieldType) || this.schema.enums[fieldType]) {
          const inner = new Writer();
          for (const e of v) this.writeValue(inner, fieldType, e, where);
          w.uint(id * 8 + 2);
          w.bytes(inner.finish());
        } else {
          for (const e of v) this.writeField(w, id, fieldType, e, where);
        }
      } else {
        this.writeField(w, id, fieldType, v, where);
      }
    }
  }
  writeField(w, id, type, v, where) {
    if (this.isScalar(type)) {
      w.uint(id * 8 + WIRE_TYPE[type]);
      this.writeValue(w, type, v, where);
    } else if (this.schema.enums[type]) {
      w.uint(id * 8);
      this.writeValue(w, type, v, where);
    } else {
      if (typeof v !== "object") throw new TypeError(`${where}: object expected`);
      const inner = new Writer();
      this.writeMessage(inner, type, v);
      w.uint(id * 8 + 2);
      w.bytes(inner.finish());
    }
  }
  writeValue(w, type, v, where) {
    switch (type) {
      case "double":
        return w.double(Number(v));
      case "bool":
        return w.int(v ? 1 : 0);
      case "string":
        return w.bytes(this.encoder.encode(String(v)));
      case "int32":
        return w.int(Number(v) | 0);
      case "uint32":
        return w.uint(Number(v) >>> 0);
      case "uint64":
        return w.uint(toUint64(v));
    }
    const values = this.schema.enums[type];
    if (values) {
      const n = typeof v === "number" ? v : typeof v === "string" && v in values ? values[v] : 0;
      return w.int(n | 0);
    }
    throw new TypeError(`${where}: ${type} is not a scalar or enum`);
  }
  // ---- decoding (protobufjs's decode, then toObject with the options above)
  decode(type, bytes) {
    return this.readMessage(new Reader(bytes), type);
  }
  defaults(type) {
    const out = {};
    for (const [name, , fieldType, repeated] of this.fields(type)) {
      if (repeated) out[name] = [];
      else if (this.isScalar(fieldType)) out[name] = fieldType === "string" ? "" : fieldType === "bool" ? false : 0;
      else if (this.schema.enums[fieldType]) out[name] = this.enumNames.get(fieldType).get(0) ?? 0;
      else out[name] = null;
    }
    return out;
  }
  readMessage(r, type) {
    const out = this.defaults(type);
    const byId = new Map(this.fields(type).map((f) => [f[1], f]));
    while (r.pos < r.end) {
      const [tag] = r.varint64();
      const field = byId.get(tag >>> 3);
      const wireType = tag & 7;
      if (!field) {
        r.skip(wireType);
        continue;
      }
      const [name, , fieldType, repeated] = field;
      const isMessage = !this.isScalar(fieldType) && !this.schema.enums[fieldType];
      if (repeated && wireType === 2 && !isMessage && fieldType !== "string") {
        const packed = new Reader(r.sub(r.length()));
        while (packed.pos < packed.end) out[name].push(this.readValue(packed, fieldType));
      } else if (isMessage) {
        const value = this.readMessage(new Reader(r.sub(r.length())), fieldType);
        if (repeated) out[name].push(value);
        else out[name] = value;
      } else {
        const value = this.readValue(r, fieldType);
        if (repeated) out[name].push(value);
        else out[name] = value;
      }
    }
    return out;
  }
  readValue(r, type) {
    switch (type) {
      case "double":
        return r.double();
      case "string":
        return this.decoder.decode(r.sub(r.length()));
      case "bool": {
        const [lo, hi] = r.varint64();
        return lo !== 0 || hi !== 0;
      }
      case "int32":
        return r.varint64()[0] | 0;
      case "uint32":
        return r.varint64()[0];
      case "uint64": {
        const [lo, hi] = r.varint64();
        return hi * TWO_32 + lo;
      }
    }
    const n = r.varint64()[0] | 0;
    return this.enumNames.get(type)?.get(n) ?? n;
  }
};
function toUint64(v) {
  const n = typeof v === "string" ? parseInt(v, 10) : Number(v);
  if (!Number.isFinite(n) || n <= 0) return 0;
  return Math.min(Math.trunc(n), Number.MAX_SAFE_INTEGER);
}

// proto/service.ts
var codec = new Codec(SCHEMA);
function serviceDefinition(service) {
  const methods = SCHEMA.services[service];
  const definition = {};
  for (const [name, [request, response, requestStream, responseStream]] of Object.entries(methods)) {
    definition[name] = {
      path: `/${SCHEMA.package}.${service}/${name}`,
      requestStream,
      responseStream,
      requestSerialize: (value) => codec.encode(request, value),
      requestDeserialize: (bytes) => codec.decode(request, bytes),
      responseSerialize: (value) => codec.encode(response, value),
      responseDeserialize: (bytes) => codec.decode(response, bytes),
      originalName: name.charAt(0).toLowerCase() + name.slice(1)
    };
  }
  return definition;
}
var sidecarService = serviceDefinition("Sidecar");
var SidecarStubClient = grpc2.makeGenericClientConstructor(sidecarService, "Sidecar");

// proto/index.ts
var LEADER_IDENTITY_HEADER = "x-mdb-leader";
var LEADER_EPOCH_HEADER = "x-mdb-leader-epoch";
var PLAN_HEADER = "x-mdb-plan";
var STEP_HEADER = "x-mdb-step";

// node-image/src/sidecar/leader-fence.ts
import { readFileSync as readFileSync3 } from "node:fs";
import { join as join2 } from "node:path";
function judgeLeader(highest, caller) {
  if (!highest || caller.epoch > highest.epoch) return { ok: true, mark: caller };
  if (caller.epoch < highest.epoch) {
    return { ok: false, reason: `refused: operator ${caller.identity} leads epoch ${caller.epoch}, but ${highest.identity} has led epoch ${highest.epoch} since; a deposed leader's command is not obeyed` };
  }
  if (caller.identity !== highest.identity) {
    return { ok: false, reason: `refused: epoch ${caller.epoch} belongs to operator ${highest.identity}, not ${caller.identity}` };
  }
  return { ok: true, mark: highest };
}
function leaderOf(metadata) {
  const identity = metadata.get(LEADER_IDENTITY_HEADER)[0];
  const epochText = metadata.get(LEADER_EPOCH_HEADER)[0];
  if (identity === void 0 && epochText === void 0) return void 0;
  const epoch = Number(epochText);
  if (identity === void 0 || !Number.isInteger(epoch) || epoch < 0) {
    return `${LEADER_IDENTITY_HEADER} and ${LEADER_EPOCH_HEADER} (a non-negative integer) must be sent together; got ${JSON.stringify(identity)} and ${JSON.stringify(epochText)}`;
  }
  return { identity: String(identity), epoch };
}
var LeaderFence = class {
  highest;
  path;
  /** With a data dir the highest epoch survives a restart of the sidecar. */
  constructor(dataDir) {
    this.path = dataDir ? join2(dataDir, "mdb-leader-fence.json") : void 0;
    if (this.path) {
      try {
        const v = JSON.parse(readFileSync3(this.path, "utf8"));
        if (typeof v.identity === "string" && Number.isInteger(v.epoch)) this.highest = v;
      } catch {
      }
    }
  }
  current() {
    return this.highest;
  }
  /** undefined when the call may proceed, otherwise why it is refused. */
  admit(metadata) {
    const caller = leaderOf(metadata);
    if (caller === void 0) return void 0;
    if (typeof caller === "string") return caller;
    const verdict = judgeLeader(this.highest, caller);
    if (!verdict.ok) return verdict.reason;
    if (verdict.mark !== this.highest) {
      this.highest = verdict.mark;
      if (this.path) writeJsonAtomic(this.path, verdict.mark);
    }
    return void 0;
  }
};

// node-image/src/sidecar/requests.ts
var nodeIdPattern = /^[0-9a-f]{40}$/;
function validateAddress(input, field) {
  if (!input) throw new InvalidArgumentError(field, "is required (host and port of an engine)");
  const host = (input.host ?? "").trim();
  const badHost = hostProblem(host);
  if (badHost) throw new InvalidArgumentError(`${field}.host`, badHost);
  const port = input.port ?? 0;
  const badPort = portProblem(port);
  if (badPort) throw new InvalidArgumentError(`${field}.port`, badPort);
  const busPort = input.busPort ?? 0;
  if (!Number.isInteger(busPort) || busPort < 0 || busPort > 65535) throw new InvalidArgumentError(`${field}.busPort`, `${busPort} is not a port in 0..65535 (0 = port + 10000)`);
  if (busPort === 0 && port + 1e4 > 65535) throw new InvalidArgumentError(`${field}.busPort`, `is required when port + 10000 exceeds 65535 (port ${port})`);
  return { host, port, busPort: busPort || port + 1e4 };
}
function validateSlotRanges(input, field) {
  if (!input || input.length === 0) throw new InvalidArgumentError(field, "must name at least one slot range");
  const ranges = input.map((r, i) => {
    const start = r.start ?? 0;
    const end = r.end ?? 0;
    for (const [name, v] of [["start", start], ["end", end]]) {
      if (!Number.isInteger(v) || v < 0 || v >= SLOT_COUNT) throw new InvalidArgumentError(`${field}[${i}].${name}`, `${v} is not a slot in 0..${SLOT_COUNT - 1}`);
    }
    if (end < start) throw new InvalidArgumentError(`${field}[${i}]`, `end ${end} is before start ${start}`);
    return { start, end };
  });
  const sorted = [...ranges].sort((x, y) => x.start - y.start);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].start <= sorted[i - 1].end) {
      throw new InvalidArgumentError(field, `ranges ${sorted[i - 1].start}-${sorted[i - 1].end} and ${sorted[i].start}-${sorted[i].end} overlap`);
    }
  }
  return sorted;
}
function validateNodeId(value, field) {
  const id = (value ?? "").trim();
  if (!id) throw new InvalidArgumentError(field, "is required (an engine node id: 40 hex characters, see GetStatus.nodeId)");
  if (!nodeIdPattern.test(id)) throw new InvalidArgumentError(field, `"${id}" is not an engine node id (40 lowercase hex characters)`);
  return id;
}
function validateTimeoutMs(value, field, fallback, max) {
  const v = value ?? 0;
  if (v === 0) return fallback;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new InvalidArgumentError(field, `${v} is not a timeout in 1..${max} ms (0 = default ${fallback})`);
  return v;
}
function validatePromoteMode(mode) {
  const byNumber = { 1: "GRACEFUL", 2: "FORCE", 3: "TAKEOVER" };
  const name = typeof mode === "number" ? byNumber[mode] : mode;
  if (name === "GRACEFUL" || name === "FORCE" || name === "TAKEOVER") return name;
  throw new InvalidArgumentError("mode", `${JSON.stringify(mode ?? "")} is not a promote mode; use GRACEFUL (switchover), FORCE (primary gone) or TAKEOVER (primary fenced, with fenceToken)`);
}
function joinClusterCommand(req) {
  if (!req.peers || req.peers.length === 0) throw new InvalidArgumentError("peers", "must name at least one engine address to meet");
  const peers = req.peers.map((p, i) => validateAddress(p, `peers[${i}]`));
  peers.forEach((p, i) => {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(p.host)) throw new InvalidArgumentError(`peers[${i}].host`, `"${p.host}" must be an IP address: CLUSTER MEET does not resolve names`);
  });
  return { peers, timeoutMs: validateTimeoutMs(req.timeoutMs, "timeoutMs", 1e4, 12e4) };
}
function assignSlotsCommand(req) {
  return { slots: validateSlotRanges(req.slots, "slots") };
}
function replicateFromCommand(req) {
  const primaryNodeId = validateNodeId(req.primaryNodeId, "primaryNodeId");
  return { primaryNodeId, timeoutMs: validateTimeoutMs(req.timeoutMs, "timeoutMs", 6e5, 36e5) };
}
function promoteCommand(req) {
  const mode = validatePromoteMode(req.mode);
  const timeoutMs = validateTimeoutMs(req.timeoutMs, "timeoutMs", 3e4, 6e5);
  const fenceToken = req.fenceToken ?? "";
  if (mode !== "TAKEOVER" && fenceToken) throw new InvalidArgumentError("fenceToken", `is only used with mode TAKEOVER, not ${mode}`);
  return { mode, fenceToken, timeoutMs };
}
function cancelMigrationCommand(req) {
  return { migrationId: req.migrationId ?? "" };
}
function forgetNodeCommand(req) {
  return { nodeId: validateNodeId(req.nodeId, "nodeId") };
}

// node-image/src/sidecar/migrate-request.ts
var unset0 = (v) => v ? v : void 0;
function rateOf(r) {
  if (!r) return void 0;
  return { keysPerSecond: unset0(r.keysPerSecond), bytesPerSecond: unset0(r.bytesPerSecond) };
}
function checkMigrateSlotsRequest(req, self) {
  const progressIntervalMs = validateTimeoutMs(req.progressIntervalMs, "progressIntervalMs", 500, 6e4);
  const guard = req.guard ? {
    disabled: req.guard.disabled,
    budgetFactor: req.guard.budgetFactor,
    budgetMs: req.guard.budgetMs,
    floorKeysPerSecond: req.guard.floorKeysPerSecond
  } : void 0;
  try {
    const request = validateMigrateSlotsRequest({
      source: req.source ?? void 0,
      target: { host: self.podIp, port: self.enginePort },
      slots: req.slots ?? [],
      // Empty: the member fills in every other primary with slots (docs/architecture/migration.md#one-move-step-by-step, step 3).
      otherPrimaries: req.otherPrimaries?.length ? req.otherPrimaries : void 0,
      password: self.enginePassword,
      batchKeys: unset0(req.batchKeys),
      window: unset0(req.window),
      parallelSlots: unset0(req.parallelSlots),
      rate: rateOf(req.rate),
      schedule: req.schedule?.length ? req.schedule.map((w) => ({ start: w.start, end: w.end, rate: rateOf(w.rate) ?? {} })) : void 0,
      migrateTimeoutMs: unset0(req.migrateTimeoutMs),
      guard,
      ...self.engineTls ? { tls: self.engineTls } : {}
    });
    return { request, progressIntervalMs };
  } catch (err) {
    if (err instanceof MigrationRequestError) throw new InvalidArgumentError(err.field, err.detail);
    throw err;
  }
}

// node-image/src/sidecar/responses.ts
function statusMessage(s) {
  const r = s.replication;
  const m = s.migration;
  return {
    state: s.state,
    role: s.role === "UNKNOWN" ? "ENGINE_ROLE_UNSPECIFIED" : s.role,
    nodeId: s.nodeId,
    slots: s.slots.map(({ start, end }) => ({ start, end })),
    importing: s.importing.map(({ slot, nodeId }) => ({ slot, nodeId })),
    migrating: s.migrating.map(({ slot, nodeId }) => ({ slot, nodeId })),
    replication: r && {
      primaryNodeId: r.primaryNodeId,
      primaryHost: r.primaryHost,
      primaryPort: r.primaryPort,
      linkUp: r.linkUp,
      syncInProgress: r.syncInProgress,
      offset: r.offset,
      connectedReplicas: r.connectedReplicas,
      linkedSinceStart: r.linkedSinceStart
    },
    memoryUsedBytes: s.memoryUsedBytes,
    memoryMaxBytes: s.memoryMaxBytes,
    keys: s.keys,
    opsPerSecond: s.opsPerSecond,
    engineUp: s.engineUp,
    clusterState: s.clusterState,
    clusterKnownNodes: s.clusterKnownNodes,
    slotsOwned: s.slotsOwned,
    migration: m && {
      migrationId: m.migrationId,
      source: { host: m.source.host, port: m.source.port, busPort: m.source.busPort },
      slotsTotal: m.slotsTotal,
      slotsDone: m.slotsDone,
      keysMoved: m.keysMoved
    },
    ready: s.ready,
    notReadyReason: s.notReadyReason,
    observedAtMs: s.observedAtMs,
    lastError: s.lastError,
    engine: s.engine && { name: s.engine.name, version: s.engine.version, capabilities: [...s.engine.capabilities], unsupportedReason: s.engine.unsupportedReason },
    unreachablePeers: s.unreachablePeers.map(({ nodeId, host, port }) => ({ nodeId, host, port })),
    tlsDigest: s.tlsDigest
  };
}
function replicationProgressMessage(p) {
  return {
    phase: p.phase,
    linkUp: p.linkUp,
    syncTotalBytes: p.syncTotalBytes,
    syncReadBytes: p.syncReadBytes,
    primaryOffset: p.primaryOffset,
    offset: p.offset,
    state: p.state,
    done: p.done
  };
}
function migrationProgressMessage(p) {
  const g = p.guard;
  return {
    migrationId: p.migrationId,
    slotsTotal: p.slotsTotal,
    slotsDone: p.slotsDone,
    slotsFailed: p.slotsFailed,
    keysMoved: p.keysMoved,
    bytesMoved: p.bytesMoved,
    keysPerSecond: p.keysPerSecond,
    bytesPerSecond: p.bytesPerSecond,
    activeSlots: p.activeSlots,
    maxSourceBlockMs: p.maxSourceBlockMs,
    guard: g && {
      enabled: g.enabled,
      baselineP99Ms: g.baselineP99Ms,
      budgetMs: g.budgetMs,
      observedP99Ms: g.observedP99Ms,
      level: g.level,
      keysPerSecond: g.keysPerSecond,
      batchKeys: g.batchKeys,
      window: g.window,
      parallelSlots: g.parallelSlots,
      lastAction: g.lastAction,
      increases: g.increases,
      decreases: g.decreases
    },
    done: p.done,
    cancelled: p.cancelled,
    failedSlots: p.failedSlots.map(({ slot, error }) => ({ slot, error })),
    elapsedMs: p.elapsedMs
  };
}
function promoteMessage(r) {
  return { status: statusMessage(r.status), offsetAtSwitch: r.offsetAtSwitch, pauseMs: r.pauseMs };
}

// node-image/src/sidecar/server.ts
var codeOf = {
  INVALID_ARGUMENT: grpc3.status.INVALID_ARGUMENT,
  FAILED_PRECONDITION: grpc3.status.FAILED_PRECONDITION,
  UNAVAILABLE: grpc3.status.UNAVAILABLE,
  DEADLINE_EXCEEDED: grpc3.status.DEADLINE_EXCEEDED,
  ABORTED: grpc3.status.ABORTED,
  ALREADY_EXISTS: grpc3.status.ALREADY_EXISTS,
  NOT_FOUND: grpc3.status.NOT_FOUND,
  UNAUTHENTICATED: grpc3.status.UNAUTHENTICATED,
  INTERNAL: grpc3.status.INTERNAL
};
function toServiceError(err) {
  if (err instanceof SidecarError) return { code: codeOf[err.code], details: err.message };
  if (err instanceof InvalidTransitionError || err instanceof WrongStateError) return { code: grpc3.status.FAILED_PRECONDITION, details: err.message };
  return { code: grpc3.status.INTERNAL, details: `internal error: ${err?.message ?? String(err)}` };
}
function callLogContext(metadata) {
  const text = (key) => {
    const v = metadata.get(key)[0];
    return v === void 0 ? void 0 : String(v).slice(0, 200) || void 0;
  };
  return { plan: text(PLAN_HEADER), step: text(STEP_HEADER) };
}
var quiet = { error: () => void 0, warn: () => void 0, info: () => void 0, debug: () => void 0 };
function checkClientName(call) {
  const cert = call.getAuthContext?.()?.sslPeerCertificate;
  if (!cert || !cert.subject) return void 0;
  const cn = cert.subject.CN;
  return cn === OPERATOR_CLIENT_CN ? void 0 : `the client certificate is for ${JSON.stringify(cn ?? "")}; only the operator's (${OPERATOR_CLIENT_CN}) is served`;
}
function buildHandlers(member, settings, fence = new LeaderFence(settings.dataDir), log = quiet) {
  const token = settings.auth.bearerToken;
  const authError = (call, fenced) => {
    const reason = checkBearer(call.metadata, token) ?? checkClientName(call);
    if (reason) return { code: grpc3.status.UNAUTHENTICATED, details: reason };
    const refused = fenced ? fence.admit(call.metadata) : void 0;
    return refused ? { code: grpc3.status.FAILED_PRECONDITION, details: refused } : void 0;
  };
  const received = (method, fenced) => {
    if (fenced) log.info(`${method} received`);
  };
  const refusals = /* @__PURE__ */ new Set([grpc3.status.FAILED_PRECONDITION, grpc3.status.INVALID_ARGUMENT, grpc3.status.ABORTED]);
  const ended = (method, fenced, e) => {
    const fields = { code: grpc3.status[e.code ?? grpc3.status.UNKNOWN], reason: e.details };
    if (e.code === grpc3.status.UNAUTHENTICATED) log.warn(`${method} refused`, fields);
    else if (refusals.has(e.code ?? grpc3.status.UNKNOWN)) {
      if (fenced) log.info(`${method} refused`, fields);
    } else log.warn(`${method} failed`, fields);
  };
  function unary(method, fn, fenced = true) {
    return (call, callback) => withLogContext(callLogContext(call.metadata), () => {
      const denied = authError(call, fenced);
      if (denied) {
        ended(method, fenced, denied);
        return callback(denied);
      }
      received(method, fenced);
      Promise.resolve().then(() => fn(call.request)).then((res) => callback(null, res), (err) => {
        const e = toServiceError(err);
        ended(method, fenced, e);
        callback(e);
      });
    });
  }
  function stream(method, fn, fenced = true) {
    return (call) => withLogContext(callLogContext(call.metadata), () => {
      const denied = authError(call, fenced);
      if (denied) {
        ended(method, fenced, denied);
        call.emit("error", Object.assign(new Error(denied.details), denied));
        return;
      }
      received(method, fenced);
      const controller = new AbortController();
      call.on("cancelled", () => controller.abort());
      fn(call.request, call, controller.signal).then(
        () => call.end(),
        (err) => {
          const e = toServiceError(err);
          ended(method, fenced, e);
          call.emit("error", Object.assign(new Error(e.details), e));
        }
      );
    });
  }
  return {
    GetStatus: unary("GetStatus", async () => statusMessage(await member.refresh()), false),
    WatchStatus: stream("WatchStatus", async (_req, call, signal) => {
      let lastSentMs = 0;
      const send = (s) => {
        if (call.writableNeedDrain) return;
        lastSentMs = Date.now();
        call.write(statusMessage(s));
      };
      send(member.currentStatus());
      const unsubscribe = member.onChange(send);
      const heartbeat = setInterval(() => {
        if (Date.now() - lastSentMs >= 900) send(member.currentStatus());
      }, 100);
      await new Promise((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
        call.on("close", () => resolve());
      });
      clearInterval(heartbeat);
      unsubscribe();
    }, false),
    JoinCluster: unary("JoinCluster", (req) => member.joinCluster(joinClusterCommand(req))),
    AssignSlots: unary("AssignSlots", async (req) => ({ status: statusMessage(await member.assignSlots(assignSlotsCommand(req))) })),
    ReplicateFrom: stream("ReplicateFrom", async (req, call) => {
      await member.replicateFrom(replicateFromCommand(req), (p) => call.write(replicationProgressMessage(p)));
    }),
    PrepareTakeover: unary("PrepareTakeover", () => member.prepareTakeover()),
    Promote: unary("Promote", async (req) => promoteMessage(await member.promote(promoteCommand(req)))),
    MigrateSlots: stream("MigrateSlots", async (req, call, signal) => {
      const final = await member.migrateSlots(checkMigrateSlotsRequest(req, settings), signal, (p) => {
        if (!call.writableNeedDrain) call.write(migrationProgressMessage(p));
      });
      call.write(migrationProgressMessage(final));
    }),
    CancelMigration: unary("CancelMigration", (req) => member.cancelMigration(cancelMigrationCommand(req))),
    ForgetNode: unary("ForgetNode", async (req) => {
      await member.forgetNode(forgetNodeCommand(req));
      return {};
    }),
    LeaveCluster: unary("LeaveCluster", () => member.leaveCluster()),
    Reset: unary("Reset", () => member.reset())
  };
}
async function startGrpcServer(member, settings, log, tlsFiles) {
  const server = new grpc3.Server({ "grpc.keepalive_time_ms": 3e4, "grpc.keepalive_permit_without_calls": 1 });
  server.addService(sidecarService, buildHandlers(member, settings, new LeaderFence(settings.dataDir), log));
  const creds = serverCredentials(tlsFiles ?? memberTlsFiles(settings.auth, log));
  const ports = [];
  for (const host of settings.listenHosts) {
    ports.push(await new Promise((resolve, reject) => server.bindAsync(`${host}:${settings.sidecarPort}`, creds, (err, port) => err ? reject(new Error(`cannot listen on ${host}:${settings.sidecarPort}: ${err.message}`)) : resolve(port))));
  }
  return {
    server,
    ports,
    close: () => new Promise((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 5e3);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    })
  };
}

// node-image/src/sidecar/health-server.ts
async function startHealthServer(source, hosts, port) {
  const servers = [];
  const handler = (path) => {
    if (path === "/readyz") {
      const j = source.readiness();
      return [j.ok ? 200 : 503, j];
    }
    if (path === "/livez") {
      const j = source.liveness(Date.now());
      return [j.ok ? 200 : 503, j];
    }
    return [404, { ok: false, reason: "unknown path: use /readyz or /livez" }];
  };
  for (const host of hosts) {
    const server = createServer((req, res) => {
      const [code, body] = handler(req.url?.split("?")[0]);
      res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body) + "\n");
    });
    await new Promise((resolve, reject) => {
      server.once("error", (err) => reject(new Error(`health server cannot listen on ${host}:${port}: ${err.message}`)));
      server.listen(port, host, () => resolve());
    });
    servers.push(server);
  }
  return { close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(() => r())))).then(() => void 0) };
}

// node-image/src/sidecar/engine-tls.ts
function engineTlsReload(files) {
  return ["CONFIG", "SET", "tls-cert-file", files.certFile, "tls-key-file", files.keyFile, "tls-ca-cert-file", files.caFile];
}
function watchEngineTls(engine, files, paths, taken, log) {
  let first = true;
  const listener = () => {
    if (first) {
      first = false;
      return;
    }
    const set = files.material();
    engine.call(...engineTlsReload(paths)).then(
      () => {
        taken(set);
        log.info("the engine took the renewed TLS files");
      },
      (err) => log.warn("the engine did not take the renewed TLS files; it serves the old ones until it takes them or restarts", { error: err.message })
    );
  };
  files.addIdentityCertificateListener(listener);
  return () => files.removeIdentityCertificateListener(listener);
}

// node-image/src/sidecar/main.ts
function renderConfigCommand(env, outPath) {
  const settings = parseEngineSettings(env);
  const passwordFile = parsePasswordFile(env);
  let passwordText;
  try {
    passwordText = readFileSync4(passwordFile, "utf8");
  } catch (err) {
    throw new SettingsError(MemberEnv.PASSWORD_FILE, `cannot read ${passwordFile} (${err.code}); mount the Secret there`);
  }
  const text = renderEngineConfig(settings, validatePassword(passwordText, MemberEnv.PASSWORD_FILE));
  mkdirSync2(dirname2(outPath), { recursive: true });
  const temp = `${outPath}.tmp`;
  writeFileSync(temp, text, { mode: 384 });
  renameSync2(temp, outPath);
}
async function serve(env) {
  const settings = parseSidecarSettings(env, (p) => readFileSync4(p));
  const log = sidecarLogger(settings);
  const tlsFiles = memberTlsFiles(settings.auth, log);
  const engineTls = settings.engineTls && tlsFiles ? liveEngineTls(tlsFiles) : void 0;
  const member = new Member({ ...settings, engineTls }, log);
  let engineTook = tlsFiles?.material();
  member.tlsDigest = () => !tlsFiles ? "" : materialDigest(engineTls ? engineTook : tlsFiles.material());
  member.start();
  const grpcServer = await startGrpcServer(member, settings, log, tlsFiles);
  const stopEngineTls = engineTls && tlsFiles && settings.auth.tls ? watchEngineTls(member.engine, tlsFiles, settings.auth.tls.files, (m) => {
    engineTook = m;
  }, log) : () => void 0;
  const health = await startHealthServer(member, settings.listenHosts, settings.healthPort);
  const metrics = await startMetricsServer(member, new MemberMetrics(settings.identity), settings.listenHosts, settings.metricsPort);
  log.info("mdb-sidecar serving", {
    grpc: settings.listenHosts.map((h) => `${h}:${settings.sidecarPort}`),
    health: settings.healthPort,
    metrics: settings.metricsPort,
    engine: `${settings.podIp}:${settings.enginePort}${settings.engineTls ? " (tls)" : ""}`,
    auth: [settings.auth.bearerToken ? "bearer" : "", settings.auth.tls ? "mtls" : ""].filter(Boolean).join("+"),
    logLevel: settings.logLevel
  });
  return {
    log,
    async stop() {
      const { verdict, waitedMs } = await member.reportWhileEngineStops(SHUTDOWN_HANDOVER_MS);
      if (verdict !== "not-stopping" && waitedMs > 0) log.info("reported while the engine stopped", { engine: verdict, waitedMs });
      stopEngineTls();
      await grpcServer.close();
      await health.close();
      await metrics.close();
      await member.stop();
    }
  };
}
async function main(argv) {
  const [command = "serve", ...rest] = argv;
  if (command === "render-config") {
    const outIndex = rest.indexOf("--out");
    const out = outIndex >= 0 ? rest[outIndex + 1] : process.env[MemberEnv.ENGINE_CONFIG];
    if (!out) throw new SettingsError("--out", `render-config needs --out PATH (or ${MemberEnv.ENGINE_CONFIG})`);
    renderConfigCommand(process.env, out);
    return;
  }
  if (command !== "serve") throw new Error(`unknown command "${command}": use serve or render-config --out PATH`);
  const { log, stop } = await serve(process.env);
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal}: stopping (a running migration is cancelled cleanly)`);
      stop().then(() => process.exit(0), () => process.exit(1));
    });
  }
}
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((err) => {
    makeLogger().error(`mdb-sidecar: ${err.message}`);
    process.exit(1);
  });
}
export {
  renderConfigCommand,
  serve
};
