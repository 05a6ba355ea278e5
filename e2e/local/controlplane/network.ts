// The pod network: one Linux bridge in the host namespace; the pod runner plugs each pod's veth into
// it. The host's address on the bridge is the pods' gateway and where they reach the API server.
// Nothing routes out of this network: pods get only the on-link route (no default route).
import { execFileSync } from "node:child_process";

export const POD_NETWORK = {
  bridge: "mdb0",
  cidr: "10.244.0.0/16",
  gateway: "10.244.0.1",
  prefixLength: 16,
  netnsPrefix: "mdb-",
} as const;

function ip(args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export function bridgeExists(): boolean {
  try { ip(["link", "show", POD_NETWORK.bridge]); return true; } catch { return false; }
}

export function ensureBridge(): void {
  if (!bridgeExists()) ip(["link", "add", POD_NETWORK.bridge, "type", "bridge"]);
  const addrs = ip(["-o", "-4", "addr", "show", "dev", POD_NETWORK.bridge]);
  if (!addrs.includes(`${POD_NETWORK.gateway}/${POD_NETWORK.prefixLength}`)) {
    ip(["addr", "add", `${POD_NETWORK.gateway}/${POD_NETWORK.prefixLength}`, "dev", POD_NETWORK.bridge]);
  }
  ip(["link", "set", POD_NETWORK.bridge, "up"]);
}

/** Network namespaces the pod runner made (by their prefix). */
export function podNetnsNames(): string[] {
  let out = "";
  try { out = ip(["netns", "list"]); } catch { return []; }
  return out.split("\n").map((l) => l.split(" ")[0]).filter((n) => n.startsWith(POD_NETWORK.netnsPrefix));
}

/** Removes every pod namespace (their veths go with them) and the bridge. */
export function removePodNetwork(): void {
  for (const ns of podNetnsNames()) {
    try { ip(["netns", "delete", ns]); } catch { /* gone meanwhile */ }
  }
  if (bridgeExists()) ip(["link", "delete", POD_NETWORK.bridge]);
}
