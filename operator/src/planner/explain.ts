// Text for humans (Events, `kubectl describe`): quantities, counts and what to do about a rejection.

import type { BindingConstraint, Reason, ReasonCode, RejectionCode } from "./plan.ts";
import { STORE_STATE_LABEL } from "./topology.ts";

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

export const reason = (code: ReasonCode, message: string): Reason => ({ code, message });

const REJECTION_HINTS: Partial<Record<RejectionCode, string>> = {
  IsolationViolated: "add nodes in another failure domain or lower spec.placement.isolationLevel",
  InsufficientMemory: "add capacity or lower the member memory request",
  InsufficientCpu: "add capacity or lower the member cpu request",
  TooManyPods: "add nodes or raise the kubelet's max pods",
  MaxMembersPerHost: "add hosts or raise spec.placement.maxMembersPerHost",
  NotReady: "bring the nodes back to Ready",
  Cordoned: "uncordon nodes",
  StoreDisabled: `set ${STORE_STATE_LABEL}=enabled on nodes that may hold members`,
  StoreDraining: "wait for the drain to finish or set the store-state back to enabled",
  UntoleratedTaint: "add a matching toleration to spec.placement.tolerations or remove the taint",
  NodeSelectorMismatch: "label more nodes to match spec.placement.nodeSelector",
};

const BINDING_HINTS: Record<BindingConstraint["limit"], string> = {
  OneMemberPerShard: "add nodes in another failure domain or lower spec.placement.isolationLevel",
  NodeRoom: "add capacity or lower the member resource requests",
  MaxMembersPerHost: "add hosts or raise spec.placement.maxMembersPerHost",
};

/** What to do, from the rejection codes and binding limits seen, each hint once. */
export function hints(codes: Iterable<RejectionCode>, limits: Iterable<BindingConstraint["limit"]>): string[] {
  const out = new Set<string>();
  for (const limit of limits) out.add(BINDING_HINTS[limit]);
  for (const code of codes) {
    const hint = REJECTION_HINTS[code];
    if (hint) out.add(hint);
  }
  // "lower the member resource requests" says less than the memory or cpu hint beside it.
  const general = BINDING_HINTS.NodeRoom;
  if (out.has(general) && (out.has(REJECTION_HINTS.InsufficientMemory!) || out.has(REJECTION_HINTS.InsufficientCpu!))) out.delete(general);
  return [...out];
}
