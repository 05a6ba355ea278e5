// Reads <state>/cluster.json written by `npm run cluster:up` (see the proving-ground contract).
// Tolerant of missing optional fields: defaults follow the contract's pod network.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ClusterNode } from "./nodes.ts";

export interface ClusterInfo {
  stateDir: string;
  kubeconfig: string;
  apiserver: { podHost: string; port: number };
  network: { bridge: string; cidr: string; gateway: string; prefixLength: number; podRange: string; netnsPrefix: string };
  caFile: string;
  nodes: ClusterNode[];
}

export function parseClusterInfo(text: string, stateDir: string, file = "cluster.json"): ClusterInfo {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}); re-run npm run cluster:up`);
  }
  const obj = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null ? v as Record<string, unknown> : {});
  const network = obj(raw.network);
  const apiserver = obj(raw.apiserver);
  const cidr = typeof network.cidr === "string" ? network.cidr : "10.244.0.0/16";
  const prefixLength = Number(cidr.split("/")[1]);
  if (!Number.isInteger(prefixLength) || prefixLength < 8 || prefixLength > 30) throw new Error(`${file}: network.cidr "${cidr}" needs a prefix length between 8 and 30`);
  const gateway = typeof network.gateway === "string" ? network.gateway : "10.244.0.1";
  if (!Array.isArray(raw.nodes) || raw.nodes.length === 0) throw new Error(`${file}: nodes: expected a non-empty list of nodes`);
  const nodes = raw.nodes.map((n, i): ClusterNode => {
    const node = obj(n);
    if (typeof node.name !== "string" || !node.name) throw new Error(`${file}: nodes[${i}].name: expected a node name`);
    return {
      name: node.name,
      labels: obj(node.labels) as Record<string, string>,
      capacity: { cpu: "8", memory: "32Gi", pods: "110", ...(obj(node.capacity) as Record<string, string>) },
      taints: Array.isArray(node.taints) ? node.taints as ClusterNode["taints"] : [],
    };
  });
  return {
    stateDir,
    kubeconfig: typeof raw.kubeconfig === "string" ? raw.kubeconfig : join(stateDir, "kubeconfig"),
    apiserver: { podHost: typeof apiserver.podHost === "string" ? apiserver.podHost : gateway, port: typeof apiserver.port === "number" ? apiserver.port : 6443 },
    network: {
      bridge: typeof network.bridge === "string" ? network.bridge : "mdb0",
      cidr, gateway, prefixLength,
      podRange: typeof network.podRange === "string" ? network.podRange : "10.244.1.2..10.244.255.254",
      netnsPrefix: typeof network.netnsPrefix === "string" && network.netnsPrefix ? network.netnsPrefix : "mdb-",
    },
    caFile: typeof raw.caFile === "string" ? raw.caFile : join(stateDir, "pki", "ca.crt"),
    nodes,
  };
}

export function readClusterInfo(stateDir: string): ClusterInfo {
  const file = join(stateDir, "cluster.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new Error(`${file} not found: the pod runner is started by npm run cluster:up after it writes cluster.json`);
  }
  return parseClusterInfo(text, stateDir, file);
}
