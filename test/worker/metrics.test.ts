import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import { createHmac } from "node:crypto";
import parsePrometheusTextFormat, { type PromFamily } from "parse-prometheus-text-format";
import { describe, expect, it, vi } from "vitest";
import { costOf } from "../../worker/agent/pricing";
import { database } from "../../worker/db/client";
import { recordDelivery } from "../../worker/db/webhooks";
import type { Env } from "../../worker/env";
import worker from "../../worker/index";
import { flushMetrics, metrics, pendingSamples } from "../../worker/metrics/record";
import { METRIC_NAMES, REGISTRY } from "../../worker/metrics/registry";
import { answer, call, createSession, inject, scriptedModel, sendMessage } from "./agent-helpers";
import { problemOf } from "./auth-helpers";
import { api, callback, connect as connectOAuth, newUser, scriptOAuth, seedIntegration } from "./integrations-helpers";
import { detail, kbApi } from "./kb-helpers";
import { connect as openSocket, createUser, ORIGIN } from "./realtime-helpers";
import { recordingRuntime, sandboxUser } from "./tools-helpers";

/**
 * GET /api/metrics through the real worker, its real metrics Durable
 * Object and the real routes, queues and Durable Objects that record: every
 * scrape is parsed with a real Prometheus text parser, and each family is
 * checked to move by exactly what the test made happen (the delta between
 * two scrapes). Flushes run after the response (waitUntil) or at the end of
 * a batch, so the second scrape is polled until it shows the move.
 */

vi.setConfig({ testTimeout: 30_000 });

const TOKEN = env.METRICS_TOKEN as string;
const GITHUB_SECRET = "test-github-webhook-secret";

type Labels = Record<string, string>;

class Scrape {
  readonly families: PromFamily[];

  constructor(readonly text: string) {
    this.families = parsePrometheusTextFormat(text);
  }

  family(name: string): PromFamily {
    const f = this.families.find((x) => x.name === name);
    if (!f) throw new Error(`no family ${name}`);
    return f;
  }

  /** The value of the series whose labels are exactly `labels` (0 when it does not exist yet). */
  value(name: string, labels: Labels = {}): number {
    const m = this.family(name).metrics.find((s) => sameLabels(s.labels ?? {}, labels));
    return m ? Number(m.value) : 0;
  }

  /**
   * One histogram series. parse-prometheus-text-format 1.1.1 folds every
   * series of a histogram family into one (its flattenMetrics keeps only
   * unlabelled `_sum`/`_count` and overwrites buckets by `le`), so each
   * sample line of the family is parsed on its own with the same parser and
   * the series is picked by its labels.
   */
  histogram(name: string, labels: Labels = {}): { buckets: Record<string, number>; count: number; sum: number } {
    const out = { buckets: {} as Record<string, number>, count: 0, sum: 0 };
    for (const line of this.text.split("\n")) {
      if (!line.startsWith(`${name}_`)) continue;
      const [family] = parsePrometheusTextFormat(`${line}\n`);
      const sample = family!.metrics[0]!;
      const { le, ...rest } = sample.labels ?? {};
      if (!sameLabels(rest, labels)) continue;
      if (family!.name === `${name}_bucket`) out.buckets[le!] = Number(sample.value);
      else if (family!.name === `${name}_count`) out.count = Number(sample.value);
      else if (family!.name === `${name}_sum`) out.sum = Number(sample.value);
    }
    return out;
  }
}

const sameLabels = (a: Labels, b: Labels) => Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);

function get(authorization?: string): Promise<Response> {
  return SELF.fetch(`${ORIGIN}/api/metrics`, { headers: authorization ? { authorization } : {} });
}

async function scrape(authorization = `Bearer ${TOKEN}`): Promise<Scrape> {
  const res = await get(authorization);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return new Scrape(await res.text());
}

/** Polls until `check(before, after)` holds for a fresh scrape (the flush is after the response), then returns that scrape. */
async function settles(check: (after: Scrape) => void): Promise<Scrape> {
  return vi.waitFor(
    async () => {
      const after = await scrape();
      check(after);
      return after;
    },
    { timeout: 15_000, interval: 100 },
  );
}

const moved = (before: Scrape, after: Scrape, name: string, labels: Labels = {}) => after.value(name, labels) - before.value(name, labels);

describe("GET /api/metrics: who may scrape", () => {
  it("401 without credentials, 401 with a wrong token, 403 admin_only for a signed-in non-admin, 200 for an admin and for METRICS_TOKEN", async () => {
    const none = await get();
    expect(none.status).toBe(401);
    expect((await problemOf(none)).code).toBe("unauthorized");

    const wrong = await get(`Bearer ${TOKEN.slice(0, -1)}x`);
    expect(wrong.status).toBe(401);
    expect((await problemOf(wrong)).code).toBe("invalid_token");

    const user = await newUser();
    const denied = await get(`Bearer ${user.token}`);
    expect(denied.status).toBe(403);
    expect((await problemOf(denied)).code).toBe("admin_only");

    await env.DB.prepare("UPDATE users SET role = 'admin' WHERE id = ?").bind(user.userId).run();
    const asAdmin = await scrape(`Bearer ${user.token}`);
    const asScraper = await scrape();
    // Every registered family is in the exposition, with its type, from the first scrape.
    for (const s of [asAdmin, asScraper]) {
      expect(s.families.map((f) => f.name)).toEqual(METRIC_NAMES);
      for (const name of METRIC_NAMES) expect(s.family(name).type).toBe(REGISTRY[name].type.toUpperCase());
    }
  });
});

describe("GET /api/metrics: the counted things move it", () => {
  it("OAuth starts, successes and failures by provider and code; token refreshes and refresh failures", async () => {
    const user = await newUser();
    const before = await scrape();

    await connectOAuth(user.token, "github");
    // A callback whose state was never issued.
    await callback("slack", { code: "x", state: "no-such-state" });

    // A forced refresh that succeeds upstream, then one the provider refuses with invalid_grant.
    await seedIntegration(user.userId, "gmail", { accessToken: "at-ok", refreshToken: `rt-ok-${crypto.randomUUID()}`, expiresAt: new Date(Date.now() + 3_600_000) });
    expect((await api(user.token, "POST", "/api/integrations/gmail/refresh")).status).toBe(200);
    const refused = `rt-refused-${crypto.randomUUID()}`;
    await seedIntegration(user.userId, "calendar", { accessToken: "at-old", refreshToken: refused, expiresAt: new Date(Date.now() + 3_600_000) });
    await scriptOAuth(refused, { status: 400, body: { error: "invalid_grant", error_description: "revoked" } });
    expect((await api(user.token, "POST", "/api/integrations/calendar/refresh")).status).toBe(409);

    await settles((after) => {
      expect(moved(before, after, "taskpilot_oauth_starts_total", { provider: "github" })).toBe(1);
      expect(moved(before, after, "taskpilot_oauth_successes_total", { provider: "github" })).toBe(1);
      expect(moved(before, after, "taskpilot_oauth_failures_total", { provider: "slack", code: "invalid_state" })).toBe(1);
      expect(moved(before, after, "taskpilot_token_refreshes_total", { provider: "gmail" })).toBe(1);
      expect(moved(before, after, "taskpilot_token_refreshes_total", { provider: "calendar" })).toBe(1);
      expect(moved(before, after, "taskpilot_token_refresh_failures_total", { provider: "calendar", code: "invalid_grant" })).toBe(1);
      expect(moved(before, after, "taskpilot_token_refresh_failures_total", { provider: "gmail", code: "invalid_grant" })).toBe(0);
    });
  });

  it("an agent turn: turns, steps, tokens in and out, cost; and the provider API calls its tool made, with their latency histogram", async () => {
    const u = await sandboxUser(["gmail"]);
    const id = await createSession(u.token, "Metrics");
    const runtime = recordingRuntime();
    await inject(id, scriptedModel([call("c1", "gmail.search_messages", { query: "invoice" }), answer("Two invoices.")]), runtime);
    const before = await scrape();

    const res = await sendMessage(u.token, id, "search my email for invoice");
    expect(res.status).toBe(200);
    const calls = runtime.requests.length;
    expect(calls).toBeGreaterThan(0);
    const cost = costOf("gpt-4o-mini", { promptTokens: 100, completionTokens: 10 }).costUsd + costOf("gpt-4o-mini", { promptTokens: 200, completionTokens: 20 }).costUsd;
    const latency = { provider: "gmail" };
    const histBefore = before.histogram("taskpilot_provider_request_duration_seconds", latency);

    const after = await settles((a) => {
      expect(moved(before, a, "taskpilot_agent_turns_total", { outcome: "completed" })).toBe(1);
    });
    expect(moved(before, after, "taskpilot_agent_steps_total", { model: "gpt-4o-mini" })).toBe(2);
    expect(moved(before, after, "taskpilot_agent_tokens_total", { model: "gpt-4o-mini", direction: "in" })).toBe(300);
    expect(moved(before, after, "taskpilot_agent_tokens_total", { model: "gpt-4o-mini", direction: "out" })).toBe(30);
    expect(moved(before, after, "taskpilot_agent_cost_usd_total", { model: "gpt-4o-mini" })).toBeCloseTo(cost, 9);
    expect(moved(before, after, "taskpilot_provider_requests_total", { provider: "gmail", status: "2xx" })).toBe(calls);
    // The recording runtime's clock stands still, so every request took 0 s: all in the first bucket, and every bucket is cumulative.
    const hist = after.histogram("taskpilot_provider_request_duration_seconds", latency);
    expect(hist.count - histBefore.count).toBe(calls);
    expect(hist.sum - histBefore.sum).toBe(0);
    expect(hist.buckets["0.025"]! - (histBefore.buckets["0.025"] ?? 0)).toBe(calls);
    expect(hist.buckets["+Inf"]).toBe(hist.count);
    const bounds = REGISTRY.taskpilot_provider_request_duration_seconds.buckets.map(String);
    const counts = bounds.map((b) => hist.buckets[b]!);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
  });

  it("a knowledge-base upload through the real queue: pending, indexing, indexed, the indexing histogram and the queue's messages", async () => {
    const user = await createUser("metrics-kb");
    const before = await scrape();
    const res = await kbApi(user, "POST", "/documents", { title: "Notes", content: "# Notes\n\nThe metrics store is sharded four ways.", mimeType: "text/markdown" });
    expect(res.status).toBe(202);
    const { document } = (await res.json()) as { document: { id: string } };
    await vi.waitFor(async () => expect((await detail(user, document.id)).document.status).toBe("indexed"), { timeout: 15_000, interval: 100 });

    const after = await settles((a) => {
      expect(moved(before, a, "taskpilot_kb_documents_total", { status: "indexed" })).toBe(1);
      expect(a.histogram("taskpilot_kb_indexing_duration_seconds").count - before.histogram("taskpilot_kb_indexing_duration_seconds").count).toBe(1);
    });
    expect(moved(before, after, "taskpilot_kb_documents_total", { status: "pending" })).toBe(1);
    expect(moved(before, after, "taskpilot_kb_documents_total", { status: "indexing" })).toBe(1);
    expect(moved(before, after, "taskpilot_kb_documents_total", { status: "failed" })).toBe(0);
    expect(moved(before, after, "taskpilot_queue_messages_total", { queue: "taskpilot-kb-index" })).toBe(1);
    const h = after.histogram("taskpilot_kb_indexing_duration_seconds");
    expect(h.sum).toBeGreaterThan(before.histogram("taskpilot_kb_indexing_duration_seconds").sum);
    expect(h.buckets["+Inf"]).toBe(h.count);
  });

  it("webhook deliveries by outcome (accepted, duplicate, bad_signature) and the processing-time histogram", async () => {
    const before = await scrape();
    const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });
    const deliveryId = crypto.randomUUID();
    const send = (signature: string) =>
      SELF.fetch(`${ORIGIN}/webhooks/github`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": deliveryId, "x-hub-signature-256": signature },
        body,
      });
    const good = `sha256=${createHmac("sha256", GITHUB_SECRET).update(body).digest("hex")}`;
    const processed = (s: Scrape) => s.histogram("taskpilot_webhook_processing_seconds", { provider: "github" });
    expect((await send(good)).status).toBe(200);
    await settles((a) => expect(processed(a).count - processed(before).count).toBe(1));
    // The repeat arrives once the first was processed, so it is only acknowledged (not enqueued again).
    expect((await send(good)).status).toBe(200);
    expect((await send(`sha256=${"0".repeat(64)}`)).status).toBe(401);

    const after = await settles((a) => expect(moved(before, a, "taskpilot_webhook_deliveries_total", { provider: "github", outcome: "bad_signature" })).toBe(1));
    expect(processed(after).count - processed(before).count).toBe(1);
    expect(processed(after).sum).toBeGreaterThanOrEqual(processed(before).sum);
    expect(processed(after).buckets["+Inf"]).toBe(processed(after).count);
    expect(moved(before, after, "taskpilot_webhook_deliveries_total", { provider: "github", outcome: "accepted" })).toBe(1);
    expect(moved(before, after, "taskpilot_webhook_deliveries_total", { provider: "github", outcome: "duplicate" })).toBe(1);
    expect(moved(before, after, "taskpilot_webhook_deliveries_total", { provider: "github", outcome: "bad_signature" })).toBe(1);
    expect(moved(before, after, "taskpilot_queue_messages_total", { queue: "taskpilot-webhooks" })).toBe(1);
  });

  it("queue retries and dead letters per queue, counted where batches arrive", async () => {
    // A stored delivery whose payload cannot be parsed: its handler throws, so the consumer asks for a retry.
    const { row } = await recordDelivery(database(env), {
      id: crypto.randomUUID(),
      provider: "github",
      deliveryId: `metrics-${crypto.randomUUID()}`,
      eventType: "ping",
      action: null,
      payloadHash: "0".repeat(64),
      payload: "not json",
      status: "received",
      lastError: null,
      receivedAt: new Date(),
    });
    const before = await scrape();

    const batch = createMessageBatch("taskpilot-webhooks", [{ id: `m-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body: { id: row.id, replay: false } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env as unknown as Env, ctx);
    expect((await getQueueResult(batch, ctx)).retryMessages).toHaveLength(1);

    const dead = createMessageBatch("taskpilot-webhooks-dlq", [{ id: `d-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body: { id: row.id, replay: false } }]);
    const ctx2 = createExecutionContext();
    await worker.queue(dead, env as unknown as Env, ctx2);
    await getQueueResult(dead, ctx2);

    // Awaited by the dispatcher: no polling needed.
    const after = await scrape();
    expect(moved(before, after, "taskpilot_queue_messages_total", { queue: "taskpilot-webhooks" })).toBe(1);
    expect(moved(before, after, "taskpilot_queue_retries_total", { queue: "taskpilot-webhooks" })).toBe(1);
    expect(moved(before, after, "taskpilot_queue_dead_lettered_total", { queue: "taskpilot-webhooks" })).toBe(1);
    expect(moved(before, after, "taskpilot_queue_dead_lettered_total", { queue: "taskpilot-kb-index" })).toBe(0);
  });

  it("WebSocket connections: the gauge goes up on accept and back down on close; opened only counts up", async () => {
    const user = await createUser("metrics-ws");
    const before = await scrape();
    const a = await openSocket(user);
    const b = await openSocket(user);
    await settles((after) => {
      expect(moved(before, after, "taskpilot_websocket_connections")).toBe(2);
      expect(moved(before, after, "taskpilot_websocket_connections_opened_total")).toBe(2);
    });
    a.close();
    await settles((after) => expect(moved(before, after, "taskpilot_websocket_connections")).toBe(1));
    b.close();
    const after = await settles((s) => expect(moved(before, s, "taskpilot_websocket_connections")).toBe(0));
    expect(moved(before, after, "taskpilot_websocket_connections_opened_total")).toBe(2);
  });
});

describe("recording never fails the work it counts", () => {
  it("a flush that cannot reach the store is logged and dropped: it resolves, and the batch is not sent twice", async () => {
    const broken = { ...(env as unknown as Env), METRICS: undefined } as unknown as Env;
    metrics(broken).inc("taskpilot_oauth_starts_total", { provider: "gmail" }).inc("taskpilot_oauth_starts_total", { provider: "gmail" });
    expect(pendingSamples(broken)).toEqual([{ metric: "taskpilot_oauth_starts_total", labels: ["gmail"], field: "", value: 2 }]);
    await expect(flushMetrics(broken)).resolves.toBeUndefined();
    expect(pendingSamples(broken)).toEqual([]);
  });

  it("a label value outside its set is stored as other, so user input never becomes a series", async () => {
    const own = { ...(env as unknown as Env) } as Env;
    const before = await scrape();
    metrics(own).inc("taskpilot_oauth_failures_total", { provider: "someone@example.com" as "gmail", code: "free text with spaces" });
    await flushMetrics(own);
    const after = await scrape();
    expect(moved(before, after, "taskpilot_oauth_failures_total", { provider: "other", code: "other" })).toBe(1);
    expect(after.text).not.toContain("someone@example.com");
  });
});
