import { env, SELF } from "cloudflare:test";
import { createHmac } from "node:crypto";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import type { AuditEntry } from "../../worker/contract/audit";
import { database, schema } from "../../worker/db/client";
import { runRetention } from "../../worker/ops/retention";
import { integrationFlight } from "../../worker/integrations/flight-stub";
import { cleanDetail, truncateIp } from "../../worker/audit/audit";
import { ORIGIN, post, problemOf, register, uniqueEmail, uniqueIp } from "./auth-helpers";
import { scriptOAuth } from "./integrations-helpers";
import { runTool, sandboxUser, simulate } from "./tools-helpers";

vi.setConfig({ testTimeout: 30_000 });

/** Every secret this file hands the app, to prove no audit row ever holds one. */
const secrets = new Set<string>();

function api(token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return SELF.fetch(`${ORIGIN}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function rowsOf(userId: string | null, action?: string): Promise<AuditEntry[]> {
  const db = database(env);
  const rows = await db
    .select()
    .from(schema.auditLog)
    .where(userId === null ? undefined : eq(schema.auditLog.subjectUserId, userId));
  return rows
    .filter((r) => !action || r.action === action)
    .map((r) => ({ ...r, detail: JSON.parse(r.detail) }) as unknown as AuditEntry);
}

async function session(ip = uniqueIp()) {
  const s = await register(uniqueEmail("audit"));
  secrets.add(s.accessToken);
  if (s.refreshToken) secrets.add(s.refreshToken);
  secrets.add(s.password);
  return { ...s, ip };
}

describe("audit: each action is written once, with its actor, subject and result", () => {
  it("register, login, a failed login, logout, refresh-token reuse, a rate limit", async () => {
    const s = await session();
    const userId = s.user.id;
    expect(await rowsOf(userId, "auth.register")).toEqual([expect.objectContaining({ actorType: "user", actorId: userId, result: "success" })]);

    const ip = "203.0.113.77";
    const login = await post("/api/auth/login", { email: s.user.email, password: s.password }, { "cf-connecting-ip": ip, "user-agent": "AuditTest/1.0" });
    expect(login.status).toBe(200);
    const { refreshToken } = (await login.json()) as { refreshToken: string };
    secrets.add(refreshToken);
    const ok = await rowsOf(userId, "auth.login_succeeded");
    // The person acting on their own account sees their own address in full.
    expect(ok).toEqual([expect.objectContaining({ actorType: "user", actorId: userId, ip, userAgent: "AuditTest/1.0", result: "success" })]);

    // Wrong password: on the owner's account, from a network (not an address), without saying what was wrong.
    expect((await post("/api/auth/login", { email: s.user.email, password: "wrong password 123" }, { "cf-connecting-ip": "198.51.100.23" })).status).toBe(401);
    secrets.add("wrong password 123");
    expect(await rowsOf(userId, "auth.login_failed")).toEqual([expect.objectContaining({ actorType: "anonymous", actorId: null, result: "failure", code: "invalid_credentials", ip: "198.51.100.0/24" })]);
    // An unknown email: recorded on no account.
    const before = (await rowsOf(null, "auth.login_failed")).length;
    await post("/api/auth/login", { email: uniqueEmail("nobody"), password: "whatever 12345" }, { "cf-connecting-ip": "2001:db8:1:2:3:4:5:6" });
    const failed = await rowsOf(null, "auth.login_failed");
    expect(failed).toHaveLength(before + 1);
    expect(failed.at(-1)).toMatchObject({ subjectUserId: null, ip: "2001:db8:1:2::/64" });

    // The same refresh token twice: the second is reuse.
    const first = await post("/api/auth/refresh", { refreshToken });
    expect(first.status).toBe(200);
    secrets.add(((await first.json()) as { refreshToken: string }).refreshToken);
    expect((await post("/api/auth/refresh", { refreshToken })).status).toBe(401);
    expect(await rowsOf(userId, "auth.refresh_reuse_detected")).toEqual([expect.objectContaining({ actorType: "anonymous", result: "failure", code: "refresh_token_reused" })]);

    const other = await post("/api/auth/login", { email: s.user.email, password: s.password });
    const { refreshToken: rt2 } = (await other.json()) as { refreshToken: string };
    secrets.add(rt2);
    expect((await post("/api/auth/logout", { refreshToken: rt2 })).status).toBe(204);
    expect(await rowsOf(userId, "auth.logout")).toEqual([expect.objectContaining({ actorType: "user", actorId: userId })]);

    // Over the per-email-and-address login limit (10 in 15 minutes): one row per refused attempt.
    const hammer = "192.0.2.200";
    for (let i = 0; i < 11; i++) await post("/api/auth/login", { email: s.user.email, password: "not it at all" }, { "cf-connecting-ip": hammer });
    const limited = await rowsOf(null, "auth.rate_limited");
    expect(limited.filter((r) => r.ip === "192.0.2.0/24")).toHaveLength(1);
  });

  it("export, integrations connected and disconnected, revoked by the provider, a refresh that fails", async () => {
    const u = await sandboxUser(["gmail", "github"]);
    for (const g of Object.values(u.grants)) (secrets.add(g.access_token), secrets.add(g.refresh_token));
    secrets.add(u.token);
    expect((await api(u.token, "GET", "/api/me/export")).status).toBe(200);
    expect(await rowsOf(u.userId, "account.exported")).toEqual([expect.objectContaining({ actorType: "user", actorId: u.userId })]);

    expect((await api(u.token, "POST", "/api/integrations/github/disconnect")).status).toBe(200);
    expect(await rowsOf(u.userId, "integration.disconnected")).toEqual([expect.objectContaining({ actorType: "user", detail: { provider: "github" } })]);

    await integrationFlight(env, u.userId, "gmail").expireByProvider(u.userId, "gmail", { code: "revoked_by_provider", message: "Google says access was revoked." });
    expect(await rowsOf(u.userId, "integration.revoked_by_provider")).toEqual([expect.objectContaining({ actorType: "system", actorId: "gmail", detail: { provider: "gmail" } })]);

    const v = await sandboxUser(["gmail"]);
    secrets.add(v.grants.gmail.access_token);
    secrets.add(v.grants.gmail.refresh_token);
    await scriptOAuth(v.grants.gmail.refresh_token, { status: 400, body: { error: "invalid_grant", error_description: "Token has been expired or revoked." } });
    await simulate("google", v.grants.gmail.access_token, "unauthorized", 1);
    await runTool(v.userId, "gmail.search_messages", { query: "invoice" });
    expect(await rowsOf(v.userId, "integration.refresh_failed")).toEqual([expect.objectContaining({ actorType: "system", result: "failure", code: "invalid_grant", detail: { provider: "gmail" } })]);
  });

  it("admins: a refusal without the role, the deliveries list, a replay, reading someone's log", async () => {
    const s = await session();
    secrets.add(s.accessToken);
    const denied = await api(s.accessToken, "GET", "/api/admin/webhooks/deliveries");
    expect(denied.status).toBe(403);
    expect(await rowsOf(s.user.id, "admin.denied")).toEqual([expect.objectContaining({ actorType: "user", actorId: s.user.id, result: "failure", code: "admin_only" })]);
    expect((await api(s.accessToken, "GET", "/api/admin/audit")).status).toBe(403);

    await database(env).update(schema.users).set({ role: "admin" }).where(eq(schema.users.id, s.user.id));
    expect((await api(s.accessToken, "GET", "/api/admin/webhooks/deliveries")).status).toBe(200);
    // A stored delivery replayed by the admin.
    const body = JSON.stringify({ zen: "Keep it logically awesome." });
    const deliveryId = crypto.randomUUID();
    const stored = await SELF.fetch(`${ORIGIN}/webhooks/github`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": deliveryId, "x-hub-signature-256": `sha256=${createHmac("sha256", "test-github-webhook-secret").update(body).digest("hex")}` },
      body,
    });
    expect(stored.status).toBe(200);
    expect((await api(s.accessToken, "POST", `/api/admin/webhooks/deliveries/${deliveryId}/replay`)).status).toBe(202);
    const db = database(env);
    const listed = (await db.select().from(schema.auditLog).where(eq(schema.auditLog.actorId, s.user.id))).filter((r) => r.action === "admin.deliveries_listed");
    expect(listed).toEqual([expect.objectContaining({ actorType: "admin", subjectUserId: null })]);
    const replayed = (await db.select().from(schema.auditLog).where(eq(schema.auditLog.actorId, s.user.id))).filter((r) => r.action === "webhook.replayed");
    expect(replayed).toEqual([expect.objectContaining({ actorType: "admin", subjectUserId: null })]);
    expect(JSON.parse(replayed[0]!.detail)).toMatchObject({ provider: "github", eventType: "ping" });

    const target = await session();
    const read = await api(s.accessToken, "GET", `/api/admin/audit?user=${encodeURIComponent(target.user.email)}&action=auth.register`);
    expect(read.status).toBe(200);
    const page = (await read.json()) as { entries: AuditEntry[] };
    expect(page.entries).toEqual([expect.objectContaining({ action: "auth.register", subjectUserId: target.user.id })]);
    expect(await rowsOf(target.user.id, "admin.audit_read")).toEqual([expect.objectContaining({ actorType: "admin", actorId: s.user.id })]);
    expect((await api(s.accessToken, "GET", "/api/admin/audit?user=nobody%40example.test")).status).toBe(404);
    expect((await api(s.accessToken, "GET", "/api/admin/audit?action=auth.nope")).status).toBe(400);
  });
});

describe("audit: reading, paging and what cannot be done", () => {
  it("GET /api/me/audit pages newest first, only the caller's own; bad paging is 400", async () => {
    const s = await session();
    for (let i = 0; i < 3; i++) await post("/api/auth/login", { email: s.user.email, password: s.password });
    const first = (await (await api(s.accessToken, "GET", "/api/me/audit?limit=2")).json()) as { entries: AuditEntry[]; nextBefore: string };
    expect(first.entries.map((e) => e.action)).toEqual(["auth.login_succeeded", "auth.login_succeeded"]);
    const second = (await (await api(s.accessToken, "GET", `/api/me/audit?limit=2&before=${first.nextBefore}`)).json()) as { entries: AuditEntry[]; nextBefore: string | null };
    expect(second.entries.map((e) => e.action)).toEqual(["auth.login_succeeded", "auth.register"]);
    expect(second.nextBefore).toBeNull();
    expect(new Set([...first.entries, ...second.entries].map((e) => e.subjectUserId))).toEqual(new Set([s.user.id]));
    for (const q of ["limit=0", "limit=201", "before=-1", "before=abc", "user=someone-else", "limit=1.5"]) {
      const res = await api(s.accessToken, "GET", `/api/me/audit?${q}`);
      expect(res.status, q).toBe(400);
      expect((await problemOf(res)).code).toBe("invalid_request");
    }
  });

  it("no route changes a row, and the database refuses an update", async () => {
    const s = await session();
    for (const method of ["PATCH", "PUT", "DELETE", "POST"]) {
      const res = await api(s.accessToken, method, "/api/me/audit", method === "DELETE" ? undefined : {});
      expect(res.status, method).toBe(404);
    }
    const db = database(env);
    const refused = await db
      .update(schema.auditLog)
      .set({ result: "success" })
      .where(eq(schema.auditLog.subjectUserId, s.user.id))
      .then(() => undefined, (e: Error & { cause?: Error }) => `${e.message} ${e.cause?.message ?? ""}`);
    expect(refused).toMatch(/audit_log is append-only/);
  });

  it("\"This wasn't me\" ends every login, disconnects every integration and says so in the log", async () => {
    const u = await sandboxUser(["gmail", "slack"]);
    secrets.add(u.token);
    const login = await post("/api/auth/login", { email: (await database(env).select().from(schema.users).where(eq(schema.users.id, u.userId)))[0]!.email, password: "correct horse battery" });
    const { refreshToken } = (await login.json()) as { refreshToken: string };
    secrets.add(refreshToken);
    const ended = await api(u.token, "POST", "/api/me/end-everything");
    expect(ended.status).toBe(200);
    expect(await ended.json()).toMatchObject({ endedLogins: 2, integrationsDisconnected: 2, mcpGrantsRevoked: 0 });
    expect((await post("/api/auth/refresh", { refreshToken })).status).toBe(401);
    const integrations = await database(env).select().from(schema.integrations).where(eq(schema.integrations.userId, u.userId));
    expect(integrations.every((r) => r.status === "disconnected")).toBe(true);
    expect(await rowsOf(u.userId, "auth.sessions_ended")).toEqual([expect.objectContaining({ actorType: "user", detail: { endedLogins: 2, integrations: 2, mcpGrants: 0 } })]);
    expect(await rowsOf(u.userId, "integration.disconnected")).toHaveLength(2);
  });

  it("deleting the account erases its own rows and leaves one tombstone with no personal data", async () => {
    const s = await session();
    await post("/api/auth/login", { email: s.user.email, password: s.password }, { "cf-connecting-ip": "203.0.113.9" });
    expect((await rowsOf(s.user.id)).length).toBeGreaterThanOrEqual(2);
    const res = await api(s.accessToken, "DELETE", "/api/me", { password: s.password });
    expect(res.status).toBe(204);
    expect(await rowsOf(s.user.id)).toEqual([expect.objectContaining({ action: "account.deleted", ip: null, userAgent: null, detail: {} })]);
  });

  it("retention drops rows older than AUDIT_RETENTION_DAYS, and nothing newer", async () => {
    const db = database(env);
    const subject = crypto.randomUUID();
    const now = Date.now();
    const day = 86_400_000;
    await db.insert(schema.auditLog).values([
      { at: new Date(now - 401 * day), actorType: "system", subjectUserId: subject, action: "auth.logout", result: "success", detail: "{}" },
      { at: new Date(now - 399 * day), actorType: "system", subjectUserId: subject, action: "auth.logout", result: "success", detail: "{}" },
    ]);
    await runRetention(db, new Date(now), 400);
    expect((await rowsOf(subject)).map((r) => new Date(r.at).getTime())).toEqual([now - 399 * day]);
  });

  it("truncates addresses and drops anything that could be a credential", () => {
    expect(truncateIp("203.0.113.77")).toBe("203.0.113.0/24");
    expect(truncateIp("2001:db8:aa:bb:cc:dd:ee:ff")).toBe("2001:db8:aa:bb::/64");
    expect(truncateIp("[2001:db8::1]")).toBe("2001:db8:0:0::/64");
    expect(cleanDetail({ provider: "gmail", refreshToken: "x", access_token: "y", password: "z", code: "abc", clientSecret: "s", note: "n".repeat(500) })).toEqual({ provider: "gmail", note: "n".repeat(200) });
  });
});

describe("audit: no secret reaches a row", () => {
  it("no row written in this file holds a token, password or anything shaped like one", async () => {
    const rows = await database(env).select().from(schema.auditLog);
    expect(rows.length).toBeGreaterThan(30);
    const text = JSON.stringify(rows);
    for (const s of secrets) expect(text.includes(s), `a secret of ${s.length} characters`).toBe(false);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
    expect(text).not.toMatch(/correct horse battery/);
    const long = text.match(/"[A-Za-z0-9_-]{43,}"/);
    expect(long, long ? text.slice(Math.max(0, text.indexOf(long[0]) - 200), text.indexOf(long[0]) + 80) : "").toBeNull();
  });
});
