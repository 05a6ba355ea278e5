// The pod network: one Linux bridge in the host namespace; pods' veths plug into it. The host's address
// on the bridge is the pods' gateway and where they reach the API server. Everything a second proving
// ground on the same machine must not share is an environment override (docs/proving-ground.md#two-proving-grounds-on-one-machine):
//   MDB_BRIDGE (mdb0)  MDB_POD_CIDR (10.244.0.0/16)  MDB_SERVICE_CIDR (10.96.0.0/16)
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export interface PodNetwork {
  bridge: string;
  cidr: string;
  gateway: string;
  prefixLength: number;
  /** Pod-runner network namespaces are named <prefix><hash>; cleanup touches only these. */
  netnsPrefix: string;
  serviceCidr: string;
  /** The `kubernetes` Service's ClusterIP (first address of the service range). */
  kubernetesServiceIP: string;
  /** The cluster DNS Service's ClusterIP (tenth address, as kubeadm chooses). */
  dnsServiceIP: string;
}

export function ipToInt(ip: string): number {
  return ip.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** Checks an IPv4 CIDR and returns its network address and prefix length; `name` is the variable named in errors. */
export function parseCidr(text: string, name: string, maxPrefix: number): { network: number; prefixLength: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  const prefixLength = m ? Number(m[5]) : NaN;
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || prefixLength < 8 || prefixLength > maxPrefix) {
    throw new Error(`${name}=${text}: expected an IPv4 network A.B.C.D/N with N between 8 and ${maxPrefix}, e.g. 10.245.0.0/16`);
  }
  const ip = ipToInt(m.slice(1, 5).join("."));
  const network = ip - (ip % 2 ** (32 - prefixLength));
  if (network !== ip) throw new Error(`${name}=${text}: host bits are set; the network address is ${intToIp(network)}/${prefixLength}`);
  return { network, prefixLength };
}

const BRIDGE_NAME = /^[a-z][a-z0-9]{0,10}$/;

export function podNetworkFromEnv(env: NodeJS.ProcessEnv = process.env): PodNetwork {
  const bridge = env.MDB_BRIDGE || "mdb0";
  if (!BRIDGE_NAME.test(bridge)) throw new Error(`MDB_BRIDGE=${bridge}: expected a short interface name (lower-case letters and digits, at most 11), e.g. mdb1`);
  const cidr = env.MDB_POD_CIDR || "10.244.0.0/16";
  const pods = parseCidr(cidr, "MDB_POD_CIDR", 16); // node i gets the /24 number i+1 inside it
  const serviceCidr = env.MDB_SERVICE_CIDR || "10.96.0.0/16";
  const services = parseCidr(serviceCidr, "MDB_SERVICE_CIDR", 24);
  const overlap = (a: { network: number; prefixLength: number }, b: typeof a) =>
    Math.floor(a.network / 2 ** (32 - Math.min(a.prefixLength, b.prefixLength))) === Math.floor(b.network / 2 ** (32 - Math.min(a.prefixLength, b.prefixLength)));
  if (overlap(pods, services)) throw new Error(`MDB_SERVICE_CIDR=${serviceCidr} overlaps MDB_POD_CIDR=${cidr}: choose disjoint ranges`);
  return {
    bridge, cidr, gateway: intToIp(pods.network + 1), prefixLength: pods.prefixLength,
    netnsPrefix: bridge === "mdb0" ? "mdb-" : `${bridge}-`,
    serviceCidr, kubernetesServiceIP: intToIp(services.network + 1), dnsServiceIP: intToIp(services.network + 10),
  };
}

function ip(args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export function bridgeExists(net: PodNetwork = podNetworkFromEnv()): boolean {
  try { ip(["link", "show", net.bridge]); return true; } catch { return false; }
}

export function ensureBridge(net: PodNetwork = podNetworkFromEnv()): void {
  if (!bridgeExists(net)) ip(["link", "add", net.bridge, "type", "bridge"]);
  const addrs = ip(["-o", "-4", "addr", "show", "dev", net.bridge]);
  if (!addrs.includes(`${net.gateway}/${net.prefixLength}`)) {
    ip(["addr", "add", `${net.gateway}/${net.prefixLength}`, "dev", net.bridge]);
  }
  ip(["link", "set", net.bridge, "up"]);
}

/** Adds an extra host address on the bridge (a real node's IP); idempotent. */
export function addBridgeAddress(address: string, net: PodNetwork): void {
  const addrs = ip(["-o", "-4", "addr", "show", "dev", net.bridge]);
  if (!addrs.includes(` ${address}/`)) ip(["addr", "add", `${address}/32`, "dev", net.bridge]);
}

/** Network namespaces the pod runner made (by their prefix). */
export function podNetnsNames(net: PodNetwork = podNetworkFromEnv()): string[] {
  let out = "";
  try { out = ip(["netns", "list"]); } catch { return []; }
  return out.split("\n").map((l) => l.split(" ")[0]).filter((n) => n.startsWith(net.netnsPrefix));
}

/** Interfaces plugged into this proving ground's bridge (pods' host-side veths). */
export function bridgePorts(bridge: string): string[] {
  if (!existsSync(`/sys/class/net/${bridge}`)) return [];
  return ip(["-o", "link", "show", "master", bridge]).split("\n").map((l) => l.split(": ")[1]?.split("@")[0] ?? "").filter(Boolean);
}

/**
 * Removes every pod namespace of this proving ground, the veths still plugged into its bridge, and the
 * bridge. Deleting a veth at once also frees its pod end: the kernel otherwise destroys a dead
 * pod's namespace (and so the veth) only later, in the background.
 */
export function removePodNetwork(net: PodNetwork = podNetworkFromEnv()): void {
  for (const ns of podNetnsNames(net)) {
    try { ip(["netns", "delete", ns]); } catch { /* gone meanwhile */ }
  }
  for (const port of bridgePorts(net.bridge)) {
    try { ip(["link", "delete", port]); } catch { /* gone meanwhile */ }
  }
  if (bridgeExists(net)) ip(["link", "delete", net.bridge]);
}
