// Plan identity and human-readable reasons (for Events and `kubectl describe`).
// The id is a hash of the plan's inputs, so the same snapshot always yields the same plan id and
// a new leader that re-plans from the same state recognises the plan already written to status.

import type { MemberRequest, Placement, RejectionCode } from "./placement.ts";
import type { IsolationLevel } from "./topology.ts";

export type PlanKind = "placement" | "bootstrap" | "scale-out" | "scale-in" | "rebalance" | "drain" | "replace" | "primaries";

/** JSON with object keys sorted, so equal data always serialises to equal text (Maps as objects, Sets as arrays). */
export function canonicalJson(value: unknown): string {
  return writeCanonical(value);
}

function writeCanonical(value: unknown): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "object":
      break;
    default:
      return "null";
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i > 0 ? "," : "") + writeCanonical(value[i]);
    return `${out}]`;
  }
  if (value instanceof Map) return writeCanonical(Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), v])));
  if (value instanceof Set) return writeCanonical([...value]);
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1] < keys[i];
  if (!sorted) keys.sort();
  let out = "{";
  let first = true;
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    out += `${first ? "" : ","}${JSON.stringify(key)}:${writeCanonical(v)}`;
    first = false;
  }
  return `${out}}`;
}

/** 64-bit non-cryptographic streaming digest: two independent 32-bit multiply-xorshift lanes. */
class Digest64 {
  private h1 = 0xdeadbeef;
  private h2 = 0x41c6ce57;
  private length = 0;

  update(text: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    this.h1 = h1;
    this.h2 = h2;
    this.length += text.length;
  }

  hex(): string {
    let h1 = this.h1 ^ this.length;
    let h2 = this.h2 ^ this.length;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (h2 >>> 0).toString(16).padStart(8, "0") + (h1 >>> 0).toString(16).padStart(8, "0");
  }
}

export function digest(text: string): string {
  const d = new Digest64();
  d.update(text);
  return d.hex();
}

/**
 * Digest of a value's canonical form (keys sorted, undefined fields dropped, Maps as objects, Sets
 * as arrays), fed token by token so a large snapshot is never turned into one big string.
 * Strings are length-prefixed, so no two different values feed the same token stream.
 */
export function digestValue(value: unknown): string {
  const d = new Digest64();
  const feed = (v: unknown): void => {
    if (v === null || v === undefined) return d.update("z");
    switch (typeof v) {
      case "string":
        d.update(`s${v.length}:`);
        return d.update(v);
      case "number":
        return d.update(Number.isFinite(v) ? `n${v};` : "z");
      case "boolean":
        return d.update(v ? "t" : "f");
      case "object":
        break;
      default:
        return d.update("z");
    }
    if (Array.isArray(v)) {
      d.update("[");
      for (const item of v) feed(item);
      return d.update("]");
    }
    if (v instanceof Map) return feed(Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), x])));
    if (v instanceof Set) return feed([...v]);
    const record = v as Record<string, unknown>;
    const keys = Object.keys(record);
    let sorted = true;
    for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1] < keys[i];
    if (!sorted) keys.sort();
    d.update("{");
    for (const key of keys) {
      if (record[key] === undefined) continue;
      d.update(`s${key.length}:`);
      d.update(key);
      feed(record[key]);
    }
    d.update("}");
  };
  feed(value);
  return d.hex();
}

/** `<kind>-<digest of the canonical inputs>`, e.g. "scale-out-3f2a…". */
export function planId(kind: PlanKind, inputs: unknown): string {
  return `${kind}-${digestValue({ kind, inputs })}`;
}

const BINARY_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)}${BINARY_UNITS[unit]}`;
}

/** "3 × InsufficientMemory, 1 × Cordoned", most frequent first, then by name. */
export function summariseCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, n]) => `${n} × ${code}`)
    .join(", ");
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

// ---- placement -------------------------------------------------------------------------------

const HINTS: Partial<Record<RejectionCode, string>> = {
  IsolationViolated: "add nodes in another failure domain or lower spec.placement.isolationLevel",
  InsufficientMemory: "add capacity or lower the member memory request",
  InsufficientCpu: "add capacity or lower the member cpu request",
  TooManyPods: "add nodes or raise the kubelet's max pods",
  MaxMembersPerHost: "add hosts or raise spec.placement.maxMembersPerHost",
  NotReady: "bring the nodes back to Ready",
  Cordoned: "uncordon nodes",
  StoreDisabled: `set ${"mdbcluster.io/store-state"}=enabled on nodes that may hold members`,
  StoreDraining: "wait for the drain to finish or set the store-state back to enabled",
  UntoleratedTaint: "add a matching toleration to spec.placement.tolerations or remove the taint",
  NodeSelectorMismatch: "label more nodes to match spec.placement.nodeSelector",
};

export function explainFailure(request: MemberRequest, isolationLevel: IsolationLevel, nodeCount: number, counts: Partial<Record<RejectionCode, number>>): string {
  const hints = (Object.keys(counts) as RejectionCode[]).map((code) => HINTS[code]).filter((h): h is string => h !== undefined);
  return `cannot place ${request.role} ${request.name} of shard ${request.shard} at isolationLevel ${isolationLevel}: ` +
    `none of ${plural(nodeCount, "node")} qualifies (${summariseCounts(counts as Record<string, number>)}); nothing of this request was placed` +
    (hints.length > 0 ? `; to fix: ${[...new Set(hints)].join("; ")}` : "");
}

export function explainPlacement(placement: Placement): string {
  const where = placement.isolation === null
    ? "first member of its shard"
    : `differs from the shard's other members at least at ${placement.isolation} level (isolation score ${placement.score})`;
  return `${placement.role} ${placement.member} of shard ${placement.shard} → node ${placement.node}: ${where}`;
}
