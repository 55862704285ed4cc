import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "./client";
import { integrationEvents, integrations, oauthStates } from "./schema";

export type IntegrationRow = typeof integrations.$inferSelect;
export type IntegrationEventRow = typeof integrationEvents.$inferSelect;
export type OAuthStateRow = typeof oauthStates.$inferSelect;

export async function findIntegration(db: Database, userId: string, provider: string): Promise<IntegrationRow | undefined> {
  return db
    .select()
    .from(integrations)
    .where(and(eq(integrations.userId, userId), eq(integrations.provider, provider)))
    .get();
}

export async function listIntegrationRows(db: Database, userId: string): Promise<IntegrationRow[]> {
  return db.select().from(integrations).where(eq(integrations.userId, userId)).all();
}

/**
 * The row's id is fixed once and for all before any token is sealed, because
 * the id is the ciphertext's associated data: two racing callbacks must not
 * each pick an id and leave tokens sealed for the id that lost.
 */
export async function ensureIntegrationRow(db: Database, userId: string, provider: string, now = Date.now()): Promise<string> {
  await db
    .insert(integrations)
    .values({
      id: crypto.randomUUID(),
      userId,
      provider,
      status: "disconnected",
      createdAt: new Date(now),
      updatedAt: new Date(now),
    })
    .onConflictDoNothing({ target: [integrations.userId, integrations.provider] });
  const row = await findIntegration(db, userId, provider);
  if (!row) throw new Error("integration row vanished right after it was ensured");
  return row.id;
}

export type IntegrationPatch = Partial<Omit<IntegrationRow, "id" | "userId" | "provider" | "createdAt">>;

export async function updateIntegration(db: Database, id: string, patch: IntegrationPatch, now = Date.now()): Promise<IntegrationRow | undefined> {
  const rows = await db
    .update(integrations)
    .set({ ...patch, updatedAt: new Date(now) })
    .where(eq(integrations.id, id))
    .returning();
  return rows[0];
}

/** The envelopes a writer read the row with: a compare-and-swap write goes through only while they are still there. */
export type SealedSnapshot = Pick<IntegrationRow, "id" | "accessTokenEnc" | "refreshTokenEnc">;

function stillSealedAs(expected: SealedSnapshot) {
  const same = (column: typeof integrations.accessTokenEnc | typeof integrations.refreshTokenEnc, value: string | null) =>
    value === null ? isNull(column) : eq(column, value);
  return and(eq(integrations.id, expected.id), same(integrations.accessTokenEnc, expected.accessTokenEnc), same(integrations.refreshTokenEnc, expected.refreshTokenEnc));
}

/**
 * Compare-and-swap on the row's envelopes: writes `patch` only if the row
 * still holds the envelopes `expected` was read with, so a writer that read
 * before a disconnect, a reconnect or a key rotation cannot write over it.
 * Returns the row as written, or undefined when another writer got there first.
 */
export async function updateIntegrationIfUnchanged(db: Database, expected: SealedSnapshot, patch: IntegrationPatch, now = Date.now()): Promise<IntegrationRow | undefined> {
  const rows = await db
    .update(integrations)
    .set({ ...patch, updatedAt: new Date(now) })
    .where(stillSealedAs(expected))
    .returning();
  return rows[0];
}

export async function insertOAuthState(db: Database, row: OAuthStateRow): Promise<void> {
  await db.insert(oauthStates).values(row);
}

/** Deletes and returns the state in one statement, so of two concurrent callbacks with the same state only one gets it. */
export async function consumeOAuthState(db: Database, stateHash: string): Promise<OAuthStateRow | undefined> {
  const rows = await db.delete(oauthStates).where(eq(oauthStates.stateHash, stateHash)).returning();
  return rows[0];
}

/** Whether the user has another live round trip started in the browser with this nonce hash (looked up through the user index). */
export async function hasPendingOAuthState(db: Database, userId: string, browserHash: string, now = Date.now()): Promise<boolean> {
  const row = await db
    .select({ stateHash: oauthStates.stateHash })
    .from(oauthStates)
    .where(and(eq(oauthStates.userId, userId), eq(oauthStates.browserHash, browserHash), gt(oauthStates.expiresAt, new Date(now))))
    .limit(1)
    .get();
  return row !== undefined;
}

export interface NewIntegrationEvent {
  userId: string;
  provider: string;
  type: string;
  status: string;
  detail: Record<string, unknown>;
}

export async function insertIntegrationEvent(db: Database, event: NewIntegrationEvent, now = Date.now()): Promise<IntegrationEventRow> {
  const rows = await db
    .insert(integrationEvents)
    .values({ id: crypto.randomUUID(), ...event, detail: JSON.stringify(event.detail), createdAt: new Date(now) })
    .returning();
  return rows[0]!;
}

/** Newest first; rows written in the same millisecond keep their insertion order (rowid). */
export async function listIntegrationEvents(db: Database, userId: string, provider: string, limit = 100): Promise<IntegrationEventRow[]> {
  return db
    .select()
    .from(integrationEvents)
    .where(and(eq(integrationEvents.userId, userId), eq(integrationEvents.provider, provider)))
    .orderBy(desc(integrationEvents.createdAt), desc(sql`rowid`))
    .limit(limit)
    .all();
}

/**
 * Active integrations with a refresh token whose access token expires before
 * `before` (the cron pre-refresh), at most `limit`. Rows whose last refresh
 * failed go to the back, least recently failed first, and the rest come
 * soonest expiry first: a block of rows that keep failing (a provider down,
 * a revoked client) rotates through the batch instead of filling it on
 * every pass while a healthy row runs out of time behind them.
 */
export async function listIntegrationsExpiringBefore(db: Database, before: number, limit = 200): Promise<IntegrationRow[]> {
  return db
    .select()
    .from(integrations)
    .where(
      and(
        eq(integrations.status, "active"),
        isNotNull(integrations.refreshTokenEnc),
        isNotNull(integrations.expiresAt),
        lt(integrations.expiresAt, new Date(before)),
      ),
    )
    .orderBy(sql`coalesce(${integrations.lastErrorAt}, 0)`, asc(integrations.expiresAt))
    .limit(limit)
    .all();
}

/**
 * Rows that hold any sealed token, in id order from `afterId` (key rotation
 * walks them in pages). The statement is also rendered to SQL for
 * `npm run keys:rotate`, which runs it through `wrangler d1 execute`.
 */
export function sealedIntegrationsPage(db: Database, afterId: string, limit: number) {
  return db
    .select({ id: integrations.id, accessTokenEnc: integrations.accessTokenEnc, refreshTokenEnc: integrations.refreshTokenEnc })
    .from(integrations)
    .where(and(sql`${integrations.id} > ${afterId}`, or(isNotNull(integrations.accessTokenEnc), isNotNull(integrations.refreshTokenEnc))))
    .orderBy(integrations.id)
    .limit(limit);
}

export async function listSealedIntegrations(db: Database, afterId: string, limit: number): Promise<SealedSnapshot[]> {
  return sealedIntegrationsPage(db, afterId, limit).all();
}

/** Replaces the envelopes only if they are still the ones that were read (returns the id when it did), so a refresh racing the rotation is not overwritten. */
export function replaceTokenEnvelopesStatement(db: Database, row: SealedSnapshot, next: { accessTokenEnc: string | null; refreshTokenEnc: string | null }) {
  return db.update(integrations).set(next).where(stillSealedAs(row)).returning({ id: integrations.id });
}

export async function replaceTokenEnvelopes(db: Database, row: SealedSnapshot, next: { accessTokenEnc: string | null; refreshTokenEnc: string | null }): Promise<boolean> {
  return (await replaceTokenEnvelopesStatement(db, row, next)).length === 1;
}

/**
 * The integrations of one provider connected to these provider accounts
 * (`accountId` exactly), or to any account under `accountPrefix` (a Slack
 * team: `T123:`). For revocations the provider announces by webhook.
 */
export async function listIntegrationsByAccount(
  db: Database,
  provider: string,
  match: { accountIds?: string[]; accountPrefix?: string },
): Promise<IntegrationRow[]> {
  const ids = match.accountIds ?? [];
  const byId = ids.length > 0 ? inArray(integrations.accountId, ids) : undefined;
  const byPrefix = match.accountPrefix ? sql`substr(${integrations.accountId}, 1, ${match.accountPrefix.length}) = ${match.accountPrefix}` : undefined;
  const which = byId && byPrefix ? or(byId, byPrefix) : (byId ?? byPrefix);
  if (!which) return [];
  return db.select().from(integrations).where(and(eq(integrations.provider, provider), which)).limit(1000).all();
}
