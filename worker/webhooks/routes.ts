import { Hono } from "hono";
import type { AppBindings } from "../http/types";
import "./consumer";
import { parseJson, readRawBody, secretMissing, signatureRejected, storeAndEnqueue } from "./receive";
import { verifyGithubSignature, verifySlackSignature } from "./verify";

const text = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);
const field = (v: unknown, key: string): unknown => (v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined);

/**
 * `POST /webhooks/github` and `POST /webhooks/slack`: outside /api, no
 * bearer token — the provider's signature over the raw body is the
 * credential. Verified, stored, enqueued, answered; the work happens on the
 * `WEBHOOKS` queue (consumer.ts), so the answer comes well inside Slack's
 * 3 s and GitHub's 10 s.
 */
export const webhooks = new Hono<AppBindings>()
  .post("/github", async (c) => {
    const secret = c.get("config").webhookSecrets.github;
    if (!secret) throw secretMissing("GITHUB_WEBHOOK_SECRET");
    const body = await readRawBody(c);
    const verdict = await verifyGithubSignature(secret, body, c.req.header("x-hub-signature-256"));
    if (!verdict.ok) throw signatureRejected(c.env, "github", verdict.reason);
    const json = parseJson(body);
    return storeAndEnqueue(c, {
      provider: "github",
      deliveryId: text(c.req.header("x-github-delivery")),
      eventType: text(c.req.header("x-github-event")) ?? "unknown",
      action: text(field(json, "action")) ?? null,
      body,
      json,
    });
  })
  .post("/slack", async (c) => {
    const secret = c.get("config").webhookSecrets.slack;
    if (!secret) throw secretMissing("SLACK_SIGNING_SECRET");
    const body = await readRawBody(c);
    const verdict = await verifySlackSignature(secret, body, c.req.header("x-slack-request-timestamp"), c.req.header("x-slack-signature"), Date.now());
    if (!verdict.ok) throw signatureRejected(c.env, "slack", verdict.reason);
    const json = parseJson(body);
    // Slack checks the endpoint with a challenge when it is configured: answered, not stored.
    if (text(field(json, "type")) === "url_verification") return c.json({ challenge: text(field(json, "challenge")) ?? "" });
    const event = field(json, "event");
    return storeAndEnqueue(c, {
      provider: "slack",
      deliveryId: text(field(json, "event_id")),
      eventType: text(field(event, "type")) ?? text(field(json, "type")) ?? "unknown",
      action: null,
      body,
      json,
    });
  });
