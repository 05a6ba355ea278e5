// LeaseStore over the coordination.k8s.io/v1 API.
import type { V1Lease, V1MicroTime } from "@kubernetes/client-node";
import { isNotFound, type KubeClients } from "./kube.ts";
import type { LeaseRecord, LeaseStore } from "./leader-election.ts";

/** A MicroTime as the API server writes it (RFC 3339 with microseconds): its JSON is this string. */
const microTime = (iso: string) => new Date(iso).toISOString().replace(/Z$/, "000Z") as unknown as V1MicroTime;

function toRecord(lease: V1Lease): LeaseRecord {
  const s = lease.spec ?? {};
  // The API server's MicroTime ("…T12:00:00.123000Z") as the elector writes times (toISOString).
  const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : typeof d === "string" && !Number.isNaN(Date.parse(d)) ? new Date(d).toISOString() : typeof d === "string" ? d : undefined);
  return {
    holderIdentity: s.holderIdentity ?? "",
    leaseDurationSeconds: s.leaseDurationSeconds ?? 15,
    acquireTime: iso(s.acquireTime),
    renewTime: iso(s.renewTime),
    leaseTransitions: s.leaseTransitions ?? 0,
    version: lease.metadata?.resourceVersion,
  };
}

function toLease(name: string, namespace: string, r: LeaseRecord): V1Lease {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace, ...(r.version ? { resourceVersion: r.version } : {}) },
    spec: {
      holderIdentity: r.holderIdentity,
      leaseDurationSeconds: r.leaseDurationSeconds,
      leaseTransitions: r.leaseTransitions,
      ...(r.acquireTime ? { acquireTime: microTime(r.acquireTime) } : {}),
      ...(r.renewTime ? { renewTime: microTime(r.renewTime) } : {}),
    },
  };
}

export function kubeLeaseStore(api: KubeClients["coordination"], namespace: string, name: string): LeaseStore {
  return {
    async get() {
      try {
        return toRecord(await api.readNamespacedLease({ name, namespace }));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async create(record) {
      return toRecord(await api.createNamespacedLease({ namespace, body: toLease(name, namespace, record) }));
    },
    async update(record) {
      return toRecord(await api.replaceNamespacedLease({ name, namespace, body: toLease(name, namespace, record) }));
    },
  };
}
