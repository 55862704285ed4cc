import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  INTEGRATION_AUTH_PER_USER,
  INTEGRATION_REFRESH_PER_USER,
  LOGIN_PER_EMAIL,
  LOGIN_PER_EMAIL_IP,
  LOGIN_PER_IP,
  REALTIME_TICKET_PER_USER,
  REGISTER_PER_IP,
  hitRateLimit,
} from "../../worker/auth/rate-limit";
import { sha256Hex } from "../../worker/crypto";
import { database } from "../../worker/db/client";
import { post, problemOf, register, uniqueEmail, uniqueIp } from "./auth-helpers";
import { api, newUser, scriptOAuth, seedIntegration, upstreamCount } from "./integrations-helpers";

async function expectLimited(res: Response) {
  expect(res.status).toBe(429);
  expect((await problemOf(res)).code).toBe("rate_limited");
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(LOGIN_PER_EMAIL.windowMs / 1000);
}

describe("login and register rate limits", () => {
  it("limits guesses at one email from one address, and that address only: the owner elsewhere still signs in", async () => {
    const owner = await register();
    const stranger = uniqueIp();
    for (let i = 0; i < LOGIN_PER_EMAIL_IP.limit; i++) {
      expect((await post("/api/auth/login", { email: owner.user.email, password: `guess-${i}` }, { "cf-connecting-ip": stranger })).status).toBe(401);
    }
    await expectLimited(await post("/api/auth/login", { email: owner.user.email, password: owner.password }, { "cf-connecting-ip": stranger }));

    const signIn = await post("/api/auth/login", { email: owner.user.email, password: owner.password }, { "cf-connecting-ip": uniqueIp() });
    expect(signIn.status).toBe(200);
  });

  it("counts an IPv6 client by its /64: new interface ids do not buy new guesses", async () => {
    const email = uniqueEmail("v6");
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:7`;
    for (let i = 0; i < LOGIN_PER_EMAIL_IP.limit; i++) {
      const res = await post("/api/auth/login", { email, password: `guess-${i}` }, { "cf-connecting-ip": `${prefix}::${(i + 1).toString(16)}` });
      expect(res.status).toBe(401);
    }
    await expectLimited(await post("/api/auth/login", { email, password: "one more" }, { "cf-connecting-ip": `${prefix}:0:0:0:ffff` }));
    // The neighbouring /64 is someone else.
    const next = `2001:db8:${prefix.split(":")[2]}:8::1`;
    expect((await post("/api/auth/login", { email, password: "one more" }, { "cf-connecting-ip": next })).status).toBe(401);
  });

  it("caps guesses at one email across all addresses with a looser ceiling", async () => {
    const email = uniqueEmail("guess");
    expect(LOGIN_PER_EMAIL.limit).toBeGreaterThan(LOGIN_PER_EMAIL_IP.limit);
    const fromMany = 10;
    for (let i = 0; i < fromMany; i++) expect((await post("/api/auth/login", { email, password: `guess-${i}` })).status).toBe(401);
    // The rest of the ceiling is spent directly on the counter (the ten logins above, each from a new address, must
    // have counted on it for the next one to be refused); ninety more PBKDF2 runs would only make the test slow.
    const db = database(env);
    const emailHash = await sha256Hex(email);
    for (let i = fromMany; i < LOGIN_PER_EMAIL.limit; i++) await hitRateLimit(db, LOGIN_PER_EMAIL, emailHash);
    await expectLimited(await post("/api/auth/login", { email, password: "one-more-guess" }));
  });

  it("limits login attempts per IP across many emails", async () => {
    const ip = uniqueIp();
    for (let i = 0; i < LOGIN_PER_IP.limit; i++) {
      const res = await post("/api/auth/login", { email: uniqueEmail("spray"), password: "spray-password" }, { "cf-connecting-ip": ip });
      expect(res.status).toBe(401);
    }
    await expectLimited(await post("/api/auth/login", { email: uniqueEmail("spray"), password: "spray-password" }, { "cf-connecting-ip": ip }));
    expect((await post("/api/auth/login", { email: uniqueEmail("spray"), password: "spray-password" })).status).toBe(401);
  });

  it("limits registrations per IP", async () => {
    const ip = uniqueIp();
    for (let i = 0; i < REGISTER_PER_IP.limit; i++) {
      const res = await post("/api/auth/register", { email: uniqueEmail("bulk"), password: "bulk-password" }, { "cf-connecting-ip": ip });
      expect(res.status).toBe(201);
    }
    await expectLimited(await post("/api/auth/register", { email: uniqueEmail("bulk"), password: "bulk-password" }, { "cf-connecting-ip": ip }));
  });

  it("counts atomically under concurrency and starts a fresh window when the old one ends", async () => {
    const db = database(env);
    const rule = { name: "test:window", limit: 3, windowMs: 60_000 };
    const subject = crypto.randomUUID();
    const start = 1_800_000_000_000;
    const burst = await Promise.all(Array.from({ length: 5 }, () => hitRateLimit(db, rule, subject, start)));
    expect(burst.map((r) => r.count).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(burst.filter((r) => r.allowed)).toHaveLength(3);
    const later = await hitRateLimit(db, rule, subject, start + rule.windowMs);
    expect(later).toMatchObject({ allowed: true, count: 1 });
  });
});

/**
 * The three authenticated routes whose every call costs an upstream request or
 * a stored row. Date is pinned (only Date: timers and I/O run for real), so a
 * burst can never straddle two fixed windows and the counts are exact.
 */
describe("per-user limits on calls that cost upstream quota or storage", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function pinClock() {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Math.floor(Date.now() / 60_000) * 60_000 + 1_000);
  }

  async function expectUserLimited(res: Response, rule: { windowMs: number }) {
    expect(res.status).toBe(429);
    expect((await problemOf(res)).code).toBe("rate_limited");
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(rule.windowMs / 1000);
  }

  it("100 forced refreshes in one burst: the limit's worth succeed, the rest are 429, none is a 500, and upstream sees a bounded few", async () => {
    pinClock();
    const { userId, token } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "gmail", { accessToken: "at-old", refreshToken, expiresAt: new Date(Date.now() + 3_600_000) });
    // The provider keeps the refresh token (no new one in the response), so every upstream call is counted under it.
    await scriptOAuth(refreshToken, { status: 200, body: { access_token: `at-${crypto.randomUUID()}`, token_type: "Bearer", expires_in: 3600 } });

    const responses = await Promise.all(Array.from({ length: 100 }, () => api(token, "POST", "/api/integrations/gmail/refresh")));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(INTEGRATION_REFRESH_PER_USER.limit);
    expect(statuses.filter((s) => s === 429)).toHaveLength(100 - INTEGRATION_REFRESH_PER_USER.limit);
    await expectUserLimited(responses.find((r) => r.status === 429)!, INTEGRATION_REFRESH_PER_USER);

    const upstream = await upstreamCount(refreshToken);
    expect(upstream).toBeGreaterThanOrEqual(1);
    expect(upstream).toBeLessThanOrEqual(INTEGRATION_REFRESH_PER_USER.limit);

    // Another user's refreshes are not affected.
    const other = await newUser();
    const otherToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(other.userId, "gmail", { accessToken: "at-other", refreshToken: otherToken, expiresAt: new Date(Date.now() + 3_600_000) });
    expect((await api(other.token, "POST", "/api/integrations/gmail/refresh")).status).toBe(200);
  }, 30_000);

  it("starting OAuth flows: over the limit is 429 and stores no further state", async () => {
    pinClock();
    const { userId, token } = await newUser();
    const statuses = await Promise.all(
      Array.from({ length: INTEGRATION_AUTH_PER_USER.limit + 5 }, () => api(token, "POST", "/api/integrations/github/auth", {}).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(INTEGRATION_AUTH_PER_USER.limit);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    await expectUserLimited(await api(token, "POST", "/api/integrations/slack/auth", {}), INTEGRATION_AUTH_PER_USER);
    const stored = await env.DB.prepare("select count(*) as n from oauth_states where user_id = ?").bind(userId).first<{ n: number }>();
    expect(stored?.n).toBe(INTEGRATION_AUTH_PER_USER.limit);
  });

  it("socket tickets: every ticket counts, over the limit is 429 and stores no further ticket", async () => {
    pinClock();
    const { userId, token } = await newUser();
    const issued = 10;
    const statuses = await Promise.all(Array.from({ length: issued }, () => api(token, "POST", "/api/realtime/ticket").then((r) => r.status)));
    expect(statuses).toEqual(Array(issued).fill(200));
    // The rest of the window's allowance is spent directly on the counter (a hundred concurrent HTTP calls only make
    // the test slow); the route's own calls above must have counted for the next one to be refused.
    const db = database(env);
    for (let i = issued; i < REALTIME_TICKET_PER_USER.limit; i++) await hitRateLimit(db, REALTIME_TICKET_PER_USER, userId);
    await expectUserLimited(await api(token, "POST", "/api/realtime/ticket"), REALTIME_TICKET_PER_USER);
    const stored = await env.DB.prepare("select count(*) as n from realtime_tickets where user_id = ?").bind(userId).first<{ n: number }>();
    expect(stored?.n).toBe(issued);
    // The next window lets the user back in.
    vi.setSystemTime(Date.now() + REALTIME_TICKET_PER_USER.windowMs);
    expect((await api(token, "POST", "/api/realtime/ticket")).status).toBe(200);
  });
});
