import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { Sample } from "./render";

/**
 * One shard of the metrics store (binding `METRICS`, named `shard-0` …
 * `shard-3`, see record.ts): running totals in its own SQLite, one row per
 * metric, label values and field. `add` is a batch of increments from one
 * request or invocation, applied in one transaction; `read` returns every
 * row for the scrape, which sums the shards.
 */
export class MetricsStore extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS samples (metric TEXT NOT NULL, labels TEXT NOT NULL, field TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY (metric, labels, field)) WITHOUT ROWID",
    );
  }

  async add(samples: Sample[]): Promise<void> {
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      for (const s of samples) {
        if (typeof s.metric !== "string" || !Array.isArray(s.labels) || typeof s.field !== "string" || !Number.isFinite(s.value)) continue;
        sql.exec(
          "INSERT INTO samples (metric, labels, field, value) VALUES (?, ?, ?, ?) ON CONFLICT (metric, labels, field) DO UPDATE SET value = value + excluded.value",
          s.metric,
          JSON.stringify(s.labels),
          s.field,
          s.value,
        );
      }
    });
  }

  async read(): Promise<Sample[]> {
    return this.ctx.storage.sql
      .exec<{ metric: string; labels: string; field: string; value: number }>("SELECT metric, labels, field, value FROM samples")
      .toArray()
      .map((r) => ({ metric: r.metric, labels: JSON.parse(r.labels) as string[], field: r.field, value: r.value }));
  }
}
