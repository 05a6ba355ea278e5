// Real nodes (MDB_NODES=real): for every host of the topology, a containerd and a kubelet built from
// the pinned modules, in the node's own mount namespace (node-namespace.sh), with its own IP on the
// pod bridge and its own cgroup parent; plus the loopback image registry, kube-proxy and the agent that
// answers cluster:fault. cluster.ts calls startRealNodes after the control plane is up.
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { certKubeconfigYaml, ensureClientCert, type Pki } from "../controlplane/pki.ts";
import { addBridgeAddress, type PodNetwork } from "../controlplane/network.ts";
import type { DaemonSpec, ProcessTable } from "../controlplane/processes.ts";
import { waitFor } from "../../../common/wait.ts";
import type { LocalNode } from "../controlplane/topology.ts";
import { registryDir } from "../imagebuild/buildah.ts";
import { containerdConfig, cniConfig, kubeletConfig, kubeProxyConfig, REDIRECTED_IMAGE_HOSTS, registryHostsToml } from "./configs.ts";
import { createCgroupRoot } from "./cgroups.ts";
import { machineCapacity, systemReservedFor } from "./capacity.ts";
import { cgroupParentFromEnv, planRealNodes, type RealNodePlan } from "./plan.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
export const NODE_NAMESPACE_SCRIPT = join(HERE, "node-namespace.sh");
export const AGENT_MAIN = join(HERE, "agent.ts");
const REGISTRY_MAIN = join(HERE, "../registry/server.ts");
const CONTAINERD = "/usr/bin/containerd";

export interface RealNodesInput {
  stateDir: string;
  nodeBinDir: string;
  network: PodNetwork;
  pki: Pki;
  apiserverUrl: string;
  kubeletPort: number;
  registryPort: number;
  table: ProcessTable;
  log: (line: string) => void;
}

/** Everything cluster:down, cluster:fault and the agent need to find a real node again. */
export interface RealNodesInfo {
  nodes: RealNodePlan[];
  registryPort: number;
  cgroupParent: string;
  kubeletBin: string;
}

export function realNodesPlan(nodes: LocalNode[], input: Pick<RealNodesInput, "stateDir" | "network" | "kubeletPort">): RealNodePlan[] {
  return planRealNodes(nodes, { stateDir: input.stateDir, network: input.network, kubeletPort: input.kubeletPort, cgroupParent: cgroupParentFromEnv(input.network) });
}

/** The kubelet's process spec; the agent restarts a stopped node's kubelet from the file it is saved in. */
export function kubeletSpecFile(node: RealNodePlan): string {
  return join(node.dir, "kubelet.spec.json");
}

async function startAndWaitExec(table: ProcessTable, spec: DaemonSpec): Promise<number> {
  table.start(spec);
  return waitFor(() => table.running(spec.name), { what: `${spec.name} to start`, timeoutMs: 5_000, intervalMs: 20 });
}

export async function startRealNodes(localNodes: LocalNode[], input: RealNodesInput): Promise<RealNodesInfo> {
  const { table, network: net, log } = input;
  const kubelet = join(input.nodeBinDir, "kubelet");
  const nodes = realNodesPlan(localNodes, input);
  const cgroupParent = cgroupParentFromEnv(net);
  // Written first: a start-up that fails half-way is cleaned up from it.
  const info: RealNodesInfo = { nodes, registryPort: input.registryPort, cgroupParent, kubeletBin: kubelet };
  writeFileSync(join(input.stateDir, "real-nodes.json"), JSON.stringify(info, null, 2));

  // The loopback registry every node's containerd pulls from.
  const store = registryDir();
  if (!existsSync(store)) throw new Error(`no images in ${store}: run npm run images:build first (real nodes pull every image from there)`);
  await startAndWaitExec(table, { name: "registry", command: process.execPath, args: ["--import", "tsx", REGISTRY_MAIN, store, String(input.registryPort)] });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${input.registryPort}/v2/`, { signal: AbortSignal.timeout(1000) })).ok, { what: "the image registry", timeoutMs: 15_000, intervalMs: 100 });
  const hostsDir = join(input.stateDir, "registry-hosts");
  for (const host of REDIRECTED_IMAGE_HOSTS) {
    mkdirSync(join(hostsDir, host), { recursive: true });
    writeFileSync(join(hostsDir, host, "hosts.toml"), registryHostsToml(input.registryPort));
  }

  // Pod → ClusterIP → pod is routed through the host: forwarding on this bridge only (the
  // machine-wide net.ipv4.ip_forward stays as it is); the setting goes with the bridge.
  writeFileSync(`/proc/sys/net/ipv4/conf/${net.bridge}/forwarding`, "1");
  const machine = machineCapacity();
  const waits: Promise<unknown>[] = [];
  for (const node of nodes) {
    for (const sub of ["containerd", "cni", "cni-ipam", "kubelet", "pod-logs", "ns"]) mkdirSync(join(node.dir, sub), { recursive: true });
    addBridgeAddress(node.ip, net);
    createCgroupRoot(node.cgroupRoot);
    writeFileSync(join(node.dir, "containerd.toml"), containerdConfig(node, hostsDir));
    seedContent(store, join(node.dir, "containerd/root/io.containerd.content.v1.content/blobs/sha256"));
    writeFileSync(join(node.dir, "cni", "10-pods.conflist"), cniConfig(node, net));
    const reserved = systemReservedFor(node.capacity, machine);
    if (reserved.warning) log(`node ${node.name}: ${reserved.warning}`);
    writeFileSync(join(node.dir, "kubelet.yaml"), kubeletConfig(node, { caFile: input.pki.caCert, systemReserved: reserved.systemReserved, clusterDNS: net.dnsServiceIP }));
    const pair = ensureClientCert(input.pki, `node-${node.name}`, `/O=system:nodes/CN=system:node:${node.name}`);
    writeFileSync(join(node.dir, "kubeconfig"), certKubeconfigYaml(input.apiserverUrl, input.pki.caCert, pair, `system:node:${node.name}`), { mode: 0o600 });

    const containerdPid = await startAndWaitExec(table, { name: `containerd-${node.name}`, command: "unshare", execs: CONTAINERD,
      args: ["--mount", "--propagation", "private", "--", "bash", NODE_NAMESPACE_SCRIPT, node.dir, "--", CONTAINERD, "--config", join(node.dir, "containerd.toml")] });
    waits.push(waitFor(() => {
      if (table.running(`containerd-${node.name}`) === undefined) throw Object.assign(new Error(`containerd of ${node.name} exited; see ${table.logFile(`containerd-${node.name}`)}`), { fatal: true });
      return existsSync(node.containerdSocket);
    }, { what: `containerd of ${node.name} (${table.logFile(`containerd-${node.name}`)})`, timeoutMs: 30_000, intervalMs: 100 }).then(() => {
      const spec: DaemonSpec = { name: `kubelet-${node.name}`, command: "nsenter", execs: kubelet, args: [
        `--mount=/proc/${containerdPid}/ns/mnt`, "--", kubelet,
        `--config=${join(node.dir, "kubelet.yaml")}`, `--kubeconfig=${join(node.dir, "kubeconfig")}`,
        `--root-dir=${join(node.dir, "kubelet")}`, `--cert-dir=${join(node.dir, "kubelet", "pki")}`,
        `--volume-plugin-dir=${join(node.dir, "kubelet", "volume-plugins")}`,
        `--hostname-override=${node.name}`, `--node-ip=${node.ip}`,
        `--node-labels=${Object.entries(node.labels).filter(([k]) => k !== "kubernetes.io/hostname").map(([k, v]) => `${k}=${v}`).join(",")}`,
        "--v=1",
      ] };
      writeFileSync(kubeletSpecFile(node), JSON.stringify(spec, null, 2));
      return startAndWaitExec(table, spec);
    }));
  }
  await Promise.all(waits);

  // kube-proxy: one for the machine (all nodes share its network namespace), so ClusterIPs route.
  const proxyPair = ensureClientCert(input.pki, "kube-proxy", "/CN=system:kube-proxy");
  const proxyDir = join(input.stateDir, "kube-proxy");
  mkdirSync(proxyDir, { recursive: true });
  writeFileSync(join(proxyDir, "kubeconfig"), certKubeconfigYaml(input.apiserverUrl, input.pki.caCert, proxyPair, "system:kube-proxy"), { mode: 0o600 });
  writeFileSync(join(proxyDir, "config.yaml"), kubeProxyConfig({ kubeconfig: join(proxyDir, "kubeconfig"), clusterCIDR: net.cidr,
    bindAddress: net.gateway, healthzPort: input.kubeletPort + 6, metricsPort: input.kubeletPort + 5, hostnameOverride: nodes[0].name }));
  await startAndWaitExec(table, { name: "kube-proxy", command: join(input.nodeBinDir, "kube-proxy"), args: [`--config=${join(proxyDir, "config.yaml")}`, "--v=1"] });

  await startAndWaitExec(table, { name: "nodeagent", command: process.execPath, args: ["--import", "tsx", AGENT_MAIN], env: { ...process.env, MDB_LOCAL_DIR: input.stateDir } });
  return info;
}

/**
 * Hard-links every published blob into a node's content store before its containerd starts. A pull
 * still resolves, checks and unpacks the image as usual, but containerd finds each blob already
 * present and transfers nothing: six nodes pulling the member image do not copy it six times.
 */
function seedContent(store: string, blobsDir: string): void {
  mkdirSync(blobsDir, { recursive: true });
  for (const host of readdirSync(store)) {
    const walk = (dir: string) => {
      if (existsSync(join(dir, "oci-layout"))) {
        const blobs = join(dir, "blobs/sha256");
        for (const blob of existsSync(blobs) ? readdirSync(blobs) : []) {
          if (!existsSync(join(blobsDir, blob))) linkSync(join(blobs, blob), join(blobsDir, blob));
        }
        return;
      }
      for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) walk(join(dir, entry.name));
    };
    walk(join(store, host));
  }
}

export function readRealNodesInfo(stateDir: string): RealNodesInfo | undefined {
  const file = join(stateDir, "real-nodes.json");
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) as RealNodesInfo : undefined;
}
