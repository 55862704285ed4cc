import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LOGIN_PER_EMAIL, LOGIN_PER_IP, REGISTER_PER_IP, hitRateLimit } from "../../worker/auth/rate-limit";
import { database } from "../../worker/db/client";
import { post, problemOf, uniqueEmail, uniqueIp } from "./auth-helpers";

async function expectLimited(res: Response) {
  expect(res.status).toBe(429);
  expect((await problemOf(res)).code).toBe("rate_limited");
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(LOGIN_PER_EMAIL.windowMs / 1000);
}

describe("login and register rate limits", () => {
  it("limits login attempts per email, whichever address they come from", async () => {
    const email = uniqueEmail("guess");
    for (let i = 0; i < LOGIN_PER_EMAIL.limit; i++) {
      expect((await post("/api/auth/login", { email, password: `guess-${i}` })).status).toBe(401);
    }
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
