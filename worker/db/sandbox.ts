import { and, asc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "./client";
import { sandboxAccounts, sandboxAuthorizations, sandboxRecords, sandboxTokens } from "./schema";

/** Data access of the sandbox providers (worker/sandbox); nothing else reads these tables. */

export type SandboxAccount = typeof sandboxAccounts.$inferSelect;
export type SandboxAuthorization = typeof sandboxAuthorizations.$inferSelect;
export type SandboxToken = typeof sandboxTokens.$inferSelect;

/** Returns the account for this email, and whether this call created it (so the caller seeds it once). */
export async function upsertSandboxAccount(db: Database, email: string, name: string, now: Date) {
  const id = `sbx_${crypto.randomUUID().replace(/-/g, "").slice(0, 20)}`;
  const created = await db
    .insert(sandboxAccounts)
    .values({ id, email, name, createdAt: now })
    .onConflictDoNothing()
    .returning();
  if (created[0]) return { account: created[0], created: true };
  const existing = await db.select().from(sandboxAccounts).where(eq(sandboxAccounts.email, email)).get();
  if (!existing) throw new Error("sandbox account vanished between insert and select");
  return { account: existing, created: false };
}

export function getSandboxAccount(db: Database, id: string) {
  return db.select().from(sandboxAccounts).where(eq(sandboxAccounts.id, id)).get();
}

export async function insertAuthorization(db: Database, row: SandboxAuthorization) {
  await db.insert(sandboxAuthorizations).values(row);
}

/** A consent request still waiting for its decision. */
export function getPendingAuthorization(db: Database, id: string, group: string, now: Date) {
  return db
    .select()
    .from(sandboxAuthorizations)
    .where(
      and(
        eq(sandboxAuthorizations.id, id),
        eq(sandboxAuthorizations.providerGroup, group),
        eq(sandboxAuthorizations.status, "pending"),
        gt(sandboxAuthorizations.expiresAt, now),
      ),
    )
    .get();
}

/** pending → approved (with the code) or denied; false when another decision came first. */
export async function decideAuthorization(
  db: Database,
  id: string,
  decision: { status: "approved"; accountId: string; codeHash: string; expiresAt: Date } | { status: "denied" },
) {
  const rows = await db
    .update(sandboxAuthorizations)
    .set(decision)
    .where(and(eq(sandboxAuthorizations.id, id), eq(sandboxAuthorizations.status, "pending")))
    .returning({ id: sandboxAuthorizations.id });
  return rows.length === 1;
}

/**
 * Spends a code in one statement, so two concurrent exchanges cannot both
 * win. Returns the authorization when this call spent it; otherwise the row
 * (if any) so the caller can tell a replay from an unknown code.
 */
export async function spendCode(db: Database, codeHash: string, group: string) {
  const spent = await db
    .update(sandboxAuthorizations)
    .set({ status: "used" })
    .where(
      and(
        eq(sandboxAuthorizations.codeHash, codeHash),
        eq(sandboxAuthorizations.providerGroup, group),
        eq(sandboxAuthorizations.status, "approved"),
      ),
    )
    .returning();
  if (spent[0]) return { spent: spent[0] };
  const seen = await db
    .select()
    .from(sandboxAuthorizations)
    .where(and(eq(sandboxAuthorizations.codeHash, codeHash), eq(sandboxAuthorizations.providerGroup, group)))
    .get();
  return { spent: undefined, seen };
}

export async function insertTokens(db: Database, rows: SandboxToken[]) {
  await db.insert(sandboxTokens).values(rows);
}

export function getToken(db: Database, tokenHash: string) {
  return db.select().from(sandboxTokens).where(eq(sandboxTokens.tokenHash, tokenHash)).get();
}

/** Marks one live refresh token used; false when it was already rotated or revoked (a replay). */
export async function retireRefreshToken(db: Database, tokenHash: string, now: Date) {
  const rows = await db
    .update(sandboxTokens)
    .set({ revokedAt: now })
    .where(and(eq(sandboxTokens.tokenHash, tokenHash), eq(sandboxTokens.kind, "refresh"), isNull(sandboxTokens.revokedAt)))
    .returning({ tokenHash: sandboxTokens.tokenHash });
  return rows.length === 1;
}

export async function revokeGrant(db: Database, grantId: string, now: Date) {
  await db
    .update(sandboxTokens)
    .set({ revokedAt: now })
    .where(and(eq(sandboxTokens.grantId, grantId), isNull(sandboxTokens.revokedAt)));
}

export interface SandboxRecord<T> {
  id: number;
  key: string;
  parent: string | null;
  data: T;
  createdAt: Date;
}

function toRecord<T>(row: typeof sandboxRecords.$inferSelect): SandboxRecord<T> {
  return { id: row.id, key: row.key, parent: row.parent, data: JSON.parse(row.data) as T, createdAt: row.createdAt };
}

/** Inserts a record; undefined when one with the same kind and key exists already. */
export async function insertRecord<T>(
  db: Database,
  accountId: string,
  kind: string,
  key: string,
  data: T,
  parent: string | null = null,
  now = new Date(),
): Promise<SandboxRecord<T> | undefined> {
  const rows = await db
    .insert(sandboxRecords)
    .values({ accountId, kind, key, parent, data: JSON.stringify(data), createdAt: now })
    .onConflictDoNothing()
    .returning();
  return rows[0] ? toRecord<T>(rows[0]) : undefined;
}

export async function putRecord<T>(db: Database, accountId: string, kind: string, key: string, data: T, parent: string | null = null) {
  const rows = await db
    .insert(sandboxRecords)
    .values({ accountId, kind, key, parent, data: JSON.stringify(data), createdAt: new Date() })
    .onConflictDoUpdate({
      target: [sandboxRecords.accountId, sandboxRecords.kind, sandboxRecords.key],
      set: { data: JSON.stringify(data) },
    })
    .returning();
  return toRecord<T>(rows[0]!);
}

export async function getRecord<T>(db: Database, accountId: string, kind: string, key: string) {
  const row = await db
    .select()
    .from(sandboxRecords)
    .where(and(eq(sandboxRecords.accountId, accountId), eq(sandboxRecords.kind, kind), eq(sandboxRecords.key, key)))
    .get();
  return row ? toRecord<T>(row) : undefined;
}

/** Every record of a kind in an account (optionally under one parent), oldest first. */
export async function listRecords<T>(db: Database, accountId: string, kind: string, parent?: string) {
  const rows = await db
    .select()
    .from(sandboxRecords)
    .where(
      and(
        eq(sandboxRecords.accountId, accountId),
        eq(sandboxRecords.kind, kind),
        parent === undefined ? undefined : eq(sandboxRecords.parent, parent),
      ),
    )
    .orderBy(asc(sandboxRecords.id))
    .all();
  return rows.map((r) => toRecord<T>(r));
}

/**
 * Records of a kind under one key in every account, oldest first: how the
 * sandbox's web pages, reached without a token, find whose object a URL names.
 */
export async function findRecordsByKey<T>(db: Database, kind: string, key: string, limit = 20) {
  const rows = await db
    .select()
    .from(sandboxRecords)
    .where(and(eq(sandboxRecords.kind, kind), eq(sandboxRecords.key, key)))
    .orderBy(asc(sandboxRecords.id))
    .limit(limit)
    .all();
  return rows.map((r) => ({ ...toRecord<T>(r), accountId: r.accountId }));
}

/**
 * Sets top-level fields of a record's JSON in one statement (`json_set`), only
 * while each field in `when` still holds the given string: a conditional
 * update, so two requests racing to close or merge the same pull cannot both
 * win, and an edit of one field never overwrites another written meanwhile.
 * False when the record is missing or a condition no longer holds.
 */
export async function patchRecord(
  db: Database,
  accountId: string,
  kind: string,
  key: string,
  changes: Record<string, unknown>,
  when: Record<string, string> = {},
): Promise<boolean> {
  const path = (field: string) => {
    if (!/^[a-z_]+$/.test(field)) throw new Error(`patchRecord: unsupported field name ${field}`);
    return `$.${field}`;
  };
  const pairs = Object.entries(changes).map(([field, value]) => sql`${path(field)}, json(${JSON.stringify(value ?? null)})`);
  if (pairs.length === 0) return (await getRecord(db, accountId, kind, key)) !== undefined;
  const rows = await db
    .update(sandboxRecords)
    .set({ data: sql`json_set(${sandboxRecords.data}, ${sql.join(pairs, sql`, `)})` })
    .where(
      and(
        eq(sandboxRecords.accountId, accountId),
        eq(sandboxRecords.kind, kind),
        eq(sandboxRecords.key, key),
        ...Object.entries(when).map(([field, value]) => sql`json_extract(${sandboxRecords.data}, ${path(field)}) = ${value}`),
      ),
    )
    .returning({ id: sandboxRecords.id });
  return rows.length === 1;
}

export async function countRecords(db: Database, accountId: string, kind: string, parent: string) {
  const row = await db
    .select({ n: sql<number>`count(*)` })
    .from(sandboxRecords)
    .where(and(eq(sandboxRecords.accountId, accountId), eq(sandboxRecords.kind, kind), eq(sandboxRecords.parent, parent)))
    .get();
  return row?.n ?? 0;
}

export async function deleteRecord(db: Database, accountId: string, kind: string, key: string) {
  await db
    .delete(sandboxRecords)
    .where(and(eq(sandboxRecords.accountId, accountId), eq(sandboxRecords.kind, kind), eq(sandboxRecords.key, key)));
}

/**
 * Drops sandbox rows that can no longer matter: authorization requests and
 * codes a day past their expiry (a replayed code then reads as unknown,
 * still `invalid_grant`), and tokens a day past expiry or revocation.
 */
export async function purgeStaleSandboxRows(db: Database, now: Date) {
  const cutoff = new Date(now.getTime() - 86_400_000);
  await db.delete(sandboxAuthorizations).where(lt(sandboxAuthorizations.expiresAt, cutoff));
  await db.delete(sandboxTokens).where(or(lt(sandboxTokens.expiresAt, cutoff), lt(sandboxTokens.revokedAt, cutoff)));
}
