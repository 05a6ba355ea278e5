// The sidecar's Prometheus text (exposition.ts, process-metrics.ts): what a Prometheus server parses,
// escaping, declared-but-empty metrics, labels, and the process's own series with live values.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { formatValue, renderExposition } from "../../src/sidecar/exposition.ts";
import { PROCESS_METRICS, processSamples } from "../../src/sidecar/process-metrics.ts";
import type { MetricDefinition } from "../../src/sidecar/engine-metrics.ts";

const defs: MetricDefinition[] = [
  { name: "a_total", type: "counter", help: "A counter.", labelNames: [] },
  { name: "b", type: "gauge", help: 'Help with a \\ backslash\nand a newline and "quotes".', labelNames: ["k"] },
  { name: "c", type: "gauge", help: "Declared, never sampled.", labelNames: [] },
];

describe("exposition", () => {
  test("HELP and TYPE for every metric in order, then its samples with their labels before the common ones", () => {
    const text = renderExposition(defs, [
      { name: "b", labels: { k: "x" }, value: 1.5 }, { name: "a_total", labels: {}, value: 3 }, { name: "b", labels: { k: "y" }, value: 0 },
    ], { cluster: "demo", shard: "0" });
    assert.equal(text, [
      "# HELP a_total A counter.", "# TYPE a_total counter", 'a_total{cluster="demo",shard="0"} 3',
      '# HELP b Help with a \\\\ backslash\\nand a newline and "quotes".', "# TYPE b gauge",
      'b{k="x",cluster="demo",shard="0"} 1.5', 'b{k="y",cluster="demo",shard="0"} 0',
      "# HELP c Declared, never sampled.", "# TYPE c gauge", "",
    ].join("\n"));
  });

  test("label values escape backslash, quote and newline; no labels at all means no braces", () => {
    const text = renderExposition(defs, [{ name: "b", labels: { k: 'a\\b"c\nd' }, value: 1 }, { name: "a_total", labels: {}, value: 1 }]);
    assert.ok(text.includes('b{k="a\\\\b\\"c\\nd"} 1\n'), text);
    assert.ok(text.includes("\na_total 1\n"), text);
  });

  test("a sample's own label wins over a common label of the same name", () => {
    assert.ok(renderExposition(defs, [{ name: "b", labels: { k: "own" }, value: 1 }], { k: "common" }).includes('b{k="own"} 1'));
  });

  test("special values are spelled as Prometheus reads them", () => {
    assert.deepEqual([Infinity, -Infinity, NaN, 1e21, -0.25].map(formatValue), ["+Inf", "-Inf", "NaN", "1e+21", "-0.25"]);
  });

  test("a sample of a metric with no definition is refused, naming it", () => {
    assert.throws(() => renderExposition(defs, [{ name: "zzz", labels: {}, value: 1 }]), /metric zzz has a sample but no definition/);
  });

  test("the process's series: each defined, with its declared labels and a live value", async () => {
    const samples = await processSamples();
    const defined = new Map(PROCESS_METRICS.map((d) => [d.name, d]));
    for (const s of samples) {
      assert.deepEqual(Object.keys(s.labels).sort(), [...defined.get(s.name)!.labelNames].sort(), s.name);
      assert.ok(Number.isFinite(s.value) && s.value >= 0, `${s.name} = ${s.value}`);
    }
    const value = (name: string) => samples.find((s) => s.name === `mdb_sidecar_${name}`)?.value;
    const rss = process.memoryUsage.rss();
    assert.ok(value("process_resident_memory_bytes")! > rss / 2 && value("process_resident_memory_bytes")! < rss * 2);
    assert.ok(Math.abs(value("process_start_time_seconds")! - (Date.now() / 1000 - process.uptime())) < 2);
    assert.ok(value("process_cpu_seconds_total")! > 0);
    assert.ok(value("process_open_fds")! >= 3, "stdin, stdout, stderr at least");
    assert.equal(samples.find((s) => s.name === "mdb_sidecar_nodejs_version_info")?.labels.version, process.version);
    const text = renderExposition(PROCESS_METRICS, samples);
    assert.match(text, /^mdb_sidecar_nodejs_heap_size_used_bytes \d+$/m);
  });
});
