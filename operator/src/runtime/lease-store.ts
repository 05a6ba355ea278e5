// LeaseStore over the coordination.k8s.io/v1 API.
import { V1MicroTime, type CoordinationV1Api, type V1Lease } from "@kubernetes/client-node";
import { isNotFound } from "./kube.ts";
import type { LeaseRecord, LeaseStore } from "./leader-election.ts";

function toRecord(lease: V1Lease): LeaseRecord {
  const s = lease.spec ?? {};
  const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : typeof d === "string" ? d : undefined);
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
      ...(r.acquireTime ? { acquireTime: new V1MicroTime(r.acquireTime) } : {}),
      ...(r.renewTime ? { renewTime: new V1MicroTime(r.renewTime) } : {}),
    },
  };
}

export function kubeLeaseStore(api: CoordinationV1Api, namespace: string, name: string): LeaseStore {
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
