import { sql } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import { database, type Database } from "../db/client";
import { rateLimits } from "../db/schema";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";

export interface RateLimit {
  /** Distinguishes counters: `login:ip`, `login:email`, … */
  name: string;
  limit: number;
  windowMs: number;
}

const FIFTEEN_MINUTES = 15 * 60 * 1000;

/**
 * Per email from one address (or IPv6 /64): tight enough to stop password
 * guessing from one place. Keyed by the pair, not the email alone, so that a
 * stranger hammering someone's email locks out only their own address, not
 * the owner signing in from elsewhere.
 */
export const LOGIN_PER_EMAIL_IP: RateLimit = { name: "login:email_ip", limit: 10, windowMs: FIFTEEN_MINUTES };
/**
 * Per email across all addresses: the ceiling on distributed guessing against
 * one account. Ten times the pair limit, so it takes many addresses working
 * together to reach it, and a window later it has forgotten them.
 */
export const LOGIN_PER_EMAIL: RateLimit = { name: "login:email", limit: 100, windowMs: FIFTEEN_MINUTES };
/** Per IP, looser because offices and carrier NAT share an address. */
export const LOGIN_PER_IP: RateLimit = { name: "login:ip", limit: 50, windowMs: FIFTEEN_MINUTES };
export const REGISTER_PER_EMAIL: RateLimit = { name: "register:email", limit: 10, windowMs: FIFTEEN_MINUTES };
export const REGISTER_PER_IP: RateLimit = { name: "register:ip", limit: 20, windowMs: FIFTEEN_MINUTES };

/**
 * A forced refresh costs an upstream token request against the OAuth app's
 * shared quota. Above the 50 concurrent requests one page burst may send (they
 * share one upstream refresh), far below a loop.
 */
export const INTEGRATION_REFRESH_PER_USER: RateLimit = { name: "integration_refresh:user", limit: 60, windowMs: FIFTEEN_MINUTES };
/** Each start stores an OAuth state row for 10 minutes. */
export const INTEGRATION_AUTH_PER_USER: RateLimit = { name: "integration_auth:user", limit: 30, windowMs: FIFTEEN_MINUTES };
/**
 * Each ticket is a D1 row until the purge takes it; every socket (re)connect
 * of every tab takes one, so the limit leaves room for a hundred tabs.
 */
/** Each upload stores up to 10 MB in R2 and costs a queue run: well above a person dropping folders of files, far below a loop. */
export const KB_UPLOAD_PER_USER: RateLimit = { name: "kb_upload:user", limit: 200, windowMs: FIFTEEN_MINUTES };
/** A reindex re-embeds every document of the user. */
export const KB_REINDEX_PER_USER: RateLimit = { name: "kb_reindex:user", limit: 5, windowMs: FIFTEEN_MINUTES };
/** A start creates a session and may run a turn at once (model tokens, provider calls). */
export const TEMPLATE_START_PER_USER: RateLimit = { name: "template_start:user", limit: 60, windowMs: FIFTEEN_MINUTES };
/** Each message of a spec's refinement chat is a model call. */
export const SPEC_CHAT_PER_USER: RateLimit = { name: "spec_chat:user", limit: 120, windowMs: FIFTEEN_MINUTES };
export const REALTIME_TICKET_PER_USER: RateLimit = { name: "realtime_ticket:user", limit: 150, windowMs: 5 * 60 * 1000 };

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

/** Counts a call of the signed-in user (after `requireUser`) under `rule`; over it, 429 with Retry-After. */
export function limitPerUser(rule: RateLimit): MiddlewareHandler<AppBindings> {
  return async (c, next) => {
    await enforceRateLimits(database(c.env), [[rule, c.get("userId")]]);
    await next();
  };
}

/**
 * The caller's rate-limit bucket from `CF-Connecting-IP`: an IPv4 address as
 * is, an IPv6 address by its /64, since one subscriber is typically given a
 * whole /64 (RFC 6177) and could otherwise take a fresh bucket per request.
 * Requests without a readable address share a single bucket.
 */
export function clientIp(header: string | undefined): string {
  return (header !== undefined && ipBucket(header)) || "unknown";
}

/**
 * `a.b.c.d` for IPv4 (and for IPv4-mapped IPv6, `::ffff:a.b.c.d`, which is
 * the same client), `h:h:h:h::/64` for any other IPv6 address in any of its
 * spellings (RFC 4291 §2.2, compressed, zone id, brackets), `undefined` when
 * it is neither.
 */
export function ipBucket(raw: string): string | undefined {
  let ip = raw.trim();
  if (ip.length === 0 || ip.length > 64) return undefined;
  if (!ip.includes(":")) return parseIpv4(ip)?.join(".");
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  const zone = ip.indexOf("%");
  if (zone >= 0) ip = ip.slice(0, zone);
  const groups = parseIpv6(ip);
  if (!groups) return undefined;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join(".");
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`;
}

function parseIpv4(ip: string): number[] | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p))) return undefined;
  const octets = parts.map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

/** The eight 16-bit groups, or `undefined`. */
function parseIpv6(ip: string): number[] | undefined {
  const halves = ip.split("::");
  if (halves.length > 2) return undefined;
  const side = (text: string): number[] | undefined => {
    if (text === "") return [];
    const out: number[] = [];
    const parts = text.split(":");
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1 && part.includes(".")) {
        const v4 = parseIpv4(part);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
        out.push(parseInt(part, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = side(halves[0]!);
  const tail = halves.length === 2 ? side(halves[1]!) : [];
  if (!head || !tail) return undefined;
  // An embedded IPv4 is only allowed at the very end.
  if (halves.length === 2 && halves[0]!.includes(".")) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - tail.length;
  return missing >= 1 ? [...head, ...Array<number>(missing).fill(0), ...tail] : undefined;
}
