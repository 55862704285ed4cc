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

/** A primary-key probe for every authenticated request: the access token outlives nothing that was deleted. */
export async function userExists(db: Database, id: string): Promise<boolean> {
  return (await db.select({ id: users.id }).from(users).where(eq(users.id, id)).get()) !== undefined;
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

/**
 * Marks the token used only if nobody has yet and its family is still live,
 * in one conditional UPDATE: of two concurrent refreshes with the same token
 * exactly one gets `true`, the other is treated as reuse.
 */
export async function claimRefreshToken(db: Database, tokenId: string, now = Date.now()): Promise<boolean> {
  const liveFamily = sql`${refreshTokens.familyId} in (select ${refreshFamilies.id} from ${refreshFamilies} where ${refreshFamilies.revokedAt} is null and ${refreshFamilies.expiresAt} > ${now})`;
  const rows = await db
    .update(refreshTokens)
    .set({ usedAt: new Date(now) })
    .where(and(eq(refreshTokens.id, tokenId), isNull(refreshTokens.usedAt), liveFamily))
    .returning({ id: refreshTokens.id });
  return rows.length === 1;
}

export async function addRefreshToken(
  db: Database,
  familyId: string,
  userId: string,
  tokenHash: string,
  now = Date.now(),
): Promise<void> {
  await db.insert(refreshTokens).values({ id: crypto.randomUUID(), familyId, userId, tokenHash, createdAt: new Date(now) });
}

/** Ends a login: every token of the family stops working. Revoking twice keeps the first reason. */
export async function revokeFamily(db: Database, familyId: string, reason: string, now = Date.now()): Promise<void> {
  await db
    .update(refreshFamilies)
    .set({ revokedAt: new Date(now), revokedReason: reason })
    .where(and(eq(refreshFamilies.id, familyId), isNull(refreshFamilies.revokedAt)));
}

