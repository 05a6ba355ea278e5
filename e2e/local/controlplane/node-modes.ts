// Which kind of nodes a proving ground runs (MDB_NODES) and what each kind needs from the machine:
// the daemons a complete proving ground has, the tools and binaries real nodes need, and the checks
// that keep two proving grounds on one machine from sharing what cannot be shared.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { PodNetwork } from "./network.ts";

const NODE_TOOLCHAIN_BUILD = join(resolve(dirname(fileURLToPath(import.meta.url)), "../../.."), "e2e/local/toolchain/build-node.sh");

export type NodesMode = "podrunner" | "real";

export function nodesModeFromEnv(env: NodeJS.ProcessEnv = process.env): NodesMode {
  const raw = env.MDB_NODES || "podrunner";
  if (raw !== "podrunner" && raw !== "real") throw new Error(`MDB_NODES=${raw}: expected 'real' (kubelets with containerd) or 'podrunner' (pods as processes)`);
  return raw;
}

const CONTROL_PLANE = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;

/** The long-running processes a complete proving ground has, by the names its process table uses. */
export function daemonsOf(mode: NodesMode, nodes: { name: string }[]): string[] {
  return mode === "podrunner" ? [...CONTROL_PLANE, "podrunner"]
    : [...CONTROL_PLANE, "registry", "kube-proxy", "nodeagent", ...nodes.flatMap((n) => [`containerd-${n.name}`, `kubelet-${n.name}`])];
}

/** The pod runner's address range: everything in the pod network (a /16, see network.ts) above its first /24 (the gateway's). */
export function podRunnerRange(net: PodNetwork): string {
  const [a, b] = net.gateway.split(".");
  return `${a}.${b}.1.2-${a}.${b}.255.254`;
}

const REAL_NODE_TOOLS: [tool: string, pkg: string][] = [
  ["containerd", "containerd"], ["ctr", "containerd"], ["runc", "runc"], ["nft", "nftables"], ["buildah", "buildah"], ["debootstrap", "debootstrap"],
];

export function checkRealNodeTools(): void {
  const missing = REAL_NODE_TOOLS.filter(([tool]) => spawnSync("/bin/sh", ["-c", `command -v ${tool}`]).status !== 0);
  if (!existsSync("/usr/lib/cni/bridge")) missing.push(["/usr/lib/cni/bridge", "containernetworking-plugins"]);
  if (missing.length > 0) throw new Error(`MDB_NODES=real needs: ${missing.map(([tool, pkg]) => `'${tool}' (apt-get install -y ${pkg})`).join(", ")}`);
}

/** kube-proxy's nftables tables are machine-wide: two real-node proving grounds cannot share them. */
export function assertNoOtherKubeProxy(): void {
  const r = spawnSync("nft", ["list", "table", "ip", "kube-proxy"], { stdio: "ignore" });
  if (r.status === 0) throw new Error("the nftables table 'ip kube-proxy' exists: another real-node proving ground (or a kube-proxy) runs on this machine; stop it first (npm run cluster:down with its MDB_LOCAL_DIR), or use MDB_NODES=podrunner");
}

/** inotify instances a real node takes (its kubelet's cAdvisor and file watchers, its containerd), with room. */
export const INOTIFY_PER_REAL_NODE = 6;

/** Whether `free` inotify instances are enough for `nodes` real nodes; the message says what to do when not (pure). */
export function inotifyShortage(nodes: number, max: number, inUse: number): string | undefined {
  const need = nodes * INOTIFY_PER_REAL_NODE;
  if (max - inUse >= need) return undefined;
  return `fs.inotify.max_user_instances is ${max} and ${inUse} are in use: ${nodes} real nodes need about ${need} more (a kubelet without one exits with "inotify_init: too many open files"); stop what holds them, or raise the limit (sysctl -w fs.inotify.max_user_instances=${Math.max(512, inUse + need)})`;
}

/** Refuses to start real nodes the machine's inotify limit cannot hold. */
export function assertInotifyRoom(nodes: number): void {
  let max: number;
  try { max = Number(readFileSync("/proc/sys/fs/inotify/max_user_instances", "utf8").trim()); } catch { return; }
  let inUse = 0;
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let fds: string[];
    try { fds = readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      try { if (readlinkSync(`/proc/${pid}/fd/${fd}`) === "anon_inode:inotify") inUse++; } catch { /* closed meanwhile */ }
    }
  }
  const shortage = inotifyShortage(nodes, max, inUse);
  if (shortage) throw new Error(shortage);
}

/** kubelet and kube-proxy from the pinned modules (cold: about a minute with the control plane's build cache). */
export function ensureNodeBinaries(log: (line: string) => void): string {
  const r = spawnSync("bash", [NODE_TOOLCHAIN_BUILD], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) throw new Error(`building kubelet and kube-proxy failed (exit ${r.status}); see the output above`);
  const bin = r.stdout.trim().split("\n").pop() ?? "";
  log(`node binaries ready: ${bin}`);
  return bin;
}
