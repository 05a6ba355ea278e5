import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { crdPath, fieldRows, referencePath, renderFieldReference } from "../docs-fields.ts";
import type { Schema } from "../../operator/src/api/crd-gen.ts";

const crdText = readFileSync(crdPath, "utf8");
const root: Schema = parse(crdText).spec.versions.find((v: { storage: boolean }) => v.storage).schema.openAPIV3Schema;

describe("docs/reference/mdbcluster-fields.md", () => {
  test("matches the CRD (run `npm run docs:fields` when this fails)", () => {
    assert.equal(readFileSync(referencePath, "utf8"), renderFieldReference(crdText),
      "docs/reference/mdbcluster-fields.md is stale: run npm run docs:fields and commit the page");
  });

  test("has one row per field of spec and status, with its default", () => {
    const page = renderFieldReference(crdText);
    for (const part of ["spec", "status"] as const) {
      for (const row of fieldRows(root.properties![part], part)) {
        const line = page.split("\n").find((l) => l.startsWith(`| \`${row.path}\` |`));
        assert.ok(line, `no row for ${row.path}`);
        if (typeof row.schema.default === "string" || typeof row.schema.default === "number") assert.ok(line.includes(`\`${row.schema.default}\``), `${row.path}: default ${row.schema.default} missing`);
      }
    }
  });

  test("fields are written as paths, array items with []", () => {
    const rows = fieldRows({
      type: "object",
      required: ["a"],
      properties: {
        a: { type: "integer", minimum: 1, maximum: 3, default: 2 },
        list: { type: "array", items: { type: "object", properties: { x: { type: "string" } } } },
        tags: { type: "array", items: { type: "string" } },
      },
    }, "spec");
    assert.deepEqual(rows.map((r) => [r.path, r.required]), [["spec.a", true], ["spec.list", false], ["spec.list[].x", false], ["spec.tags", false]]);
  });

  test("a pipe inside a pattern or rule cannot break the table", () => {
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition",
      spec: {
        group: "g.io", scope: "Namespaced", names: { kind: "K", listKind: "KList", plural: "ks", singular: "k" },
        versions: [{ name: "v1", storage: true, schema: { openAPIV3Schema: { type: "object", properties: {
          spec: { type: "object", "x-kubernetes-validations": [{ rule: "a || b", message: "one | two" }],
            properties: { size: { type: "string", pattern: "^(a|b)$", description: "x | y" } } },
          status: { type: "object", properties: {} },
        } } } }],
      },
    };
    const page = renderFieldReference(JSON.stringify(crd));
    const row = page.split("\n").find((l) => l.startsWith("| `spec.size` |"))!;
    assert.equal(row, "| `spec.size` | string |  | pattern `^(a\\|b)$` | x \\| y |");
    assert.ok(page.includes("| `spec` | `a \\|\\| b` | one \\| two |"));
  });
});
