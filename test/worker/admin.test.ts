import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF, waitOnExecutionContext } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { AdminIntegrations, DeadLetter, RequeueResult } from "../../worker/contract/admin";
import { getConfig } from "../../worker/config";
import { database, schema } from "../../worker/db/client";
import { insertIntegrationEvent } from "../../worker/db/integrations";
import { findDelivery, recordDelivery } from "../../worker/db/webhooks";
import type { Env } from "../../worker/env";
import worker from "../../worker/index";
import { decryptToken } from "../../worker/integrations/crypto";
import { QUEUE_NAMES } from "../../worker/ops/queues";
import { problemOf } from "./auth-helpers";
import { connect, seedIntegration, storedRow, upstreamCount } from "./integrations-helpers";
import { addDocument, detail, quietEnv } from "./kb-helpers";
import { authed, createUser, ORIGIN, type TestUser } from "./realtime-helpers";

// The requeue test waits for the real local queue's consumer (a 1 s batch window): room for a loaded machine.
vi.setConfig({ testTimeout: 30_000 });

const OPERATOR_TOKEN = "operator-token-0123456789abcdef0123456789abcdef";

let operator: TestUser;

beforeAll(async () => {
  operator = await createUser("admin");
  await env.DB.prepare("UPDATE users SET role = 'admin' WHERE id = ?").bind(operator.id).run();
});

const emailOf = (user: TestUser) => `${user.id}@example.test`;

function asAdmin(method: string, path: string): Promise<Response> {
  return SELF.fetch(`${ORIGIN}/api/admin${path}`, authed(operator, { method }));
}

/** The app with extra variables (ADMIN_TOKEN), through the worker's own fetch handler, as the CLI reaches it. */
async function withVars(vars: Record<string, string>, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${ORIGIN}/api/admin${path}`, init), { ...(env as unknown as Env), ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

async function auditRows(action: string, subjectUserId?: string) {
  const db = database(env);
  const rows = await db
    .select()
    .from(schema.auditLog)
    .where(subjectUserId ? and(eq(schema.auditLog.action, action), eq(schema.auditLog.subjectUserId, subjectUserId)) : eq(schema.auditLog.action, action));
  return rows.map((r) => ({ actorType: r.actorType, actorId: r.actorId, result: r.result, code: r.code, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}

describe("who may use /api/admin", () => {
  it("no token is 401, a signed-in user without the role is 403 (recorded), an admin gets through", async () => {
    const user = await createUser("plain");
    const path = `/users/${encodeURIComponent(emailOf(user))}/integrations`;
    const none = await SELF.fetch(`${ORIGIN}/api/admin${path}`);
    expect([none.status, (await problemOf(none)).code]).toEqual([401, "unauthorized"]);
    const plain = await SELF.fetch(`${ORIGIN}/api/admin${path}`, authed(user));
    expect([plain.status, (await problemOf(plain)).code]).toEqual([403, "admin_only"]);
    expect(await auditRows("admin.denied", user.id)).toEqual([expect.objectContaining({ actorType: "user", result: "failure", code: "admin_only" })]);
    expect((await asAdmin("GET", path)).status).toBe(200);
    expect(await auditRows("admin.integrations_read", user.id)).toEqual([expect.objectContaining({ actorType: "admin", actorId: operator.id })]);
  });

  it("the operator's ADMIN_TOKEN works as the bearer and is recorded as the operator; a wrong one, or one when none is configured, is 401", async () => {
    const user = await createUser("op");
    const path = `/users/${encodeURIComponent(emailOf(user))}/integrations`;
    const ok = await withVars({ ADMIN_TOKEN: OPERATOR_TOKEN }, path, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, "x-taskpilot-operator": "alice" } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as AdminIntegrations).user.email).toBe(emailOf(user));
    expect(await auditRows("admin.integrations_read", user.id)).toEqual([expect.objectContaining({ actorType: "operator", actorId: "alice", result: "success" })]);

    for (const [vars, presented] of [
      [{ ADMIN_TOKEN: OPERATOR_TOKEN }, `${OPERATOR_TOKEN.slice(0, -1)}x`],
      [{ ADMIN_TOKEN: OPERATOR_TOKEN }, OPERATOR_TOKEN.slice(0, 20)],
      [{}, OPERATOR_TOKEN],
      // Shorter than 32 characters: operator access stays off.
      [{ ADMIN_TOKEN: "short-token" }, "short-token"],
    ] as const) {
      const res = await withVars(vars, path, { headers: { authorization: `Bearer ${presented}` } });
      expect([res.status, (await problemOf(res)).code], JSON.stringify(vars)).toEqual([401, "invalid_token"]);
    }
    expect((await auditRows("admin.integrations_read", user.id)).length).toBe(1);
  });
});

describe("an account's integrations", () => {
  it("lists every provider with its status, last error and newest failures; an unknown email is 404 user_not_found", async () => {
    const user = await createUser("int");
    await seedIntegration(user.id, "gmail", { accessToken: "at", refreshToken: "rt", expiresAt: new Date(Date.now() + 3_600_000) });
    await seedIntegration(user.id, "slack", { accessToken: "at", expiresAt: null, status: "expired" });
    await insertIntegrationEvent(database(env), { userId: user.id, provider: "slack", type: "refresh_failed", status: "expired", detail: { providerError: "invalid_grant" } });
    await insertIntegrationEvent(database(env), { userId: user.id, provider: "slack", type: "refreshed", status: "active", detail: {} });

    const res = await asAdmin("GET", `/users/${encodeURIComponent(emailOf(user).toUpperCase())}/integrations`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as AdminIntegrations;
    expect(body.user).toMatchObject({ id: user.id, email: emailOf(user) });
    expect(body.integrations.map((i) => [i.provider, i.status])).toEqual([
      ["gmail", "active"],
      ["calendar", "disconnected"],
      ["slack", "expired"],
      ["github", "disconnected"],
    ]);
    expect(body.integrations[2]!.recentErrors).toEqual([expect.objectContaining({ type: "refresh_failed", detail: { providerError: "invalid_grant" } })]);
    expect(JSON.stringify(body)).not.toContain("access_token_enc");
    // By id as well.
    expect((await asAdmin("GET", `/users/${user.id}/integrations`)).status).toBe(200);

    const missing = await asAdmin("GET", "/users/nobody%40example.test/integrations");
    const p = await problemOf(missing);
    expect([missing.status, p.code, p.detail]).toEqual([404, "user_not_found", "No account has the email nobody@example.test."]);
  });

  it("refresh forces one upstream refresh; a provider not connected is 404 integration_not_found; an unknown provider is 404 unknown_provider", async () => {
    const user = await createUser("ref");
    const refreshToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(user.id, "github", { accessToken: "at-fresh", refreshToken, expiresAt: new Date(Date.now() + 3_600_000) });
    const res = await asAdmin("POST", `/users/${encodeURIComponent(emailOf(user))}/integrations/github/refresh`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: { id: user.id }, integration: { provider: "github", status: "active", lastError: null } });
    expect(await upstreamCount(refreshToken)).toBe(1);
    const row = (await storedRow(user.id, "github"))!;
    expect(await decryptToken(getConfig(env).encryptionKeys!, row.id, "access_token_enc", row.accessTokenEnc!)).not.toBe("at-fresh");
    expect(await auditRows("admin.integration_refreshed", user.id)).toEqual([expect.objectContaining({ actorType: "admin", result: "success", detail: { provider: "github" } })]);

    const none = await asAdmin("POST", `/users/${encodeURIComponent(emailOf(user))}/integrations/calendar/refresh`);
    expect([none.status, (await problemOf(none)).code]).toEqual([404, "integration_not_found"]);
    const unknown = await asAdmin("POST", `/users/${encodeURIComponent(emailOf(user))}/integrations/myspace/refresh`);
    expect([unknown.status, (await problemOf(unknown)).code]).toEqual([404, "unknown_provider"]);
  });

  it("revoke disconnects a really connected integration and revokes it at the provider; a second revoke is 404 integration_not_found", async () => {
    const user = await createUser("rev");
    await connect(user.token, "gmail");
    const row = (await storedRow(user.id, "gmail"))!;
    const refreshToken = await decryptToken(getConfig(env).encryptionKeys!, row.id, "refresh_token_enc", row.refreshTokenEnc!);

    const res = await asAdmin("POST", `/users/${encodeURIComponent(emailOf(user))}/integrations/gmail/revoke`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ integration: { provider: "gmail", status: "disconnected" } });
    expect(await upstreamCount(`revoke:${refreshToken}`)).toBe(1);
    expect((await storedRow(user.id, "gmail"))!).toMatchObject({ status: "disconnected", accessTokenEnc: null, refreshTokenEnc: null });
    expect(await auditRows("admin.integration_revoked", user.id)).toEqual([expect.objectContaining({ actorType: "admin", detail: { provider: "gmail" } })]);

    const again = await asAdmin("POST", `/users/${encodeURIComponent(emailOf(user))}/integrations/gmail/revoke`);
    expect([again.status, (await problemOf(again)).code]).toEqual([404, "integration_not_found"]);
  });
});

describe("an account's export and deletion", () => {
  it("export gives the account's document without secrets and is recorded as an administrator's export", async () => {
    const user = await createUser("exp");
    await seedIntegration(user.id, "calendar", { accessToken: "at-secret-calendar", refreshToken: "rt-secret-calendar", expiresAt: null });
    const res = await asAdmin("GET", `/users/${encodeURIComponent(emailOf(user))}/export`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const data = JSON.parse(text) as { format: string; user: { email: string }; integrations: { provider: string }[] };
    expect(data.format).toBe("taskpilot-account-export/1");
    expect(data.user.email).toBe(emailOf(user));
    expect(data.integrations.map((i) => i.provider)).toEqual(["calendar"]);
    for (const secret of ["at-secret-calendar", "rt-secret-calendar", "passwordHash", "password_hash", "v2."]) expect(text).not.toContain(secret);
    expect(await auditRows("admin.account_exported", user.id)).toEqual([expect.objectContaining({ actorType: "admin", actorId: operator.id })]);
  });

  it("delete removes the account (its tombstone names the operator); again is 404 user_not_found", async () => {
    const user = await createUser("del");
    await seedIntegration(user.id, "slack", { accessToken: "at", expiresAt: null });
    const res = await withVars({ ADMIN_TOKEN: OPERATOR_TOKEN }, `/users/${encodeURIComponent(emailOf(user))}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, "x-taskpilot-operator": "bob" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ deleted: { id: user.id, email: emailOf(user) } });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM users WHERE id = ?").bind(user.id).first<{ n: number }>()).toEqual({ n: 0 });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM integrations WHERE user_id = ?").bind(user.id).first<{ n: number }>()).toEqual({ n: 0 });
    expect(await auditRows("account.deleted", user.id)).toEqual([expect.objectContaining({ actorType: "operator", actorId: "bob" })]);
    // The user's own token stops working.
    expect((await SELF.fetch(`${ORIGIN}/api/me`, authed(user))).status).toBe(401);

    const again = await asAdmin("DELETE", `/users/${encodeURIComponent(emailOf(user))}`);
    expect([again.status, (await problemOf(again)).code]).toEqual([404, "user_not_found"]);
  });
});

describe("dead letters", () => {
  /** A stored GitHub ping that was never processed: what a delivery that ran out of retries looks like. */
  async function unprocessedDelivery(): Promise<string> {
    const id = crypto.randomUUID();
    await recordDelivery(database(env), {
      id,
      provider: "github",
      deliveryId: crypto.randomUUID(),
      eventType: "ping",
      action: null,
      payloadHash: "0".repeat(64),
      payload: "{}",
      status: "received",
      lastError: "the handler timed out",
      receivedAt: new Date(),
    });
    return id;
  }

  async function deadLetterBatch(messageId: string, body: unknown, attempts = 1) {
    const batch = createMessageBatch("taskpilot-webhooks-dlq", [{ id: messageId, timestamp: new Date(), attempts, body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env as unknown as Env, ctx);
    return getQueueResult(batch, ctx);
  }

  it("the dispatcher records each dead letter once (before the feature marks it failed); listed by queue; requeue sends it back onto the real queue once", async () => {
    const deliveryId = await unprocessedDelivery();
    const messageId = `dlq-${crypto.randomUUID()}`;
    const result = await deadLetterBatch(messageId, { id: deliveryId, replay: false });
    expect(result.explicitAcks).toEqual([messageId]);
    // The feature's own dead-letter handling still ran.
    expect((await findDelivery(database(env), deliveryId))!).toMatchObject({ status: "failed", lastError: "the handler timed out" });
    // The same message delivered again by the dead-letter queue: still one row, attempts moved on.
    await deadLetterBatch(messageId, { id: deliveryId, replay: false }, 2);
    const stored = await env.DB.prepare("SELECT queue, body, attempts, requeued_at FROM dead_letters WHERE id = ?").bind(messageId).all();
    expect(stored.results).toEqual([{ queue: "taskpilot-webhooks", body: JSON.stringify({ id: deliveryId, replay: false }), attempts: 2, requeued_at: null }]);

    const list = await asAdmin("GET", "/queues/taskpilot-webhooks/dead-letters");
    expect(list.status).toBe(200);
    const listed = ((await list.json()) as { queue: string; deadLetters: DeadLetter[] }).deadLetters.find((d) => d.id === messageId);
    expect(listed).toMatchObject({ queue: "taskpilot-webhooks", body: { id: deliveryId, replay: false }, attempts: 2, requeuedAt: null });
    // The -dlq name finds the same list.
    expect(((await (await asAdmin("GET", "/queues/taskpilot-webhooks-dlq/dead-letters")).json()) as { deadLetters: DeadLetter[] }).deadLetters.some((d) => d.id === messageId)).toBe(true);

    const requeued = await asAdmin("POST", `/queues/taskpilot-webhooks/dead-letters/${messageId}/requeue`);
    expect(requeued.status).toBe(200);
    expect(await requeued.json()).toEqual({ queue: "taskpilot-webhooks", requeued: [messageId], alreadyRequeued: [] } satisfies RequeueResult);
    // The real WEBHOOKS consumer processes the delivery it was given back.
    const processed = await vi.waitFor(
      async () => {
        const row = await findDelivery(database(env), deliveryId);
        if (row?.status !== "processed") throw new Error(`not processed yet: ${row?.status}`);
        return row;
      },
      { timeout: 20_000, interval: 50 },
    );
    expect(processed.outcome).toBe("ping: the hook is set up");

    const twice = await asAdmin("POST", `/queues/taskpilot-webhooks/dead-letters/${messageId}/requeue`);
    const second = (await twice.json()) as RequeueResult;
    expect(second.requeued).toEqual([]);
    expect(second.alreadyRequeued).toEqual([{ id: messageId, requeuedAt: expect.any(String) }]);
    // Listed only with all=true once requeued.
    expect(((await (await asAdmin("GET", "/queues/taskpilot-webhooks/dead-letters")).json()) as { deadLetters: DeadLetter[] }).deadLetters.some((d) => d.id === messageId)).toBe(false);
    const all = (await (await asAdmin("GET", "/queues/taskpilot-webhooks/dead-letters?all=true")).json()) as { deadLetters: DeadLetter[] };
    expect(all.deadLetters.find((d) => d.id === messageId)?.requeuedAt).toEqual(expect.any(String));
    expect(await auditRows("admin.dead_letters_requeued")).toEqual(expect.arrayContaining([expect.objectContaining({ actorType: "admin", detail: { queue: "taskpilot-webhooks", requeued: 1, message: messageId } })]));
  });

  it("a knowledge-base dead letter requeued by an operator brings its failed document back to pending, and the real consumer indexes it", async () => {
    const owner = await createUser("kb-dlq");
    const doc = await addDocument(quietEnv(), owner, "Runbook", "# Runbook\n\nWhat to do when indexing stalls: requeue the dead letter.");
    const messageId = `dlq-${crypto.randomUUID()}`;
    const body = { documentId: doc.id, userId: owner.id };
    const batch = createMessageBatch("taskpilot-kb-index-dlq", [{ id: messageId, timestamp: new Date(), attempts: 1, body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env as unknown as Env, ctx);
    await getQueueResult(batch, ctx);
    // The feature's own dead-letter handling failed the document, with a reason.
    expect((await detail(owner, doc.id)).document).toMatchObject({ status: "failed", error: expect.stringContaining("Indexing failed") });

    const requeued = await asAdmin("POST", `/queues/taskpilot-kb-index/dead-letters/${messageId}/requeue`);
    expect(await requeued.json()).toEqual({ queue: "taskpilot-kb-index", requeued: [messageId], alreadyRequeued: [] } satisfies RequeueResult);
    const indexed = await vi.waitFor(
      async () => {
        const d = (await detail(owner, doc.id)).document;
        if (d.status !== "indexed") throw new Error(`not indexed yet: ${d.status}`);
        return d;
      },
      { timeout: 20_000, interval: 50 },
    );
    expect(indexed).toMatchObject({ status: "indexed", error: null });
  });

  it("requeue of everything pending sends each once; an unknown queue is 404 unknown_queue naming the queues; an unknown id is 404 dead_letter_not_found", async () => {
    const ids = [`dlq-${crypto.randomUUID()}`, `dlq-${crypto.randomUUID()}`];
    const deliveries = [await unprocessedDelivery(), await unprocessedDelivery()];
    for (const [i, id] of ids.entries()) await deadLetterBatch(id, { id: deliveries[i], replay: false });
    const res = await asAdmin("POST", "/queues/taskpilot-webhooks/dead-letters/requeue");
    const body = (await res.json()) as RequeueResult;
    expect(res.status).toBe(200);
    expect(body.requeued).toEqual(expect.arrayContaining(ids));
    expect((await (await asAdmin("POST", "/queues/taskpilot-webhooks/dead-letters/requeue")).json()) as RequeueResult).toMatchObject({ requeued: [] });
    for (const id of deliveries) {
      await vi.waitFor(
        async () => {
          if ((await findDelivery(database(env), id))?.status !== "processed") throw new Error("not processed yet");
        },
        { timeout: 20_000, interval: 50 },
      );
    }

    const unknown = await asAdmin("GET", "/queues/taskpilot-nope/dead-letters");
    const p = await problemOf(unknown);
    expect([unknown.status, p.code]).toEqual([404, "unknown_queue"]);
    expect((p as unknown as { queues: string[] }).queues).toEqual(QUEUE_NAMES);
    expect(p.detail).toContain("taskpilot-kb-index, taskpilot-spec-exec, taskpilot-pr-create, taskpilot-webhooks");
    const missing = await asAdmin("POST", "/queues/taskpilot-kb-index/dead-letters/no-such-message/requeue");
    expect([missing.status, (await problemOf(missing)).code]).toEqual([404, "dead_letter_not_found"]);
  });
});
