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

/** min-replicas-max-lag bounds (seconds) under replicated durability; see replicaMaxLagSeconds. */
export const REPLICA_MAX_LAG_SECONDS = { min: 2, max: 10 } as const;

/**
 * min-replicas-max-lag under replicated durability: the node timeout in whole seconds, within 2..10.
 * The bound is how long a primary keeps acknowledging writes after its standby stopped acknowledging
 * the stream without closing the connection (a partition, a frozen process; a closed connection counts
 * it out at once): writes a failover to that standby would lose. Peers take a member silent for the node
 * timeout as failed, so a primary cut off from its standby stops acknowledging by about the time the
 * standby could be promoted. At least 2: a standby acknowledges once a second and the engine counts lag
 * in whole seconds, so 1 would count a healthy standby out on one late ack. At most 10 (the engine's own
 * default), so a long node timeout does not widen what a failover can lose.
 */
export function replicaMaxLagSeconds(nodeTimeoutMs: number): number {
  return Math.min(REPLICA_MAX_LAG_SECONDS.max, Math.max(REPLICA_MAX_LAG_SECONDS.min, Math.ceil(nodeTimeoutMs / 1000)));
}

/**
 * spec.durability (docs/usage.md#durability). replicated: a primary refuses a write (NOREPLICAS) unless
 * a standby is connected, synced and acknowledged within the lag bound; async: it never waits for one.
 * Without standbys (the CRD refuses replicated with replicasPerShard 0) replicated would refuse every
 * write, so the engine runs as async then.
 */
export function durabilityDirectives(s: Pick<EngineSettings, "durability" | "replicas" | "nodeTimeoutMs">): string[] {
  if (s.durability !== "replicated" || s.replicas === 0) return ["min-replicas-to-write 0"];
  return ["min-replicas-to-write 1", `min-replicas-max-lag ${replicaMaxLagSeconds(s.nodeTimeoutMs)}`];
}

/**
 * The client port: plaintext, or with spec.tls.enabled TLS only for clients, replication and the bus,
 * with the member's certificate. Clients need not present one (tls-auth-clients no): they log in with
 * the password as without TLS, and the engines' replication and bus links, made with the same
 * certificate, pass the peer's check against the cluster's CA.
 */
export function portDirectives(s: Pick<EngineSettings, "enginePort" | "engineTls">): string[] {
  if (!s.engineTls) return [`port ${s.enginePort}`];
  return [
    "port 0", `tls-port ${s.enginePort}`,
    `tls-cert-file ${quoteConfigValue(s.engineTls.certFile)}`, `tls-key-file ${quoteConfigValue(s.engineTls.keyFile)}`, `tls-ca-cert-file ${quoteConfigValue(s.engineTls.caFile)}`,
    "tls-cluster yes", "tls-replication yes", "tls-auth-clients no",
  ];
}

export function renderEngineConfig(s: EngineSettings, password: string): string {
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
    ...durabilityDirectives(s),
    "appendfsync everysec",
    `requirepass ${quoteConfigValue(password)}`,
    `masterauth ${quoteConfigValue(password)}`,
    "",
  ];
  return lines.join("\n");
}
