import { sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { rateLimits } from "../db/schema";
import { AppError } from "../errors";

export interface RateLimit {
  /** Distinguishes counters: `login:ip`, `login:email`, … */
  name: string;
  limit: number;
  windowMs: number;
}

const FIFTEEN_MINUTES = 15 * 60 * 1000;

/** Per email, tight enough to stop password guessing against one account. */
export const LOGIN_PER_EMAIL: RateLimit = { name: "login:email", limit: 10, windowMs: FIFTEEN_MINUTES };
/** Per IP, looser because offices and carrier NAT share an address. */
export const LOGIN_PER_IP: RateLimit = { name: "login:ip", limit: 50, windowMs: FIFTEEN_MINUTES };
export const REGISTER_PER_EMAIL: RateLimit = { name: "register:email", limit: 10, windowMs: FIFTEEN_MINUTES };
export const REGISTER_PER_IP: RateLimit = { name: "register:ip", limit: 20, windowMs: FIFTEEN_MINUTES };

export interface RateLimitResult {
  allowed: boolean;
  count: number;
  retryAfterSeconds: number;
}

/**
 * Fixed-window counter in one atomic upsert: concurrent requests each get a
 * distinct count, so a burst cannot slip past the limit between a read and a write.
 */
export async function hitRateLimit(db: Database, rule: RateLimit, subject: string, now = Date.now()): Promise<RateLimitResult> {
  const windowStart = Math.floor(now / rule.windowMs) * rule.windowMs;
  const key = `${rule.name}:${subject}`;
  const row = await db
    .insert(rateLimits)
    .values({ key, windowStart, count: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`case when ${rateLimits.windowStart} = excluded.window_start then ${rateLimits.count} + 1 else 1 end`,
        windowStart: sql`excluded.window_start`,
      },
    })
    .returning({ count: rateLimits.count, windowStart: rateLimits.windowStart })
    .get();
  const count = row?.count ?? 1;
  const retryAfterSeconds = Math.max(1, Math.ceil((windowStart + rule.windowMs - now) / 1000));
  return { allowed: count <= rule.limit, count, retryAfterSeconds };
}

/** Counts the attempt under every rule; the first rule over its limit answers 429 with Retry-After. */
export async function enforceRateLimits(db: Database, checks: Array<[RateLimit, string]>, now = Date.now()): Promise<void> {
  const results = await Promise.all(checks.map(([rule, subject]) => hitRateLimit(db, rule, subject, now)));
  const blocked = results.filter((r) => !r.allowed);
  if (blocked.length === 0) return;
  const retryAfter = Math.max(...blocked.map((r) => r.retryAfterSeconds));
  throw new AppError(429, "rate_limited", `Too many attempts. Try again in ${retryAfter} seconds.`, {
    headers: { "Retry-After": String(retryAfter) },
  });
}

/** The caller's address as Cloudflare reports it; requests without one share a single bucket. */
export function clientIp(header: string | undefined): string {
  const ip = header?.trim();
  return ip && ip.length <= 64 ? ip : "unknown";
}
