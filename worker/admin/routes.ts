import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { requireUser } from "../auth/middleware";
import { WebhookDelivery } from "../contract/webhooks";
import { findUserByEmail, findUserById } from "../db/accounts";
import { audit, requestFrom } from "../audit/audit";
import { AdminAuditQuery } from "../contract/audit";
import { listAudit } from "../db/audit";
import { database } from "../db/client";
import { findDeliveryByAnyId, listDeliveries, markReplayed, type WebhookDeliveryRow } from "../db/webhooks";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";
import { queryParams } from "../http/validate";
import type { WebhookMessage } from "../webhooks/consumer";

/** Operators only: the role is read from D1 on every admin request (never cached), so a revoked admin is out at once. */
export const requireAdmin: MiddlewareHandler<AppBindings> = async (c, next) => {
  const user = await findUserById(database(c.env), c.get("userId"));
  if (user?.role !== "admin") throw new AppError(403, "admin_only", "This needs the admin role (npm run admin:grant -- <email>).");
  await next();
};

export function toWebhookDelivery(row: WebhookDeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    provider: row.provider as WebhookDelivery["provider"],
    deliveryId: row.deliveryId,
    eventType: row.eventType,
    action: row.action,
    status: row.status as WebhookDelivery["status"],
    attempts: row.attempts,
    duplicates: row.duplicates,
    replays: row.replays,
    lastError: row.lastError,
    outcome: row.outcome,
    receivedAt: row.receivedAt.toISOString(),
    processedAt: row.processedAt?.toISOString() ?? null,
  };
}

const ListDeliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });

export const admin = new Hono<AppBindings>()
  .use("*", requireUser, requireAdmin)
  .get("/webhooks/deliveries", queryParams(ListDeliveriesQuery), async (c) => {
    const rows = await listDeliveries(database(c.env), c.req.valid("query").limit);
    await audit(c.env, { action: "admin.deliveries_listed", actor: { type: "admin", id: c.get("userId") }, subjectUserId: null, from: requestFrom(c), detail: { count: rows.length } });
    return c.json({ deliveries: rows.map(toWebhookDelivery) });
  })
  /** Any account's security log (by email or user id), newest first; reading it is itself recorded. */
  .get("/audit", queryParams(AdminAuditQuery), async (c) => {
    const q = c.req.valid("query");
    const db = database(c.env);
    let subjectUserId: string | undefined;
    if (q.user?.includes("@")) {
      const user = await findUserByEmail(db, q.user);
      if (!user) throw new AppError(404, "user_not_found", `No account has the email ${q.user}; a deleted account is found by its id.`);
      subjectUserId = user.id;
    } else if (q.user) {
      // By id, with or without a user row: a deleted account is known only by its id (its tombstone).
      subjectUserId = q.user;
    }
    const page = await listAudit(db, { subjectUserId, action: q.action, since: q.since ? new Date(q.since) : undefined, before: q.before, limit: q.limit });
    await audit(c.env, { action: "admin.audit_read", actor: { type: "admin", id: c.get("userId") }, subjectUserId: subjectUserId ?? null, from: requestFrom(c), detail: { ...(q.action ? { action: q.action } : {}), count: page.entries.length } });
    return c.json(page);
  })
  .post("/webhooks/deliveries/:id/replay", async (c) => {
    const db = database(c.env);
    const id = c.req.param("id");
    const found = id.length <= 200 ? await findDeliveryByAnyId(db, id) : undefined;
    if (!found) throw new AppError(404, "delivery_not_found", "No stored delivery has that id.");
    const row = (await markReplayed(db, found.id))!;
    const message: WebhookMessage = { id: row.id, replay: true };
    await c.env.WEBHOOKS.send(message);
    await audit(c.env, { action: "webhook.replayed", actor: { type: "admin", id: c.get("userId") }, subjectUserId: null, from: requestFrom(c), detail: { delivery: row.id, provider: row.provider, eventType: row.eventType } });
    return c.json({ delivery: toWebhookDelivery(row) }, 202);
  });
