// The examples a user applies first: each MdbCluster in examples/ fits the CRD's schema, the minimal one
// fits the proving ground's default topology, and the full one sets every spec field, each with a
// comment that says what it does.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import { schemaPaths, validate, valuePaths, type StructuralSchema } from "./structural-schema.ts";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const crd = parse(readFileSync(join(repo, "crds/mdbcluster.yaml"), "utf8")) as {
  spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: StructuralSchema } }[] };
};
const version = crd.spec.versions[0];
const schema = version.schema.openAPIV3Schema;
const specSchema = schema.properties!.spec;

interface Doc { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec: Record<string, unknown> }
function clusters(file: string): { text: string; docs: Doc[] } {
  const text = readFileSync(join(repo, "examples", file), "utf8");
  const parsed = parseAllDocuments(text);
  for (const d of parsed) assert.deepEqual(d.errors, [], `${file}: ${d.errors.join("; ")}`);
  return { text, docs: parsed.map((d) => d.toJS() as Doc).filter((d) => d?.kind === crd.spec.names.kind) };
}

describe("the structural-schema check itself", () => {
  // The examples' verdicts are only as good as the checker: it must refuse what the API server refuses.
  const bad: [spec: Record<string, unknown>, error: RegExp][] = [
    [{ shards: "3" }, /^spec\.shards: expected an integer/],
    [{ shards: 0 }, /^spec\.shards: 0 is below the minimum 1/],
    [{ replicasPerShard: 6 }, /^spec\.replicasPerShard: 6 is above the maximum 5/],
    [{ engine: { maxMemory: "1x" } }, /^spec\.engine\.maxMemory: "1x" does not match/],
    [{ engine: { maxMemoryPolicy: "lru" } }, /^spec\.engine\.maxMemoryPolicy: "lru" is not one of/],
    [{ placement: { isolationLevel: "planet" } }, /^spec\.placement\.isolationLevel/],
    [{ placement: { topologyKeys: { zone: "" } } }, /^spec\.placement\.topologyKeys\.zone: shorter than 1/],
    [{ placement: { tolerations: [{ effect: "Never" }] } }, /^spec\.placement\.tolerations\[0\]\.effect/],
    [{ migration: { schedule: [{ start: "22:00" }] } }, /^spec\.migration\.schedule\[0\]\.end: required/],
    [{ placement: { nodeSelector: { a: 1 } } }, /^spec\.placement\.nodeSelector\.a: expected a string/],
    [{ shard: 3 }, /^spec\.shard: unknown field/],
  ];
  for (const [spec, error] of bad) {
    test(`refuses ${JSON.stringify(spec)}`, () => {
      const errors = validate(specSchema, spec, "spec");
      assert.ok(errors.some((e) => error.test(e)), `expected ${error}, got ${JSON.stringify(errors)}`);
    });
  }
  test("accepts an empty spec (everything defaulted)", () => assert.deepEqual(validate(specSchema, {}, "spec"), []));
});

for (const file of ["mdbcluster.yaml", "mdbcluster-full.yaml", "mdbcluster-tls.yaml"]) {
  describe(`examples/${file}`, () => {
    const { docs } = clusters(file);
    test("holds one MdbCluster of the CRD's group and version, without a namespace", () => {
      assert.equal(docs.length, 1);
      assert.equal(docs[0].apiVersion, `${crd.spec.group}/${version.name}`);
      assert.match(docs[0].metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      assert.equal(docs[0].metadata.namespace, undefined, "apply it to any namespace with -n");
    });
    test("fits the CRD's schema", () => assert.deepEqual(validate(schema, docs[0], docs[0].metadata.name), []));
    test("fits the CRD's CEL rule on the number of members", () => {
      const spec = docs[0].spec as { shards?: number; replicasPerShard?: number };
      assert.ok((spec.shards ?? 3) * ((spec.replicasPerShard ?? 1) + 1) <= 2000);
    });
  });
}

describe("examples/mdbcluster.yaml", () => {
  const spec = clusters("mdbcluster.yaml").docs[0].spec as { shards: number; replicasPerShard: number; resources: { requests: { cpu: string; memory: string } } };
  test("is 3 shards × 1 standby, the demo's cluster", () => assert.deepEqual([spec.shards, spec.replicasPerShard], [3, 1]));
  test("fits the proving ground's default topology: a zone per member of a shard, small requests", () => {
    const topology = parse(readFileSync(join(repo, "e2e/local/topology.yaml"), "utf8")) as { regions: { zones: unknown[] }[] };
    const zones = topology.regions.flatMap((r) => r.zones).length;
    assert.ok(spec.replicasPerShard + 1 <= zones, `${spec.replicasPerShard + 1} members per shard need as many zones (isolationLevel zone); the topology has ${zones}`);
    assert.match(spec.resources.requests.cpu, /^\d+m$/);
    assert.ok(parseInt(spec.resources.requests.cpu, 10) <= 100);
    assert.match(spec.resources.requests.memory, /^\d+Mi$/);
  });
});

describe("examples/mdbcluster-full.yaml", () => {
  const { text, docs } = clusters("mdbcluster-full.yaml");
  test("sets every spec field the CRD has", () => {
    const set = new Set(valuePaths(specSchema, docs[0].spec, "spec"));
    const missing = schemaPaths(specSchema, "spec").filter((p) => !set.has(p));
    assert.deepEqual(missing, [], "add these fields to examples/mdbcluster-full.yaml, each with a comment");
  });
  test("every key under spec has a comment, on its line or the line above", () => {
    const lines = text.split("\n");
    const start = lines.findIndex((l, i) => l === "spec:" && lines.slice(0, i).some((x) => x === "kind: MdbCluster"));
    assert.ok(start > 0, "no top-level spec: after kind: MdbCluster");
    const uncommented = lines.slice(start + 1)
      .map((line, i) => ({ line, n: start + 2 + i, above: lines[start + i].trim() }))
      .filter(({ line }) => /^\s+(- )?[\w./-]+:/.test(line))
      .filter(({ line, above }) => !/\s#\s/.test(line) && !above.startsWith("#"))
      .map(({ line, n }) => `line ${n}: ${line.trim()}`);
    assert.deepEqual(uncommented, []);
  });
});
