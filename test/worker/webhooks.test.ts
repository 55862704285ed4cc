import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { createHmac } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { database } from "../../worker/db/client";
import { updateIntegration } from "../../worker/db/integrations";
import { findDelivery, type WebhookDeliveryRow } from "../../worker/db/webhooks";
import type { Env } from "../../worker/env";
import worker from "../../worker/index";
import { consumeWebhooks, webhookRetryDelaySeconds, type WebhookMessage } from "../../worker/webhooks/consumer";
import { problemOf } from "./auth-helpers";
import { seedIntegration, storedRow } from "./integrations-helpers";
import { authed, connect, createUser, ORIGIN, type TestUser } from "./realtime-helpers";

// Processing happens on the real local queue (a 1 s batch window): room for a loaded machine.
vi.setConfig({ testTimeout: 30_000 });

const GITHUB_SECRET = "test-github-webhook-secret";
const SLACK_SECRET = "test-slack-signing-secret";

const hmac = (secret: string, data: string) => createHmac("sha256", secret).update(data).digest("hex");

function github(body: string, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${ORIGIN}/webhooks/github`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "ping",
      "x-github-delivery": crypto.randomUUID(),
      "x-hub-signature-256": `sha256=${hmac(GITHUB_SECRET, body)}`,
      ...headers,
    },
    body,
  });
}

function slack(body: string, { at = Math.floor(Date.now() / 1000), signature }: { at?: number; signature?: string } = {}): Promise<Response> {
  return SELF.fetch(`${ORIGIN}/webhooks/slack`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-slack-request-timestamp": String(at),
      "x-slack-signature": signature ?? `v0=${hmac(SLACK_SECRET, `v0:${at}:${body}`)}`,
    },
    body,
  });
}

async function rowsFor(deliveryId: string): Promise<number> {
  const r = await env.DB.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE delivery_id = ?").bind(deliveryId).first<{ n: number }>();
  return r!.n;
}

/** Waits for the real queue's consumer to settle the delivery (polls the row; no fixed sleep). */
async function settled(id: string, status: string = "processed"): Promise<WebhookDeliveryRow> {
  return vi.waitFor(
    async () => {
      const row = await findDelivery(database(env), id);
      if (!row || row.status !== status) throw new Error(`delivery ${id} is not ${status} yet: ${JSON.stringify(row)}`);
      return row;
    },
    { timeout: 20_000, interval: 25 },
  );
}

/** One message through the consumer, as the queue would hand it over, with what the consumer did to it. */
async function consumeOne(queue: string, body: WebhookMessage, attempts = 1) {
  const done: string[] = [];
  const delays: number[] = [];
  const message = {
    id: crypto.randomUUID(),
    timestamp: new Date(),
    body,
    attempts,
    ack: () => void done.push("ack"),
    retry: (options?: { delaySeconds?: number }) => void (done.push("retry"), delays.push(options?.delaySeconds ?? 0)),
  };
  const batch = { queue, messages: [message], ackAll: () => undefined, retryAll: () => undefined } as unknown as MessageBatch<unknown>;
  await consumeWebhooks(batch, env as unknown as Env, { now: () => Date.UTC(2026, 11, 5) });
  return { done, delays };
}

async function slackIntegration(user: TestUser, team: string, slackUser: string) {
  await seedIntegration(user.id, "slack", { accessToken: `xoxp-${crypto.randomUUID()}`, expiresAt: null });
  const row = (await storedRow(user.id, "slack"))!;
  await updateIntegration(database(env), row.id, { accountId: `${team}:${slackUser}` });
}

const tokensRevoked = (team: string, users: string[]) =>
  JSON.stringify({ type: "event_callback", team_id: team, event_id: `Ev${crypto.randomUUID().slice(0, 8)}`, event: { type: "tokens_revoked", tokens: { oauth: users, bot: [] } } });

describe("webhook receivers: verification over the raw bytes", () => {
  it("a signed GitHub delivery is stored, acknowledged and processed", async () => {
    const deliveryId = crypto.randomUUID();
    const res = await github(JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 }), { "x-github-delivery": deliveryId });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; duplicate: boolean };
    expect(body.duplicate).toBe(false);
    const row = await settled(body.id);
    expect(row).toMatchObject({ provider: "github", deliveryId, eventType: "ping", attempts: 1, outcome: "ping: the hook is set up" });
  });

  it.each([
    ["a missing signature", { "x-hub-signature-256": "" }],
    ["a SHA-1 signature only", { "x-hub-signature-256": "", "x-hub-signature": "sha1=0000000000000000000000000000000000000000" }],
    ["a malformed signature", { "x-hub-signature-256": "sha256=xyz" }],
    ["a signature of another body", { "x-hub-signature-256": `sha256=${hmac(GITHUB_SECRET, '{"a":2}')}` }],
    ["a signature with another secret", { "x-hub-signature-256": `sha256=${hmac("another secret", '{"a":1}')}` }],
  ])("GitHub: %s → 401, nothing stored", async (_what, headers) => {
    const deliveryId = crypto.randomUUID();
    const res = await github('{"a":1}', { "x-github-delivery": deliveryId, ...headers });
    expect([res.status, (await problemOf(res)).code]).toEqual([401, "invalid_signature"]);
    expect(await rowsFor(deliveryId)).toBe(0);
  });

  it("a body changed by one byte after signing → 401", async () => {
    const deliveryId = crypto.randomUUID();
    const signed = '{"action":"opened","n":1}';
    const res = await github('{"action":"opened","n":2}', { "x-github-delivery": deliveryId, "x-hub-signature-256": `sha256=${hmac(GITHUB_SECRET, signed)}` });
    expect(res.status).toBe(401);
    expect(await rowsFor(deliveryId)).toBe(0);
  });

  it("Slack: a stale or future timestamp, or a wrong signature → 401, nothing stored", async () => {
    // Ten minutes either way: far enough past the five-minute window that no machine's slowness can bring it back inside
    // (the boundary itself is tested with an injected clock in unit/webhooks-verify).
    const now = Math.floor(Date.now() / 1000);
    for (const at of [now - 600, now + 600]) {
      const body = tokensRevoked("TSTALE", ["U1"]);
      const res = await slack(body, { at });
      expect([res.status, (await problemOf(res)).code]).toEqual([401, "invalid_signature"]);
      expect(await rowsFor(JSON.parse(body).event_id)).toBe(0);
    }
    const body = tokensRevoked("TSTALE", ["U1"]);
    expect((await slack(body, { signature: `v0=${hmac("wrong", `v0:${now}:${body}`)}` })).status).toBe(401);
  });

  it("Slack's url_verification is answered with its challenge and not stored", async () => {
    const res = await slack(JSON.stringify({ type: "url_verification", challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", token: "x" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
  });

  it("a signed body that is not JSON → 400, recorded as failed, never enqueued", async () => {
    const deliveryId = crypto.randomUUID();
    const res = await github('{"truncated": ', { "x-github-delivery": deliveryId });
    expect([res.status, (await problemOf(res)).code]).toEqual([400, "invalid_payload"]);
    const row = await env.DB.prepare("SELECT status, last_error, attempts FROM webhook_deliveries WHERE delivery_id = ?").bind(deliveryId).first();
    expect(row).toEqual({ status: "failed", last_error: "the body is not JSON", attempts: 0 });
  });

  it("a body over 1 MB → 413 before it is read", async () => {
    const res = await github(JSON.stringify({ big: "x".repeat(1024 * 1024) }));
    expect([res.status, (await problemOf(res)).code]).toEqual([413, "payload_too_large"]);
  });

  it("a missing secret is 503 config_missing naming it, never an accept-everything", async () => {
    const ctx = createExecutionContext();
    const bare = { ...(env as unknown as Env), GITHUB_WEBHOOK_SECRET: undefined };
    const body = '{"a":1}';
    const res = await worker.fetch(
      new Request(`${ORIGIN}/webhooks/github`, { method: "POST", body, headers: { "x-hub-signature-256": `sha256=${hmac(GITHUB_SECRET, body)}`, "x-github-event": "ping" } }),
      bare,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const p = await problemOf(res);
    expect([res.status, p.code, p.detail]).toEqual([503, "config_missing", expect.stringContaining("GITHUB_WEBHOOK_SECRET")]);
    const health = await worker.fetch(new Request(`${ORIGIN}/api/health`), bare, createExecutionContext());
    expect(((await health.json()) as { checks: { webhooks: unknown } }).checks.webhooks).toMatchObject({ ok: true, github: false, slack: true });
  });
});

describe("webhook processing: once, retried, dead-lettered", () => {
  it("a repeat delivery is acknowledged and processed once", async () => {
    const deliveryId = crypto.randomUUID();
    const body = JSON.stringify({ action: "opened", pull_request: { number: 7, merged: false } });
    const first = (await (await github(body, { "x-github-event": "pull_request", "x-github-delivery": deliveryId })).json()) as { id: string };
    await settled(first.id);
    const again = await github(body, { "x-github-event": "pull_request", "x-github-delivery": deliveryId });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: first.id, duplicate: true });
    const row = (await findDelivery(database(env), first.id))!;
    expect(row).toMatchObject({ attempts: 1, duplicates: 1, status: "processed", outcome: "recorded (opened)" });
    expect(await rowsFor(deliveryId)).toBe(1);
  });

  it("a redelivered queue message for a processed delivery runs nothing again", async () => {
    const user = await createUser("wh");
    await slackIntegration(user, "TREDELIVER", "U1");
    const res = await slack(tokensRevoked("TREDELIVER", ["U1"]));
    const { id } = (await res.json()) as { id: string };
    await settled(id);
    const { done } = await consumeOne("taskpilot-webhooks", { id, replay: false });
    expect(done).toEqual(["ack"]);
    expect((await findDelivery(database(env), id))!.attempts).toBe(2);
    const events = await env.DB.prepare("SELECT count(*) AS n FROM integration_events WHERE user_id = ? AND type = 'expired'").bind(user.id).first<{ n: number }>();
    expect(events!.n).toBe(1);
  });

  it("a poison message is retried with backoff, then the dead-letter queue marks the delivery failed with the error", async () => {
    const deliveryId = crypto.randomUUID();
    // Signed and JSON, but not the shape its handler reads: every attempt throws.
    const res = await github(JSON.stringify({ action: "revoked" }), { "x-github-event": "github_app_authorization", "x-github-delivery": deliveryId });
    const { id } = (await res.json()) as { id: string };
    // The real queue's first attempts run meanwhile; these are the ones the test drives.
    for (const attempts of [1, 2, 3]) {
      const { done, delays } = await consumeOne("taskpilot-webhooks", { id, replay: false }, attempts);
      expect(done).toEqual(["retry"]);
      expect(delays).toEqual([webhookRetryDelaySeconds(attempts)]);
    }
    expect([5, 10, 20, 300].map((_, i) => webhookRetryDelaySeconds([1, 2, 3, 20][i]!))).toEqual([5, 10, 20, 300]);
    const { done } = await consumeOne("taskpilot-webhooks-dlq", { id, replay: false });
    expect(done).toEqual(["ack"]);
    const row = (await findDelivery(database(env), id))!;
    expect(row.status).toBe("failed");
    expect(row.lastError).toContain("github_app_authorization is malformed");
    // The service is still up.
    expect((await github(JSON.stringify({ zen: "ok" }))).status).toBe(200);
  });
});

describe("provider revocations reach the integration and every tab", () => {
  it("Slack tokens_revoked turns the integration expired, withdraws its tools, and a connected socket gets the frame", async () => {
    const user = await createUser("wh");
    await slackIntegration(user, "TREVOKE", "U42");
    const other = await createUser("wh");
    await slackIntegration(other, "TREVOKE", "U43");
    const socket = await connect(user);

    const res = await slack(tokensRevoked("TREVOKE", ["U42"]));
    const { id } = (await res.json()) as { id: string };
    const row = await settled(id);
    expect(row.outcome).toBe("Slack expired for 1 of 1 connected integration");

    await socket.until(() => socket.events.some((f) => f.kind === "integration" && (f as { provider?: string }).provider === "slack"), "the integration frame");
    expect((await storedRow(user.id, "slack"))!).toMatchObject({ status: "expired", lastErrorCode: "revoked_by_provider" });
    expect((await storedRow(other.id, "slack"))!.status).toBe("active");
    const tools = (await (await SELF.fetch(`${ORIGIN}/api/tools`, authed(user))).json()) as { tools: { name: string }[] };
    expect(tools.tools.map((t) => t.name).filter((n) => n.startsWith("slack."))).toEqual([]);
  });

  it("GitHub github_app_authorization revoked expires the GitHub integration of that account; app_uninstalled expires a whole Slack team", async () => {
    const user = await createUser("wh");
    await seedIntegration(user.id, "github", { accessToken: "gho_x", expiresAt: null });
    const gh = (await storedRow(user.id, "github"))!;
    const accountId = String(Math.floor(Math.random() * 1e9));
    await updateIntegration(database(env), gh.id, { accountId });
    const res = await github(JSON.stringify({ action: "revoked", sender: { id: Number(accountId), login: "octocat" } }), { "x-github-event": "github_app_authorization" });
    await settled(((await res.json()) as { id: string }).id);
    expect((await storedRow(user.id, "github"))!.status).toBe("expired");

    const a = await createUser("wh");
    const b = await createUser("wh");
    await slackIntegration(a, "TGONE", "U1");
    await slackIntegration(b, "TGONE", "U2");
    const gone = await slack(JSON.stringify({ type: "event_callback", team_id: "TGONE", event_id: `Ev${crypto.randomUUID()}`, event: { type: "app_uninstalled" } }));
    expect((await settled(((await gone.json()) as { id: string }).id)).outcome).toBe("Slack expired for 2 of 2 connected integrations");
  });
});

describe("replay (admin)", () => {
  it("an admin replays a stored delivery by the provider's id; it runs again and stays idempotent; anyone else gets 403", async () => {
    const user = await createUser("wh");
    await slackIntegration(user, "TREPLAY", "U9");
    const body = tokensRevoked("TREPLAY", ["U9"]);
    const { id } = (await (await slack(body)).json()) as { id: string };
    await settled(id);

    const plain = await SELF.fetch(`${ORIGIN}/api/admin/webhooks/deliveries/${id}/replay`, authed(user, { method: "POST" }));
    expect([plain.status, (await problemOf(plain)).code]).toEqual([403, "admin_only"]);

    const operator = await createUser("admin");
    await env.DB.prepare("UPDATE users SET role = 'admin' WHERE id = ?").bind(operator.id).run();
    const replay = await SELF.fetch(`${ORIGIN}/api/admin/webhooks/deliveries/${JSON.parse(body).event_id}/replay`, authed(operator, { method: "POST" }));
    expect(replay.status).toBe(202);
    expect(((await replay.json()) as { delivery: { id: string; replays: number } }).delivery).toMatchObject({ id, replays: 1 });
    const after = await settled(id);
    expect(after.attempts).toBe(2);
    const events = await env.DB.prepare("SELECT count(*) AS n FROM integration_events WHERE user_id = ? AND type = 'expired'").bind(user.id).first<{ n: number }>();
    expect(events!.n).toBe(1);

    const list = (await (await SELF.fetch(`${ORIGIN}/api/admin/webhooks/deliveries`, authed(operator))).json()) as { deliveries: { id: string; status: string }[] };
    expect(list.deliveries.find((d) => d.id === id)).toMatchObject({ status: "processed" });
    const missing = await SELF.fetch(`${ORIGIN}/api/admin/webhooks/deliveries/nope/replay`, authed(operator, { method: "POST" }));
    expect(missing.status).toBe(404);
  });
});
