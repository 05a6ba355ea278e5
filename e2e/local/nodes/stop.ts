// Tear-down of the real nodes: every container, shim, kubelet and containerd of this proving ground
// is stopped by pid or cgroup (never by name), kube-proxy's nftables tables and the nodes' cgroup tree
// are removed. The nodes' mounts lived only in their own mount namespaces and go with them.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isAlive, type ProcessTable } from "../controlplane/processes.ts";
import { sleep } from "../../../common/wait.ts";
import { pidsUnder, removeCgroupTree } from "./cgroups.ts";
import { killTask, listTasks } from "./containerd.ts";
import type { RealNodesInfo } from "./start.ts";

/** Processes whose command line names this socket: the containerd shims of one node (they outlive containerd). */
export function shimsOf(socket: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      if (argv[0].endsWith("containerd-shim-runc-v2") && argv.includes(socket)) found.push(Number(pid));
    } catch { /* exited */ }
  }
  return found;
}

export async function stopRealNodes(info: RealNodesInfo, table: ProcessTable, log: (line: string) => void): Promise<void> {
  await table.stop("nodeagent", 5_000);
  await table.stop("kube-proxy", 5_000);
  for (const family of ["ip", "ip6"]) spawnSync("nft", ["delete", "table", family, "kube-proxy"], { stdio: "ignore" });
  // Kubelets first (so nothing restarts containers), then every task, then containerd and its shims.
  await Promise.all(info.nodes.map((n) => table.stop(`kubelet-${n.name}`, 5_000)));
  await Promise.all(info.nodes.map(async (n) => {
    if (table.running(`containerd-${n.name}`) === undefined || !existsSync(n.containerdSocket)) return;
    try {
      for (const task of await listTasks(n.containerdSocket)) await killTask(n.containerdSocket, task.id).catch(() => undefined);
    } catch (e) {
      log(`node ${n.name}: could not list its containers (${(e as Error).message}); the cgroup sweep below stops them`);
    }
  }));
  await Promise.all(info.nodes.map((n) => table.stop(`containerd-${n.name}`, 10_000)));
  const leftovers = [
    ...info.nodes.flatMap((n) => shimsOf(n.containerdSocket)),
    ...pidsUnder(`/${info.cgroupParent}`),
  ];
  for (const pid of new Set(leftovers)) {
    try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
  }
  for (let i = 0; i < 50 && leftovers.some(isAlive); i++) await sleep(100);
  const left = removeCgroupTree(`/${info.cgroupParent}`);
  if (left.length) log(`could not remove cgroups (still busy?): ${left.join(", ")}`);
  await table.stop("registry", 3_000);
}
