// The resolved spec in the planner's terms (pure).
import { memoryBytes, milliCpu, type PlacementPolicy } from "../planner/index.ts";
import type { ResolvedSpec } from "./types.ts";

export function placementPolicy(spec: ResolvedSpec): PlacementPolicy {
  return {
    nodeSelector: spec.placement.nodeSelector,
    tolerations: spec.placement.tolerations.map((t) => ({
      ...(t.key !== undefined ? { key: t.key } : {}), ...(t.operator ? { operator: t.operator } : {}),
      ...(t.value !== undefined ? { value: t.value } : {}), ...(t.effect ? { effect: t.effect } : {}),
    })),
    topologyKeys: spec.placement.topologyKeys,
    isolationLevel: spec.placement.isolationLevel,
    maxMembersPerHost: spec.placement.maxMembersPerHost,
    memberResources: memberRequests(spec),
  };
}

/** What one member pod requests in total (engine + sidecar), as the scheduler will count it. */
export function memberRequests(spec: ResolvedSpec): { memoryBytes: number; milliCpu: number } {
  return {
    memoryBytes: memoryBytes(spec.resources.requests.memory) + memoryBytes(spec.sidecar.resources.requests.memory),
    milliCpu: milliCpu(spec.resources.requests.cpu) + milliCpu(spec.sidecar.resources.requests.cpu),
  };
}
