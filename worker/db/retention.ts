import { sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "./client";
import { deadLetters, events, integrationEvents, oauthStates, rateLimits, realtimeTickets, refreshFamilies, refreshTokens, webhookDeliveries } from "./schema";

/**
 * The retention purges (policy and schedule: worker/ops/README.md). Each
 * call deletes at most `limit` rows, chosen by rowid in a subquery, so one
 * statement stays small however much has piled up (D1 bounds a query's
 * duration); the caller repeats while a batch comes back full. Each returns
 * the number of rows it deleted itself (rows removed by ON DELETE CASCADE
 * are not counted).
 */

async function changes(db: Database, statement: SQL): Promise<number> {
  const result = await db.run(statement);
  return result.meta.changes ?? 0;
}

/** Deletes at most `limit` rows of `table` that match `where`. */
function deleteBatch(db: Database, table: SQLiteTable, where: SQL, limit: number): Promise<number> {
  return changes(db, sql`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE ${where} LIMIT ${limit})`);
}

/**
 * History rows older than `before`, except each user's newest `keepNewest`
 * ids: those back the hub's replay promise, and the newest one is where a
 * hub whose storage was lost continues numbering from.
 */
export function purgeOldEvents(db: Database, before: Date, keepNewest: number, limit: number): Promise<number> {
  return changes(
    db,
    sql`DELETE FROM ${events} WHERE rowid IN (
      SELECT e.rowid FROM ${events} AS e
      WHERE e.created_at < ${before.getTime()}
        AND e.seq <= (SELECT max(m.seq) FROM ${events} AS m WHERE m.user_id = e.user_id) - ${keepNewest}
      LIMIT ${limit})`,
  );
}

export function purgeOldIntegrationEvents(db: Database, before: Date, limit: number): Promise<number> {
  return deleteBatch(db, integrationEvents, sql`${integrationEvents.createdAt} < ${before.getTime()}`, limit);
}

/** Webhook deliveries received before `before`, whatever became of them. */
export function purgeOldWebhookDeliveries(db: Database, before: Date, limit: number): Promise<number> {
  return deleteBatch(db, webhookDeliveries, sql`${webhookDeliveries.receivedAt} < ${before.getTime()}`, limit);
}

/** Dead letters last seen before `before`, requeued or not. */
export function purgeOldDeadLetters(db: Database, before: Date, limit: number): Promise<number> {
  return deleteBatch(db, deadLetters, sql`${deadLetters.lastSeenAt} < ${before.getTime()}`, limit);
}

/** Refresh tokens spent before `before` (the caller makes sure their logins have ended, see worker/ops/retention.ts). */
export function purgeSpentRefreshTokens(db: Database, before: Date, limit: number): Promise<number> {
  return deleteBatch(db, refreshTokens, sql`${refreshTokens.usedAt} < ${before.getTime()}`, limit);
}

/** Logins revoked or expired before `before`; their remaining refresh tokens go with them (ON DELETE CASCADE). */
export function purgeEndedLogins(db: Database, before: Date, limit: number): Promise<number> {
  const t = before.getTime();
  return deleteBatch(db, refreshFamilies, sql`${refreshFamilies.revokedAt} < ${t} OR ${refreshFamilies.expiresAt} < ${t}`, limit);
}

/** WebSocket tickets that can no longer be used: expired before `now`, or already used. */
export function purgeSpentTickets(db: Database, now: Date, limit: number): Promise<number> {
  return deleteBatch(db, realtimeTickets, sql`${realtimeTickets.expiresAt} < ${now.getTime()} OR ${realtimeTickets.usedAt} IS NOT NULL`, limit);
}

export function purgeExpiredOAuthStateRows(db: Database, now: Date, limit: number): Promise<number> {
  return deleteBatch(db, oauthStates, sql`${oauthStates.expiresAt} < ${now.getTime()}`, limit);
}

/** Rate-limit windows that started before `before` (longer ago than any window lasts). */
export function purgeRateLimitWindows(db: Database, before: Date, limit: number): Promise<number> {
  return deleteBatch(db, rateLimits, sql`${rateLimits.windowStart} < ${before.getTime()}`, limit);
}
