import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "./client";
import { deadLetters } from "./schema";

export type DeadLetterRow = typeof deadLetters.$inferSelect;

export interface SeenDeadLetter {
  id: string;
  queue: string;
  body: string;
  attempts: number;
  reason: string | null;
}

/**
 * Records a message its dead-letter queue delivered, once per message id: a
 * redelivery of the same message keeps the first sighting and moves the
 * last one (and the attempts) forward.
 */
export async function recordDeadLetter(db: Database, seen: SeenDeadLetter, now: Date): Promise<void> {
  await db
    .insert(deadLetters)
    .values({ ...seen, firstSeenAt: now, lastSeenAt: now })
    .onConflictDoUpdate({
      target: deadLetters.id,
      set: {
        lastSeenAt: now,
        attempts: sql`max(${deadLetters.attempts}, excluded.attempts)`,
        reason: sql`coalesce(excluded.reason, ${deadLetters.reason})`,
      },
    });
}

/** A queue's dead letters, oldest first; requeued ones only with `includeRequeued`. */
export async function listDeadLetters(db: Database, queue: string, { includeRequeued = false, limit = 100 } = {}): Promise<DeadLetterRow[]> {
  return db
    .select()
    .from(deadLetters)
    .where(includeRequeued ? eq(deadLetters.queue, queue) : and(eq(deadLetters.queue, queue), isNull(deadLetters.requeuedAt)))
    .orderBy(asc(deadLetters.firstSeenAt), asc(deadLetters.id))
    .limit(limit)
    .all();
}

export async function findDeadLetter(db: Database, queue: string, id: string): Promise<DeadLetterRow | undefined> {
  return db.select().from(deadLetters).where(and(eq(deadLetters.queue, queue), eq(deadLetters.id, id))).get();
}

/** Claims a row for a requeue: answers it only if no one requeued it before (so two requeues never send twice). */
export async function claimRequeue(db: Database, id: string, now: Date): Promise<DeadLetterRow | undefined> {
  return db
    .update(deadLetters)
    .set({ requeuedAt: now })
    .where(and(eq(deadLetters.id, id), isNull(deadLetters.requeuedAt)))
    .returning()
    .get();
}

/** Undoes a claim whose send failed, so the row can be requeued again. */
export async function releaseRequeue(db: Database, id: string): Promise<void> {
  await db.update(deadLetters).set({ requeuedAt: null }).where(eq(deadLetters.id, id));
}
