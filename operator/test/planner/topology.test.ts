import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  domainPath, firstUntoleratedTaint, memoryBytes, milliCpu, parseQuantity, PlannerInputError, resolveTopologyKeys,
  topologyNodeFromKubernetes, tolerates, DEFAULT_TOPOLOGY_KEYS,
} from "../../src/planner/index.ts";
import { makeNode } from "./fixtures.ts";

describe("parseQuantity", () => {
  const cases: [string, number][] = [
    ["8Gi", 8 * 2 ** 30],
    ["512Mi", 512 * 2 ** 20],
    ["1.5Gi", 1.5 * 2 ** 30],
    ["129M", 129e6],
    ["128974848", 128974848],
    ["1e3", 1000],
    ["2", 2],
    ["500m", 0.5],
    ["1E", 1e18], // exa suffix, not an exponent
    ["1E3", 1000], // exponent
  ];
  for (const [text, expected] of cases) test(`${text} = ${expected}`, () => assert.equal(parseQuantity(text, "f"), expected));

  test("cpu in millicores and memory in bytes round up", () => {
    assert.equal(milliCpu("250m"), 250);
    assert.equal(milliCpu("2"), 2000);
    assert.equal(milliCpu("0.1"), 100);
    assert.equal(memoryBytes("1Ki"), 1024);
  });

  for (const bad of ["", "Gi", "-1", "8 GB", "1.2.3"]) {
    test(`"${bad}" is refused with the field named`, () => {
      assert.throws(() => parseQuantity(bad, "spec.resources.memory"), (e: Error) => e instanceof PlannerInputError && e.message.includes("spec.resources.memory") && e.message.includes("8Gi"));
    });
  }
});

describe("topologyNodeFromKubernetes", () => {
  test("reads labels, taints, cordon, readiness, allocatable and requested", () => {
    const node = makeNode("n1").region("r1").zone("z1").rack("k2").host("h1").memory("8Gi").cpu("4").pods(30)
      .taint("dedicated", "NoSchedule", "db").cordoned().using("1Gi", "500m", 2).obj();
    assert.equal(node.name, "n1");
    assert.deepEqual(domainPath(node, DEFAULT_TOPOLOGY_KEYS), ["r1", "z1", "k2", "h1"]);
    assert.deepEqual(node.taints, [{ key: "dedicated", value: "db", effect: "NoSchedule" }]);
    assert.equal(node.unschedulable, true);
    assert.equal(node.ready, true);
    assert.deepEqual(node.allocatable, { memoryBytes: 8 * 2 ** 30, milliCpu: 4000, pods: 30 });
    assert.deepEqual(node.requested, { memoryBytes: 2 ** 30, milliCpu: 500, pods: 2 });
    assert.equal(node.storeState, "enabled");
    assert.deepEqual(node.problems, []);
  });

  test("a NotReady condition and a missing Ready condition both mean not ready", () => {
    assert.equal(makeNode("n1").notReady().obj().ready, false);
    assert.equal(topologyNodeFromKubernetes({ metadata: { name: "n2" }, status: { allocatable: { memory: "1Gi", cpu: "1", pods: "10" } } }).ready, false);
  });

  const storeCases: [string | undefined, string, boolean][] = [
    [undefined, "enabled", false],
    ["enabled", "enabled", false],
    ["disabled", "disabled", false],
    ["draining", "draining", false],
    ["maintenance", "disabled", true], // unknown → reported and treated as disabled
  ];
  for (const [label, state, reported] of storeCases) {
    test(`store-state label ${label ?? "(absent)"} → ${state}${reported ? ", reported" : ""}`, () => {
      const b = makeNode("n1");
      if (label !== undefined) b.store(label);
      const node = b.obj();
      assert.equal(node.storeState, state);
      assert.equal(node.problems.some((p) => p.includes("mdbcluster.io/store-state") && p.includes("maintenance")), reported);
    });
  }

  test("missing or unparsable allocatable counts as 0 and is reported, naming the field", () => {
    const node = topologyNodeFromKubernetes({ metadata: { name: "n1" }, status: { allocatable: { memory: "lots", cpu: "2" } } });
    assert.equal(node.allocatable.memoryBytes, 0);
    assert.equal(node.allocatable.pods, 0);
    assert.equal(node.allocatable.milliCpu, 2000);
    assert.ok(node.problems.some((p) => p.includes("status.allocatable.memory") && p.includes("lots")));
    assert.ok(node.problems.some((p) => p.includes("status.allocatable.pods is missing")));
  });

  test("a node without a name is refused", () => {
    assert.throws(() => topologyNodeFromKubernetes({ metadata: {} }), /metadata\.name/);
  });

  test("a missing topology label reads as null (the shared 'unknown' domain)", () => {
    const node = makeNode("n1").zone("z1").unlabelled("host").obj();
    assert.deepEqual(domainPath(node, DEFAULT_TOPOLOGY_KEYS), [null, "z1", null, null]);
  });
});

describe("topology keys", () => {
  test("partial keys override the defaults", () => {
    const keys = resolveTopologyKeys({ rack: "example.com/rack" });
    assert.equal(keys.rack, "example.com/rack");
    assert.equal(keys.zone, "topology.kubernetes.io/zone");
  });
  test("an empty key is refused, naming the field", () => {
    assert.throws(() => resolveTopologyKeys({ zone: "" }), /spec\.placement\.topologyKeys\.zone/);
  });
});

describe("tolerations", () => {
  const taint = { key: "dedicated", value: "db", effect: "NoSchedule" };
  const cases: [string, Parameters<typeof tolerates>[0], boolean][] = [
    ["Equal with the same value", { key: "dedicated", operator: "Equal", value: "db" }, true],
    ["Equal with another value", { key: "dedicated", operator: "Equal", value: "web" }, false],
    ["Exists on the key", { key: "dedicated", operator: "Exists" }, true],
    ["Exists without key tolerates everything", { operator: "Exists" }, true],
    ["another effect", { key: "dedicated", operator: "Exists", effect: "NoExecute" }, false],
    ["the same effect", { key: "dedicated", operator: "Exists", effect: "NoSchedule" }, true],
    ["another key", { key: "gpu", operator: "Exists" }, false],
  ];
  for (const [name, toleration, expected] of cases) test(name, () => assert.equal(tolerates(toleration, taint), expected));

  test("PreferNoSchedule never blocks; NoExecute does", () => {
    assert.equal(firstUntoleratedTaint([{ key: "a", effect: "PreferNoSchedule" }], []), undefined);
    assert.deepEqual(firstUntoleratedTaint([{ key: "a", effect: "NoExecute" }], []), { key: "a", effect: "NoExecute" });
  });
});
