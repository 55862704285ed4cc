import { and, desc, eq, sql } from "drizzle-orm";
import type { Database } from "./client";
import { webhookDeliveries } from "./schema";

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type NewDelivery = Pick<WebhookDeliveryRow, "id" | "provider" | "deliveryId" | "eventType" | "action" | "payloadHash" | "payload" | "status" | "lastError"> & {
  receivedAt: Date;
};

/**
 * Stores a delivery once: a second one with the same provider and delivery
 * id changes nothing but its `duplicates` count. Answers the stored row and
 * whether this call created it.
 */
export async function recordDelivery(db: Database, delivery: NewDelivery): Promise<{ row: WebhookDeliveryRow; created: boolean }> {
  const inserted = await db.insert(webhookDeliveries).values(delivery).onConflictDoNothing().returning().get();
  if (inserted) return { row: inserted, created: true };
  const row = await db
    .update(webhookDeliveries)
    .set({ duplicates: sql`${webhookDeliveries.duplicates} + 1` })
    .where(and(eq(webhookDeliveries.provider, delivery.provider), eq(webhookDeliveries.deliveryId, delivery.deliveryId)))
    .returning()
    .get();
  return { row: row!, created: false };
}

export async function findDelivery(db: Database, id: string): Promise<WebhookDeliveryRow | undefined> {
  return db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)).get();
}

/** Finds by our id or by the provider's delivery id (what an operator copies from GitHub's or Slack's log). */
export async function findDeliveryByAnyId(db: Database, id: string): Promise<WebhookDeliveryRow | undefined> {
  return (await findDelivery(db, id)) ?? db.select().from(webhookDeliveries).where(eq(webhookDeliveries.deliveryId, id)).get();
}

export async function listDeliveries(db: Database, limit: number): Promise<WebhookDeliveryRow[]> {
  return db.select().from(webhookDeliveries).orderBy(desc(webhookDeliveries.receivedAt)).limit(limit).all();
}

/** Counts one processing attempt; answers the row as it is now. */
export async function startAttempt(db: Database, id: string): Promise<WebhookDeliveryRow | undefined> {
  return db
    .update(webhookDeliveries)
    .set({ attempts: sql`${webhookDeliveries.attempts} + 1` })
    .where(eq(webhookDeliveries.id, id))
    .returning()
    .get();
}

export async function finishDelivery(db: Database, id: string, outcome: string, now: Date): Promise<void> {
  await db.update(webhookDeliveries).set({ status: "processed", outcome, lastError: null, processedAt: now }).where(eq(webhookDeliveries.id, id));
}

export async function noteDeliveryError(db: Database, id: string, error: string): Promise<void> {
  await db.update(webhookDeliveries).set({ lastError: error.slice(0, 500) }).where(eq(webhookDeliveries.id, id));
}

export async function failDelivery(db: Database, id: string, error: string, now: Date): Promise<void> {
  await db.update(webhookDeliveries).set({ status: "failed", lastError: error.slice(0, 500), processedAt: now }).where(eq(webhookDeliveries.id, id));
}

/** A replay: back to `received`, counted. */
export async function markReplayed(db: Database, id: string): Promise<WebhookDeliveryRow | undefined> {
  return db
    .update(webhookDeliveries)
    .set({ status: "received", replays: sql`${webhookDeliveries.replays} + 1`, lastError: null })
    .where(eq(webhookDeliveries.id, id))
    .returning()
    .get();
}
