// `npm run docs:fields`: the field reference docs/reference/mdbcluster-fields.md, generated from the CRD
// (crds/mdbcluster.yaml, the source of truth). scripts/test/docs-fields.test.ts renders it again in
// memory and fails while the committed page differs.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { Schema } from "../operator/src/api/crd-gen.ts";

export const crdPath = fileURLToPath(new URL("../crds/mdbcluster.yaml", import.meta.url));
export const referencePath = fileURLToPath(new URL("../docs/reference/mdbcluster-fields.md", import.meta.url));


export interface FieldRow { path: string; schema: Schema; required: boolean }

/** Every field under `schema`, depth first in the CRD's order; array items are written `name[]`. */
export function fieldRows(schema: Schema, path: string): FieldRow[] {
  const rows: FieldRow[] = [];
  const required = new Set(schema.required ?? []);
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const childPath = `${path}.${key}`;
    rows.push({ path: childPath, schema: child, required: required.has(key) });
    rows.push(...nested(child, childPath));
  }
  return rows;
}

function nested(schema: Schema, path: string): FieldRow[] {
  if (schema.type === "array" && schema.items?.properties) return fieldRows(schema.items, `${path}[]`);
  if (schema.properties) return fieldRows(schema, path);
  return [];
}

/** Rules (CEL) on `schema` and below, with the path they apply to. */
function validations(schema: Schema, path: string): { path: string; rule: string; message: string }[] {
  const own = (schema["x-kubernetes-validations"] ?? []).map((v) => ({ path, rule: v.rule, message: v.message ?? "" }));
  const below = Object.entries(schema.properties ?? {}).flatMap(([key, child]) => validations(child, `${path}.${key}`));
  const items = schema.items ? validations(schema.items, `${path}[]`) : [];
  return [...own, ...below, ...items];
}

function typeText(s: Schema): string {
  if (s.type === "array") {
    const item = s.items ?? {};
    return `array of ${item.properties ? "object" : typeText(item)}`;
  }
  if (s.type === "object" && !s.properties && s.additionalProperties) return `map of ${typeText(s.additionalProperties)}`;
  if (s.format) return `${s.type ?? "any"} (${s.format})`;
  return s.type ?? "any";
}

/** A code span that survives a table cell: pipes escaped, backticks avoided by a longer fence. */
function code(text: string): string {
  const fence = text.includes("`") ? "``" : "`";
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text.replace(/\|/g, "\\|")}${pad}${fence}`;
}

function cell(text: string): string {
  return text.replace(/\s+/g, " ").trim().replace(/\|/g, "\\|");
}

function defaultText(s: Schema): string {
  if (s.default === undefined) return "";
  if (typeof s.default === "object" && s.default !== null && Object.keys(s.default).length === 0) return code(Array.isArray(s.default) ? "[]" : "{}");
  return code(typeof s.default === "string" ? s.default : JSON.stringify(s.default));
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

function constraintText(s: Schema, required: boolean): string {
  const out: string[] = [];
  if (required) out.push("required");
  if (s.enum) out.push(`one of ${s.enum.map((v) => code(String(v))).join(", ")}`);
  if (s.minimum !== undefined && s.maximum !== undefined) out.push(`${s.minimum}..${s.maximum}`);
  else if (s.minimum !== undefined) out.push(`≥ ${s.minimum}`);
  else if (s.maximum !== undefined) out.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined) out.push(`at least ${count(s.minLength, "character")}`);
  if (s.maxLength !== undefined) out.push(`at most ${count(s.maxLength, "character")}`);
  if (s.maxItems !== undefined) out.push(`at most ${count(s.maxItems, "item")}`);
  if (s.pattern !== undefined) out.push(`pattern ${code(s.pattern)}`);
  if (s["x-kubernetes-list-type"] === "map") out.push(`a map keyed by ${(s["x-kubernetes-list-map-keys"] ?? []).map(code).join(", ")}`);
  return out.join("; ");
}

function fieldTable(rows: FieldRow[]): string[] {
  const lines = ["| field | type | default | constraints | description |", "|---|---|---|---|---|"];
  for (const r of rows) {
    lines.push(`| ${code(r.path)} | ${typeText(r.schema)} | ${defaultText(r.schema)} | ${constraintText(r.schema, r.required)} | ${cell(r.schema.description ?? "")} |`);
  }
  return lines;
}

interface PrinterColumn { name: string; type: string; jsonPath: string; description?: string; priority?: number }

export function renderFieldReference(crdText: string): string {
  const crd = parse(crdText);
  const version = crd.spec.versions.find((v: { storage: boolean }) => v.storage);
  const root: Schema = version.schema.openAPIV3Schema;
  const spec = root.properties?.spec ?? {};
  const status = root.properties?.status ?? {};
  const names = crd.spec.names;
  const scale = version.subresources?.scale;
  const columns: PrinterColumn[] = version.additionalPrinterColumns ?? [];
  const rules = validations(spec, "spec");

  const lines = [
    "# MdbCluster field reference",
    "",
    "<!-- Generated by `npm run docs:fields` from crds/mdbcluster.yaml; do not edit by hand. -->",
    "",
    `Generated from \`crds/mdbcluster.yaml\`: change the CRD, then run \`npm run docs:fields\` (a unit test`,
    "fails while this page and the CRD differ). How to use the resource: [Using MdbCluster](../usage.md).",
    "",
    "## Resource",
    "",
    "| | |",
    "|---|---|",
    `| API version | ${code(`${crd.spec.group}/${version.name}`)} |`,
    `| kind | ${code(names.kind)} (list: ${code(names.listKind)}) |`,
    `| names | ${code(names.plural)}, ${code(names.singular)}, short name${(names.shortNames ?? []).length === 1 ? "" : "s"} ${(names.shortNames ?? []).map(code).join(", ")} |`,
    `| scope | ${crd.spec.scope} |`,
    `| categories | ${(names.categories ?? []).map(code).join(", ")} |`,
    `| subresources | ${Object.keys(version.subresources ?? {}).map(code).join(", ")} |`,
    ...(scale ? [`| scale | ${code(scale.specReplicasPath)} ← replicas, ${code(scale.statusReplicasPath)} → replicas, selector ${code(scale.labelSelectorPath)} |`] : []),
    "",
    cell(root.description ?? ""),
    "",
    "## Printer columns",
    "",
    "`kubectl get mdb` shows the columns of priority 0; `-o wide` adds the others.",
    "",
    "| column | type | JSONPath | priority | description |",
    "|---|---|---|---|---|",
    ...columns.map((c) => `| ${c.name} | ${c.type} | ${code(c.jsonPath)} | ${c.priority ?? 0} | ${cell(c.description ?? "")} |`),
    "",
    "## spec",
    "",
    cell(spec.description ?? ""),
    "",
    ...fieldTable(fieldRows(spec, "spec")),
    "",
    "## Validation rules",
    "",
    "Checked by the API server (CEL) when an object is created or updated; the message is what `kubectl` prints.",
    "",
    "| on | rule | message |",
    "|---|---|---|",
    ...rules.map((r) => `| ${code(r.path)} | ${code(r.rule)} | ${cell(r.message)} |`),
    "",
    "## status",
    "",
    cell(status.description ?? ""),
    "",
    ...fieldTable(fieldRows(status, "status")),
    "",
  ];
  return lines.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(dirname(referencePath), { recursive: true });
  writeFileSync(referencePath, renderFieldReference(readFileSync(crdPath, "utf8")));
  console.log(`generated ${referencePath}`);
}
