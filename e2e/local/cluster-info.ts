// <state>/cluster.json: what `npm run cluster:up` writes and everything else reads (the pod runner,
// the CLI, the suites). One definition and one strict reader: a missing or malformed field is an
// error naming it, never a default that could disagree with what the writer chose.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { NodesMode } from "./controlplane/node-modes.ts";
import type { LocalNode } from "./controlplane/topology.ts";

export interface ClusterInfo {
  stateDir: string;
  binDir: string;
  kubeconfig: string;
  apiserver: { hostUrl: string; podHost: string; port: number };
  network: { bridge: string; cidr: string; gateway: string; prefixLength: number; podRange: string; netnsPrefix: string; serviceCidr: string; dnsServiceIP: string };
  /** Who runs the pods: the pod runner (processes) or real kubelets with containerd (MDB_NODES=real). */
  nodesMode: NodesMode;
  caFile: string;
  nodes: LocalNode[];
  timings: Record<string, number>;
}

type Obj = Record<string, unknown>;

export function parseClusterInfo(text: string, file = "cluster.json"): ClusterInfo {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}); re-run npm run cluster:up`);
  }
  const fail = (field: string, want: string): never => { throw new Error(`${file}: ${field}: expected ${want}; re-run npm run cluster:up`); };
  const obj = (v: unknown, field: string): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? v as Obj : fail(field, "an object"));
  const str = (o: Obj, k: string, path: string): string => (typeof o[k] === "string" && o[k] ? o[k] as string : fail(`${path}${k}`, "a non-empty string"));
  const num = (o: Obj, k: string, path: string): number => (typeof o[k] === "number" && Number.isFinite(o[k]) ? o[k] as number : fail(`${path}${k}`, "a number"));
  const root = obj(raw, "(root)");
  const apiserver = obj(root.apiserver, "apiserver");
  const network = obj(root.network, "network");
  const prefixLength = num(network, "prefixLength", "network.");
  if (!Number.isInteger(prefixLength) || prefixLength < 8 || prefixLength > 30) fail("network.prefixLength", "an integer between 8 and 30");
  const mode = str(root, "nodesMode", "");
  const nodesMode: NodesMode = mode === "podrunner" || mode === "real" ? mode : fail("nodesMode", '"podrunner" or "real"');
  if (!Array.isArray(root.nodes) || root.nodes.length === 0) fail("nodes", "a non-empty list of nodes");
  const nodes = (root.nodes as unknown[]).map((n, i): LocalNode => {
    const node = obj(n, `nodes[${i}]`);
    str(node, "name", `nodes[${i}].`);
    obj(node.labels, `nodes[${i}].labels`);
    obj(node.capacity, `nodes[${i}].capacity`);
    if (!Array.isArray(node.taints)) fail(`nodes[${i}].taints`, "a list");
    return node as unknown as LocalNode;
  });
  return {
    stateDir: str(root, "stateDir", ""),
    binDir: str(root, "binDir", ""),
    kubeconfig: str(root, "kubeconfig", ""),
    apiserver: { hostUrl: str(apiserver, "hostUrl", "apiserver."), podHost: str(apiserver, "podHost", "apiserver."), port: num(apiserver, "port", "apiserver.") },
    network: {
      bridge: str(network, "bridge", "network."), cidr: str(network, "cidr", "network."), gateway: str(network, "gateway", "network."), prefixLength,
      podRange: str(network, "podRange", "network."), netnsPrefix: str(network, "netnsPrefix", "network."),
      serviceCidr: str(network, "serviceCidr", "network."), dnsServiceIP: str(network, "dnsServiceIP", "network."),
    },
    nodesMode,
    caFile: str(root, "caFile", ""),
    nodes,
    timings: typeof root.timings === "object" && root.timings !== null ? root.timings as Record<string, number> : {},
  };
}

/** undefined when no proving ground has written its cluster.json in `stateDir`. */
export function readClusterInfo(stateDir: string): ClusterInfo | undefined {
  const file = join(stateDir, "cluster.json");
  if (!existsSync(file)) return undefined;
  return parseClusterInfo(readFileSync(file, "utf8"), file);
}
