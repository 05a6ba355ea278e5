// Generated instances for bench:planner's quality numbers (issue 10).
//
// Heterogeneous topologies with a planted solution: regions/zones/racks of uneven sizes, hosts that
// hold one or two nodes, some labels missing, node sizes from tiny to large, some nodes cordoned,
// tainted or draining. A valid bootstrap assignment is drawn first (each shard's members in distinct
// isolation domains), then every node is sized to hold exactly its planted load (plus, for some,
// random slack) and maxMembersPerHost is set to the busiest planted host. So every instance is
// feasible by construction, often with no room to spare: a planner that refuses one of them refuses
// a cluster that fits. Deterministic (seeded), independent of the planner's code.
import {
  DEFAULT_TOPOLOGY_KEYS, STORE_STATE_LABEL, TOPOLOGY_LEVELS, type IsolationLevel, type PlacementPolicy, type ShardSlots, type TopologyNode,
} from "../../../operator/src/planner/index.ts";

const GiB = 2 ** 30;

export class Random {
  private x: number;
  constructor(seed: number) {
    this.x = seed >>> 0 || 1;
  }
  next(): number {
    this.x = (Math.imul(this.x, 1664525) + 1013904223) >>> 0;
    return this.x / 2 ** 32;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}

export interface PlantedInstance {
  nodes: TopologyNode[];
  policy: PlacementPolicy;
  shards: number;
  replicasPerShard: number;
}

interface Draft { name: string; path: (string | null)[]; load: number; state: "ok" | "cordoned" | "tainted" | "draining" }

export function plantedInstance(seed: number): PlantedInstance {
  const rnd = new Random(seed);
  const isolationLevel = rnd.pick<IsolationLevel>(["zone", "zone", "rack", "host", "host", "none"]);
  const drafts: Draft[] = [];
  const regions = rnd.int(1, 3);
  for (let r = 0; r < regions; r++) {
    for (let z = 0, zones = rnd.int(1, 4); z < zones; z++) {
      for (let k = 0, racks = rnd.int(1, 4); k < racks; k++) {
        for (let h = 0, hosts = rnd.int(1, 6); h < hosts; h++) {
          const host = `h${r}-${z}-${k}-${h}`;
          for (let n = 0, count = rnd.next() < 0.2 ? 2 : 1; n < count; n++) {
            drafts.push({
              name: `${host}-n${n}`,
              path: [`r${r}`, rnd.next() < 0.05 ? null : `z${z}`, rnd.next() < 0.1 ? null : `k${k}`, host],
              load: 0,
              state: rnd.pick(["ok", "ok", "ok", "ok", "ok", "ok", "cordoned", "tainted", "draining"] as const),
            });
          }
        }
      }
    }
  }
  if (!drafts.some((d) => d.state === "ok")) drafts[0].state = "ok";
  const usable = drafts.filter((d) => d.state === "ok");
  const level = isolationLevel === "none" ? TOPOLOGY_LEVELS.length : TOPOLOGY_LEVELS.indexOf(isolationLevel);
  const domainOf = (d: Draft) => (level >= TOPOLOGY_LEVELS.length ? d.name : JSON.stringify(d.path.slice(0, level + 1)));
  const domains = new Map<string, Draft[]>();
  for (const d of usable) domains.set(domainOf(d), [...(domains.get(domainOf(d)) ?? []), d]);
  const domainList = [...domains.values()];
  const members = Math.max(1, Math.min(rnd.int(2, 4), domainList.length));
  const shards = rnd.int(1, Math.max(1, Math.floor(usable.length * 1.5 / members)));
  for (let s = 0; s < shards; s++) {
    // members of a shard in distinct domains, drawn with a bias towards a few big domains
    const chosen = new Set<number>();
    while (chosen.size < members) chosen.add(rnd.next() < 0.5 ? rnd.int(0, Math.min(2, domainList.length - 1)) : rnd.int(0, domainList.length - 1));
    for (const i of chosen) rnd.pick(domainList[i]).load++;
  }
  const hostLoad = new Map<string, number>();
  for (const d of drafts) hostLoad.set(d.path[3]!, (hostLoad.get(d.path[3]!) ?? 0) + d.load);
  const maxMembersPerHost = rnd.next() < 0.5 ? Math.max(...hostLoad.values()) : 0;
  const memberGi = rnd.pick([1, 2, 4]);
  const nodes = drafts.map((d): TopologyNode => {
    const slack = d.load === 0 ? (rnd.next() < 0.3 ? rnd.int(1, 2) : 0) : rnd.next() < 0.85 ? 0 : rnd.int(1, 3);
    const labels: Record<string, string> = {};
    d.path.forEach((v, i) => { if (v !== null) labels[DEFAULT_TOPOLOGY_KEYS[TOPOLOGY_LEVELS[i]]] = v; });
    if (d.state === "draining") labels[STORE_STATE_LABEL] = "draining";
    const usedGi = rnd.int(0, 3);
    return {
      name: d.name, labels, ready: true, unschedulable: d.state === "cordoned", storeState: d.state === "draining" ? "draining" : "enabled", problems: [],
      taints: d.state === "tainted" ? [{ key: "dedicated", value: "other", effect: "NoSchedule" }] : [],
      allocatable: { memoryBytes: (usedGi + (d.load + slack) * memberGi) * GiB, milliCpu: 64_000, pods: 110 },
      requested: { memoryBytes: usedGi * GiB, milliCpu: 0, pods: 2 },
    };
  });
  return {
    nodes, shards, replicasPerShard: members - 1,
    policy: { isolationLevel, maxMembersPerHost, memberResources: { memoryBytes: memberGi * GiB, milliCpu: 100 } },
  };
}

/** Random slot ownership: n shards, runs of random length dealt to random owners, so ranges are not contiguous. */
export function randomOwnership(rnd: Random, shards: number): ShardSlots[] {
  const owner: number[] = [];
  for (let slot = 0; slot < 16384;) {
    const len = rnd.int(1, 3000);
    const who = slot === 0 ? 0 : rnd.int(0, shards - 1);
    for (let s = slot; s < Math.min(16384, slot + len); s++) owner.push(who);
    slot += len;
  }
  for (let id = 0; id < shards; id++) owner[id] = id; // every shard owns at least one slot
  const ranges = new Map<number, { start: number; end: number }[]>();
  owner.forEach((who, s) => {
    const list = ranges.get(who) ?? [];
    const last = list[list.length - 1];
    if (last && last.end === s - 1) last.end = s;
    else list.push({ start: s, end: s });
    ranges.set(who, list);
  });
  return [...ranges.entries()].map(([shard, slots]) => ({ shard, slots }));
}
