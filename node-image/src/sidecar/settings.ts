// The sidecar's settings from its environment (pure: env and a file reader are passed in). The
// variables are the member-env contract's (common/member-env.ts: parseSidecarEnv); this reads the
// files they name and checks the secrets in them.
import type { LogLevel } from "../../../common/log-level.ts";
import { MemberEnv, parseSidecarEnv, SettingsError, type Env, type MemberIdentity, type TlsFiles } from "../../../common/member-env.ts";
import type { EngineTls } from "../migration/request.ts";
import { validatePassword } from "./engine-config.ts";

export interface SidecarSettings {
  podIp: string;
  enginePort: number;
  enginePassword: string;
  dataDir: string;
  sidecarPort: number;
  healthPort: number;
  /** The /metrics port (docs/operations.md#member-metrics). */
  metricsPort: number;
  logLevel: LogLevel;
  /** Who this member is, for its log lines and metrics. */
  identity: MemberIdentity;
  /** Addresses the gRPC, health and metrics servers bind: the pod IP and loopback (only the pod IP when it is itself loopback). */
  listenHosts: string[];
  /**
   * tls: the files' contents at start-up, the files, and how often they are read again (the server
   * takes renewed files without a restart: tls-files.ts).
   */
  auth: { bearerToken?: string; tls?: { caPem: Buffer; certPem: Buffer; keyPem: Buffer; files: TlsFiles; reloadMs: number } };
  /** The engines serve TLS only (MemberEnv.ENGINE_TLS): the sidecar reaches them with the CA of auth.tls. */
  engineTls: EngineTls | undefined;
  observeIntervalMs: number;
  livenessStaleMs: number;
  fenceTokenTtlMs: number;
  /**
   * The spec's cluster-node-timeout (MemberEnv.NODE_TIMEOUT_MS, as the engine container has it): the
   * engine runs a shorter one while its cluster forms and gets this one back once ok (node-timeout.ts).
   * Unset: the sidecar leaves the engine's timeout alone.
   */
  nodeTimeoutMs: number | undefined;
}

export type ReadFile = (path: string) => Buffer;

function readSecret(readFile: ReadFile, variable: string, path: string): Buffer {
  try {
    return readFile(path);
  } catch (err) {
    throw new SettingsError(variable, `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); mount the Secret there`);
  }
}

export function parseSidecarSettings(env: Env, readFile: ReadFile): SidecarSettings {
  const e = parseSidecarEnv(env);
  const enginePassword = validatePassword(readSecret(readFile, MemberEnv.PASSWORD_FILE, e.passwordFile).toString("utf8"), MemberEnv.PASSWORD_FILE);
  let bearerToken: string | undefined;
  if (e.tokenFile) {
    bearerToken = readSecret(readFile, MemberEnv.SIDECAR_TOKEN_FILE, e.tokenFile).toString("utf8").trim();
    if (bearerToken.length < 32) throw new SettingsError(MemberEnv.SIDECAR_TOKEN_FILE, "the API token must be at least 32 characters");
  }
  const tls = e.tls ? {
    caPem: readSecret(readFile, MemberEnv.TLS_CA_FILE, e.tls.caFile),
    certPem: readSecret(readFile, MemberEnv.TLS_CERT_FILE, e.tls.certFile),
    keyPem: readSecret(readFile, MemberEnv.TLS_KEY_FILE, e.tls.keyFile),
    files: e.tls,
    reloadMs: e.tlsReloadMs,
  } : undefined;
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
    auth: { bearerToken, tls },
    engineTls: e.engineTls && tls ? { ca: tls.caPem.toString("utf8") } : undefined,
    observeIntervalMs: e.observeIntervalMs,
    livenessStaleMs: e.livenessStaleMs,
    fenceTokenTtlMs: e.fenceTokenTtlMs,
    nodeTimeoutMs: e.nodeTimeoutMs,
  };
}
