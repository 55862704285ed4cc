import { and, asc, eq, gt, isNull, max, sql } from "drizzle-orm";
import { serverFrame, type ServerFrame } from "../contract/events";
import { log } from "../http/log";
import type { Database } from "./client";
import { events, realtimeTickets, users } from "./schema";

/** The newest event number D1 holds for a user (0 when none). */
export async function latestEventSeq(db: Database, userId: string): Promise<number> {
  const row = await db.select({ seq: max(events.seq) }).from(events).where(eq(events.userId, userId)).get();
  return row?.seq ?? 0;
}

/** Why a stored history row is not served: it is skipped, logged and counted, never a failed request. */
export type StoredFrameProblem = "invalid_json" | "invalid_frame" | "id_mismatch";

/**
 * Parses one stored row. A row can go bad outside this code (a manual edit,
 * a restore, a frame written before a contract change): it must cost that
 * row only, not the whole history or the account export.
 */
export function parseStoredFrame(seq: number, text: string): ServerFrame | StoredFrameProblem {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return "invalid_json";
  }
  const parsed = serverFrame.safeParse(json);
  if (!parsed.success) return "invalid_frame";
  // Clients resume from the ids they saw; a frame whose id is not its row's seq would send them to the wrong place.
  return parsed.data.id === String(seq) ? parsed.data : "id_mismatch";
}

/**
 * A user's events with seq > after, oldest first, up to `limit` of them. A
 * stored row that does not parse is skipped and logged; it neither fails the
 * request nor shortens the page, so a short page always means "no more".
 */
export async function listEvents(db: Database, userId: string, after: number, limit: number): Promise<ServerFrame[]> {
  const frames: ServerFrame[] = [];
  let cursor = after;
  for (;;) {
    const want = limit - frames.length;
    const rows = await db
      .select({ seq: events.seq, frame: events.frame })
      .from(events)
      .where(and(eq(events.userId, userId), gt(events.seq, cursor)))
      .orderBy(asc(events.seq))
      .limit(want);
    for (const row of rows) {
      const frame = parseStoredFrame(row.seq, row.frame);
      if (typeof frame === "string") log("error", "realtime_stored_frame_invalid", { userId, seq: row.seq, problem: frame });
      else frames.push(frame);
    }
    // Every row read was good (page full) or there were fewer rows than asked (history exhausted).
    if (rows.length < want || frames.length === limit) return frames;
    cursor = rows[rows.length - 1]!.seq;
  }
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
