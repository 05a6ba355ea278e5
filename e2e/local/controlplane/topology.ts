// Reads the proving-ground topology file into the Nodes the pod runner registers.
// Every error names the field path and the line in the file, and says what is expected.
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node as YamlNode } from "yaml";

import { DEFAULT_TOPOLOGY_KEYS } from "../../../common/labels.ts";

export const TOPOLOGY_LABELS = DEFAULT_TOPOLOGY_KEYS;

export interface NodeCapacity { cpu: string; memory: string; pods: string }
export interface NodeTaint { key: string; value?: string; effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute" }
export interface LocalNode {
  name: string;
  labels: Record<string, string>;
  capacity: NodeCapacity;
  taints: NodeTaint[];
}

export class TopologyError extends Error {
  constructor(readonly file: string, readonly field: string, readonly line: number | undefined, detail: string) {
    super(`${file}${line ? `:${line}` : ""}: ${field}: ${detail}`);
    this.name = "TopologyError";
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)?$/;
const DEFAULT_CAPACITY: NodeCapacity = { cpu: "8", memory: "32Gi", pods: "110" };
const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/** Parses topology YAML text; `file` is only used in messages. */
export function parseTopology(text: string, file = "topology.yaml"): LocalNode[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (node: YamlNode | null | undefined): number | undefined =>
    node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = lineCounter.linePos(e.pos[0]).line;
    throw new TopologyError(file, "(document)", line, `not valid YAML: ${e.message.split("\n")[0]}`);
  }
  const fail = (field: string, node: YamlNode | null | undefined, detail: string): never => {
    throw new TopologyError(file, field, lineOf(node), detail);
  };

  const root = doc.contents;
  if (!isMap(root)) fail("(document)", root as YamlNode, "expected a mapping with 'regions' (and optionally 'capacity')");
  const rootMap = root as import("yaml").YAMLMap;
  for (const pair of rootMap.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    if (!["capacity", "regions"].includes(key)) fail(key || "(key)", pair.key as YamlNode, "unknown field; expected 'capacity' or 'regions'");
  }
  const defaults = readCapacity(rootMap.get("capacity", true) as YamlNode | undefined, "capacity", DEFAULT_CAPACITY);

  const nodes: LocalNode[] = [];
  const seen = new Map<string, string>();
  const regions = seqAt(rootMap.get("regions", true) as YamlNode | undefined, "regions", rootMap as YamlNode, "a list of regions");
  regions.forEach((regionNode, ri) => {
    const rPath = `regions[${ri}]`;
    const region = mapWith(regionNode, rPath, ["name", "zones"]);
    const regionName = nameAt(region, rPath);
    seqAt(region.get("zones", true) as YamlNode | undefined, `${rPath}.zones`, regionNode, "a list of zones").forEach((zoneNode, zi) => {
      const zPath = `${rPath}.zones[${zi}]`;
      const zone = mapWith(zoneNode, zPath, ["name", "racks"]);
      const zoneName = nameAt(zone, zPath);
      seqAt(zone.get("racks", true) as YamlNode | undefined, `${zPath}.racks`, zoneNode, "a list of racks").forEach((rackNode, ki) => {
        const kPath = `${zPath}.racks[${ki}]`;
        const rack = mapWith(rackNode, kPath, ["name", "hosts"]);
        const rackName = nameAt(rack, kPath);
        seqAt(rack.get("hosts", true) as YamlNode | undefined, `${kPath}.hosts`, rackNode, "a list of host names or {name, capacity, labels, taints}").forEach((hostNode, hi) => {
          const hPath = `${kPath}.hosts[${hi}]`;
          let hostName: string;
          let capacity = defaults;
          let labels: Record<string, string> = {};
          let taints: NodeTaint[] = [];
          if (isScalar(hostNode)) {
            hostName = checkName(hostNode.value, hPath, hostNode);
          } else {
            const host = mapWith(hostNode, hPath, ["name", "capacity", "labels", "taints"]);
            hostName = nameAt(host, hPath);
            capacity = readCapacity(host.get("capacity", true) as YamlNode | undefined, `${hPath}.capacity`, defaults);
            labels = readLabels(host.get("labels", true) as YamlNode | undefined, `${hPath}.labels`);
            taints = readTaints(host.get("taints", true) as YamlNode | undefined, `${hPath}.taints`);
          }
          const earlier = seen.get(hostName);
          if (earlier) fail(`${hPath}`, hostNode, `host name '${hostName}' is already used at ${earlier}; every host (Node) name must be unique`);
          seen.set(hostName, hPath);
          nodes.push({
            name: hostName,
            labels: {
              [TOPOLOGY_LABELS.region]: regionName,
              [TOPOLOGY_LABELS.zone]: zoneName,
              [TOPOLOGY_LABELS.rack]: rackName,
              [TOPOLOGY_LABELS.host]: hostName,
              ...labels,
            },
            capacity,
            taints,
          });
        });
      });
    });
  });
  if (nodes.length === 0) fail("regions", rootMap as YamlNode, "the topology has no hosts; add at least one host under regions[].zones[].racks[].hosts");
  return nodes;

  function seqAt(node: YamlNode | undefined, field: string, parent: YamlNode, what: string): YamlNode[] {
    if (node === undefined) fail(field, parent, `missing; expected ${what}`);
    if (!isSeq(node)) fail(field, node, `expected ${what}`);
    const items = (node as import("yaml").YAMLSeq).items as YamlNode[];
    if (items.length === 0) fail(field, node, `is empty; expected ${what}`);
    return items;
  }
  function mapWith(node: YamlNode, field: string, allowed: string[]): import("yaml").YAMLMap {
    if (!isMap(node)) fail(field, node, `expected a mapping with ${allowed.map((a) => `'${a}'`).join(", ")}`);
    const map = node as import("yaml").YAMLMap;
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      if (!allowed.includes(key)) fail(`${field}.${key}`, pair.key as YamlNode, `unknown field; expected one of ${allowed.join(", ")}`);
    }
    return map;
  }
  function nameAt(map: import("yaml").YAMLMap, field: string): string {
    const node = map.get("name", true) as YamlNode | undefined;
    if (node === undefined) fail(`${field}.name`, map as YamlNode, "missing; every entry needs a name");
    return checkName(isScalar(node) ? node.value : undefined, `${field}.name`, node);
  }
  function checkName(value: unknown, field: string, node: YamlNode | undefined): string {
    const text = typeof value === "string" || typeof value === "number" ? String(value) : "";
    if (!DNS_LABEL.test(text) || text.length > 63) {
      fail(field, node, `'${String(value)}' is not a valid name; use lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`);
    }
    return text;
  }
  function readCapacity(node: YamlNode | undefined, field: string, base: NodeCapacity): NodeCapacity {
    if (node === undefined) return base;
    const map = mapWith(node, field, ["cpu", "memory", "pods"]);
    const out = { ...base };
    for (const key of ["cpu", "memory", "pods"] as const) {
      const v = map.get(key, true) as YamlNode | undefined;
      if (v === undefined) continue;
      const text = isScalar(v) ? String(v.value) : "";
      if (!QUANTITY.test(text)) fail(`${field}.${key}`, v, `'${text}' is not a Kubernetes quantity; write e.g. cpu: "8", memory: 32Gi, pods: 110`);
      if (key === "pods" && !/^[0-9]+$/.test(text)) fail(`${field}.pods`, v, `'${text}' must be a whole number of pods`);
      out[key] = text;
    }
    return out;
  }
  function readLabels(node: YamlNode | undefined, field: string): Record<string, string> {
    if (node === undefined) return {};
    if (!isMap(node)) fail(field, node, "expected a mapping of label key to value");
    const out: Record<string, string> = {};
    for (const pair of (node as import("yaml").YAMLMap).items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      const value = isScalar(pair.value) ? String(pair.value.value ?? "") : undefined;
      if (value === undefined || !LABEL_VALUE.test(value) || value.length > 63) {
        fail(`${field}.${key}`, (pair.value ?? pair.key) as YamlNode, "label values are at most 63 characters of letters, digits, '-', '_' and '.'");
      }
      out[key] = value as string;
    }
    return out;
  }
  function readTaints(node: YamlNode | undefined, field: string): NodeTaint[] {
    if (node === undefined) return [];
    if (!isSeq(node)) fail(field, node, "expected a list of {key, value, effect}");
    return ((node as import("yaml").YAMLSeq).items as YamlNode[]).map((item, i) => {
      const map = mapWith(item, `${field}[${i}]`, ["key", "value", "effect"]);
      const key = map.get("key");
      const effect = map.get("effect");
      if (typeof key !== "string" || key === "") fail(`${field}[${i}].key`, item, "missing; a taint needs a key");
      if (typeof effect !== "string" || !TAINT_EFFECTS.includes(effect)) {
        fail(`${field}[${i}].effect`, (map.get("effect", true) as YamlNode) ?? item, `expected one of ${TAINT_EFFECTS.join(", ")}`);
      }
      const value = map.get("value");
      return { key: key as string, ...(value !== undefined ? { value: String(value) } : {}), effect: effect as NodeTaint["effect"] };
    });
  }
}
