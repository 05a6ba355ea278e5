// Fluent fixture builders for planner tests: makeNode("n1").zone("z1").rack("r2").memory("8Gi").obj()
import {
  DEFAULT_TOPOLOGY_KEYS, memoryBytes, milliCpu, STORE_STATE_LABEL, topologyNodeFromKubernetes,
  type KubernetesNodeLike, type Taint, type TopologyLevel, type TopologyNode,
} from "../../src/planner/index.ts";
import type { ExistingMember, MemberRole, PlacementPolicy } from "../../src/planner/index.ts";

export class NodeBuilder {
  private readonly labels: Record<string, string>;
  private readonly taints: Taint[] = [];
  private unschedulable = false;
  private ready = true;
  private allocatable = { memory: "64Gi", cpu: "32", pods: "110" };
  private used = { memoryBytes: 0, milliCpu: 0, pods: 0 };

  constructor(private readonly name: string) {
    this.labels = { [DEFAULT_TOPOLOGY_KEYS.host]: name };
  }

  region(v: string): this { return this.label(DEFAULT_TOPOLOGY_KEYS.region, v); }
  zone(v: string): this { return this.label(DEFAULT_TOPOLOGY_KEYS.zone, v); }
  rack(v: string): this { return this.label(DEFAULT_TOPOLOGY_KEYS.rack, v); }
  host(v: string): this { return this.label(DEFAULT_TOPOLOGY_KEYS.host, v); }
  /** Remove the label of a level (a missing label equals the other missing labels). */
  unlabelled(level: TopologyLevel): this {
    delete this.labels[DEFAULT_TOPOLOGY_KEYS[level]];
    return this;
  }
  label(key: string, value: string): this {
    this.labels[key] = value;
    return this;
  }
  memory(q: string): this { this.allocatable.memory = q; return this; }
  cpu(q: string): this { this.allocatable.cpu = q; return this; }
  pods(n: number): this { this.allocatable.pods = String(n); return this; }
  /** Resources already requested by other pods on the node. */
  using(memory: string, cpu = "0", pods = 0): this {
    this.used = { memoryBytes: memoryBytes(memory), milliCpu: milliCpu(cpu), pods };
    return this;
  }
  store(state: string): this { return this.label(STORE_STATE_LABEL, state); }
  cordoned(): this { this.unschedulable = true; return this; }
  notReady(): this { this.ready = false; return this; }
  taint(key: string, effect = "NoSchedule", value?: string): this {
    this.taints.push(value === undefined ? { key, effect } : { key, value, effect });
    return this;
  }

  k8s(): KubernetesNodeLike {
    return {
      metadata: { name: this.name, labels: { ...this.labels } },
      spec: { unschedulable: this.unschedulable, taints: this.taints.map((t) => ({ ...t })) },
      status: {
        allocatable: { ...this.allocatable },
        conditions: [{ type: "Ready", status: this.ready ? "True" : "False" }],
      },
    };
  }

  obj(): TopologyNode {
    return topologyNodeFromKubernetes(this.k8s(), this.used);
  }
}

export const makeNode = (name: string) => new NodeBuilder(name);

export const member = (name: string, shard: number, node: string, role: MemberRole = "standby"): ExistingMember => ({ name, shard, node, role });

export function policy(overrides: Partial<PlacementPolicy> = {}): PlacementPolicy {
  return { isolationLevel: "host", memberResources: { memoryBytes: memoryBytes("1Gi"), milliCpu: 500 }, ...overrides };
}

/** A regular grid: regions × zones × racks × hosts, names "n<r>-<z>-<k>-<h>". */
export function grid(regions: number, zones: number, racks: number, hosts: number, build?: (b: NodeBuilder) => NodeBuilder): TopologyNode[] {
  const nodes: TopologyNode[] = [];
  for (let r = 0; r < regions; r++) for (let z = 0; z < zones; z++) for (let k = 0; k < racks; k++) for (let h = 0; h < hosts; h++) {
    const b = makeNode(`n${r}-${z}-${k}-${h}`).region(`r${r}`).zone(`z${z}`).rack(`k${k}`).host(`h${r}-${z}-${k}-${h}`);
    nodes.push((build ? build(b) : b).obj());
  }
  return nodes;
}

/** A deterministic shuffle (seeded LCG), for order-independence tests. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let x = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
