// The Grafana dashboard (charts/mdb-operator/dashboards/mdbcluster.json) queries only what the code
// exports: every metric named in a panel's PromQL is in the operator's registry (OperatorMetrics) or
// the sidecar's (MEMBER_METRICS and its process metrics), and every label a selector or a `by`
// clause names is one of that metric's labels or one Prometheus adds from the target.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Registry, collectDefaultMetrics } from "prom-client";
import { OperatorMetrics } from "../../../operator/src/runtime/metrics.ts";
import { MEMBER_METRICS } from "../../../node-image/src/sidecar/engine-metrics.ts";

const dashboard = JSON.parse(readFileSync(new URL("../dashboards/mdbcluster.json", import.meta.url), "utf8")) as {
  schemaVersion: number;
  templating: { list: { name: string; type: string; definition?: string }[] };
  panels: { type: string; title: string; targets?: { expr: string; datasource: { uid: string } }[] }[];
};

// Labels on every series: the target's (namespace, pod, job, instance) and the sidecar's own (cluster, member, shard).
const TARGET_LABELS = ["namespace", "pod", "job", "instance"];
const MEMBER_LABELS = ["cluster", "member", "shard"];

/** Every exported series name (a histogram's _bucket, _sum and _count) → the labels it carries. */
async function exported(): Promise<Map<string, Set<string>>> {
  const names = new Map<string, Set<string>>();
  const add = (name: string, labels: readonly string[]) => names.set(name, new Set([...labels, ...TARGET_LABELS]));
  const operator = new OperatorMetrics(() => 0);
  for (const m of await operator.registry.getMetricsAsJSON()) {
    const declared = (operator.registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] }).labelNames ?? [];
    if (String(m.type) === "histogram") {
      add(`${m.name}_bucket`, [...declared, "le"]);
      add(`${m.name}_sum`, declared);
      add(`${m.name}_count`, declared);
    } else add(m.name, declared);
  }
  for (const d of MEMBER_METRICS) add(d.name, [...d.labelNames, ...MEMBER_LABELS]);
  const sidecarProcess = new Registry();
  collectDefaultMetrics({ register: sidecarProcess, prefix: "mdb_sidecar_" });
  for (const m of await sidecarProcess.getMetricsAsJSON()) add(m.name, MEMBER_LABELS);
  return names;
}

// Aggregations (their `by (…)` may come before the parenthesis) and the language's keywords.
const FUNCTIONS_AND_KEYWORDS = new Set(["sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile", "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan"]);

/** The metric selectors of a PromQL expression: each name with the labels its matcher names. */
export function selectors(expr: string): { name: string; labels: string[] }[] {
  const noStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const out: { name: string; labels: string[] }[] = [];
  const re = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?\s*(\()?/g;
  for (let m = re.exec(noStrings); m; m = re.exec(noStrings)) {
    const [, name, matcher, call] = m;
    const before = noStrings.slice(0, m.index);
    if (call || FUNCTIONS_AND_KEYWORDS.has(name) || /\$\{?$/.test(before) || /[[\d]$/.test(before)) continue;
    // An identifier inside a label list (`by (a, b)`) or a matcher is a label, not a metric.
    const open = before.lastIndexOf("(");
    if (open >= 0 && /\b(by|without|on|ignoring|group_left|group_right)\s*$/.test(before.slice(0, open)) && !before.slice(open).includes(")")) continue;
    out.push({ name, labels: matcher ? [...matcher.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]) : [] });
  }
  return out;
}

/** The labels that `by (…)`/`without (…)` clauses of the expression name. */
function groupingLabels(expr: string): string[] {
  return [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) => m[1].split(",").map((s) => s.trim()).filter(Boolean));
}

const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr, uid: t.datasource.uid })));

test("the dashboard is a Grafana dashboard with a Prometheus data source variable and namespace/cluster variables", () => {
  assert.ok(dashboard.schemaVersion >= 39);
  const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
  assert.equal(vars.get("datasource")?.type, "datasource");
  assert.ok(vars.has("namespace") && vars.has("cluster"));
  assert.ok(queries.length >= 20, `${queries.length} queries`);
  for (const q of queries) assert.equal(q.uid, "${datasource}", `${q.panel} uses the data source variable`);
});

test("the selector parser finds metrics and not functions, labels or variables", () => {
  assert.deepEqual(selectors('histogram_quantile(0.99, sum by (le, result) (rate(a_bucket{x="b c", y=~"$v"}[$__rate_interval])))'), [{ name: "a_bucket", labels: ["x", "y"] }]);
  assert.deepEqual(selectors("sum(b) / count(c{d!=\"e\"}) and on (pod) f"), [{ name: "b", labels: [] }, { name: "c", labels: ["d"] }, { name: "f", labels: [] }]);
});

test("every metric a panel queries is exported by the operator or the sidecar, with the labels it uses", async () => {
  const names = await exported();
  const problems: string[] = [];
  for (const q of queries) {
    const found = selectors(q.expr);
    if (found.length === 0) problems.push(`${q.panel}: no metric in ${q.expr}`);
    const allLabels = new Set<string>();
    for (const s of found) {
      const labels = names.get(s.name);
      if (!labels) { problems.push(`${q.panel}: ${s.name} is not exported`); continue; }
      for (const l of labels) allLabels.add(l);
      for (const l of s.labels) if (!labels.has(l)) problems.push(`${q.panel}: ${s.name} has no label ${l}`);
    }
    for (const l of groupingLabels(q.expr)) if (found.length && !allLabels.has(l)) problems.push(`${q.panel}: no metric of ${q.expr} has the label ${l}`);
  }
  assert.deepEqual(problems, []);
});

test("the check fails for a metric that does not exist", async () => {
  const names = await exported();
  assert.equal(names.has("redis_memory_used_bytes"), true);
  assert.equal(names.has("mdb_operator_reconcile_duration_seconds_bucket"), true);
  assert.equal(selectors("rate(mdb_cluster_made_up_total[5m])").some((s) => names.has(s.name)), false);
});
