import { METRIC_NAMES, REGISTRY, type MetricDefinition, type MetricName } from "./registry";

/**
 * One stored number: a counter's or gauge's value (`field` ""), or one part of
 * a histogram series: `sum`, `count`, or `le:<bound>` — the observations that
 * fell in that bucket alone (not cumulative; `le:+Inf` holds those above the
 * last bound). `labels` are the label values in the registry's order.
 */
export interface Sample {
  metric: string;
  labels: string[];
  field: string;
  value: number;
}

/** Prometheus text exposition format 0.0.4. */
export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export const INF = "+Inf";

/** The bucket field a value falls into: the first bound it does not exceed, else `+Inf`. */
export function bucketField(buckets: readonly number[], value: number): string {
  const bound = buckets.find((b) => value <= b);
  return `le:${bound === undefined ? INF : formatNumber(bound)}`;
}

/** Go's float formatting as Prometheus reads it: integers without a point, `+Inf`, `-Inf`, `NaN`. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

/** Label values: backslash, double quote and line feed escaped (the format's only escapes). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text: backslash and line feed escaped. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function labelSet(pairs: Array<[string, string]>): string {
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

/** Adds samples that name the same series and field (the shards' partial sums). */
export function sumSamples(samples: Iterable<Sample>): Sample[] {
  const out = new Map<string, Sample>();
  for (const s of samples) {
    const key = JSON.stringify([s.metric, s.labels, s.field]);
    const seen = out.get(key);
    if (seen) seen.value += s.value;
    else out.set(key, { ...s, labels: [...s.labels] });
  }
  return [...out.values()];
}

interface Series {
  labels: string[];
  fields: Map<string, number>;
}

function seriesOf(samples: Sample[], def: MetricDefinition): Series[] {
  const arity = Object.keys(def.labels).length;
  const byLabels = new Map<string, Series>();
  for (const s of samples) {
    if (s.labels.length !== arity) continue; // stored under an older definition of the metric
    const key = JSON.stringify(s.labels);
    let series = byLabels.get(key);
    if (!series) byLabels.set(key, (series = { labels: s.labels, fields: new Map() }));
    series.fields.set(s.field, (series.fields.get(s.field) ?? 0) + s.value);
  }
  // A metric without labels always has its one series, at zero before anything happened.
  if (arity === 0 && byLabels.size === 0) byLabels.set("[]", { labels: [], fields: new Map() });
  return [...byLabels.values()].sort((a, b) => (a.labels.join("\u0000") < b.labels.join("\u0000") ? -1 : 1));
}

/**
 * The whole exposition: for every registered metric, in registry order, its
 * HELP and TYPE lines and its series; a histogram's buckets cumulative, each
 * registered bound then `+Inf`, then `_sum` and `_count`.
 */
export function renderMetrics(samples: Sample[], registry: Record<string, MetricDefinition> = REGISTRY, names: string[] = METRIC_NAMES): string {
  const byMetric = new Map<string, Sample[]>();
  for (const s of samples) {
    const list = byMetric.get(s.metric);
    if (list) list.push(s);
    else byMetric.set(s.metric, [s]);
  }
  const lines: string[] = [];
  for (const name of names) {
    const def = registry[name as MetricName]!;
    const labelNames = Object.keys(def.labels);
    lines.push(`# HELP ${name} ${escapeHelp(def.help)}`, `# TYPE ${name} ${def.type}`);
    for (const series of seriesOf(byMetric.get(name) ?? [], def)) {
      const pairs = labelNames.map((k, i): [string, string] => [k, series.labels[i]!]);
      if (def.type !== "histogram") {
        lines.push(`${name}${labelSet(pairs)} ${formatNumber(series.fields.get("") ?? 0)}`);
        continue;
      }
      let cumulative = 0;
      for (const bound of def.buckets ?? []) {
        cumulative += series.fields.get(`le:${formatNumber(bound)}`) ?? 0;
        lines.push(`${name}_bucket${labelSet([...pairs, ["le", formatNumber(bound)]])} ${formatNumber(cumulative)}`);
      }
      // +Inf is every observation, which is also _count (a bucket removed from the registry still counts here).
      const count = series.fields.get("count") ?? 0;
      lines.push(`${name}_bucket${labelSet([...pairs, ["le", INF]])} ${formatNumber(count)}`);
      lines.push(`${name}_sum${labelSet(pairs)} ${formatNumber(series.fields.get("sum") ?? 0)}`);
      lines.push(`${name}_count${labelSet(pairs)} ${formatNumber(count)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
