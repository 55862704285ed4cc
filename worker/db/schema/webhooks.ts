import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * Every verified delivery from GitHub or Slack, stored before it is
 * acknowledged. The unique (provider, delivery id) is what makes a
 * provider's retry of the same delivery a no-op.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    provider: text("provider").notNull(),
    /** GitHub `X-GitHub-Delivery`, Slack `event_id` (or a hash of the body when it has none). */
    deliveryId: text("delivery_id").notNull(),
    /** `pull_request`, `github_app_authorization`, `tokens_revoked`, `app_uninstalled`, … */
    eventType: text("event_type").notNull(),
    action: text("action"),
    /** SHA-256 hex of the raw body. */
    payloadHash: text("payload_hash").notNull(),
    payload: text("payload").notNull(),
    /** `received` → `processed` | `failed`. */
    status: text("status").notNull().default("received"),
    attempts: integer("attempts").notNull().default(0),
    /** How many times the provider sent this delivery again after the first. */
    duplicates: integer("duplicates").notNull().default(0),
    replays: integer("replays").notNull().default(0),
    lastError: text("last_error"),
    /** What processing did, in a line ("Slack expired for 1 user", "recorded"). */
    outcome: text("outcome"),
    receivedAt: integer("received_at", { mode: "timestamp_ms" }).notNull(),
    processedAt: integer("processed_at", { mode: "timestamp_ms" }),
  },
  (t) => [uniqueIndex("webhook_deliveries_provider_delivery_idx").on(t.provider, t.deliveryId), index("webhook_deliveries_received_idx").on(t.receivedAt)],
);
