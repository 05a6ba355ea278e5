// Where kind runs with podman on a build machine: a network and mount namespace of its own (the "kind
// host"), joined to the machine by one veth pair. Everything podman, netavark and kind change lives
// there: the container network's bridge, firewall rules and forwarding flag, netns and runtime files
// under /run (a private tmpfs), and the /lib/modules kind mounts into every node (an overlay of /usr/lib
// that exists only there; the machine has no /lib/modules). The machine gets the veth and routes to
// the node, pod and Service subnets through it, which vanish with the veth.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readlinkSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface KindNetwork {
  /** The host side of the veth pair. */
  link: string;
  /** A /30: the host's address is the first, the namespace's the second. */
  linkSubnet: string;
  /** The podman network the node containers are on. */
  nodeSubnet: string;
  podSubnet: string;
  serviceSubnet: string;
}

export interface HostNamespace {
  /** The process holding the namespaces (`sleep infinity`); every command enters its namespaces. */
  pid: number;
  stateDir: string;
}

export function sh(cmd: string, args: string[], what: string, opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; stream?: boolean } = {}): string {
  const r = spawnSync(cmd, args, {
    env: opts.env ?? process.env, input: opts.input, encoding: "utf8", maxBuffer: 256 * 1024 * 1024,
    stdio: [opts.input === undefined ? "ignore" : "pipe", opts.stream ? "inherit" : "pipe", opts.stream ? "inherit" : "pipe"],
  });
  if (r.error) throw new Error(`${what}: '${cmd}' could not be started (${r.error.message})`);
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-20).join("\n");
    throw new Error(`${what} failed (exit ${r.status ?? r.signal})${tail ? `:\n${tail}` : "; see the output above"}`);
  }
  return (r.stdout ?? "").trim();
}

/** `a.b.c.d/n` → [first address + offset] as a dotted quad. */
export function addressIn(cidr: string, offset: number): string {
  const [ip] = cidr.split("/");
  const n = ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0) + offset;
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command inside the kind host's namespaces. */
export function inHost(host: HostNamespace, cmd: string, args: string[], what: string, opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; stream?: boolean } = {}): string {
  return sh("nsenter", [`--target=${host.pid}`, "--mount", "--net", "--", cmd, ...args], what, opts);
}

/** Starts the namespaces, the private /run and /lib/modules, and the veth with its routes. */
export async function createHostNamespace(stateDir: string, net: KindNetwork): Promise<HostNamespace> {
  const holder = spawn("unshare", ["--mount", "--net", "--propagation", "private", "--", "sleep", "infinity"], { detached: true, stdio: "ignore" });
  holder.unref();
  if (!holder.pid) throw new Error("unshare could not be started (util-linux)");
  const host: HostNamespace = { pid: holder.pid, stateDir };
  writeFileSync(join(stateDir, "host.pid"), `${holder.pid}\n`);
  // unshare replaces itself with sleep once the namespaces exist.
  for (let i = 0; i < 100 && readlinkSync(`/proc/${holder.pid}/ns/net`) === readlinkSync("/proc/self/ns/net"); i++) await new Promise((r) => setTimeout(r, 50));
  const overlay = join(stateDir, "usr-lib");
  mkdirSync(join(overlay, "upper"), { recursive: true });
  mkdirSync(join(overlay, "work"), { recursive: true });
  inHost(host, "sh", ["-euc", [
    "mount -t tmpfs -o mode=0755,size=256m mdb-kind-run /run",
    `mount -t overlay mdb-kind-usr-lib -o lowerdir=/usr/lib,upperdir=${overlay}/upper,workdir=${overlay}/work /usr/lib`,
    "mkdir -p /usr/lib/modules",
    "ip link set lo up",
  ].join("\n")], "preparing the kind host namespace");
  const hostAddress = addressIn(net.linkSubnet, 1);
  const nsAddress = addressIn(net.linkSubnet, 2);
  sh("ip", ["link", "add", net.link, "type", "veth", "peer", "name", "eth0", "netns", String(host.pid)], `creating the veth ${net.link}`);
  sh("ip", ["addr", "add", `${hostAddress}/30`, "dev", net.link], `addressing ${net.link}`);
  sh("ip", ["link", "set", net.link, "up"], `bringing ${net.link} up`);
  inHost(host, "sh", ["-euc", `ip addr add ${nsAddress}/30 dev eth0 && ip link set eth0 up && ip route add default via ${hostAddress}`], "addressing the kind host's eth0");
  for (const subnet of [net.nodeSubnet, net.podSubnet, net.serviceSubnet]) {
    sh("ip", ["route", "add", subnet, "via", nsAddress, "dev", net.link], `routing ${subnet} to the kind host`);
  }
  return host;
}

/** Environment for podman and kind: the config files under the state dir, the shared image store. */
export function podmanEnv(stateDir: string, imageCache: string, path: string[]): NodeJS.ProcessEnv {
  const dir = join(stateDir, "podman");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "containers.conf"), [
    "[containers]",
    // Without CAP_SYS_RESOURCE no container may start with limits above these (podman's defaults are higher).
    'default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]',
    "[engine]",
    'cgroup_manager = "cgroupfs"',
    'events_logger = "file"',
    'runtime = "runc"',
    `static_dir = "${dir}/libpod"`,
    `volume_path = "${dir}/volumes"`,
    'tmp_dir = "/run/libpod"',
    "[engine.runtimes]",
    'runc = ["/usr/sbin/runc"]',
    "[network]",
    `network_config_dir = "${dir}/networks"`,
    "",
  ].join("\n"));
  // The image store `npm run images:build` fills: the node image is used where it is, never copied.
  writeFileSync(join(dir, "storage.conf"), [
    "[storage]",
    `driver = "${process.env.MDB_BUILDAH_DRIVER ?? "overlay"}"`,
    `graphroot = "${join(imageCache, "storage")}"`,
    `runroot = "${join(imageCache, "run")}"`,
    "",
  ].join("\n"));
  return {
    ...process.env,
    CONTAINERS_CONF: join(dir, "containers.conf"),
    CONTAINERS_STORAGE_CONF: join(dir, "storage.conf"),
    KIND_EXPERIMENTAL_PROVIDER: "podman",
    PATH: [...path, process.env.PATH ?? ""].join(":"),
  };
}

/** Processes in the kind host's network namespace (conmon, aardvark-dns, the holder itself). */
export function processesIn(host: HostNamespace): number[] {
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${host.pid}/ns/net`);
  } catch {
    return [];
  }
  return readdirSync("/proc").filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/ns/net`) === ns;
    } catch {
      return false;
    }
  });
}

/** Ends every process of the namespace (by pid: all were started by kind:up), then removes the veth. */
export async function removeHostNamespace(host: HostNamespace | undefined, net: KindNetwork): Promise<void> {
  if (host && alive(host.pid)) {
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      for (const pid of processesIn(host)) {
        try {
          process.kill(pid, signal);
        } catch { /* already gone */ }
      }
      for (let i = 0; i < 50 && processesIn(host).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    }
  }
  // Deleting the namespace deletes the pair; delete it here when something else still holds the namespace.
  if (existsSync(`/sys/class/net/${net.link}`)) spawnSync("ip", ["link", "delete", net.link]);
  if (existsSync(`/sys/class/net/${net.link}`)) throw new Error(`the veth ${net.link} is still there: ip link delete ${net.link}`);
}

/**
 * podman's cgroupfs manager leaves `libpod_parent` (conmon's and each container's cgroup, and the
 * kubelets' cgroups nested in them) in every hierarchy: empty directories, removed deepest first.
 * Only the tree kind:up found missing is removed, so another podman user's is left alone.
 */
export function removeEmptyCgroups(root = "/sys/fs/cgroup", name = "libpod_parent"): number {
  let removed = 0;
  const prune = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) prune(join(dir, entry.name));
    try {
      rmdirSync(dir); // a cgroup directory goes with rmdir(2) once it has no processes and no children
      removed++;
    } catch { /* a process is still in it */ }
  };
  for (const hierarchy of readdirSync(root)) {
    const dir = join(root, hierarchy, name);
    if (existsSync(dir)) prune(dir);
  }
  return removed;
}
