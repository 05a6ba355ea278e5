// Label keys shared by the planner, the operator and the proving ground (docs/architecture.md#placement, seed 001).

export const TOPOLOGY_LEVELS = ["region", "zone", "rack", "host"] as const;
export type TopologyLevel = (typeof TOPOLOGY_LEVELS)[number];

/** Label key that names each failure-domain level; configurable per cluster (spec.placement.topologyKeys). */
export type TopologyKeys = Record<TopologyLevel, string>;

export const DEFAULT_TOPOLOGY_KEYS: Readonly<TopologyKeys> = Object.freeze({
  region: "topology.kubernetes.io/region",
  zone: "topology.kubernetes.io/zone",
  rack: "topology.mdbcluster.io/rack",
  host: "kubernetes.io/hostname",
});

/** Node label an administrator sets to enabled | disabled | draining (seed 001's store STATE). */
export const STORE_STATE_LABEL = "mdbcluster.io/store-state";
