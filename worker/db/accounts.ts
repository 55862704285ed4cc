import { and, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "./client";
import { refreshFamilies, refreshTokens, users } from "./schema";

export type UserRow = typeof users.$inferSelect;

export async function findUserByEmail(db: Database, email: string): Promise<UserRow | undefined> {
  return db.select().from(users).where(eq(users.email, email)).get();
}

export async function findUserById(db: Database, id: string): Promise<UserRow | undefined> {
  return db.select().from(users).where(eq(users.id, id)).get();
}

/**
 * A primary-key probe for every authenticated request: the user's session version, `undefined` when the account is
 * gone. The access token outlives neither a deletion nor "This wasn't me".
 */
export async function userSessionVersion(db: Database, id: string): Promise<number | undefined> {
  return (await db.select({ v: users.sessionVersion }).from(users).where(eq(users.id, id)).get())?.v;
}

/** "This wasn't me": raises the session version, so every access token issued before is refused; the new value. */
export async function raiseSessionVersion(db: Database, id: string, now = Date.now()): Promise<number | undefined> {
  const row = await db
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1`, updatedAt: new Date(now) })
    .where(eq(users.id, id))
    .returning({ v: users.sessionVersion })
    .get();
  return row?.v;
}

export interface NewUser {
  email: string;
  name: string | null;
  passwordHash: string;
  passwordSalt: string;
  passwordIterations: number;
}

/** Inserts the user; `undefined` when the email is taken (the unique index decides, so two racing sign-ups cannot both win). */
export async function insertUser(db: Database, input: NewUser, now = Date.now()): Promise<UserRow | undefined> {
  const rows = await db
    .insert(users)
    .values({ id: crypto.randomUUID(), ...input, createdAt: new Date(now), updatedAt: new Date(now) })
    .onConflictDoNothing({ target: users.email })
    .returning();
  return rows[0];
}

export async function updatePasswordHash(
  db: Database,
  userId: string,
  password: { hash: string; salt: string; iterations: number },
  now = Date.now(),
): Promise<void> {
  await db
    .update(users)
    .set({ passwordHash: password.hash, passwordSalt: password.salt, passwordIterations: password.iterations, updatedAt: new Date(now) })
    .where(eq(users.id, userId));
}

export interface RefreshFamilyStart {
  familyId: string;
  expiresAt: number;
}

/** A new login: one family with its absolute expiry and its first token, written together. */
export async function startRefreshFamily(
  db: Database,
  userId: string,
  tokenHash: string,
  ttlMs: number,
  now = Date.now(),
): Promise<RefreshFamilyStart> {
  const familyId = crypto.randomUUID();
  const expiresAt = now + ttlMs;
  await db.batch([
    db.insert(refreshFamilies).values({ id: familyId, userId, createdAt: new Date(now), expiresAt: new Date(expiresAt) }),
    db.insert(refreshTokens).values({ id: crypto.randomUUID(), familyId, userId, tokenHash, createdAt: new Date(now) }),
  ]);
  return { familyId, expiresAt };
}

export interface StoredRefreshToken {
  id: string;
  familyId: string;
  userId: string;
  usedAt: Date | null;
  familyExpiresAt: Date;
  familyRevokedAt: Date | null;
}

export async function findRefreshToken(db: Database, tokenHash: string): Promise<StoredRefreshToken | undefined> {
  return db
    .select({
      id: refreshTokens.id,
      familyId: refreshTokens.familyId,
      userId: refreshTokens.userId,
      usedAt: refreshTokens.usedAt,
      familyExpiresAt: refreshFamilies.expiresAt,
      familyRevokedAt: refreshFamilies.revokedAt,
    })
    .from(refreshTokens)
    .innerJoin(refreshFamilies, eq(refreshFamilies.id, refreshTokens.familyId))
    .where(eq(refreshTokens.tokenHash, tokenHash))
    .get();
}

/** A family that can still rotate: neither revoked nor past its absolute expiry. */
function liveFamily(now: number) {
  return sql`${refreshTokens.familyId} in (select ${refreshFamilies.id} from ${refreshFamilies} where ${refreshFamilies.revokedAt} is null and ${refreshFamilies.expiresAt} > ${now})`;
}

export interface Rotation {
  /** The presented token, still unused. */
  tokenId: string;
  familyId: string;
  userId: string;
  /** Hash of its successor. */
  nextTokenHash: string;
}

/**
 * Spends a refresh token and stores its successor as one D1 batch (one
 * transaction). The successor is inserted only while the old token is unused
 * and its family live; the old token is then marked used only if that insert
 * happened. Of two concurrent rotations of one token exactly one gets `true`
 * (the other is reuse), and a failed write leaves the old token unspent, so a
 * client retrying after a transient error is not mistaken for a thief
 * (RFC 9700 §4.14.2 is about replay, not about our own failures).
 */
export async function rotateRefreshToken(db: Database, rotation: Rotation, now = Date.now()): Promise<boolean> {
  const { tokenId, familyId, userId, nextTokenHash } = rotation;
  const nextId = crypto.randomUUID();
  const unspent = and(eq(refreshTokens.id, tokenId), isNull(refreshTokens.usedAt), liveFamily(now));
  const [, claimed] = await db.batch([
    // Columns in table order: id, family_id, user_id, token_hash, created_at, used_at.
    db.insert(refreshTokens).select(
      sql`select ${nextId}, ${familyId}, ${userId}, ${nextTokenHash}, ${now}, null where exists (select 1 from ${refreshTokens} where ${unspent})`,
    ),
    db
      .update(refreshTokens)
      .set({ usedAt: new Date(now) })
      .where(and(unspent, sql`exists (select 1 from ${refreshTokens} where ${refreshTokens.id} = ${nextId})`))
      .returning({ id: refreshTokens.id }),
  ]);
  return claimed.length === 1;
}

/** Ends every login of a user that is still live; returns how many. */
export async function revokeAllFamiliesOf(db: Database, userId: string, reason: string, now = Date.now()): Promise<number> {
  const rows = await db
    .update(refreshFamilies)
    .set({ revokedAt: new Date(now), revokedReason: reason })
    .where(and(eq(refreshFamilies.userId, userId), isNull(refreshFamilies.revokedAt)))
    .returning({ id: refreshFamilies.id });
  return rows.length;
}

/** Ends a login: every token of the family stops working. Revoking twice keeps the first reason. */
export async function revokeFamily(db: Database, familyId: string, reason: string, now = Date.now()): Promise<void> {
  await db
    .update(refreshFamilies)
    .set({ revokedAt: new Date(now), revokedReason: reason })
    .where(and(eq(refreshFamilies.id, familyId), isNull(refreshFamilies.revokedAt)));
}

