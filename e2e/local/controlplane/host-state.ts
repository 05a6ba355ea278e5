// What a proving ground could change on the machine, as one comparable snapshot: the kernel settings a
// kubelet, kube-proxy or CNI plugin would set, the netfilter rules, interfaces, mounts, network
// namespaces, top-level cgroups, well-known directories, and processes naming the state dir. The
// tear-down test takes it before cluster:up and after cluster:down and expects no difference.
// Interfaces and namespaces are limited to this proving ground's names, so a second proving ground
// running beside it does not disturb the comparison.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cgroupHierarchies } from "../nodes/cgroups.ts";
import { bridgePorts } from "./network.ts";
import { namesDir, parentOf, selfAndAncestors } from "./processes.ts";

export const WATCHED_SYSCTLS = [
  "kernel/panic", "kernel/panic_on_oops", "vm/overcommit_memory", "vm/panic_on_oom", "kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes",
  "net/ipv4/ip_forward", "net/ipv4/conf/all/forwarding", "net/ipv4/conf/all/route_localnet", "net/bridge/bridge-nf-call-iptables",
  "net/netfilter/nf_conntrack_max", "net/netfilter/nf_conntrack_tcp_timeout_established", "net/netfilter/nf_conntrack_tcp_timeout_close_wait",
];

/** Paths a kubelet, containerd or CNI would create by default; real nodes keep them in their own namespaces. */
export const WATCHED_PATHS = ["/var/lib/kubelet", "/var/lib/containerd", "/run/containerd", "/var/log/pods", "/var/log/containers", "/etc/cni", "/var/lib/cni",
  "/usr/libexec/kubernetes", "/run/netns"];

export interface HostState {
  sysctls: Record<string, string>;
  netfilter: string;
  links: string[];
  netns: string[];
  mounts: string[];
  cgroups: string[];
  paths: string[];
  processes: string[];
}

function out(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return r.status === 0 ? r.stdout : "";
}

/**
 * Processes whose command line or environment names `dir`, other than this test process, its
 * ancestors and its own helpers (e.g. the TypeScript loader's esbuild service inherits MDB_LOCAL_DIR).
 */
export function processesUsing(dir: string): string[] {
  const ancestors = selfAndAncestors();
  const isOurHelper = (pid: string) => {
    for (let p = parentOf(pid), hops = 0; p !== "0" && hops < 64; p = parentOf(p), hops++) if (p === String(process.pid)) return true;
    return false;
  };
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p) && !ancestors.has(p) && !isOurHelper(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
      if (namesDir(cmdline, dir) || namesDir(environ, `MDB_LOCAL_DIR=${dir}`)) found.push(`${pid} ${cmdline}`);
    } catch { /* exited meanwhile */ }
  }
  return found;
}

export function hostState(scope: { stateDir: string; bridge: string; netnsPrefix: string }): HostState {
  const sysctls: Record<string, string> = {};
  for (const key of WATCHED_SYSCTLS) {
    const file = join("/proc/sys", key);
    sysctls[key.replaceAll("/", ".")] = existsSync(file) ? readFileSync(file, "utf8").trim() : "(absent)";
  }
  const links = [...(existsSync(`/sys/class/net/${scope.bridge}`) ? [scope.bridge] : []), ...bridgePorts(scope.bridge)].sort();
  const netns = out("ip", ["netns", "list"]).split("\n").map((l) => l.split(" ")[0]).filter((n) => n.startsWith(scope.netnsPrefix) || n.startsWith("cni-")).sort();
  // Another proving ground's pod namespaces are bind mounts under /run/netns: not ours to compare.
  const ours = (m: string) => !/^\/(var\/)?run\/netns(\/|$)/.test(m) || m.startsWith(`/run/netns/${scope.netnsPrefix}`) || m.startsWith("/run/netns/cni-");
  const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4]).filter((m) => m && ours(m)).sort();
  const cgroups = cgroupHierarchies().flatMap((h) => readdirSync(join("/sys/fs/cgroup", h), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${h}/${e.name}`)).sort();
  return {
    sysctls,
    // Counters change with traffic; the rules are what matter.
    netfilter: `${out("nft", ["list", "ruleset"])}${out("iptables-save", [])}`.replace(/^#.*$/gm, "").replace(/\[\d+:\d+\]/g, "").replace(/counter packets \d+ bytes \d+/g, "counter"),
    links, netns, mounts, cgroups,
    paths: WATCHED_PATHS.filter((p) => existsSync(p)),
    processes: processesUsing(scope.stateDir),
  };
}
