import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { bucketField, escapeHelp, escapeLabelValue, formatNumber, renderMetrics, sumSamples, type Sample } from "../../worker/metrics/render";
import { CODE, labelValue, METRIC_NAMES, REGISTRY, type MetricDefinition } from "../../worker/metrics/registry";

const REG: Record<string, MetricDefinition> = {
  t_requests_total: { type: "counter", help: 'Requests, with a "quote", a back\\slash\nand a new line.', labels: { route: CODE, status: ["2xx", "5xx"] } },
  t_open: { type: "gauge", help: "Open things.", labels: {} },
  t_latency_seconds: { type: "histogram", help: "Latency.", labels: { provider: ["a", "b"] }, buckets: [0.1, 0.5, 1] },
};
const NAMES = Object.keys(REG);

describe("the Prometheus text renderer", () => {
  it("escapes label values (backslash, quote, new line) and HELP text (backslash, new line) as the format 0.0.4 says", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeHelp('a\\b"c\nd')).toBe('a\\\\b"c\\nd');
    const text = renderMetrics([{ metric: "t_requests_total", labels: ['we\\ird"\nvalue', "2xx"], field: "", value: 3 }], REG, NAMES);
    expect(text).toContain('# HELP t_requests_total Requests, with a "quote", a back\\\\slash\\nand a new line.\n');
    expect(text).toContain('t_requests_total{route="we\\\\ird\\"\\nvalue",status="2xx"} 3\n');
    const parsed = parsePrometheusTextFormat(text);
    const family = parsed.find((f) => f.name === "t_requests_total")!;
    expect(family.type).toBe("COUNTER");
    expect(family.metrics[0]!.labels).toEqual({ route: 'we\\ird"\nvalue', status: "2xx" });
  });

  it("writes a histogram's buckets cumulatively, each bound then +Inf, then _sum and _count", () => {
    const samples: Sample[] = [];
    for (const v of [0.05, 0.05, 0.3, 0.7, 4]) {
      samples.push({ metric: "t_latency_seconds", labels: ["a"], field: bucketField([0.1, 0.5, 1], v), value: 1 });
      samples.push({ metric: "t_latency_seconds", labels: ["a"], field: "sum", value: v });
      samples.push({ metric: "t_latency_seconds", labels: ["a"], field: "count", value: 1 });
    }
    const text = renderMetrics(sumSamples(samples), REG, NAMES);
    const lines = text.split("\n").filter((l) => l.startsWith("t_latency_seconds"));
    expect(lines).toEqual([
      't_latency_seconds_bucket{provider="a",le="0.1"} 2',
      't_latency_seconds_bucket{provider="a",le="0.5"} 3',
      't_latency_seconds_bucket{provider="a",le="1"} 4',
      't_latency_seconds_bucket{provider="a",le="+Inf"} 5',
      't_latency_seconds_sum{provider="a"} 5.1',
      't_latency_seconds_count{provider="a"} 5',
    ]);
    // A bound equal to a value holds it (le is "less than or equal").
    expect(bucketField([0.1, 0.5, 1], 0.5)).toBe("le:0.5");
    expect(bucketField([0.1, 0.5, 1], 1.01)).toBe("le:+Inf");
  });

  it("sums the shards' partial samples per series and field, and gives an unlabelled metric its zero series before anything happened", () => {
    const text = renderMetrics(
      sumSamples([
        { metric: "t_open", labels: [], field: "", value: 2 },
        { metric: "t_open", labels: [], field: "", value: -1 },
        { metric: "t_requests_total", labels: ["home", "5xx"], field: "", value: 1 },
        { metric: "t_requests_total", labels: ["home", "5xx"], field: "", value: 4 },
      ]),
      REG,
      NAMES,
    );
    expect(text).toContain("\nt_open 1\n");
    expect(text).toContain('t_requests_total{route="home",status="5xx"} 5\n');
    const empty = renderMetrics([], REG, NAMES);
    expect(empty).toContain("# TYPE t_open gauge\nt_open 0\n");
    expect(empty).toContain("# TYPE t_latency_seconds histogram\n");
    expect(empty).not.toContain("t_latency_seconds_bucket");
    expect(empty.endsWith("\n")).toBe(true);
  });

  it("formats numbers as Prometheus reads them", () => {
    expect(formatNumber(3)).toBe("3");
    expect(formatNumber(0.25)).toBe("0.25");
    expect(formatNumber(Infinity)).toBe("+Inf");
    expect(formatNumber(-Infinity)).toBe("-Inf");
    expect(formatNumber(NaN)).toBe("NaN");
  });

  it("the real registry renders and parses: every family named taskpilot_*, with HELP and TYPE, in registry order", () => {
    const parsed = parsePrometheusTextFormat(renderMetrics([]));
    expect(parsed.map((f) => f.name)).toEqual(METRIC_NAMES);
    for (const f of parsed) {
      expect(f.name).toMatch(/^taskpilot_[a-z_]+$/);
      expect(f.help.length).toBeGreaterThan(10);
      expect(f.type).toBe(REGISTRY[f.name as keyof typeof REGISTRY].type.toUpperCase());
    }
    for (const name of METRIC_NAMES) {
      const def: MetricDefinition = REGISTRY[name];
      if (def.type === "counter") expect(name).toMatch(/_total$/);
      if (def.type === "histogram") expect([...def.buckets!]).toEqual([...def.buckets!].sort((a, b) => a - b));
    }
  });
});

describe("label values come from closed sets", () => {
  it("a value outside its set, or not a code, is recorded as other (no ids, emails or free text)", () => {
    expect(labelValue(["gmail", "slack"], "gmail")).toBe("gmail");
    expect(labelValue(["gmail", "slack"], "someone@example.com")).toBe("other");
    expect(labelValue(CODE, "invalid_grant")).toBe("invalid_grant");
    expect(labelValue(CODE, "Invalid_Grant")).toBe("invalid_grant");
    expect(labelValue(CODE, "someone@example.com")).toBe("other");
    expect(labelValue(CODE, "a description with spaces")).toBe("other");
    expect(labelValue(CODE, "x".repeat(49))).toBe("other");
    expect(labelValue(CODE, undefined)).toBe("other");
  });
});
