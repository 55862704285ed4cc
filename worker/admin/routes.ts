import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { requireUser } from "../auth/middleware";
import { WebhookDelivery } from "../contract/webhooks";
import { findUserById } from "../db/accounts";
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
    return c.json({ deliveries: rows.map(toWebhookDelivery) });
  })
  .post("/webhooks/deliveries/:id/replay", async (c) => {
    const db = database(c.env);
    const id = c.req.param("id");
    const found = id.length <= 200 ? await findDeliveryByAnyId(db, id) : undefined;
    if (!found) throw new AppError(404, "delivery_not_found", "No stored delivery has that id.");
    const row = (await markReplayed(db, found.id))!;
    const message: WebhookMessage = { id: row.id, replay: true };
    await c.env.WEBHOOKS.send(message);
    return c.json({ delivery: toWebhookDelivery(row) }, 202);
  });
