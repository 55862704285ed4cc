import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./accounts";

/** One row per user and provider once a connection was ever attempted to completion. */
export const integrations = sqliteTable(
  "integrations",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    status: text("status").notNull(),
    accountId: text("account_id"),
    accountLabel: text("account_label"),
    /** JSON array of granted scopes. */
    scopes: text("scopes").notNull().default("[]"),
    /** AES-256-GCM envelopes (`v2.{kid}.{iv}.{ciphertext}`, see worker/integrations/crypto.ts), bound to this row's id and column; null once disconnected. */
    accessTokenEnc: text("access_token_enc"),
    refreshTokenEnc: text("refresh_token_enc"),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }),
    connectedAt: integer("connected_at", { mode: "timestamp_ms" }),
    lastErrorCode: text("last_error_code"),
    lastErrorMessage: text("last_error_message"),
    lastErrorAt: integer("last_error_at", { mode: "timestamp_ms" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    uniqueIndex("integrations_user_provider_idx").on(t.userId, t.provider),
    // The cron pass scans active rows by expiry, soonest first.
    index("integrations_status_expires_idx").on(t.status, t.expiresAt),
  ],
);

/** The audit trail and debug history of every integration transition. */
export const integrationEvents = sqliteTable(
  "integration_events",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    type: text("type").notNull(),
    status: text("status").notNull(),
    /** JSON object: provider error code and description, scopes, never a token. */
    detail: text("detail").notNull().default("{}"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    index("integration_events_user_provider_idx").on(t.userId, t.provider, t.createdAt),
    // Retention purges by age across users.
    index("integration_events_created_idx").on(t.createdAt),
  ],
);

/**
 * OAuth `state` (hashed), single use, 10 minutes, bound to user and provider, with the PKCE verifier,
 * and to the browser that started the flow (SHA-256 of a nonce kept in an HttpOnly cookie).
 */
export const oauthStates = sqliteTable(
  "oauth_states",
  {
    stateHash: text("state_hash").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    codeVerifier: text("code_verifier").notNull(),
    returnTo: text("return_to").notNull(),
    /** SHA-256 hex of the browser-binding nonce; null only for rows written before the binding existed (never accepted). */
    browserHash: text("browser_hash"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("oauth_states_user_idx").on(t.userId)],
);
