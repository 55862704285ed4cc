import type { Context } from "hono";
import { hex } from "../crypto";
import { database } from "../db/client";
import { recordDelivery, type NewDelivery } from "../db/webhooks";
import { AppError } from "../errors";
import type { Env } from "../env";
import { log } from "../http/log";
import { metrics } from "../metrics/record";
import type { AppBindings } from "../http/types";
import type { WebhookMessage } from "./consumer";

/** Larger bodies are refused before they are read whole (GitHub caps payloads at 25 MB; none we handle come near 1 MB). */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

/** The raw bytes, exactly as signed: never parsed and re-serialised before the signature is checked. */
export async function readRawBody(c: Context<AppBindings>): Promise<Uint8Array> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > MAX_WEBHOOK_BYTES) throw tooLarge();
  const body = c.req.raw.body;
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_WEBHOOK_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) (out.set(chunk, at), (at += chunk.byteLength));
  return out;
}

const tooLarge = () => new AppError(413, "payload_too_large", `A webhook body is at most ${MAX_WEBHOOK_BYTES} bytes.`);

const PROVIDER_NAMES = { github: "GitHub", slack: "Slack" } as const;

export function signatureRejected(env: Env, provider: "github" | "slack", reason: string): AppError {
  const name = PROVIDER_NAMES[provider];
  // Logged for the operator (a rotated secret shows up here); the caller learns only that it was refused.
  log("warn", "webhook_signature_rejected", { provider: name, reason });
  metrics(env).inc("taskpilot_webhook_deliveries_total", { provider, outcome: "bad_signature" });
  return new AppError(401, "invalid_signature", `The ${name} signature could not be verified: ${reason}.`);
}

export function secretMissing(variable: string): AppError {
  return new AppError(503, "config_missing", `${variable} is not set, so deliveries cannot be verified and none are accepted.`, { variable });
}

/** JSON, or undefined (the receiver records the delivery as failed and answers 400). */
export function parseJson(body: Uint8Array): unknown | undefined {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
  } catch {
    return undefined;
  }
}

export interface Received {
  provider: "github" | "slack";
  deliveryId: string | undefined;
  eventType: string;
  action: string | null;
  body: Uint8Array;
  json: unknown | undefined;
}

/**
 * Stores a verified delivery and enqueues it. A repeat of a delivery that
 * was stored is acknowledged without a second processing; if it is still
 * waiting for its first attempt it is enqueued again (the first enqueue may
 * be what failed), which processing's idempotency makes safe. A body that is
 * not JSON is stored as `failed` and answered 400.
 */
export async function storeAndEnqueue(c: Context<AppBindings>, received: Received): Promise<Response> {
  const text = new TextDecoder().decode(received.body);
  // Of the bytes as received (what was signed), not of the text decoded from them.
  const hash = hex(await crypto.subtle.digest("SHA-256", received.body));
  const delivery: NewDelivery = {
    id: crypto.randomUUID(),
    provider: received.provider,
    deliveryId: (received.deliveryId ?? `sha256:${hash}`).slice(0, 200),
    eventType: received.eventType.slice(0, 100),
    action: received.action?.slice(0, 100) ?? null,
    payloadHash: hash,
    payload: text,
    status: received.json === undefined ? "failed" : "received",
    lastError: received.json === undefined ? "the body is not JSON" : null,
    receivedAt: new Date(),
  };
  const { row, created } = await recordDelivery(database(c.env), delivery);
  metrics(c.env).inc("taskpilot_webhook_deliveries_total", { provider: received.provider, outcome: !created ? "duplicate" : received.json === undefined ? "invalid_payload" : "accepted" });
  if (received.json === undefined && created) {
    throw new AppError(400, "invalid_payload", "The body is signed but is not JSON; the delivery is recorded as failed.");
  }
  if (created || (row.status === "received" && row.attempts === 0)) {
    const message: WebhookMessage = { id: row.id, replay: false };
    await c.env.WEBHOOKS.send(message);
  }
  return c.json({ ok: true, id: row.id, duplicate: !created });
}
