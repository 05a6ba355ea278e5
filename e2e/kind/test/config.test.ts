import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { parseTopology } from "../../local/controlplane/topology.ts";
import { kindConfig, kindConfigYaml } from "../config.ts";
import { addressIn } from "../podman-host.ts";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const realTopology = parseTopology(readFileSync(`${repo}e2e/local/topology-real.yaml`, "utf8"));
const local = { kind: "local", image: "docker.io/mdbcluster/kind-node:v1.36.3", etcdImageTag: "3.6.16-0", corednsImageTag: "v1.15.0" } as const;
const subnets = { podSubnet: "10.90.0.0/16", serviceSubnet: "10.91.0.0/16" };
const timing = { nodeGraceSeconds: 20, evictionSeconds: 30 };

type Node = { role: string; image: string; labels?: Record<string, string>; kubeadmConfigPatches?: string[] };

describe("kind config from the topology", () => {
  test("one control plane and one worker per host, labelled with region, zone and rack (kind sets the hostname)", () => {
    const config = kindConfig({ name: "mdbcluster", nodes: realTopology, image: local, ...subnets, ...timing });
    const nodes = config.nodes as Node[];
    assert.deepEqual(nodes.map((n) => n.role), ["control-plane", ...realTopology.map(() => "worker")]);
    assert.deepEqual(nodes[1].labels, { "topology.kubernetes.io/region": "region-1", "topology.kubernetes.io/zone": "zone-a", "topology.mdbcluster.io/rack": "rack-1" });
    const zonesAndRacks = new Set(nodes.slice(1).map((n) => `${n.labels!["topology.kubernetes.io/zone"]}/${n.labels!["topology.mdbcluster.io/rack"]}`));
    assert.equal(zonesAndRacks.size, realTopology.length, "every worker sits in its own zone/rack, as its host does");
    assert.ok(nodes.every((n) => n.image === local.image));
    assert.deepEqual(config.networking, subnets);
    assert.deepEqual(parse((config.kubeadmConfigPatches as string[])[0]), {
      kind: "ClusterConfiguration",
      apiServer: { extraArgs: [{ name: "default-not-ready-toleration-seconds", value: "30" }, { name: "default-unreachable-toleration-seconds", value: "30" }] },
      controllerManager: { extraArgs: [{ name: "node-monitor-grace-period", value: "20s" }] },
    }, "a silent node is NotReady and its pods evicted as soon as on the proving ground");
  });

  test("the local node image tells kubeadm its etcd and CoreDNS tags and a cgroupfs kubelet that accepts cgroup v1", () => {
    const patches = (kindConfig({ name: "c", nodes: realTopology, image: local, ...subnets, ...timing }).kubeadmConfigPatches as string[]).slice(1).map((p) => parse(p));
    assert.deepEqual(patches, [
      { kind: "ClusterConfiguration", etcd: { local: { imageTag: "3.6.16-0" } }, dns: { imageTag: "v1.15.0" } },
      { kind: "KubeletConfiguration", cgroupDriver: "cgroupfs", failCgroupV1: false },
    ]);
    const docker = kindConfig({ name: "c", nodes: realTopology, image: { kind: "kindest", image: "kindest/node:v1.36.3" }, ...subnets, ...timing });
    assert.equal((docker.kubeadmConfigPatches as string[]).length, 1, "kindest/node needs only the timing patch");
  });

  test("a host's labels and taints reach its worker (taints through kubeadm's JoinConfiguration)", () => {
    const nodes = parseTopology([
      "regions:",
      "  - name: r",
      "    zones:",
      "      - name: z",
      "        racks:",
      "          - name: k",
      "            hosts:",
      "              - { name: h1, labels: { mdbcluster.io/store-state: draining }, taints: [{ key: dedicated, value: mdb, effect: NoSchedule }] }",
    ].join("\n"));
    const worker = (parse(kindConfigYaml({ name: "c", nodes, image: local, ...subnets, ...timing })) as { nodes: Node[] }).nodes[1];
    assert.equal(worker.labels!["mdbcluster.io/store-state"], "draining");
    assert.equal(worker.labels!["kubernetes.io/hostname"], undefined);
    assert.deepEqual(parse(worker.kubeadmConfigPatches![0]), { kind: "JoinConfiguration", nodeRegistration: { taints: [{ key: "dedicated", value: "mdb", effect: "NoSchedule" }] } });
  });

  test("addresses inside a subnet", () => {
    assert.equal(addressIn("10.89.255.0/30", 1), "10.89.255.1");
    assert.equal(addressIn("10.89.255.0/30", 2), "10.89.255.2");
    assert.equal(addressIn("10.0.0.255/24", 1), "10.0.1.0");
  });
});
