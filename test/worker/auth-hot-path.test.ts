import { env } from "cloudflare:test";
import { SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { issueAccessToken } from "../../worker/auth/access-token";
import { USER_CONFIRMATION_TTL_MS } from "../../worker/auth/confirmed-users";
import { database } from "../../worker/db/client";
import { deleteAccount } from "./account-helpers";
import { getMe, post, problemOf, register } from "./auth-helpers";
import { api } from "./integrations-helpers";

/** The SQL statements a request sends to D1 (the binding the worker and this test share). */
async function statementsOf(request: () => Promise<Response>): Promise<{ res: Response; sql: string[] }> {
  const prepare = vi.spyOn(env.DB, "prepare");
  const res = await request();
  await res.arrayBuffer().catch(() => undefined);
  const sql = prepare.mock.calls.map(([query]) => query);
  prepare.mockRestore();
  return { res, sql };
}

/** Queries that look a user up (the ticket insert also names the users table, as its own guard, but is a write). */
const readsUsers = (sql: string[]) => sql.filter((q) => /^\s*select\b[\s\S]*\bfrom "users"/i.test(q));

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("the authenticated hot path", () => {
  it("a read by a user this isolate has just confirmed costs only the route's own D1 query", async () => {
    const { accessToken } = await register();
    const first = await statementsOf(() => api(accessToken, "GET", "/api/integrations"));
    expect(first.res.status).toBe(200);
    expect(readsUsers(first.sql)).toHaveLength(1);

    const second = await statementsOf(() => api(accessToken, "GET", "/api/integrations"));
    expect(second.res.status).toBe(200);
    expect(readsUsers(second.sql)).toEqual([]);
    expect(second.sql).toHaveLength(1);
  });

  it("a write always checks the user in D1", async () => {
    const { accessToken } = await register();
    expect((await api(accessToken, "GET", "/api/integrations")).status).toBe(200);
    const write = await statementsOf(() => api(accessToken, "POST", "/api/realtime/ticket"));
    expect(write.res.status).toBe(200);
    expect(readsUsers(write.sql)).toHaveLength(1);
  });

  it("GET /api/me reads the user's row once", async () => {
    const { accessToken, user } = await register();
    for (let i = 0; i < 2; i++) {
      const me = await statementsOf(() => getMe(accessToken));
      expect(me.res.status).toBe(200);
      expect(readsUsers(me.sql)).toHaveLength(1);
    }
    expect(user.id).toEqual(expect.any(String));
  });

  it("a deleted account's token stops working at once for reads this isolate had confirmed", async () => {
    const session = await register();
    expect((await api(session.accessToken, "GET", "/api/integrations")).status).toBe(200);
    expect((await deleteAccount(session.accessToken, { password: session.password })).status).toBe(204);
    const res = await api(session.accessToken, "GET", "/api/integrations");
    expect([res.status, (await problemOf(res)).code]).toEqual([401, "invalid_token"]);
  });

  it("an account deleted elsewhere: writes refuse its token at once, reads once the confirmation runs out, and nothing of it is readable meanwhile", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now());
    const session = await register();
    expect((await api(session.accessToken, "GET", "/api/integrations")).status).toBe(200);
    // As another isolate's deletion looks from here: the rows go, this isolate's confirmation stays.
    await env.DB.prepare("delete from users where id = ?").bind(session.user.id).run();

    const write = await api(session.accessToken, "POST", "/api/realtime/ticket");
    expect([write.status, (await problemOf(write)).code]).toEqual([401, "invalid_token"]);

    vi.setSystemTime(Date.now() + USER_CONFIRMATION_TTL_MS);
    const read = await api(session.accessToken, "GET", "/api/integrations");
    expect([read.status, (await problemOf(read)).code]).toEqual([401, "invalid_token"]);
  });

  it("a read inside the confirmation window of a user deleted elsewhere finds no data of theirs", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now());
    const session = await register();
    expect((await api(session.accessToken, "GET", "/api/integrations")).status).toBe(200);
    await env.DB.prepare("delete from users where id = ?").bind(session.user.id).run();
    const events = await api(session.accessToken, "GET", "/api/events");
    expect(events.status).toBe(200);
    expect(await events.json()).toEqual({ events: [], latestId: "0" });
  });

  it("imports the HMAC key once, not for every token it signs or checks", async () => {
    const { accessToken } = await register();
    expect((await getMe(accessToken)).status).toBe(200);
    const importKey = vi.spyOn(crypto.subtle, "importKey");
    for (let i = 0; i < 3; i++) expect((await api(accessToken, "GET", "/api/integrations")).status).toBe(200);
    await register();
    expect(importKey.mock.calls.filter(([, , algorithm]) => (algorithm as { name?: string }).name === "HMAC")).toEqual([]);
  });

  it("builds one drizzle handle per D1 binding", () => {
    expect(database(env)).toBe(database(env));
    expect(database({ DB: env.DB })).toBe(database(env));
  });
});

describe("This wasn't me ends the access tokens already issued", () => {
  const refused = async (res: Response) => [res.status, (await problemOf(res)).code];
  const login = async (email: string, password: string) => {
    const res = await post("/api/auth/login", { email, password });
    expect(res.status).toBe(200);
    return ((await res.json()) as { accessToken: string }).accessToken;
  };

  it("refuses a token from before it on every route at once in this isolate, confirmed reads included; a new sign-in works", async () => {
    const session = await register();
    const stolen = session.accessToken;
    expect((await api(stolen, "GET", "/api/integrations")).status).toBe(200);
    expect((await api(stolen, "POST", "/api/me/end-everything")).status).toBe(200);

    expect(await refused(await api(stolen, "GET", "/api/integrations"))).toEqual([401, "invalid_token"]);
    expect(await refused(await getMe(stolen))).toEqual([401, "invalid_token"]);
    expect(await refused(await api(stolen, "GET", "/api/me/audit"))).toEqual([401, "invalid_token"]);
    expect(await refused(await api(stolen, "POST", "/api/realtime/ticket"))).toEqual([401, "invalid_token"]);
    expect(await refused(await api(stolen, "POST", "/api/me/end-everything"))).toEqual([401, "invalid_token"]);

    const fresh = await login(session.user.email, session.password);
    expect((await api(fresh, "GET", "/api/integrations")).status).toBe(200);
    expect((await getMe(fresh)).status).toBe(200);
    expect((await api(fresh, "POST", "/api/realtime/ticket")).status).toBe(200);
  });

  it("done in another isolate: writes refuse the old token at once, reads once the confirmation runs out; a sign-in made there works here at once", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now());
    const session = await register();
    expect((await api(session.accessToken, "GET", "/api/integrations")).status).toBe(200);
    // As another isolate's "This wasn't me" looks from here: the row's version rises, this isolate's confirmation stays.
    await env.DB.prepare("update users set session_version = session_version + 1 where id = ?").bind(session.user.id).run();

    expect(await refused(await api(session.accessToken, "POST", "/api/realtime/ticket"))).toEqual([401, "invalid_token"]);
    // A token issued there, under the new version, is newer than this isolate's confirmation: checked in D1, accepted.
    const fromThere = await issueAccessToken(env.JWT_SECRET!, session.user.id, 1);
    expect((await api(fromThere, "GET", "/api/integrations")).status).toBe(200);
    // That read refreshed the confirmation, so the old token's reads end here too.
    expect(await refused(await api(session.accessToken, "GET", "/api/integrations"))).toEqual([401, "invalid_token"]);

    const other = await register();
    expect((await api(other.accessToken, "GET", "/api/integrations")).status).toBe(200);
    await env.DB.prepare("update users set session_version = session_version + 1 where id = ?").bind(other.user.id).run();
    expect((await api(other.accessToken, "GET", "/api/integrations")).status).toBe(200);
    vi.setSystemTime(Date.now() + USER_CONFIRMATION_TTL_MS);
    expect(await refused(await api(other.accessToken, "GET", "/api/integrations"))).toEqual([401, "invalid_token"]);
  });

  it("a token whose session version claim is not a whole number of zero or more is refused", async () => {
    const session = await register();
    for (const sv of [-1, 1.5, "1", null]) {
      const token = await new SignJWT({ sv })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(session.user.id)
        .setIssuer("taskpilot")
        .setAudience("taskpilot-api")
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode(env.JWT_SECRET!));
      expect(await refused(await api(token, "GET", "/api/integrations")), String(sv)).toEqual([401, "invalid_token"]);
    }
  });
});
