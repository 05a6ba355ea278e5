// Prometheus's text exposition format (version 0.0.4), pure: each metric's HELP and TYPE lines, then
// its samples, every sample's own labels followed by the labels common to all. The sidecar renders its
// metrics itself rather than through prom-client, whose registry, default collectors and their
// dependencies cost the member ≈ 3 MiB of resident memory for one page of text
// (docs/footprint.md#metrics).
import type { MetricDefinition, Sample } from "./engine-metrics.ts";

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const escapeHelp = (text: string) => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** A sample's value as Prometheus reads it (+Inf, -Inf and NaN spelled its way). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function labelText(own: Readonly<Record<string, string>>, common: Readonly<Record<string, string>>): string {
  const pairs = [...Object.entries(own), ...Object.entries(common).filter(([k]) => !(k in own))];
  return pairs.length === 0 ? "" : `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

/**
 * The text for `definitions` in their order, each followed by its samples in theirs; a metric with no
 * sample is declared (HELP, TYPE) with no value. A sample of a metric not defined is an error: it would
 * be served undeclared.
 */
export function renderExposition(definitions: readonly MetricDefinition[], samples: readonly Sample[], commonLabels: Readonly<Record<string, string>> = {}): string {
  const byName = new Map<string, Sample[]>(definitions.map((d) => [d.name, []]));
  for (const s of samples) {
    const list = byName.get(s.name);
    if (!list) throw new Error(`metric ${s.name} has a sample but no definition`);
    list.push(s);
  }
  let text = "";
  for (const d of definitions) {
    text += `# HELP ${d.name} ${escapeHelp(d.help)}\n# TYPE ${d.name} ${d.type}\n`;
    for (const s of byName.get(d.name)!) text += `${d.name}${labelText(s.labels, commonLabels)} ${formatValue(s.value)}\n`;
  }
  return text;
}
