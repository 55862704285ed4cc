import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * The sandbox providers' own state (development and tests only). Nothing
 * here references TaskPilot's tables: the sandbox plays an outside company
 * whose accounts, grants and data are unrelated to ours.
 */

/** A person signed in to the sandbox providers (one per email, shared by google, slack and github). */
export const sandboxAccounts = sqliteTable("sandbox_accounts", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  name: text("name").notNull(),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
});

/**
 * One authorization request from the consent page to the token it yields:
 * `pending` (consent shown) → `approved` (code issued, 60 s) → `used`, or `denied`.
 * The grant's tokens carry its id so a replayed code can revoke them.
 */
export const sandboxAuthorizations = sqliteTable(
  "sandbox_authorizations",
  {
    id: text("id").primaryKey(),
    providerGroup: text("provider_group").notNull(),
    clientId: text("client_id").notNull(),
    redirectUri: text("redirect_uri").notNull(),
    state: text("state"),
    codeChallenge: text("code_challenge").notNull(),
    scope: text("scope").notNull(),
    status: text("status").notNull(),
    accountId: text("account_id"),
    /** SHA-256 of the authorization code; the code itself is never stored. */
    codeHash: text("code_hash").unique(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
);

/** Access and refresh tokens (hashed), each bound to its grant, client and account. */
export const sandboxTokens = sqliteTable(
  "sandbox_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    kind: text("kind").notNull(),
    providerGroup: text("provider_group").notNull(),
    grantId: text("grant_id").notNull(),
    clientId: text("client_id").notNull(),
    accountId: text("account_id").notNull(),
    scope: text("scope").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("sandbox_tokens_grant_idx").on(t.grantId)],
);

/**
 * The fake APIs' data: messages, events, channels, repositories, git objects,
 * issues, pulls, pending simulated failures — one JSON document per row,
 * addressed by kind and key within an account. `parent` groups rows (a
 * repository's issues, a channel's messages).
 */
export const sandboxRecords = sqliteTable(
  "sandbox_records",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    accountId: text("account_id").notNull(),
    kind: text("kind").notNull(),
    key: text("key").notNull(),
    parent: text("parent"),
    data: text("data").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    uniqueIndex("sandbox_records_key_idx").on(t.accountId, t.kind, t.key),
    index("sandbox_records_parent_idx").on(t.accountId, t.kind, t.parent),
  ],
);
