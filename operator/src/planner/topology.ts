// Topology model: Kubernetes Nodes turned into plain data the planner can reason about
// (docs/architecture.md#placement, seed 003's Region → Zone → Rack → Host, seed 001's store state).

import { DEFAULT_TOPOLOGY_KEYS, STORE_STATE_LABEL, TOPOLOGY_LEVELS, type TopologyKeys, type TopologyLevel } from "../../../common/labels.ts";
import { PlannerInputError, requireArray, requireUniqueNames } from "./input.ts";

export { DEFAULT_TOPOLOGY_KEYS, STORE_STATE_LABEL, TOPOLOGY_LEVELS, type TopologyKeys, type TopologyLevel };
export type IsolationLevel = TopologyLevel | "none";

export type StoreState = "enabled" | "disabled" | "draining";

export interface Resources {
  memoryBytes: number;
  milliCpu: number;
  pods: number;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string; // NoSchedule | PreferNoSchedule | NoExecute
}

export interface Toleration {
  key?: string;
  operator?: "Exists" | "Equal";
  value?: string;
  effect?: string; // empty = every effect
}

export interface TopologyNode {
  name: string;
  labels: Readonly<Record<string, string>>;
  taints: readonly Taint[];
  /** spec.unschedulable (cordon): counts as a disabled store. */
  unschedulable: boolean;
  ready: boolean;
  allocatable: Resources;
  /** What pods already on the node request (computed by the shell from the pods it sees). */
  requested: Resources;
  storeState: StoreState;
  /** Problems found while reading the node (unknown store state, unparsable quantity); shown in plan reasons. */
  problems: readonly string[];
}


const STORE_STATES: readonly StoreState[] = ["enabled", "disabled", "draining"];

/** A topology snapshot as the planner needs it: unique names, numbers where numbers belong. */
export function checkNodes(nodes: readonly TopologyNode[] | null | undefined, field = "nodes"): readonly TopologyNode[] {
  requireUniqueNames(requireArray(nodes, field), field, "pass each Node once");
  nodes!.forEach((node, i) => {
    const at = `${field}[${i}] (${node.name})`;
    if (node.labels === null || typeof node.labels !== "object") throw new PlannerInputError(`${at}.labels`, "must be a label map");
    requireArray(node.taints, `${at}.taints`);
    requireArray(node.problems, `${at}.problems`);
    for (const part of ["allocatable", "requested"] as const) {
      for (const key of ["memoryBytes", "milliCpu", "pods"] as const) {
        const value = node[part]?.[key];
        if (typeof value !== "number" || !Number.isFinite(value)) throw new PlannerInputError(`${at}.${part}.${key}`, `must be a finite number, got ${String(value)}`);
      }
    }
    if (!STORE_STATES.includes(node.storeState)) throw new PlannerInputError(`${at}.storeState`, `must be one of ${STORE_STATES.join("|")}, got ${String(node.storeState)}`);
  });
  return nodes!;
}

/** Merge a cluster's partial spec.placement.topologyKeys over the defaults, refusing empty keys. */
export function resolveTopologyKeys(partial: Partial<TopologyKeys> | undefined): TopologyKeys {
  const keys: TopologyKeys = { ...DEFAULT_TOPOLOGY_KEYS, ...(partial ?? {}) };
  for (const level of TOPOLOGY_LEVELS) {
    if (typeof keys[level] !== "string" || keys[level].length === 0) {
      throw new PlannerInputError(`spec.placement.topologyKeys.${level}`, `must be a non-empty label key (default "${DEFAULT_TOPOLOGY_KEYS[level]}")`);
    }
  }
  return keys;
}

/** The node's failure domain at each level; null when the label is missing ("same as the other unknowns"). */
export function domainPath(node: TopologyNode, keys: TopologyKeys): (string | null)[] {
  return TOPOLOGY_LEVELS.map((level) => {
    const value = node.labels[keys[level]];
    return value === undefined ? null : value;
  });
}

export function parseStoreState(value: string | undefined): { state: StoreState; problem?: string } {
  if (value === undefined || value === "enabled") return { state: "enabled" };
  if (value === "disabled" || value === "draining") return { state: value };
  return {
    state: "disabled",
    problem: `label ${STORE_STATE_LABEL}="${value}" is not one of enabled|disabled|draining; treated as disabled until the label is fixed`,
  };
}

// ---- Kubernetes quantities ---------------------------------------------------------------------

const QUANTITY = /^(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;
const SUFFIX_FACTOR: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

/** Parse a Kubernetes resource quantity ("8Gi", "500m", "2", "1e3") into base units; `field` names it in errors. */
export function parseQuantity(value: string | number, field: string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new PlannerInputError(field, `${value} is not a non-negative finite quantity`);
    return value;
  }
  const match = QUANTITY.exec(value.trim());
  if (!match) {
    throw new PlannerInputError(field, `"${value}" is not a Kubernetes quantity; use e.g. "8Gi", "512Mi", "500m" or "2"`);
  }
  const [, digits, suffix, exponent] = match;
  const factor = suffix !== undefined ? SUFFIX_FACTOR[suffix] : exponent !== undefined ? 10 ** Number(exponent) : 1;
  return Number(digits) * factor;
}

export const memoryBytes = (value: string | number, field = "memory"): number => Math.ceil(parseQuantity(value, field));
export const milliCpu = (value: string | number, field = "cpu"): number => Math.ceil(Math.round(parseQuantity(value, field) * 1e9) / 1e6);

// ---- conversion from a Kubernetes Node ---------------------------------------------------------

/** The fields of a Kubernetes V1Node the planner reads (structural: no client library import). */
export interface KubernetesNodeLike {
  metadata?: { name?: string; labels?: Record<string, string> | undefined };
  spec?: { unschedulable?: boolean; taints?: { key: string; value?: string; effect: string }[] };
  status?: {
    allocatable?: Record<string, string | undefined>;
    conditions?: { type: string; status: string }[];
  };
}

/**
 * Turn a Kubernetes Node into a TopologyNode. `requested` is what the pods already bound to the node
 * request (the shell sums them). A missing or unparsable allocatable counts as zero and is reported
 * in `problems`, so one odd node never blocks the planning of the others.
 */
export function topologyNodeFromKubernetes(node: KubernetesNodeLike, requested?: Partial<Resources>): TopologyNode {
  const name = node.metadata?.name;
  if (!name) throw new PlannerInputError("Node metadata.name", "is missing: pass Nodes as read from the API server");
  const labels = { ...(node.metadata?.labels ?? {}) };
  const problems: string[] = [];
  const allocatable = node.status?.allocatable ?? {};
  const quantity = (key: "memory" | "cpu" | "pods", parse: (v: string, field: string) => number): number => {
    const raw = allocatable[key];
    const field = `Node ${name} status.allocatable.${key}`;
    if (raw === undefined) {
      problems.push(`${field} is missing; counted as 0 until the kubelet reports it`);
      return 0;
    }
    try {
      return parse(raw, field);
    } catch (error) {
      problems.push(`${(error as Error).message}; counted as 0`);
      return 0;
    }
  };
  const store = parseStoreState(labels[STORE_STATE_LABEL]);
  if (store.problem) problems.push(`Node ${name}: ${store.problem}`);
  const readyCondition = (node.status?.conditions ?? []).find((c) => c.type === "Ready");
  return {
    name,
    labels,
    taints: (node.spec?.taints ?? []).map((t) => (t.value === undefined ? { key: t.key, effect: t.effect } : { key: t.key, value: t.value, effect: t.effect })),
    unschedulable: node.spec?.unschedulable === true,
    ready: readyCondition?.status === "True",
    allocatable: {
      memoryBytes: quantity("memory", memoryBytes),
      milliCpu: quantity("cpu", milliCpu),
      pods: quantity("pods", (v, f) => Math.floor(parseQuantity(v, f))),
    },
    requested: { memoryBytes: requested?.memoryBytes ?? 0, milliCpu: requested?.milliCpu ?? 0, pods: requested?.pods ?? 0 },
    storeState: store.state,
    problems,
  };
}

// ---- taints ------------------------------------------------------------------------------------

export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  const operator = toleration.operator ?? "Equal";
  if (!toleration.key) return operator === "Exists"; // empty key + Exists tolerates everything
  if (toleration.key !== taint.key) return false;
  return operator === "Exists" || (toleration.value ?? "") === (taint.value ?? "");
}

/** The first taint that keeps new pods off the node and is not tolerated; PreferNoSchedule never blocks. */
export function firstUntoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[]): Taint | undefined {
  return taints.find((taint) => taint.effect !== "PreferNoSchedule" && !tolerations.some((t) => tolerates(t, taint)));
}
