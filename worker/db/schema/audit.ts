import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The security audit log, append-only: a trigger refuses every UPDATE
 * (drizzle/0011_audit.sql); rows leave only by retention or, for the
 * account's own rows, when the account is deleted (a tombstone stays). No
 * foreign key to users, so that tombstone outlives the account.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id"),
    subjectUserId: text("subject_user_id"),
    action: text("action").notNull(),
    result: text("result").notNull(),
    code: text("code"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    requestId: text("request_id"),
    detail: text("detail").notNull().default("{}"),
  },
  (t) => [index("audit_log_subject_idx").on(t.subjectUserId, t.id), index("audit_log_action_idx").on(t.action, t.id), index("audit_log_at_idx").on(t.at)],
);
