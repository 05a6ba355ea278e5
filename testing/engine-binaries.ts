// Where the tests, benchmarks and the proving ground's pod runner find the engines they run on the
// machine: Debian's redis-server, and the pinned valkey-server that scripts/install-valkey.sh puts in
// the cache (docs/engines.md#valkey).
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export type EngineKind = "redis" | "valkey";
export const ENGINE_KINDS: readonly EngineKind[] = ["redis", "valkey"];

const fetchScript = join(dirname(fileURLToPath(import.meta.url)), "../engine-images/valkey/fetch-valkey.sh");

/** The valkey-server version the fetch script pins (its VALKEY_VERSION= line: one definition). */
export function pinnedValkeyVersion(): string {
  const m = /^VALKEY_VERSION=(\S+)$/m.exec(readFileSync(fetchScript, "utf8"));
  if (!m) throw new Error(`${fetchScript} has no VALKEY_VERSION=… line`);
  return m[1];
}

/** ${MDB_CACHE:-~/.cache/mdbcluster}/valkey-<version>/bin, as scripts/install-valkey.sh computes it. */
export function valkeyBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.MDB_CACHE || join(homedir(), ".cache", "mdbcluster"), `valkey-${pinnedValkeyVersion()}`, "bin");
}

/** The engine binary of `kind`: $REDIS_SERVER_BIN / $VALKEY_SERVER_BIN, else where it is installed; throws saying how to install it. */
export function engineBinary(kind: EngineKind, env: NodeJS.ProcessEnv = process.env): string {
  if (kind === "redis") {
    const path = env.REDIS_SERVER_BIN ?? "/usr/bin/redis-server";
    if (!existsSync(path)) throw new Error(`redis-server is not installed (looked for ${path}): run bash scripts/install-debian-packages.sh`);
    return path;
  }
  const path = env.VALKEY_SERVER_BIN ?? join(valkeyBinDir(env), "valkey-server");
  if (!existsSync(path)) throw new Error(`valkey-server is not installed (looked for ${path}): run bash scripts/install-valkey.sh`);
  return path;
}

/** The engines the integration tests run on: $MDB_TEST_ENGINES (comma-separated), default both. */
export function testEngines(env: NodeJS.ProcessEnv = process.env): EngineKind[] {
  const text = env.MDB_TEST_ENGINES?.trim();
  if (!text) return [...ENGINE_KINDS];
  const kinds = text.split(",").map((s) => s.trim());
  for (const k of kinds) {
    if (!(ENGINE_KINDS as readonly string[]).includes(k)) throw new Error(`MDB_TEST_ENGINES: "${k}" is not one of ${ENGINE_KINDS.join(", ")}`);
  }
  return kinds as EngineKind[];
}
