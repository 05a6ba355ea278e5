// Which cluster an e2e suite or a benchmark runs on, decided once for all of them: KUBECONFIG when it
// is set (a running proving ground — its cluster.json sits beside the kubeconfig — or another cluster
// such as kind); otherwise the proving ground of $MDB_LOCAL_DIR, brought up here and torn down by
// `releaseGround` when this process started it.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { clusterDown, clusterUp, stateDirFrom } from "../local/controlplane/cluster.ts";
import { pinnedBinDir } from "../local/toolchain/paths.ts";
import { sendControl, type ControlReply, type ControlRequest } from "../local/podrunner/control.ts";
import { kindFault } from "../kind/faults.ts";

export interface Ground {
  kubeconfig: string;
  /** The proving ground's state directory; undefined when KUBECONFIG names another kind of cluster. */
  stateDir?: string;
  /** True when this process brought the proving ground up (and so must take it down). */
  startedHere: boolean;
  /** Where kubectl and helm are: the pinned build's directory, or undefined to use PATH. */
  binDir?: string;
  /** A kind cluster of `npm run kind:up`: its state directory (its state.json sits beside the kubeconfig). */
  kindStateDir?: string;
}

/** Injects a fault (`npm run cluster:fault`'s kinds) on the proving ground or on a kind cluster of kind:up. */
export async function injectFault(ground: Ground, req: ControlRequest): Promise<ControlReply> {
  if (ground.stateDir) return sendControl(ground.stateDir, req);
  if (ground.kindStateDir) return kindFault(ground.kindStateDir, req);
  throw new Error(`faults need the proving ground or a kind cluster of npm run kind:up; KUBECONFIG=${ground.kubeconfig} is neither`);
}

/** True when KUBECONFIG is set and names a cluster that is not a proving ground (kind, a real one). */
export function kubeconfigNamesAnotherCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  const given = env.KUBECONFIG;
  return given !== undefined && given !== "" && !existsSync(join(dirname(given), "cluster.json"));
}

function toolsDir(): string | undefined {
  const pinned = pinnedBinDir();
  return existsSync(join(pinned, "kubectl")) && existsSync(join(pinned, "helm")) ? pinned : undefined;
}

/** The cluster to run on: KUBECONFIG's, or a proving ground started (or found running) here. */
export async function acquireGround(log: (line: string) => void = (l) => console.log(`[cluster:up] ${l}`)): Promise<Ground> {
  const given = process.env.KUBECONFIG;
  if (given) {
    const onGround = existsSync(join(dirname(given), "cluster.json"));
    const onKind = existsSync(join(dirname(given), "state.json"));
    return { kubeconfig: given, stateDir: onGround ? dirname(given) : undefined, kindStateDir: onKind ? dirname(given) : undefined, startedHere: false, binDir: toolsDir() };
  }
  const stateDir = stateDirFrom(); // $MDB_LOCAL_DIR or <repo>/.mdb-local
  const alreadyUp = existsSync(join(stateDir, "cluster.json"));
  const info = await clusterUp({ stateDir, log });
  return { kubeconfig: info.kubeconfig, stateDir: info.stateDir, startedHere: !alreadyUp, binDir: info.binDir };
}

/** Takes the proving ground down when this process brought it up; leaves any other cluster alone. */
export async function releaseGround(ground: Ground | undefined, log: (line: string) => void = (l) => console.log(`[cluster:down] ${l}`)): Promise<void> {
  if (!ground?.startedHere || !ground.stateDir) return;
  if (existsSync(join(ground.stateDir, "cluster.json"))) await clusterDown({ stateDir: ground.stateDir, log });
}
