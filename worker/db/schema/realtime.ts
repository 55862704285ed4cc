import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./accounts";

/** Single-use WebSocket tickets (60 s); only the SHA-256 of the ticket is stored. */
export const realtimeTickets = sqliteTable(
  "realtime_tickets",
  {
    ticketHash: text("ticket_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("realtime_tickets_user_idx").on(t.userId)],
);

/** Every published event, numbered per user (the UserHub assigns `seq`), for history and REST replay. */
export const events = sqliteTable(
  "events",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    kind: text("kind").notNull(),
    /** The whole server frame as JSON. */
    frame: text("frame").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.seq] }),
    index("events_user_created_idx").on(t.userId, t.createdAt),
    // Retention purges by age across users.
    index("events_created_idx").on(t.createdAt),
  ],
);
