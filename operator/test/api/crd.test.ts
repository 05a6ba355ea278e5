import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { crdPath, generatedPath, renderTypes } from "../../src/api/crd-gen.ts";
import { resolveSpec } from "../../src/api/defaults.ts";
import { LOG_LEVELS } from "../../../common/log-level.ts";

const text = readFileSync(crdPath, "utf8");
const crd = parse(text);
const version = crd.spec.versions[0];
const schema = version.schema.openAPIV3Schema;

interface Node { description?: string; properties?: Record<string, Node>; items?: Node; additionalProperties?: Node; default?: unknown; type?: string; enum?: unknown[] }

function walk(node: Node, path: string, visit: (n: Node, path: string) => void): void {
  visit(node, path);
  for (const [k, child] of Object.entries(node.properties ?? {})) walk(child, `${path}.${k}`, visit);
  if (node.items) walk(node.items, `${path}[]`, visit);
}

describe("crds/mdbcluster.yaml", () => {
  test("generated types match the CRD (run `npm run crd:gen` when this fails)", () => {
    assert.equal(readFileSync(generatedPath, "utf8"), renderTypes(text), "operator/src/api/generated/mdbcluster.ts is stale: run npm run crd:gen");
  });

  test("names: mdbcluster.io/v1alpha1 MdbCluster, short name mdb, category all", () => {
    assert.equal(crd.spec.group, "mdbcluster.io");
    assert.equal(version.name, "v1alpha1");
    assert.deepEqual([crd.spec.names.kind, crd.spec.names.shortNames, crd.spec.names.categories], ["MdbCluster", ["mdb"], ["all"]]);
  });

  test("every field has a description, so kubectl explain helps (metadata is the API server's)", () => {
    const missing: string[] = [];
    walk(schema, "", (n, path) => { if (path !== ".metadata" && !n.description) missing.push(path || "(root)"); });
    assert.deepEqual(missing, []);
  });

  test("status and scale subresources map kubectl scale to spec.shards", () => {
    assert.deepEqual(version.subresources, { status: {}, scale: { specReplicasPath: ".spec.shards", statusReplicasPath: ".status.shards", labelSelectorPath: ".status.selector" } });
  });

  test("printer columns: Shards, Ready, Phase, Migration, Age", () => {
    const columns = version.additionalPrinterColumns.filter((c: { priority?: number }) => !c.priority).map((c: { name: string }) => c.name);
    assert.deepEqual(columns, ["Shards", "Ready", "Phase", "Migration", "Age"]);
  });

  test("the operator's defaults are the CRD's defaults", () => {
    const specSchema = schema.properties.spec as Node;
    const fromCrd = (path: string[]): unknown => path.reduce((n: Node | undefined, k) => n?.properties?.[k], specSchema)?.default;
    const resolved = resolveSpec({}, { engine: "engine-img", sidecar: "img" }) as unknown as Record<string, Record<string, unknown>>;
    const pairs: [string[], unknown][] = [
      [["shards"], resolved.shards], [["replicasPerShard"], resolved.replicasPerShard],
      [["engine", "maxMemory"], resolved.engine.maxMemory], [["engine", "maxMemoryPolicy"], resolved.engine.maxMemoryPolicy],
      [["engine", "nodeTimeoutMs"], resolved.engine.nodeTimeoutMs], [["engine", "appendOnly"], resolved.engine.appendOnly],
      [["persistence", "enabled"], resolved.persistence.enabled], [["persistence", "size"], resolved.persistence.size],
      [["placement", "isolationLevel"], resolved.placement.isolationLevel], [["placement", "maxMembersPerHost"], resolved.placement.maxMembersPerHost],
      [["migration", "maxConcurrent"], resolved.migration.maxConcurrent], [["migration", "batchKeys"], resolved.migration.batchKeys],
      [["migration", "window"], resolved.migration.window], [["durability"], resolved.durability],
      [["networkPolicy", "enabled"], resolved.networkPolicy.enabled],
      [["logLevel"], resolved.logLevel],
    ];
    for (const [path, value] of pairs) assert.deepEqual(fromCrd(path), value, `spec.${path.join(".")}`);
    const keys = resolved.placement.topologyKeys as Record<string, string>;
    for (const level of ["region", "zone", "rack", "host"]) assert.equal(fromCrd(["placement", "topologyKeys", level]), keys[level], `topologyKeys.${level}`);
  });

  test("spec.logLevel takes the levels the sidecar takes (MDB_LOG_LEVEL)", () => {
    assert.deepEqual((schema.properties.spec as Node).properties?.logLevel?.enum, [...LOG_LEVELS]);
  });

  test("the chart ships the same CRD", () => {
    assert.equal(readFileSync(crdPath.replace("crds/", "charts/mdb-operator/crds/"), "utf8"), text, "run npm run crd:sync");
  });
});
