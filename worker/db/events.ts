import { and, asc, eq, gt, isNotNull, isNull, lt, max, or, sql } from "drizzle-orm";
import { serverFrame, type ServerFrame } from "../contract/events";
import { log } from "../http/log";
import type { Database } from "./client";
import { events, realtimeTickets, users } from "./schema";

/** The newest event number D1 holds for a user (0 when none). */
export async function latestEventSeq(db: Database, userId: string): Promise<number> {
  const row = await db.select({ seq: max(events.seq) }).from(events).where(eq(events.userId, userId)).get();
  return row?.seq ?? 0;
}

/** A user's events with seq > after, oldest first. A stored frame that no longer parses is skipped and logged. */
export async function listEvents(db: Database, userId: string, after: number, limit: number): Promise<ServerFrame[]> {
  const rows = await db
    .select({ seq: events.seq, frame: events.frame })
    .from(events)
    .where(and(eq(events.userId, userId), gt(events.seq, after)))
    .orderBy(asc(events.seq))
    .limit(limit);
  const frames: ServerFrame[] = [];
  for (const row of rows) {
    const parsed = serverFrame.safeParse(JSON.parse(row.frame));
    if (parsed.success) frames.push(parsed.data);
    else log("error", "realtime_stored_frame_invalid", { userId, seq: row.seq });
  }
  return frames;
}

/** Stores a ticket for an existing user; false when the user is gone (a still-valid token of a deleted account). */
export async function insertTicket(db: Database, userId: string, ticketHash: string, expiresAt: Date): Promise<boolean> {
  const result = await db.run(
    sql`INSERT INTO ${realtimeTickets} (ticket_hash, user_id, expires_at)
        SELECT ${ticketHash}, ${users.id}, ${expiresAt.getTime()} FROM ${users} WHERE ${users.id} = ${userId}`,
  );
  return result.meta.changes === 1;
}

/**
 * Marks the ticket used and returns its user, in one statement: of two
 * requests racing with the same ticket only one sees a row come back.
 */
export async function consumeTicket(db: Database, ticketHash: string, now: Date): Promise<string | undefined> {
  const rows = await db
    .update(realtimeTickets)
    .set({ usedAt: now })
    .where(and(eq(realtimeTickets.ticketHash, ticketHash), isNull(realtimeTickets.usedAt), gt(realtimeTickets.expiresAt, now)))
    .returning({ userId: realtimeTickets.userId });
  return rows[0]?.userId;
}

/** Tickets that can no longer be used (expired, or used) are only clutter. */
export async function deleteSpentTickets(db: Database, now: Date): Promise<void> {
  await db.delete(realtimeTickets).where(or(lt(realtimeTickets.expiresAt, now), isNotNull(realtimeTickets.usedAt)));
}
