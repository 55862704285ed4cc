import type { Env } from "../env";
import { log } from "../http/log";
import { bucketField, type Sample } from "./render";
import { definition, labelValue, type LabelsOf, type MetricName, type MetricOfType } from "./registry";

/**
 * The recording API features call: `metrics(env).inc(name, labels)`,
 * `.add(gauge, labels, delta)`, `.observe(histogram, labels, value)`. It only
 * adds to a batch in memory (no I/O), kept per environment object — one per
 * request, queue batch, cron pass or Durable Object — and sent once, at the
 * end of that work, by `flushMetrics(env)` to one of the metrics Durable
 * Object's shards (store.ts). A failing flush is logged and dropped: metrics
 * never fail the work they count.
 */

/** Shards of the metrics Durable Object: a flush goes to one chosen at random, a scrape sums them all. */
export const METRIC_SHARDS = 4;

export const shardName = (i: number) => `shard-${i}`;

type Batch = Map<string, Sample>;

const pending = new WeakMap<object, Batch>();

function add(env: Env, name: MetricName, labels: Record<string, unknown>, field: string, value: number): void {
  if (!Number.isFinite(value)) return;
  const def = definition(name);
  const values = Object.entries(def.labels).map(([label, domain]) => labelValue(domain, labels[label]));
  const key = `${name}\u0000${values.join("\u0000")}\u0000${field}`;
  let batch = pending.get(env);
  if (!batch) pending.set(env, (batch = new Map()));
  const seen = batch.get(key);
  if (seen) seen.value += value;
  else batch.set(key, { metric: name, labels: values, field, value });
}

export interface Recorder {
  /** A counter goes up by `by` (default 1; a negative or non-finite amount is ignored). */
  inc<N extends MetricOfType<"counter">>(name: N, labels: LabelsOf<N>, by?: number): Recorder;
  /** A gauge moves by `delta` (up or down). */
  add<N extends MetricOfType<"gauge">>(name: N, labels: LabelsOf<N>, delta: number): Recorder;
  /** One observation of a histogram (seconds for the `_seconds` ones). */
  observe<N extends MetricOfType<"histogram">>(name: N, labels: LabelsOf<N>, value: number): Recorder;
}

export function metrics(env: Env): Recorder {
  const recorder: Recorder = {
    inc(name, labels, by = 1) {
      if (by > 0) add(env, name, labels, "", by);
      return recorder;
    },
    add(name, labels, delta) {
      add(env, name, labels, "", delta);
      return recorder;
    },
    observe(name, labels, value) {
      if (!Number.isFinite(value)) return recorder;
      add(env, name, labels, bucketField(definition(name).buckets ?? [], value), 1);
      add(env, name, labels, "sum", value);
      add(env, name, labels, "count", 1);
      return recorder;
    },
  };
  return recorder;
}

/** What is waiting to be flushed for this environment (tests, and nothing else, look). */
export function pendingSamples(env: Env): Sample[] {
  return [...(pending.get(env)?.values() ?? [])];
}

/**
 * Sends what was recorded for `env` to one shard and forgets it. Never
 * throws: a metrics store that is down costs those numbers, not the
 * request. Called through `ctx.waitUntil` at the end of a request, awaited
 * at the end of a queue batch or cron pass, and by the Durable Objects that
 * record (the hub, the integration flight, the agent session).
 */
export async function flushMetrics(env: Env, random: () => number = Math.random): Promise<void> {
  const batch = pending.get(env);
  if (!batch || batch.size === 0) return;
  pending.delete(env);
  const samples = [...batch.values()];
  try {
    if (!env.METRICS) throw new Error("the METRICS binding is missing");
    const shard = Math.min(METRIC_SHARDS - 1, Math.floor(random() * METRIC_SHARDS));
    await metricsShard(env.METRICS, shard).add(samples);
  } catch (e) {
    log("warn", "metrics_flush_failed", { samples: samples.length, error: e instanceof Error ? e.message : String(e) });
  }
}

/** The RPC surface of a shard (store.ts), typed here so callers need not import the class. */
export interface MetricsShardStub {
  add(samples: Sample[]): Promise<void>;
  read(): Promise<Sample[]>;
}

export function metricsShard(ns: DurableObjectNamespace, shard: number): MetricsShardStub {
  return ns.get(ns.idFromName(shardName(shard))) as unknown as MetricsShardStub;
}

/** Every shard's samples, summed by the scrape (render.ts `sumSamples`). */
export async function readAllShards(env: Env): Promise<Sample[]> {
  if (!env.METRICS) throw new Error("the METRICS binding is missing");
  const ns = env.METRICS;
  const parts = await Promise.all(Array.from({ length: METRIC_SHARDS }, (_, i) => metricsShard(ns, i).read()));
  return parts.flat();
}
