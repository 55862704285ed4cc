import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./accounts";

/**
 * The D1 mirror of agent sessions, for listing and account export. The
 * AgentSession Durable Object of each session is the single writer and the
 * truth; these rows follow it after every change.
 */
export const agentSessions = sqliteTable(
  "agent_sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    status: text("status").notNull(),
    templateId: text("template_id"),
    lastCheckpointId: text("last_checkpoint_id"),
    promptTokens: integer("prompt_tokens").notNull().default(0),
    completionTokens: integer("completion_tokens").notNull().default(0),
    // Millionths of a dollar: sums of integers stay exact where floats would drift.
    costMicroUsd: integer("cost_micro_usd").notNull().default(0),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    // The sidebar lists a user's sessions newest first, grouped by day or template.
    index("agent_sessions_user_updated_idx").on(t.userId, t.updatedAt),
    index("agent_sessions_user_created_idx").on(t.userId, t.createdAt),
  ],
);

export const agentMessages = sqliteTable(
  "agent_messages",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => agentSessions.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Position in the conversation; a restore removes the rows past the checkpoint. */
    seq: integer("seq").notNull(),
    role: text("role").notNull(),
    content: text("content").notNull(),
    /** JSON array of steps (tool outputs themselves stay in the Durable Object). */
    steps: text("steps").notNull().default("[]"),
    /** JSON usage or null. */
    usage: text("usage"),
    metadata: text("metadata").notNull().default("{}"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("agent_messages_session_seq_idx").on(t.sessionId, t.seq), index("agent_messages_user_created_idx").on(t.userId, t.createdAt)],
);
