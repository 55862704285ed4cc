import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Messages that ran out of retries, as their dead-letter queue delivered
 * them (worker/ops/queues.ts records each one before the feature's own
 * dead-letter handling). One row per dead-letter message id, so a
 * redelivery of the same message updates it instead of adding another;
 * `npm run admin -- dlq <queue>` lists them and requeues their body onto the
 * original queue.
 */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    /** The message id the dead-letter queue delivered it with. */
    id: text("id").primaryKey(),
    /** The original queue (`taskpilot-kb-index`), not its `-dlq`. */
    queue: text("queue").notNull(),
    /** The message body as JSON. */
    body: text("body").notNull(),
    /** Deliveries from the dead-letter queue so far (the highest `attempts` seen). */
    attempts: integer("attempts").notNull().default(1),
    firstSeenAt: integer("first_seen_at", { mode: "timestamp_ms" }).notNull(),
    lastSeenAt: integer("last_seen_at", { mode: "timestamp_ms" }).notNull(),
    /** Why it failed, when the dispatcher knows; the feature's own record (the document, the delivery, the spec) has the details. */
    reason: text("reason"),
    /** When an operator sent it back to its queue; a second requeue of the same row does nothing. */
    requeuedAt: integer("requeued_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("dead_letters_queue_idx").on(t.queue, t.firstSeenAt)],
);
