import { Hono, type Context, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { bearerIsSecret, requireUser } from "../auth/middleware";
import { WebhookDelivery } from "../contract/webhooks";
import { findUserByEmail, findUserById, type UserRow } from "../db/accounts";
import { audit, requestFrom, type AuditWho } from "../audit/audit";
import { AdminAuditQuery } from "../contract/audit";
import { AdminUserParam, DeadLetterQuery, type AdminIntegrations, type DeadLetter, type RequeueResult } from "../contract/admin";
import { deleteAccount } from "../auth/account-deletion";
import { buildAccountExport } from "../auth/account-export";
import { publicUser } from "../auth/session";
import { listAudit } from "../db/audit";
import { database } from "../db/client";
import { claimRequeue, findDeadLetter, listDeadLetters, releaseRequeue, type DeadLetterRow } from "../db/dead-letters";
import { findIntegration, listIntegrationEvents, listIntegrationRows } from "../db/integrations";
import { findDeliveryByAnyId, listDeliveries, markReplayed, type WebhookDeliveryRow } from "../db/webhooks";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";
import { log } from "../http/log";
import { queryParams } from "../http/validate";
import { disconnectIntegration } from "../integrations/disconnect";
import { isProviderId, PROVIDER_IDS, providerSpec, type ProviderId } from "../integrations/providers";
import { forceRefresh } from "../integrations/refresh";
import { toIntegration, toIntegrationEvent } from "../integrations/view";
import { isQueueName, prepareRequeue, QUEUE_NAMES, queueBinding, type QueueName } from "../ops/queues";
import type { WebhookMessage } from "../webhooks/consumer";

/** Operators only: the role is read from D1 on every admin request (never cached), so a revoked admin is out at once. */
export const requireAdmin: MiddlewareHandler<AppBindings> = async (c, next) => {
  const user = await findUserById(database(c.env), c.get("userId"));
  if (user?.role !== "admin") throw new AppError(403, "admin_only", "This needs the admin role (npm run admin:grant -- <email>).");
  await next();
};

type AdminBindings = AppBindings & { Variables: AppBindings["Variables"] & { actor: AuditWho } };

/** The name an operator's command gave (`X-TaskPilot-Operator`, the CLI sends $USER): a label in the audit log, not a credential. */
function operatorName(c: Context): string | null {
  const name = c.req.header("x-taskpilot-operator")?.trim() ?? "";
  return /^[\w.@+-]{1,64}$/.test(name) ? name : null;
}

/**
 * Who may use /api/admin/*: the operator's `ADMIN_TOKEN` as the bearer
 * (when it is configured; audit actor `operator`), or a signed-in user with
 * the admin role (actor `admin`). Any other bearer is checked as an access
 * token, so a wrong operator token is 401 `invalid_token`.
 */
export const requireAdminOrOperator: MiddlewareHandler<AdminBindings> = async (c, next) => {
  if (await bearerIsSecret(c, c.get("config").adminToken)) {
    c.set("actor", { type: "operator", id: operatorName(c) });
    await next();
    return;
  }
  // The user gates read and set only the app's own variables.
  const user = c as unknown as Context<AppBindings>;
  await requireUser(user, async () => {
    await requireAdmin(user, async () => {
      c.set("actor", { type: "admin", id: c.get("userId") });
      await next();
    });
  });
};

/** An account by email (any case) or id; 404 `user_not_found` otherwise. */
async function userNamed(c: Context<AdminBindings>): Promise<UserRow> {
  const parsed = AdminUserParam.safeParse(c.req.param("user"));
  const who = parsed.success ? parsed.data : "";
  const db = database(c.env);
  const user = who.includes("@") ? await findUserByEmail(db, who.toLowerCase()) : who ? await findUserById(db, who) : undefined;
  if (!user) throw new AppError(404, "user_not_found", `No account has the ${who.includes("@") ? "email" : "id"} ${who.slice(0, 320) || "(empty)"}.`);
  return user;
}

function providerNamed(c: Context<AdminBindings>): ProviderId {
  const name = c.req.param("provider") ?? "";
  if (!isProviderId(name)) throw new AppError(404, "unknown_provider", `Unknown provider "${name.slice(0, 40)}". Use one of: ${PROVIDER_IDS.join(", ")}.`, { providers: PROVIDER_IDS });
  return name;
}

/** A queue of wrangler.toml, by its name or its dead-letter queue's (`…-dlq`); 404 `unknown_queue` listing them otherwise. */
function queueNamed(c: Context<AdminBindings>): QueueName {
  const name = (c.req.param("queue") ?? "").replace(/-dlq$/, "");
  if (!isQueueName(name)) throw new AppError(404, "unknown_queue", `Unknown queue "${name.slice(0, 80)}". The queues are: ${QUEUE_NAMES.join(", ")}.`, { queues: QUEUE_NAMES });
  return name;
}

/** 404 `integration_not_found` unless the account has this integration connected (in any state but disconnected). */
async function connectedIntegration(c: Context<AdminBindings>, user: UserRow, provider: ProviderId): Promise<void> {
  const row = await findIntegration(database(c.env), user.id, provider);
  if (!row || row.status === "disconnected") {
    throw new AppError(404, "integration_not_found", `${user.email} has no ${providerSpec(provider).name} integration connected.`);
  }
}

const FAILURE_EVENTS = new Set(["refresh_failed", "error", "expired"]);

function toDeadLetter(row: DeadLetterRow): DeadLetter {
  let body: unknown;
  try {
    body = JSON.parse(row.body);
  } catch {
    body = row.body;
  }
  return {
    id: row.id,
    queue: row.queue,
    body,
    attempts: row.attempts,
    firstSeenAt: row.firstSeenAt.toISOString(),
    lastSeenAt: row.lastSeenAt.toISOString(),
    reason: row.reason,
    requeuedAt: row.requeuedAt?.toISOString() ?? null,
  };
}

/**
 * Sends each row's body back onto its original queue, once: a row is
 * claimed (requeued_at set where it was null) before the send, so two
 * requeues at once send it once; a send that fails releases the claim.
 */
async function requeue(c: Context<AdminBindings>, queue: QueueName, rows: DeadLetterRow[], now: Date): Promise<RequeueResult> {
  const db = database(c.env);
  const result: RequeueResult = { queue, requeued: [], alreadyRequeued: [] };
  for (const row of rows) {
    const claimed = row.requeuedAt ? undefined : await claimRequeue(db, row.id, now);
    if (!claimed) {
      const current = row.requeuedAt ? row : await findDeadLetter(db, queue, row.id);
      result.alreadyRequeued.push({ id: row.id, requeuedAt: (current?.requeuedAt ?? now).toISOString() });
      continue;
    }
    try {
      const body: unknown = JSON.parse(claimed.body);
      await prepareRequeue(c.env, queue, body, now);
      await queueBinding(c.env, queue).send(body);
    } catch (e) {
      await releaseRequeue(db, row.id);
      log("error", "dead_letter_requeue_failed", { queue, messageId: row.id, error: e instanceof Error ? e.message : String(e) });
      throw new AppError(502, "requeue_failed", `Sending message ${row.id} back to ${queue} failed; it stays in the dead letters.`, { requeued: result.requeued });
    }
    result.requeued.push(row.id);
  }
  return result;
}

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

export const admin = new Hono<AdminBindings>()
  .use("*", requireAdminOrOperator)
  .get("/webhooks/deliveries", queryParams(ListDeliveriesQuery), async (c) => {
    const rows = await listDeliveries(database(c.env), c.req.valid("query").limit);
    await audit(c.env, { action: "admin.deliveries_listed", actor: c.get("actor"), subjectUserId: null, from: requestFrom(c), detail: { count: rows.length } });
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
    await audit(c.env, { action: "admin.audit_read", actor: c.get("actor"), subjectUserId: subjectUserId ?? null, from: requestFrom(c), detail: { ...(q.action ? { action: q.action } : {}), count: page.entries.length } });
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
    await audit(c.env, { action: "webhook.replayed", actor: c.get("actor"), subjectUserId: null, from: requestFrom(c), detail: { delivery: row.id, provider: row.provider, eventType: row.eventType } });
    return c.json({ delivery: toWebhookDelivery(row) }, 202);
  })
  /** An account's integrations: status, the last error, and the newest failures of each. */
  .get("/users/:user/integrations", async (c) => {
    const user = await userNamed(c);
    const db = database(c.env);
    const rows = await listIntegrationRows(db, user.id);
    const integrations: AdminIntegrations["integrations"] = [];
    for (const provider of PROVIDER_IDS) {
      const events = await listIntegrationEvents(db, user.id, provider, 50);
      const recentErrors = events.filter((e) => FAILURE_EVENTS.has(e.type)).slice(0, 5).map(toIntegrationEvent);
      integrations.push({ ...toIntegration(provider, rows.find((r) => r.provider === provider)), recentErrors });
    }
    await audit(c.env, { action: "admin.integrations_read", actor: c.get("actor"), subjectUserId: user.id, from: requestFrom(c) });
    return c.json({ user: publicUser(user), integrations } satisfies AdminIntegrations);
  })
  /** A forced refresh through the integration's single flight, as the person's Refresh does. */
  .post("/users/:user/integrations/:provider/refresh", async (c) => {
    const requestedAt = Date.now();
    const user = await userNamed(c);
    const provider = providerNamed(c);
    await connectedIntegration(c, user, provider);
    try {
      await forceRefresh(c.env, user.id, provider, requestedAt);
    } catch (e) {
      const code = e instanceof AppError ? e.code : "internal_error";
      await audit(c.env, { action: "admin.integration_refreshed", actor: c.get("actor"), subjectUserId: user.id, result: "failure", code, from: requestFrom(c), detail: { provider } });
      throw e;
    }
    await audit(c.env, { action: "admin.integration_refreshed", actor: c.get("actor"), subjectUserId: user.id, from: requestFrom(c), detail: { provider } });
    return c.json({ user: publicUser(user), integration: toIntegration(provider, await findIntegration(database(c.env), user.id, provider)) });
  })
  /** Revokes the grant at the provider and forgets the tokens, as the person's Disconnect does. */
  .post("/users/:user/integrations/:provider/revoke", async (c) => {
    const user = await userNamed(c);
    const provider = providerNamed(c);
    await connectedIntegration(c, user, provider);
    const integration = await disconnectIntegration(c.env, c.get("config"), user.id, provider);
    await audit(c.env, { action: "admin.integration_revoked", actor: c.get("actor"), subjectUserId: user.id, from: requestFrom(c), detail: { provider } });
    return c.json({ user: publicUser(user), integration });
  })
  /** Everything the account holds, as the person's own export gives it (no password hash, token or envelope). */
  .get("/users/:user/export", async (c) => {
    const user = await userNamed(c);
    const data = await buildAccountExport(c.env, user.id);
    if (!data) throw new AppError(404, "user_not_found", `No account has the id ${user.id}.`);
    await audit(c.env, { action: "admin.account_exported", actor: c.get("actor"), subjectUserId: user.id, from: requestFrom(c) });
    c.header("cache-control", "no-store");
    return c.json(data);
  })
  /** Deletes the account as the person's own deletion does (grants revoked, data erased, a tombstone naming the operator). */
  .delete("/users/:user", async (c) => {
    const user = await userNamed(c);
    await deleteAccount(c.env, c.get("config"), user.id, c.get("requestId"), c.get("actor"));
    return c.json({ deleted: { id: user.id, email: user.email } });
  })
  /** A queue's dead letters, oldest first (requeued ones too with `all=true`). */
  .get("/queues/:queue/dead-letters", queryParams(DeadLetterQuery), async (c) => {
    const queue = queueNamed(c);
    const q = c.req.valid("query");
    const rows = await listDeadLetters(database(c.env), queue, { includeRequeued: q.all, limit: q.limit });
    await audit(c.env, { action: "admin.dead_letters_listed", actor: c.get("actor"), subjectUserId: null, from: requestFrom(c), detail: { queue, count: rows.length } });
    return c.json({ queue, deadLetters: rows.map(toDeadLetter) });
  })
  /** Every dead letter of the queue not yet requeued goes back onto it (at most 500 a call). */
  .post("/queues/:queue/dead-letters/requeue", async (c) => {
    const queue = queueNamed(c);
    const rows = await listDeadLetters(database(c.env), queue, { limit: 500 });
    const result = await requeue(c, queue, rows, new Date());
    await audit(c.env, { action: "admin.dead_letters_requeued", actor: c.get("actor"), subjectUserId: null, from: requestFrom(c), detail: { queue, requeued: result.requeued.length, all: true } });
    return c.json(result);
  })
  /** One dead letter back onto its queue; one already requeued is left alone and says when. */
  .post("/queues/:queue/dead-letters/:id/requeue", async (c) => {
    const queue = queueNamed(c);
    const id = c.req.param("id");
    const row = id.length <= 200 ? await findDeadLetter(database(c.env), queue, id) : undefined;
    if (!row) throw new AppError(404, "dead_letter_not_found", `No dead letter of ${queue} has the id ${id.slice(0, 200)}.`);
    const result = await requeue(c, queue, [row], new Date());
    await audit(c.env, { action: "admin.dead_letters_requeued", actor: c.get("actor"), subjectUserId: null, from: requestFrom(c), detail: { queue, requeued: result.requeued.length, message: id } });
    return c.json(result);
  });
