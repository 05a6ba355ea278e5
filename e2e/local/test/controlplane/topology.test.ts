import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { DEFAULT_TOPOLOGY } from "../../controlplane/cluster.ts";
import { parseTopology, TOPOLOGY_LABELS, TopologyError } from "../../controlplane/topology.ts";

describe("topology file", () => {
  test("the default topology is one region, 3 zones × 2 racks × 2 hosts, labelled", () => {
    const nodes = parseTopology(readFileSync(DEFAULT_TOPOLOGY, "utf8"));
    assert.equal(nodes.length, 12);
    const distinct = (key: string) => new Set(nodes.map((n) => n.labels[key])).size;
    assert.equal(distinct(TOPOLOGY_LABELS.region), 1);
    assert.equal(distinct(TOPOLOGY_LABELS.zone), 3);
    assert.equal(new Set(nodes.map((n) => `${n.labels[TOPOLOGY_LABELS.zone]}/${n.labels[TOPOLOGY_LABELS.rack]}`)).size, 6);
    assert.equal(distinct(TOPOLOGY_LABELS.host), 12);
    for (const n of nodes) {
      assert.equal(n.labels[TOPOLOGY_LABELS.host], n.name);
      assert.deepEqual(n.capacity, { cpu: "8", memory: "32Gi", pods: "110" });
    }
  });

  test("a host may override capacity, add labels and taints", () => {
    const [node] = parseTopology(`
capacity: { cpu: "4", memory: 8Gi, pods: 50 }
regions:
  - name: r1
    zones:
      - name: z1
        racks:
          - name: k1
            hosts:
              - name: big
                capacity: { memory: 64Gi }
                labels: { mdbcluster.io/store-state: draining }
                taints: [{ key: dedicated, value: mdb, effect: NoSchedule }]
`);
    assert.deepEqual(node.capacity, { cpu: "4", memory: "64Gi", pods: "50" });
    assert.equal(node.labels["mdbcluster.io/store-state"], "draining");
    assert.deepEqual(node.taints, [{ key: "dedicated", value: "mdb", effect: "NoSchedule" }]);
  });

  const wrap = (hosts: string) => `regions:\n  - name: r1\n    zones:\n      - name: z1\n        racks:\n          - name: k1\n            hosts: ${hosts}\n`;
  const cases: { name: string; text: string; field: string; line: number; says: RegExp }[] = [
    { name: "unknown top-level field", text: "regoins: []\n", field: "regoins", line: 1, says: /unknown field/ },
    { name: "no regions", text: "capacity: { cpu: \"1\" }\n", field: "regions", line: 1, says: /missing/ },
    { name: "empty regions", text: "regions: []\n", field: "regions", line: 1, says: /is empty/ },
    { name: "bad zone name", text: "regions:\n  - name: r1\n    zones:\n      - name: Zone_A\n        racks: []\n", field: "regions[0].zones[0].name", line: 4, says: /not a valid name/ },
    { name: "duplicate host", text: wrap("[h1, h2, h1]"), field: "regions[0].zones[0].racks[0].hosts[2]", line: 7, says: /already used at regions\[0\]\.zones\[0\]\.racks\[0\]\.hosts\[0\]/ },
    { name: "bad memory quantity", text: `capacity:\n  memory: lots\n${wrap("[h1]")}`, field: "capacity.memory", line: 2, says: /not a Kubernetes quantity/ },
    { name: "fractional pods", text: `capacity:\n  pods: 1.5\n${wrap("[h1]")}`, field: "capacity.pods", line: 2, says: /whole number/ },
    { name: "bad taint effect", text: wrap("\n              - name: h1\n                taints: [{ key: k, effect: Never }]"), field: "regions[0].zones[0].racks[0].hosts[0].taints[0].effect", line: 9, says: /NoSchedule, PreferNoSchedule, NoExecute/ },
    { name: "unknown host field", text: wrap("\n              - name: h1\n                cpus: 4"), field: "regions[0].zones[0].racks[0].hosts[0].cpus", line: 9, says: /unknown field/ },
    { name: "broken YAML", text: "regions: [\n  - a\n", field: "(document)", line: 2, says: /not valid YAML/ },
  ];
  for (const c of cases) {
    test(`error names field and line: ${c.name}`, () => {
      assert.throws(() => parseTopology(c.text, "topo.yaml"), (e: unknown) => {
        assert.ok(e instanceof TopologyError, `expected a TopologyError, got ${String(e)}`);
        assert.equal(e.field, c.field);
        assert.equal(e.line, c.line);
        assert.match(e.message, c.says);
        assert.ok(e.message.startsWith(`topo.yaml:${c.line}: ${c.field}: `), e.message);
        return true;
      });
    });
  }
});
