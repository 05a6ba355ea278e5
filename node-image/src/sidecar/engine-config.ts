// Renders the engine's redis.conf from the pod's settings (pure). The settings come from the engine
// container's environment, read by the member-env contract (common/member-env.ts: parseEngineEnv).
import { parseEngineEnv, SettingsError, type EngineEnv, type Env } from "../../../common/member-env.ts";

export { SettingsError };

export type EngineSettings = EngineEnv;

/** The engine container's settings from its environment; throws SettingsError naming the variable. */
export function parseEngineSettings(env: Env): EngineSettings {
  return parseEngineEnv(env);
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
    `port ${s.enginePort}`,
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
