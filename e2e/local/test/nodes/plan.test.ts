import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { podNetworkFromEnv, parseCidr } from "../../controlplane/network.ts";
import { planRealNodes } from "../../nodes/plan.ts";
import { cniConfig, kubeletConfig, kubeProxyConfig, containerdConfig, registryHostsToml } from "../../nodes/configs.ts";
import { systemReservedFor } from "../../nodes/capacity.ts";
import { daemonsOf, nodesModeFromEnv, podRunnerRange } from "../../controlplane/node-modes.ts";
import type { LocalNode } from "../../controlplane/topology.ts";

const node = (name: string, extra: Partial<LocalNode> = {}): LocalNode => ({
  name, labels: { "kubernetes.io/hostname": name, "topology.kubernetes.io/zone": "z1" }, capacity: { cpu: "2", memory: "3Gi", pods: "40" }, taints: [], ...extra,
});

describe("pod network from the environment", () => {
  test("defaults are the first proving ground's; overrides move everything a second one must not share", () => {
    assert.deepEqual(podNetworkFromEnv({}), { bridge: "mdb0", cidr: "10.244.0.0/16", gateway: "10.244.0.1", prefixLength: 16, netnsPrefix: "mdb-",
      serviceCidr: "10.96.0.0/16", kubernetesServiceIP: "10.96.0.1", dnsServiceIP: "10.96.0.10" });
    const second = podNetworkFromEnv({ MDB_BRIDGE: "mdb1", MDB_POD_CIDR: "10.245.0.0/16", MDB_SERVICE_CIDR: "10.97.0.0/16" });
    assert.equal(second.netnsPrefix, "mdb1-");
    assert.equal(second.gateway, "10.245.0.1");
    assert.equal(second.dnsServiceIP, "10.97.0.10");
  });

  test("bad values name the variable and what to do", () => {
    assert.throws(() => podNetworkFromEnv({ MDB_POD_CIDR: "10.245.0.0" }), /MDB_POD_CIDR=10\.245\.0\.0: expected an IPv4 network A\.B\.C\.D\/N/);
    assert.throws(() => podNetworkFromEnv({ MDB_POD_CIDR: "10.245.0.0/24" }), /MDB_POD_CIDR=10\.245\.0\.0\/24: expected .* N between 8 and 16/);
    assert.throws(() => podNetworkFromEnv({ MDB_POD_CIDR: "10.245.1.0/16" }), /host bits are set; the network address is 10\.245\.0\.0\/16/);
    assert.throws(() => podNetworkFromEnv({ MDB_SERVICE_CIDR: "10.244.128.0/17" }), /overlaps MDB_POD_CIDR/);
    assert.throws(() => podNetworkFromEnv({ MDB_BRIDGE: "Bridge-0" }), /MDB_BRIDGE=Bridge-0: expected a short interface name/);
    assert.deepEqual(parseCidr("10.0.0.0/8", "X", 16), { network: 167772160, prefixLength: 8 });
  });
});

describe("real node layout", () => {
  const net = podNetworkFromEnv({ MDB_BRIDGE: "mdb1", MDB_POD_CIDR: "10.245.0.0/16", MDB_SERVICE_CIDR: "10.97.0.0/16" });
  const plans = planRealNodes([node("a1"), node("b1"), node("c1")], { stateDir: "/s", network: net, kubeletPort: 11250, cgroupParent: "mdbcluster-mdb1" });

  test("node i: IP gateway+10+i, pods in the /24 number i+1, its own dir, socket and cgroup root", () => {
    assert.deepEqual(plans.map((p) => [p.ip, p.podRangeStart, p.podRangeEnd]), [
      ["10.245.0.11", "10.245.1.2", "10.245.1.254"], ["10.245.0.12", "10.245.2.2", "10.245.2.254"], ["10.245.0.13", "10.245.3.2", "10.245.3.254"]]);
    assert.equal(plans[1].containerdSocket, "/s/nodes/b1/containerd.sock");
    assert.equal(plans[2].cgroupRoot, "/mdbcluster-mdb1/c1");
    assert.deepEqual([plans[0].kubeletPort, plans[0].healthzPort], [11250, 11248]);
    assert.throws(() => planRealNodes([node("a")], { stateDir: "/s", network: { ...net, prefixLength: 20, cidr: "10.245.0.0/20" }, kubeletPort: 1, cgroupParent: "x" }), /pod network of \/16 or larger/);
  });

  test("host-wide settings stay untouched: no iptables chains, no default route for pods, the machine's conntrack left alone", () => {
    const kubelet = kubeletConfig(plans[0], { caFile: "/ca", systemReserved: { cpu: "1000m" }, clusterDNS: net.dnsServiceIP });
    assert.match(kubelet, /^makeIPTablesUtilChains: false$/m);
    assert.match(kubelet, /^address: 10\.245\.0\.11$/m);
    assert.match(kubelet, /^clusterDNS: \[10\.97\.0\.10\]$/m);
    assert.match(kubelet, /^systemReserved: \{cpu: "1000m"\}$/m);
    const cni = JSON.parse(cniConfig(plans[0], net)) as { plugins: { isGateway: boolean; ipMasq: boolean; ipam: { routes: { dst: string }[] } }[] };
    assert.deepEqual(cni.plugins[0].ipam.routes.map((r) => r.dst), ["10.97.0.0/16"]);
    assert.equal(cni.plugins[0].isGateway, false);
    assert.equal(cni.plugins[0].ipMasq, false);
    const proxy = kubeProxyConfig({ kubeconfig: "/k", clusterCIDR: net.cidr, bindAddress: net.gateway, healthzPort: 1, metricsPort: 2, hostnameOverride: "a1" });
    assert.match(proxy, /^mode: nftables$/m);
    assert.match(proxy, /conntrack: \{maxPerCore: 0, min: 0,/);
    assert.match(containerdConfig(plans[0], "/hosts"), /restrict_oom_score_adj = true/);
    assert.equal(registryHostsToml(5001), 'server = "http://127.0.0.1:5001"\n\n[host."http://127.0.0.1:5001"]\n  capabilities = ["pull", "resolve"]\n');
  });

  test("taints from the topology are registered by the kubelet", () => {
    const [tainted] = planRealNodes([node("t", { taints: [{ key: "dedicated", value: "mdb", effect: "NoSchedule" }] })], { stateDir: "/s", network: net, kubeletPort: 1, cgroupParent: "x" });
    assert.match(kubeletConfig(tainted, { caFile: "/ca", systemReserved: {} }), /^registerWithTaints:\n- \{key: "dedicated", value: "mdb", effect: NoSchedule\}$/m);
  });
});

describe("topology capacity on a real node", () => {
  const machine = { milliCpu: 2000, memoryBytes: 24 * 2 ** 30 };
  test("what the machine has beyond the topology's capacity (and the 100Mi eviction threshold) is reserved", () => {
    // 24Gi − 3Gi − 100Mi = 21404Mi; 2000m − 500m = 1500m
    assert.deepEqual(systemReservedFor({ cpu: "500m", memory: "3Gi", pods: "40" }, machine), { systemReserved: { cpu: "1500m", memory: "21404Mi" } });
    assert.deepEqual(systemReservedFor({ cpu: "2", memory: "24Gi", pods: "40" }, machine).systemReserved, {});
  });
  test("asking for more than the machine has is reported, not hidden", () => {
    const r = systemReservedFor({ cpu: "8", memory: "32Gi", pods: "110" }, machine);
    assert.match(r.warning ?? "", /cpu 8 \(machine: 2\), memory 32Gi \(machine: 24Gi\)/);
  });
});

describe("node modes", () => {
  test("MDB_NODES picks the kind of nodes and names what is wrong", () => {
    assert.equal(nodesModeFromEnv({}), "podrunner");
    assert.equal(nodesModeFromEnv({ MDB_NODES: "real" }), "real");
    assert.throws(() => nodesModeFromEnv({ MDB_NODES: "kubelet" }), /MDB_NODES=kubelet: expected 'real' \(kubelets with containerd\) or 'podrunner'/);
  });
  test("a complete proving ground has a containerd and a kubelet per real node; the pod runner's range starts above the gateway's /24", () => {
    assert.deepEqual(daemonsOf("real", [{ name: "a" }]), ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "registry", "kube-proxy", "nodeagent", "containerd-a", "kubelet-a"]);
    assert.deepEqual(daemonsOf("podrunner", [{ name: "a" }]).at(-1), "podrunner");
    assert.equal(podRunnerRange(podNetworkFromEnv({ MDB_POD_CIDR: "10.245.0.0/16" })), "10.245.1.2-10.245.255.254");
  });
});
