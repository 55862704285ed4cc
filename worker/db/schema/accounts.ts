import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  /** Lower-cased, trimmed. */
  email: text("email").notNull().unique(),
  name: text("name"),
  /** base64 PBKDF2-SHA256 output; salt and iteration count are kept so they can change per user. */
  passwordHash: text("password_hash").notNull(),
  passwordSalt: text("password_salt").notNull(),
  passwordIterations: integer("password_iterations").notNull(),
  /** `user`, or `admin` (operations: webhook deliveries and replay), granted by `npm run admin:grant`. */
  role: text("role").notNull().default("user"),
  /**
   * Raised by "This wasn't me". Access tokens carry the value they were issued under (`sv`); one issued under a
   * lower value is refused, so ending every login ends the access tokens already out too.
   */
  sessionVersion: integer("session_version").notNull().default(0),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

/** One login: every refresh token rotated from it shares the family and its absolute expiry. */
export const refreshFamilies = sqliteTable(
  "refresh_families",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
    revokedReason: text("revoked_reason"),
  },
  (t) => [index("refresh_families_user_idx").on(t.userId)],
);

export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    familyId: text("family_id")
      .notNull()
      .references(() => refreshFamilies.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** SHA-256 of the token, hex; the token itself is never stored. */
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    index("refresh_tokens_family_idx").on(t.familyId),
    // Cascading deletes of a user, and the retention purge of spent tokens.
    index("refresh_tokens_user_idx").on(t.userId),
    index("refresh_tokens_used_idx").on(t.usedAt),
  ],
);

/** Fixed-window counters for rate limits (login and register per IP and per email). */
export const rateLimits = sqliteTable("rate_limits", {
  key: text("key").primaryKey(),
  windowStart: integer("window_start").notNull(),
  count: integer("count").notNull(),
});
