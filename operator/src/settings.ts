// The operator's settings from its environment (pure); a bad value names the variable and what to do.

/** What the manager runs with (main.ts parses it from the environment). */
export interface ManagerConfig {
  identity: string;
  podNamespace: string;
  /**
   * Labels that select the operator's own pods (MDB_OPERATOR_POD_LABELS, `key=value,…`; the chart sets
   * its selector labels): each cluster's NetworkPolicy lets only those pods reach the sidecars. Empty
   * when the operator runs outside a pod.
   */
  operatorPodLabels: Record<string, string>;
  watchNamespace: string;
  leaderElect: boolean;
  leaseName: string;
  createLease: boolean;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** The sidecar's image in member pods (MDB_MEMBER_IMAGE). */
  memberImage: string;
  /** The engine image of clusters that do not set spec.engine.image (MDB_ENGINE_IMAGE; docs/engines.md). */
  engineImage: string;
  healthPort: number;
  /** Port of /metrics (Prometheus). */
  metricsPort: number;
  resyncMs: number;
  workers: number;
}

type Env = Record<string, string | undefined>;

/** The default engine: Valkey 9, whose atomic slot migration our moves use (docs/engines.md#the-default-engine). */
export const DEFAULT_ENGINE_IMAGE = "mdbcluster/engine-valkey:9.1.2";

export class OperatorSettingsError extends Error {
  constructor(readonly variable: string, detail: string) {
    super(`${variable}: ${detail}`);
    this.name = "OperatorSettingsError";
  }
}

function seconds(env: Env, name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback * 1000;
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0 || v > 3600) throw new OperatorSettingsError(name, `"${text}" must be a number of seconds in (0, 3600]`);
  return v * 1000;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const text = env[name]?.trim().toLowerCase();
  if (!text) return fallback;
  if (text === "true" || text === "false") return text === "true";
  throw new OperatorSettingsError(name, `"${text}" must be true or false`);
}

/** A label key: an optional DNS-subdomain prefix and a name of up to 63 characters; a value: up to 63. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function labels(env: Env, name: string): Record<string, string> {
  const text = env[name]?.trim();
  const out: Record<string, string> = {};
  for (const pair of text ? text.split(",") : []) {
    const [key, value, ...rest] = pair.split("=").map((s) => s.trim());
    if (value === undefined || rest.length > 0 || !LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
      throw new OperatorSettingsError(name, `"${pair}" is not a label key=value (expected e.g. app.kubernetes.io/instance=mdb-operator)`);
    }
    out[key] = value;
  }
  return out;
}

export function parseOperatorSettings(env: Env, host: string): ManagerConfig {
  const port = Number(env.MDB_HEALTH_PORT?.trim() || 8081);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new OperatorSettingsError("MDB_HEALTH_PORT", `"${env.MDB_HEALTH_PORT}" is not a port`);
  const metricsPort = Number(env.MDB_METRICS_PORT?.trim() || 8080);
  if (!Number.isInteger(metricsPort) || metricsPort < 1 || metricsPort > 65535) throw new OperatorSettingsError("MDB_METRICS_PORT", `"${env.MDB_METRICS_PORT}" is not a port`);
  if (metricsPort === port) throw new OperatorSettingsError("MDB_METRICS_PORT", `must differ from MDB_HEALTH_PORT (${port})`);
  const leaseDurationMs = seconds(env, "MDB_LEASE_DURATION_SECONDS", 15);
  const renewDeadlineMs = seconds(env, "MDB_RENEW_DEADLINE_SECONDS", 10);
  const retryPeriodMs = seconds(env, "MDB_RETRY_PERIOD_SECONDS", 2);
  if (renewDeadlineMs >= leaseDurationMs) throw new OperatorSettingsError("MDB_RENEW_DEADLINE_SECONDS", "must be shorter than MDB_LEASE_DURATION_SECONDS");
  if (retryPeriodMs >= renewDeadlineMs) throw new OperatorSettingsError("MDB_RETRY_PERIOD_SECONDS", "must be shorter than MDB_RENEW_DEADLINE_SECONDS");
  const workers = Number(env.MDB_WORKERS?.trim() || 4);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new OperatorSettingsError("MDB_WORKERS", "must be an integer in 1..64");
  return {
    identity: env.POD_NAME?.trim() || host,
    podNamespace: env.POD_NAMESPACE?.trim() || "default",
    operatorPodLabels: labels(env, "MDB_OPERATOR_POD_LABELS"),
    watchNamespace: env.MDB_WATCH_NAMESPACE?.trim() ?? "",
    leaderElect: flag(env, "MDB_LEADER_ELECT", true),
    leaseName: env.MDB_LEASE_NAME?.trim() || "mdb-operator",
    createLease: flag(env, "MDB_LEASE_CREATE", true),
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    memberImage: env.MDB_MEMBER_IMAGE?.trim() || "mdbcluster/node:0.1.0",
    engineImage: env.MDB_ENGINE_IMAGE?.trim() || DEFAULT_ENGINE_IMAGE,
    healthPort: port,
    metricsPort,
    resyncMs: seconds(env, "MDB_RESYNC_SECONDS", 60),
    workers,
  };
}
