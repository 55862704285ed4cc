import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { KEEP_AT_LEAST } from "../../worker/realtime/event-log";
import { PURGE_BATCH_ROWS, PURGE_MAX_BATCHES, RETENTION } from "../../worker/ops/retention";
import worker from "../../worker/index";
import { problemOf, refresh, register } from "./auth-helpers";
import { createUser } from "./realtime-helpers";

const DAY = 86_400_000;

/**
 * The pass's clock, injected through the controller's scheduledTime: an hour
 * behind the wall clock, so a purge that read the wall clock instead would
 * judge the rows placed exactly at a cutoff differently and fail here.
 */
const T = Date.now() - 3_600_000;

async function cronPass(scheduledTime = T): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime, cron: "*/5 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

/** `count` history rows for a user in one statement: seq from+0 … from+count-1, all created at `createdAt`. */
async function insertEvents(userId: string, from: number, count: number, createdAt: number): Promise<void> {
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
     INSERT INTO events (user_id, seq, kind, frame, created_at) SELECT ?2, ?3 + i, 'status', '{}', ?4 FROM n`,
  )
    .bind(count, userId, from, createdAt)
    .run();
}

async function seqs(userId: string): Promise<number[]> {
  const rows = await env.DB.prepare("SELECT seq FROM events WHERE user_id = ? ORDER BY seq").bind(userId).all<{ seq: number }>();
  return rows.results.map((r) => r.seq);
}

const range = (from: number, through: number) => Array.from({ length: through - from + 1 }, (_, i) => from + i);

afterEach(() => vi.restoreAllMocks());

const DAY_MS = 86_400_000;

describe("retention pass (cron, clock from the scheduled controller)", () => {
  it(`drops history older than ${RETENTION.eventsMs / DAY} days but keeps each user's newest ${KEEP_AT_LEAST} ids whatever their age`, async () => {
    const cutoff = T - RETENTION.eventsMs;
    // Busy: 1,002 events. #1 is a millisecond past the cutoff, #2 exactly on it, the rest recent.
    const busy = await createUser("ret");
    await insertEvents(busy.id, 1, 1, cutoff - 1);
    await insertEvents(busy.id, 2, 1, cutoff);
    await insertEvents(busy.id, 3, 1_000, T - DAY);
    // Quiet: 1,005 events, all far past the cutoff: only the 5 beyond the newest 1,000 go.
    const quiet = await createUser("ret");
    await insertEvents(quiet.id, 1, 1_005, cutoff - 60 * DAY);
    // Rare: 3 old events: all kept (the hub's replay promise, and the numbering after a lost hub, rest on them).
    const rare = await createUser("ret");
    await insertEvents(rare.id, 1, 3, cutoff - 60 * DAY);

    await cronPass();
    expect(await seqs(busy.id)).toEqual(range(2, 1_002));
    expect(await seqs(quiet.id)).toEqual(range(6, 1_005));
    expect(await seqs(rare.id)).toEqual([1, 2, 3]);
  });

  it(`removes at most ${PURGE_BATCH_ROWS * PURGE_MAX_BATCHES} rows of a kind per pass and says a backlog is left; the next pass continues`, async () => {
    const u = await createUser("ret");
    const cutoff = T - RETENTION.integrationEventsMs;
    const cap = PURGE_BATCH_ROWS * PURGE_MAX_BATCHES;
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
       INSERT INTO integration_events (id, user_id, provider, type, status, detail, created_at)
       SELECT ?2 || '-' || i, ?2, 'gmail', 'refreshed', 'active', '{}', ?3 FROM n`,
    )
      .bind(cap + 50, u.id, cutoff - 1)
      .run();
    await env.DB.prepare(
      "INSERT INTO integration_events (id, user_id, provider, type, status, detail, created_at) VALUES (?1 || '-edge', ?1, 'gmail', 'refreshed', 'active', '{}', ?2)",
    )
      .bind(u.id, cutoff)
      .run();
    const left = async () =>
      (await env.DB.prepare("SELECT count(*) AS n FROM integration_events WHERE user_id = ?").bind(u.id).first<{ n: number }>())!.n;
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});

    await cronPass();
    expect(await left()).toBe(51);
    const backlog = warn.mock.calls.map((c) => JSON.parse(String(c[0])) as Record<string, unknown>).find((l) => l.message === "retention_backlog");
    expect(backlog).toMatchObject({ purge: "integration_events", deleted: cap });

    await cronPass();
    expect(await left()).toBe(1);
  });

  it("drops refresh tokens spent longer ago than a login lives and logins ended 30 days ago, keeps the rest", async () => {
    const u = await createUser("ret");
    const day = (n: number) => T + n * DAY;
    const families: Array<[string, number, number, number | null]> = [
      // id, created, expires, revoked
      ["live", day(-20), day(10), null],
      ["expired-long-ago", day(-61), day(-31), null],
      ["expired-on-cutoff", day(-60), day(-30), null],
      ["revoked-long-ago", day(-40), day(-10), day(-30) - 1],
      ["revoked-recently", day(-5), day(25), day(-1)],
    ];
    for (const [id, created, expires, revoked] of families) {
      await env.DB.prepare("INSERT INTO refresh_families (id, user_id, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?)")
        .bind(`${u.id}:${id}`, u.id, created, expires, revoked)
        .run();
    }
    const tokens: Array<[string, string, number | null]> = [
      // id, family, used
      ["live-spent", "live", day(-19)],
      ["live-current", "live", null],
      ["old-spent", "expired-long-ago", day(-60)],
      ["old-current", "expired-long-ago", null],
      ["edge-spent", "expired-on-cutoff", day(-30) - 1],
      ["edge-current", "expired-on-cutoff", null],
      ["revoked-spent", "revoked-long-ago", day(-35)],
      ["recent-spent", "revoked-recently", day(-2)],
    ];
    for (const [id, family, used] of tokens) {
      await env.DB.prepare("INSERT INTO refresh_tokens (id, family_id, user_id, token_hash, created_at, used_at) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(`${u.id}:${id}`, `${u.id}:${family}`, u.id, `${u.id}:${id}:hash`, day(-61), used)
        .run();
    }

    await cronPass();
    const ids = async (table: string) =>
      (await env.DB.prepare(`SELECT id FROM ${table} WHERE user_id = ? ORDER BY id`).bind(u.id).all<{ id: string }>()).results.map((r) =>
        r.id.slice(u.id.length + 1),
      );
    expect(await ids("refresh_families")).toEqual(["expired-on-cutoff", "live", "revoked-recently"]);
    expect(await ids("refresh_tokens")).toEqual(["edge-current", "live-current", "live-spent", "recent-spent"]);
  });

  it("a spent refresh token of a live login survives the pass, so presenting it again still ends the login (RFC 9700 §4.14.2)", async () => {
    const session = await register();
    const rotated = await refresh(session.refreshToken);
    expect(rotated.status).toBe(200);
    const next = ((await rotated.json()) as { refreshToken: string }).refreshToken;

    await cronPass();
    const reused = await refresh(session.refreshToken);
    expect((await problemOf(reused)).code).toBe("refresh_token_reused");
    expect((await problemOf(await refresh(next))).code).toBe("refresh_token_revoked");
  });

  it("drops realtime tickets once expired or used, OAuth states once expired, rate-limit windows after a day, webhook deliveries after 30 days, and dead letters 30 days after they were last seen", async () => {
    const u = await createUser("ret");
    const tickets: Array<[string, number, number | null]> = [
      ["expired", T - 1, null],
      ["used", T + 60_000, T - 1_000],
      ["live", T + 1, null],
    ];
    for (const [name, expires, used] of tickets) {
      await env.DB.prepare("INSERT INTO realtime_tickets (ticket_hash, user_id, expires_at, used_at) VALUES (?, ?, ?, ?)")
        .bind(`${u.id}:${name}`, u.id, expires, used)
        .run();
    }
    for (const [name, expires] of [["expired", T - 1], ["live", T + 1]] as const) {
      await env.DB.prepare(
        "INSERT INTO oauth_states (state_hash, user_id, provider, code_verifier, return_to, created_at, expires_at) VALUES (?, ?, 'gmail', 'v', '/', ?, ?)",
      )
        .bind(`${u.id}:${name}`, u.id, T - 600_000, expires)
        .run();
    }
    for (const [name, received] of [["old", T - RETENTION.webhookDeliveriesMs - 1], ["recent", T - RETENTION.webhookDeliveriesMs]] as const) {
      await env.DB.prepare(
        "INSERT INTO webhook_deliveries (id, provider, delivery_id, event_type, payload_hash, payload, received_at) VALUES (?, 'github', ?, 'ping', 'h', '{}', ?)",
      )
        .bind(`${u.id}:${name}`, `${u.id}:${name}`, received)
        .run();
    }
    for (const [name, seen, requeued] of [["old", T - RETENTION.deadLettersMs - 1, null], ["old-requeued", T - RETENTION.deadLettersMs - 1, T - 1], ["recent", T - RETENTION.deadLettersMs, null]] as const) {
      await env.DB.prepare("INSERT INTO dead_letters (id, queue, body, attempts, first_seen_at, last_seen_at, requeued_at) VALUES (?, 'taskpilot-webhooks', '{}', 1, ?, ?, ?)")
        .bind(`${u.id}:${name}`, seen - DAY_MS, seen, requeued)
        .run();
    }
    for (const [name, start] of [["old", T - RETENTION.rateLimitWindowsMs - 1], ["current", T - RETENTION.rateLimitWindowsMs]] as const) {
      await env.DB.prepare("INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, 1)").bind(`${u.id}:${name}`, start).run();
    }

    await cronPass();
    const names = async (sql: string) =>
      (await env.DB.prepare(sql).bind(`${u.id}:%`).all<{ k: string }>()).results.map((r) => r.k.slice(u.id.length + 1));
    expect(await names("SELECT ticket_hash AS k FROM realtime_tickets WHERE ticket_hash LIKE ?")).toEqual(["live"]);
    expect(await names("SELECT state_hash AS k FROM oauth_states WHERE state_hash LIKE ?")).toEqual(["live"]);
    expect(await names("SELECT key AS k FROM rate_limits WHERE key LIKE ?")).toEqual(["current"]);
    expect(await names("SELECT id AS k FROM webhook_deliveries WHERE id LIKE ?")).toEqual(["recent"]);
    expect(await names("SELECT id AS k FROM dead_letters WHERE id LIKE ?")).toEqual(["recent"]);
  });
});
