import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./accounts";

/**
 * Templates people wrote or imported. The built-in library is code
 * (worker/templates/library.ts), not rows: it ships with the worker and
 * needs no seeding.
 */
export const templates = sqliteTable(
  "templates",
  {
    id: text("id").primaryKey(),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    description: text("description").notNull().default(""),
    body: text("body").notNull(),
    /** JSON array of variables (worker/contract/templates.ts). */
    variables: text("variables").notNull().default("[]"),
    requiredIntegrations: text("required_integrations").notNull().default("[]"),
    optionalIntegrations: text("optional_integrations").notNull().default("[]"),
    steps: text("steps").notNull().default("[]"),
    visibility: text("visibility").notNull().default("private"),
    /** Goes up with every change: the composed-prompt cache is keyed by it. */
    version: integer("version").notNull().default(1),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("templates_owner_updated_idx").on(t.ownerId, t.updatedAt), index("templates_visibility_updated_idx").on(t.visibility, t.updatedAt)],
);
