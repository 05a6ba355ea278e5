// What the Pod and Node caches keep (docs/footprint.md#the-operator): a pod no MdbCluster owns keeps only
// what requestedByNode reads, so the load it counts per node is the same; a member pod is kept whole.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { nodeAsCached, podAsCached, requestedByNode } from "../../src/controller/observe.ts";
import { LABELS } from "../../src/resources/names.ts";

const foreign = (name: string, node: string, phase: string, requests: Record<string, string>[]): V1Pod => ({
  metadata: { name, namespace: "apps", uid: `u-${name}`, resourceVersion: "7", labels: { app: name }, annotations: { big: "x".repeat(1000) } },
  spec: {
    nodeName: node, serviceAccountName: "default", volumes: [{ name: "v", emptyDir: {} }],
    containers: requests.map((r, i) => ({ name: `c${i}`, image: "busybox", env: [{ name: "A", value: "1" }], resources: { requests: r, limits: { memory: "1Gi" } } })),
  },
  status: { phase, podIP: "10.0.0.9", conditions: [{ type: "Ready", status: "True" }] },
});

test("a pod no MdbCluster owns keeps its name, version, labels, node, phase and container requests only", () => {
  const p = foreign("web", "n1", "Running", [{ cpu: "250m", memory: "64Mi" }]);
  assert.deepEqual(podAsCached(p), {
    metadata: { name: "web", namespace: "apps", uid: "u-web", resourceVersion: "7", labels: { app: "web" } },
    spec: { nodeName: "n1", containers: [{ name: "c0", resources: { requests: { cpu: "250m", memory: "64Mi" } } }] },
    status: { phase: "Running" },
  });
});

test("the load per node is the same counted from the kept pods as from the whole ones", () => {
  const pods = [
    foreign("a", "n1", "Running", [{ cpu: "100m", memory: "128Mi" }, { memory: "32Mi" }]),
    foreign("b", "n1", "Pending", [{ cpu: "1" }]),
    foreign("c", "n2", "Succeeded", [{ cpu: "2", memory: "1Gi" }]),
    foreign("d", "n2", "Running", []),
  ];
  assert.deepEqual(requestedByNode(pods.map(podAsCached)), requestedByNode(pods));
});

test("a member pod (the cluster label) is kept whole", () => {
  const member = foreign("c1-0-0", "n1", "Running", [{ memory: "96Mi" }]);
  member.metadata!.labels = { [LABELS.cluster]: "c1" };
  assert.equal(podAsCached(member), member);
});

test("a node keeps all but its list of images", () => {
  const n: V1Node = {
    metadata: { name: "n1", labels: { zone: "z1" } }, spec: { unschedulable: false },
    status: { allocatable: { memory: "8Gi" }, conditions: [{ type: "Ready", status: "True" }], images: [{ names: ["busybox"], sizeBytes: 1 }] },
  };
  assert.deepEqual(nodeAsCached(structuredClone(n)), { ...n, status: { allocatable: { memory: "8Gi" }, conditions: [{ type: "Ready", status: "True" }] } });
});
