import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { USER_CONFIRMATION_TTL_MS } from "../../worker/auth/confirmed-users";
import { database } from "../../worker/db/client";
import { deleteAccount } from "./account-helpers";
import { getMe, problemOf, register } from "./auth-helpers";
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
