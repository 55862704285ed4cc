import { env, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { AuthSession } from "../../worker/contract/auth";
import { ORIGIN, getMe, post, problemOf, refresh, register } from "./auth-helpers";

function cookieValue(res: Response): string | undefined {
  return /tp_refresh=([^;]*)/.exec(res.headers.get("set-cookie") ?? "")?.[1];
}

describe("refresh token rotation (RFC 9700 §4.14)", () => {
  it("rotates on every use and the old token stops working", async () => {
    const first = await register();
    const res = await refresh(first.refreshToken);
    expect(res.status).toBe(200);
    const second = (await res.json()) as AuthSession;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.user.id).toBe(first.user.id);
    expect((await getMe(second.accessToken)).status).toBe(200);

    const third = await refresh(second.refreshToken);
    expect(third.status).toBe(200);
  });

  it("on reuse of a used token answers 401 and revokes the newer token of that login too", async () => {
    const first = await register();
    const rotated = (await (await refresh(first.refreshToken)).json()) as AuthSession;

    const replay = await refresh(first.refreshToken);
    expect(replay.status).toBe(401);
    expect((await problemOf(replay)).code).toBe("refresh_token_reused");

    const afterReuse = await refresh(rotated.refreshToken);
    expect(afterReuse.status).toBe(401);
    expect((await problemOf(afterReuse)).code).toBe("refresh_token_revoked");
  });

  it("does not touch other logins of the same user when one family is revoked", async () => {
    const first = await register();
    const other = (await (await post("/api/auth/login", { email: first.user.email, password: first.password })).json()) as AuthSession;
    await refresh(first.refreshToken);
    await refresh(first.refreshToken);
    expect((await refresh(other.refreshToken)).status).toBe(200);
  });

  it("lets exactly one of two concurrent refreshes with the same token win, and ends the login", async () => {
    const first = await register();
    const results = await Promise.all([refresh(first.refreshToken), refresh(first.refreshToken)]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401]);
    const winner = (await results.find((r) => r.status === 200)!.json()) as AuthSession;
    expect((await refresh(winner.refreshToken)).status).toBe(401);
  });

  it("refuses a login past its absolute 30-day expiry", async () => {
    const first = await register();
    const row = await env.DB.prepare("select expires_at - created_at as ttl from refresh_families where user_id = ?").bind(first.user.id).first<{ ttl: number }>();
    expect(row?.ttl).toBe(30 * 24 * 60 * 60 * 1000);
    await env.DB.prepare("update refresh_families set expires_at = ? where user_id = ?").bind(Date.now() - 1, first.user.id).run();
    const res = await refresh(first.refreshToken);
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe("refresh_token_expired");
  });

  it("rejects an unknown token and a missing one", async () => {
    const unknown = await refresh("A".repeat(43));
    expect(unknown.status).toBe(401);
    expect((await problemOf(unknown)).code).toBe("invalid_refresh_token");
    const missing = await post("/api/auth/refresh", {});
    expect(missing.status).toBe(401);
    expect((await problemOf(missing)).code).toBe("refresh_token_missing");
  });

  it("stores only the SHA-256 of refresh tokens", async () => {
    const first = await register();
    const { results } = await env.DB.prepare("select token_hash from refresh_tokens where user_id = ?").bind(first.user.id).all<{ token_hash: string }>();
    expect(results).toHaveLength(1);
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(first.refreshToken));
    const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    expect(results[0]!.token_hash).toBe(hex);
    const dump = JSON.stringify(await env.DB.prepare("select * from refresh_tokens").all());
    expect(dump).not.toContain(first.refreshToken);
  });
});

describe("logout", () => {
  it("revokes the login so its refresh token stops working", async () => {
    const first = await register();
    const res = await post("/api/auth/logout", { refreshToken: first.refreshToken });
    expect(res.status).toBe(204);
    expect(res.headers.get("set-cookie")).toMatch(/tp_refresh=;.*Max-Age=0/i);
    const after = await refresh(first.refreshToken);
    expect(after.status).toBe(401);
    expect((await problemOf(after)).code).toBe("refresh_token_revoked");
  });

  it("answers 204 for an unknown or absent token without revealing anything", async () => {
    expect((await post("/api/auth/logout", {})).status).toBe(204);
    expect((await post("/api/auth/logout", { refreshToken: "B".repeat(43) })).status).toBe(204);
  });
});

describe("the tp_refresh cookie", () => {
  it("is HttpOnly, Secure, SameSite=Strict, scoped to /api/auth and lives as long as the login", async () => {
    const res = await post("/api/auth/register", { email: `cookie-${crypto.randomUUID()}@example.test`, password: "cookie-password" });
    const header = res.headers.get("set-cookie") ?? "";
    const session = (await res.json()) as AuthSession;
    expect(cookieValue(res)).toBe(session.refreshToken);
    expect(header).toMatch(/;\s*HttpOnly/i);
    expect(header).toMatch(/;\s*Secure/i);
    expect(header).toMatch(/;\s*SameSite=Strict/i);
    expect(header).toMatch(/;\s*Path=\/api\/auth(;|$)/i);
    const maxAge = Number(/Max-Age=(\d+)/i.exec(header)?.[1]);
    expect(maxAge).toBeGreaterThan(30 * 24 * 3600 - 60);
    expect(maxAge).toBeLessThanOrEqual(30 * 24 * 3600);
  });

  it("refreshes and logs out with an empty body and the cookie alone", async () => {
    const first = await register();
    const res = await viaCookie(first.refreshToken, "/api/auth/refresh");
    expect(res.status).toBe(200);
    expect(cookieValue(res)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookieValue(res)).not.toBe(first.refreshToken);

    const reuse = await viaCookie(first.refreshToken, "/api/auth/refresh");
    expect(reuse.status).toBe(401);
    expect(reuse.headers.get("set-cookie")).toMatch(/tp_refresh=;.*Max-Age=0/i);

    const second = await register();
    expect((await viaCookie(second.refreshToken, "/api/auth/logout")).status).toBe(204);
    expect((await refresh(second.refreshToken)).status).toBe(401);
  });
});

function viaCookie(token: string, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${ORIGIN}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: `tp_refresh=${token}`, ...headers },
    body: "{}",
  });
}

describe("the web app's refresh token never rides in a JSON body (cookie flow)", () => {
  const web = { "x-taskpilot-client": "web" };

  it("register and login sent by the web app answer without refreshToken; the cookie alone carries it", async () => {
    const email = `web-${crypto.randomUUID()}@example.test`;
    const registered = await post("/api/auth/register", { email, password: "web password 1" }, web);
    expect(registered.status).toBe(201);
    const session = (await registered.json()) as Record<string, unknown>;
    expect(Object.keys(session).sort()).toEqual(["accessToken", "expiresIn", "user"]);
    const cookie = cookieValue(registered)!;
    expect(cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(session)).not.toContain(cookie);

    const login = await post("/api/auth/login", { email, password: "web password 1" }, web);
    expect(login.status).toBe(200);
    const loginBody = await login.text();
    expect(Object.keys(JSON.parse(loginBody) as object).sort()).toEqual(["accessToken", "expiresIn", "user"]);
    expect(loginBody).not.toContain(cookieValue(login)!);
    // The cookie is a working refresh token of that login.
    expect((await viaCookie(cookieValue(login)!, "/api/auth/refresh")).status).toBe(200);
  });

  it("a refresh whose token came from the cookie answers without refreshToken, with or without the header", async () => {
    let token = (await register()).refreshToken;
    for (const headers of [{}, web]) {
      const res = await viaCookie(token, "/api/auth/refresh", headers);
      expect(res.status).toBe(200);
      const text = await res.text();
      const body = JSON.parse(text) as Record<string, unknown>;
      expect(body).not.toHaveProperty("refreshToken");
      expect(body.accessToken).toEqual(expect.any(String));
      const next = cookieValue(res)!;
      expect(next).not.toBe(token);
      expect(text).not.toContain(next);
      token = next;
    }
  });

  it("an API client that sends the token in the body still gets the next one in the body (the contract)", async () => {
    const first = await register();
    expect(first.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const res = await refresh(first.refreshToken);
    const body = (await res.json()) as AuthSession;
    expect(body.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.refreshToken).toBe(cookieValue(res));
    expect((await refresh(body.refreshToken)).status).toBe(200);
  });
});

/**
 * A D1 failure at one statement of the rotation, made by a trigger scoped to
 * one user so no other test sees it. The rotation runs in one batch, so the
 * failure must leave the presented token unspent and no successor behind.
 */
async function failingWrites(userId: string, on: "INSERT" | "UPDATE"): Promise<() => Promise<void>> {
  const name = `fail_${on.toLowerCase()}_${userId.replaceAll("-", "")}`;
  await env.DB.prepare(
    `create trigger ${name} before ${on} on refresh_tokens when ${on === "INSERT" ? "new" : "old"}.user_id = '${userId}' begin select raise(abort, 'transient failure'); end`,
  ).run();
  return async () => {
    await env.DB.prepare(`drop trigger ${name}`).run();
  };
}

async function tokensOf(userId: string) {
  const { results } = await env.DB.prepare("select used_at from refresh_tokens where user_id = ?").bind(userId).all<{ used_at: number | null }>();
  return results;
}

describe("a failed rotation burns nothing (claim and successor in one batch)", () => {
  for (const on of ["INSERT", "UPDATE"] as const) {
    it(`a D1 error on the ${on === "INSERT" ? "successor's insert" : "claim of the old token"} leaves the token unspent, so the retry rotates instead of ending the login`, async () => {
      const first = await register();
      const restore = await failingWrites(first.user.id, on);
      const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
      const failed = await refresh(first.refreshToken);
      const messages = logged.mock.calls.map(([line]) => (JSON.parse(String(line)) as { message: string }).message);
      logged.mockRestore();
      await restore();
      expect(failed.status).toBe(500);
      expect(messages).toContain("unhandled_error");
      expect(await tokensOf(first.user.id)).toEqual([{ used_at: null }]);

      const retry = await refresh(first.refreshToken);
      expect(retry.status).toBe(200);
      const next = (await retry.json()) as AuthSession;
      expect((await refresh(next.refreshToken)).status).toBe(200);
      const family = await env.DB.prepare("select revoked_at from refresh_families where user_id = ?").bind(first.user.id).first<{ revoked_at: number | null }>();
      expect(family?.revoked_at).toBeNull();
    });
  }
});
