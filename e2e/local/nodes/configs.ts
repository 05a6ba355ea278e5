// The configuration files of one real node (containerd, CNI, kubelet) and of kube-proxy, as text.
// Pure builders; start.ts writes them. Each non-default setting says why.
import { join } from "node:path";
import type { PodNetwork } from "../controlplane/network.ts";
import type { RealNodePlan } from "./plan.ts";

/** Image hosts whose pulls containerd sends to the proving ground's loopback registry instead. */
export const REDIRECTED_IMAGE_HOSTS = ["docker.io", "registry.k8s.io"];
export const SANDBOX_IMAGE = "registry.k8s.io/pause:3.10";

export function containerdConfig(node: RealNodePlan, registryHostsDir: string): string {
  return `version = 2
root = "${join(node.dir, "containerd/root")}"
state = "${join(node.dir, "containerd/state")}"
[grpc]
  address = "${node.containerdSocket}"
[plugins."io.containerd.internal.v1.opt"]
  path = "${join(node.dir, "containerd/opt")}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${SANDBOX_IMAGE}"
  disable_apparmor = true
  # Lowering oom_score_adj needs CAP_SYS_RESOURCE, which root lacks on these machines: without this
  # every sandbox fails with "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${join(node.dir, "cni")}"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "${registryHostsDir}"
`;
}

/** hosts.toml for one redirected image host: the loopback registry is its only server, so no pull leaves the machine. */
export function registryHostsToml(registryPort: number): string {
  const url = `http://127.0.0.1:${registryPort}`;
  return `server = "${url}"\n\n[host."${url}"]\n  capabilities = ["pull", "resolve"]\n`;
}

/** The node's CNI network: the shared bridge, its own address range, and a route to Services via the host (no default route). */
export function cniConfig(node: RealNodePlan, net: PodNetwork): string {
  return `${JSON.stringify({
    cniVersion: "0.4.0",
    name: `${net.bridge}-pods`,
    plugins: [{
      type: "bridge", bridge: net.bridge, isGateway: false, ipMasq: false, hairpinMode: true,
      ipam: {
        type: "host-local",
        ranges: [[{ subnet: net.cidr, rangeStart: node.podRangeStart, rangeEnd: node.podRangeEnd, gateway: net.gateway }]],
        routes: [{ dst: net.serviceCidr, gw: net.gateway }],
        dataDir: join(node.dir, "cni-ipam"),
      },
    }],
  }, null, 2)}\n`;
}

export interface KubeletConfigInput {
  caFile: string;
  clusterDNS?: string;
  /** Resources held back so the node's allocatable matches the topology where the machine has more. */
  systemReserved: Record<string, string>;
}

export function kubeletConfig(node: RealNodePlan, input: KubeletConfigInput): string {
  const lines = [
    "apiVersion: kubelet.config.k8s.io/v1beta1",
    "kind: KubeletConfiguration",
    "cgroupDriver: cgroupfs",
    `cgroupRoot: ${node.cgroupRoot}`,
    "failCgroupV1: false                 # these machines have cgroup v1 only",
    `containerRuntimeEndpoint: unix://${node.containerdSocket}`,
    `address: ${node.ip}`,
    `port: ${node.kubeletPort}`,
    "readOnlyPort: 0",
    `healthzBindAddress: ${node.ip}`,
    `healthzPort: ${node.healthzPort}`,
    "authentication:",
    "  anonymous: {enabled: false}",
    "  webhook: {enabled: true}",
    `  x509: {clientCAFile: ${input.caFile}}`,
    "authorization: {mode: Webhook}",
    "# No KUBE-FIREWALL / canary chains: they are host-wide and would drop the other proving ground's traffic.",
    "makeIPTablesUtilChains: false",
    "failSwapOn: false",
    "resolvConf: /etc/resolv.conf",
    "clusterDomain: cluster.local",
    ...(input.clusterDNS ? [`clusterDNS: [${input.clusterDNS}]`] : []),
    `podLogsDir: ${join(node.dir, "pod-logs")}`,
    "serializeImagePulls: false",
    "imageGCHighThresholdPercent: 95",
    "imageGCLowThresholdPercent: 90",
    "evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2%}",
    "evictionPressureTransitionPeriod: 30s",
    `maxPods: ${Number(node.capacity.pods)}`,
    "shutdownGracePeriod: 0s",
    "nodeStatusUpdateFrequency: 5s",
    "syncFrequency: 10s",
    ...(Object.keys(input.systemReserved).length ? [`systemReserved: {${Object.entries(input.systemReserved).map(([k, v]) => `${k}: "${v}"`).join(", ")}}`] : []),
    ...(node.taints.length ? ["registerWithTaints:", ...node.taints.map((t) => `- {key: "${t.key}", value: "${t.value ?? ""}", effect: ${t.effect}}`)] : []),
    "",
  ];
  return lines.join("\n");
}

export interface KubeProxyConfigInput { kubeconfig: string; clusterCIDR: string; bindAddress: string; healthzPort: number; metricsPort: number; hostnameOverride: string }

export function kubeProxyConfig(input: KubeProxyConfigInput): string {
  return [
    "apiVersion: kubeproxy.config.k8s.io/v1alpha1",
    "kind: KubeProxyConfiguration",
    // nftables: every rule lives in kube-proxy's own tables, removed as a whole at cluster:down.
    "mode: nftables",
    `clientConnection: {kubeconfig: ${input.kubeconfig}}`,
    `clusterCIDR: ${input.clusterCIDR}`,
    `hostnameOverride: ${input.hostnameOverride}`,
    `bindAddress: ${input.bindAddress}`,
    `healthzBindAddress: ${input.bindAddress}:${input.healthzPort}`,
    `metricsBindAddress: ${input.bindAddress}:${input.metricsPort}`,
    // Replies from a Service's pod must come back through the host to be un-NATed (no br_netfilter).
    "nftables: {masqueradeAll: true, syncPeriod: 30s, minSyncPeriod: 0s}",
    // 0 = leave the machine's conntrack settings alone (they are host-wide).
    "conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s, udpTimeout: 0s, udpStreamTimeout: 0s}",
    "",
  ].join("\n");
}
