// Where each real node of the topology lives on this machine: its IP on the pod bridge, its slice of
// the pod network, its directories, sockets, ports and cgroup parent. Pure: the same inputs give the
// same layout, so cluster:up, the fault agent and cluster:down agree without talking to each other.
import { join } from "node:path";
import type { LocalNode } from "../controlplane/topology.ts";
import { intToIp, ipToInt, type PodNetwork } from "../controlplane/network.ts";

export interface RealNodePlan {
  name: string;
  /** The node's InternalIP: an extra address on the pod bridge; its kubelet listens there. */
  ip: string;
  /** host-local IPAM range of the node's pods: the /24 number index+1 of the pod network. */
  podRangeStart: string;
  podRangeEnd: string;
  dir: string;
  containerdSocket: string;
  kubeletPort: number;
  healthzPort: number;
  /** cgroup (v1, every hierarchy) under which the kubelet creates kubepods for this node. */
  cgroupRoot: string;
  labels: Record<string, string>;
  taints: LocalNode["taints"];
  capacity: LocalNode["capacity"];
}

export interface NodeLayoutInput {
  stateDir: string;
  network: PodNetwork;
  kubeletPort: number;
  /** Top cgroup of this proving ground's nodes (MDB_CGROUP_PARENT). */
  cgroupParent: string;
}

/** Node i gets IP gateway+10+i and pods in <network>.(i+1).2–.254; at most 250 nodes fit a /16. */
export function planRealNodes(nodes: LocalNode[], input: NodeLayoutInput): RealNodePlan[] {
  if (input.network.prefixLength > 16) throw new Error(`real nodes need a pod network of /16 or larger (one /24 per node); MDB_POD_CIDR=${input.network.cidr} is too small`);
  if (nodes.length > 240) throw new Error(`the topology has ${nodes.length} hosts; real nodes support at most 240 on one machine`);
  const base = ipToInt(input.network.gateway) - 1;
  return nodes.map((node, i) => {
    const dir = join(input.stateDir, "nodes", node.name);
    return {
      name: node.name,
      ip: intToIp(base + 11 + i),
      podRangeStart: intToIp(base + (i + 1) * 256 + 2),
      podRangeEnd: intToIp(base + (i + 1) * 256 + 254),
      dir,
      containerdSocket: join(dir, "containerd.sock"),
      kubeletPort: input.kubeletPort,
      healthzPort: input.kubeletPort - 2,
      cgroupRoot: `/${input.cgroupParent}/${node.name}`,
      labels: node.labels,
      taints: node.taints,
      capacity: node.capacity,
    };
  });
}

/** The cgroup parent name: MDB_CGROUP_PARENT, else one derived from the bridge (unique per proving ground). */
export function cgroupParentFromEnv(network: PodNetwork, env: NodeJS.ProcessEnv = process.env): string {
  const name = env.MDB_CGROUP_PARENT || `mdbcluster-${network.bridge}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name)) throw new Error(`MDB_CGROUP_PARENT=${name}: expected one cgroup name (letters, digits, '.', '_', '-')`);
  return name;
}
