import { and, asc, eq, gte, sql } from "drizzle-orm";
import type { Database } from "./client";
import type { IntegrationEventRow } from "./integrations";
import { integrationEvents, refreshFamilies, users } from "./schema";

/** What account export and deletion read and remove beyond the feature tables' own queries. */

export type RefreshFamilyRow = typeof refreshFamilies.$inferSelect;

/** Every login of the user, oldest first. */
export async function listUserLogins(db: Database, userId: string): Promise<RefreshFamilyRow[]> {
  return db.select().from(refreshFamilies).where(eq(refreshFamilies.userId, userId)).orderBy(asc(refreshFamilies.createdAt)).all();
}

/** Every integration event of the user across providers, oldest first (rowid breaks ties within a millisecond). */
export async function listUserIntegrationEvents(db: Database, userId: string): Promise<IntegrationEventRow[]> {
  return db
    .select()
    .from(integrationEvents)
    .where(eq(integrationEvents.userId, userId))
    .orderBy(asc(integrationEvents.createdAt), asc(sql`rowid`))
    .all();
}

/** The disconnects written since `since`: how account deletion learns which provider revocations failed. */
export async function listDisconnectsSince(db: Database, userId: string, since: Date): Promise<IntegrationEventRow[]> {
  return db
    .select()
    .from(integrationEvents)
    .where(and(eq(integrationEvents.userId, userId), eq(integrationEvents.type, "disconnected"), gte(integrationEvents.createdAt, since)))
    .all();
}

/**
 * Deletes the user; every table that holds user data references `users`
 * with ON DELETE CASCADE, and D1 enforces foreign keys, so one statement
 * removes it all (test/worker/account-delete.test.ts checks every table
 * that references users, so a new table without the cascade fails there).
 * Returns whether a row was deleted.
 */
export async function deleteUser(db: Database, userId: string): Promise<boolean> {
  const rows = await db.delete(users).where(eq(users.id, userId)).returning({ id: users.id });
  return rows.length === 1;
}
