import { and, desc, eq, gte, lt, sql } from "drizzle-orm";
import type { AuditAction, AuditEntry } from "../contract/audit";
import type { Database } from "./client";
import { auditLog } from "./schema";

/** The audit log's only writes: append, retention, and the erasure of a deleted account's own rows. */

export type AuditRow = typeof auditLog.$inferInsert;

export async function appendAudit(db: Database, row: AuditRow): Promise<void> {
  await db.insert(auditLog).values(row);
}

export function toAuditEntry(row: typeof auditLog.$inferSelect): AuditEntry {
  return {
    id: String(row.id),
    at: row.at.toISOString(),
    actor: { type: row.actorType as AuditEntry["actor"]["type"], id: row.actorId },
    subjectUserId: row.subjectUserId,
    action: row.action as AuditAction,
    result: row.result as AuditEntry["result"],
    code: row.code,
    ip: row.ip,
    userAgent: row.userAgent,
    requestId: row.requestId,
    detail: JSON.parse(row.detail) as AuditEntry["detail"],
  };
}

export interface AuditFilter {
  subjectUserId?: string;
  action?: AuditAction;
  since?: Date;
  before?: number;
  limit: number;
}

/** Newest first; one more row than asked tells whether there is a next page. */
export async function listAudit(db: Database, f: AuditFilter): Promise<{ entries: AuditEntry[]; nextBefore: string | null }> {
  const rows = await db
    .select()
    .from(auditLog)
    .where(
      and(
        f.subjectUserId !== undefined ? eq(auditLog.subjectUserId, f.subjectUserId) : undefined,
        f.action ? eq(auditLog.action, f.action) : undefined,
        f.since ? gte(auditLog.at, f.since) : undefined,
        f.before ? lt(auditLog.id, f.before) : undefined,
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(f.limit + 1);
  const page = rows.slice(0, f.limit);
  return { entries: page.map(toAuditEntry), nextBefore: rows.length > f.limit ? String(page.at(-1)!.id) : null };
}

/** Retention: rows older than `before`, in bounded batches. */
export async function purgeAuditBefore(db: Database, before: Date, batch = 500): Promise<number> {
  const res = await db.run(sql`DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < ${before.getTime()} LIMIT ${batch})`);
  return res.meta.changes ?? 0;
}

/** A deleted account's own rows (its addresses and devices); the tombstone is written after. */
export async function eraseAuditOf(db: Database, userId: string): Promise<void> {
  await db.delete(auditLog).where(eq(auditLog.subjectUserId, userId));
}
