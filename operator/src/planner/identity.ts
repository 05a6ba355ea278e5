// Plan identity (plan.ts Plan.id): a digest of the canonical inputs. Every list whose order carries
// no meaning is sorted by name before it is digested, so the id depends on the set of inputs only.

import type { PlanKind } from "./plan.ts";
import type { Taint, Toleration, TopologyNode } from "./topology.ts";

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

  /** A tag character and a length, without building a string (the hot path of a large snapshot). */
  tagged(tag: number, n: number): void {
    this.h1 = Math.imul(Math.imul(this.h1 ^ tag, 2654435761) ^ n, 2654435761);
    this.h2 = Math.imul(Math.imul(this.h2 ^ tag, 1597334677) ^ n, 1597334677);
    this.length += 2;
  }

  hex(): string {
    let h1 = this.h1 ^ this.length;
    let h2 = this.h2 ^ this.length;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return (h2 >>> 0).toString(16).padStart(8, "0") + (h1 >>> 0).toString(16).padStart(8, "0");
  }
}

const STRING_TAG = 0x73; // "s"

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
        d.tagged(STRING_TAG, v.length);
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
      d.tagged(STRING_TAG, key.length);
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

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Sort copies by name (nodes, members, requests: the shell may list them in any order). */
export function sortedByName<T extends { name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => byText(a.name, b.name));
}

function sortedTaints(taints: readonly Taint[]): Taint[] {
  return [...taints].sort((a, b) => byText(`${a.key}=${a.value ?? ""}:${a.effect}`, `${b.key}=${b.value ?? ""}:${b.effect}`));
}

/** Nodes in name order, each with its taints and problems sorted: their order means nothing. */
export function canonicalNodes(nodes: readonly TopologyNode[]): TopologyNode[] {
  // Copies only where there is something to sort: most nodes have at most one taint and no problem.
  return sortedByName(nodes).map((n) => (n.taints.length < 2 && n.problems.length < 2 ? n : { ...n, taints: sortedTaints(n.taints), problems: [...n.problems].sort(byText) }));
}

export function canonicalTolerations(tolerations: readonly Toleration[] | undefined): Toleration[] | undefined {
  if (tolerations === undefined) return undefined;
  const key = (t: Toleration) => `${t.key ?? ""}|${t.operator ?? ""}|${t.value ?? ""}|${t.effect ?? ""}`;
  return [...tolerations].sort((a, b) => byText(key(a), key(b)));
}

export function sortedNames(names: readonly string[] | undefined): string[] | undefined {
  return names === undefined ? undefined : [...new Set(names)].sort(byText);
}
