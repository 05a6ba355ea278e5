// The sidecar's settings from its environment (pure: env and a file reader are passed in).
import { parseIpv4, parseNodeTimeoutMs, parsePort, SettingsError, validatePassword } from "./engine-config.ts";

export interface SidecarSettings {
  podIp: string;
  enginePort: number;
  enginePassword: string;
  dataDir: string;
  sidecarPort: number;
  healthPort: number;
  /** Addresses the gRPC and health servers bind: the pod IP and loopback (only the pod IP when it is itself loopback). */
  listenHosts: string[];
  auth: { bearerToken?: string; tls?: { caPem: Buffer; certPem: Buffer; keyPem: Buffer } };
  observeIntervalMs: number;
  livenessStaleMs: number;
  fenceTokenTtlMs: number;
  /**
   * The spec's cluster-node-timeout (MDB_NODE_TIMEOUT_MS, as the engine container has it): the engine
   * runs a shorter one while its cluster forms and gets this one back once ok (node-timeout.ts).
   * Unset: the sidecar leaves the engine's timeout alone.
   */
  nodeTimeoutMs: number | undefined;
}

type Env = Record<string, string | undefined>;
export type ReadFile = (path: string) => Buffer;

function readSecret(readFile: ReadFile, variable: string, path: string): Buffer {
  try {
    return readFile(path);
  } catch (err) {
    throw new SettingsError(variable, `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); mount the Secret there`);
  }
}

function positiveInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min || v > max) throw new SettingsError(name, `"${text}" must be an integer in ${min}..${max}`);
  return v;
}

export function parseSidecarSettings(env: Env, readFile: ReadFile): SidecarSettings {
  const podIp = parseIpv4(env, "MDB_POD_IP", "the pod IP the sidecar listens on and its engine binds");
  const passwordFile = env.MDB_PASSWORD_FILE?.trim();
  if (!passwordFile) throw new SettingsError("MDB_PASSWORD_FILE", "is required (path of the mounted engine password Secret)");
  const enginePassword = validatePassword(readSecret(readFile, "MDB_PASSWORD_FILE", passwordFile).toString("utf8"), "MDB_PASSWORD_FILE");

  const tokenFile = env.MDB_SIDECAR_TOKEN_FILE?.trim();
  let bearerToken: string | undefined;
  if (tokenFile) {
    bearerToken = readSecret(readFile, "MDB_SIDECAR_TOKEN_FILE", tokenFile).toString("utf8").trim();
    if (bearerToken.length < 32) throw new SettingsError("MDB_SIDECAR_TOKEN_FILE", "the API token must be at least 32 characters");
  }
  const tlsFiles = { ca: env.MDB_TLS_CA_FILE?.trim(), cert: env.MDB_TLS_CERT_FILE?.trim(), key: env.MDB_TLS_KEY_FILE?.trim() };
  const tlsGiven = Object.values(tlsFiles).filter(Boolean).length;
  if (tlsGiven > 0 && tlsGiven < 3) {
    const missing = Object.entries({ MDB_TLS_CA_FILE: tlsFiles.ca, MDB_TLS_CERT_FILE: tlsFiles.cert, MDB_TLS_KEY_FILE: tlsFiles.key }).filter(([, v]) => !v).map(([k]) => k);
    throw new SettingsError(missing[0], `mTLS needs MDB_TLS_CA_FILE, MDB_TLS_CERT_FILE and MDB_TLS_KEY_FILE together; missing ${missing.join(", ")}`);
  }
  const tls = tlsGiven === 3 ? {
    caPem: readSecret(readFile, "MDB_TLS_CA_FILE", tlsFiles.ca!),
    certPem: readSecret(readFile, "MDB_TLS_CERT_FILE", tlsFiles.cert!),
    keyPem: readSecret(readFile, "MDB_TLS_KEY_FILE", tlsFiles.key!),
  } : undefined;
  if (!bearerToken && !tls) {
    throw new SettingsError("MDB_SIDECAR_TOKEN_FILE", "the sidecar API must be authenticated: set MDB_SIDECAR_TOKEN_FILE (bearer token) and/or MDB_TLS_CA_FILE, MDB_TLS_CERT_FILE, MDB_TLS_KEY_FILE (mTLS)");
  }
  const dataDir = (env.MDB_DATA_DIR ?? "/data").trim();
  if (!dataDir.startsWith("/")) throw new SettingsError("MDB_DATA_DIR", `"${dataDir}" must be an absolute path`);
  return {
    podIp,
    enginePort: parsePort(env, "MDB_ENGINE_PORT", 6379),
    enginePassword,
    dataDir,
    sidecarPort: parsePort(env, "MDB_SIDECAR_PORT", 7070),
    healthPort: parsePort(env, "MDB_HEALTH_PORT", 7071),
    listenHosts: podIp.startsWith("127.") ? [podIp] : [podIp, "127.0.0.1"],
    auth: { bearerToken, tls },
    observeIntervalMs: positiveInt(env, "MDB_OBSERVE_INTERVAL_MS", 250, 50, 5000),
    livenessStaleMs: positiveInt(env, "MDB_LIVENESS_STALE_MS", 15_000, 1000, 600_000),
    fenceTokenTtlMs: positiveInt(env, "MDB_FENCE_TOKEN_TTL_MS", 300_000, 1000, 3_600_000),
    nodeTimeoutMs: env.MDB_NODE_TIMEOUT_MS?.trim() ? parseNodeTimeoutMs(env) : undefined,
  };
}
