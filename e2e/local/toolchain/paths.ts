// Where the pinned control-plane build (build.sh beside this file) keeps its binaries, without
// building: unit tests and the demo look tools up here; `ensureBinaries` (controlplane/cluster.ts)
// is what builds them.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const buildScript = join(dirname(fileURLToPath(import.meta.url)), "build.sh");

/** The Kubernetes version build.sh pins (its K8S_VERSION line: one definition). */
export function pinnedKubernetesVersion(): string {
  const m = /^K8S_VERSION=(v\S+)$/m.exec(readFileSync(buildScript, "utf8"));
  if (!m) throw new Error(`${buildScript} has no K8S_VERSION=v… line`);
  return m[1];
}

/** ${MDB_CACHE:-~/.cache/mdbcluster}/k8s-<version>/bin, as build.sh computes it. */
export function pinnedBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.MDB_CACHE || join(homedir(), ".cache", "mdbcluster"), `k8s-${pinnedKubernetesVersion()}`, "bin");
}

/** Path of one pinned tool (kubectl, helm, …); throws with the command that builds it when missing. */
export function pinnedTool(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const path = join(pinnedBinDir(env), name);
  if (!existsSync(path)) throw new Error(`${name} is not built yet (looked for ${path}): run bash e2e/local/toolchain/build.sh (cold: about 10 minutes, once)`);
  return path;
}
