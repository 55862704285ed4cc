import { describe, expect, it } from "vitest";
import { ApiError, createApiClient } from "../../web/src/lib/api";

const user = { id: "u1", email: "ada@example.test", name: "Ada", role: "user" as const, createdAt: "2026-01-01T00:00:00.000Z" };

function json(status: number, body: unknown, type = "application/json"): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": type } });
}

function problem(status: number, code: string, detail: string, errors?: { path: string; message: string }[]) {
  return json(status, { type: "about:blank", title: "x", status, detail, code, requestId: "r1", errors }, "application/problem+json");
}

/**
 * A stand-in for the worker: access tokens `access-N` are valid only for the
 * current generation N; every refresh bumps the generation. The responses of
 * the first wave are held until all of it has arrived, so the ten 401s really
 * are in flight together.
 */
function fakeServer(options: { refreshSucceeds: boolean; parallel: number }) {
  let generation = 0;
  const calls = { refresh: 0, logout: 0, items: 0 };
  let waiting: (() => void)[] = [];

  async function fetchImpl(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const path = new URL(String(input), "http://app.test").pathname;
    const auth = new Headers(init?.headers).get("authorization");
    if (path === "/api/auth/refresh") {
      calls.refresh++;
      await new Promise((r) => setTimeout(r, 5));
      if (!options.refreshSucceeds) return problem(401, "invalid_refresh_token", "The refresh token is not valid.");
      generation++;
      return json(200, { user, accessToken: `access-${generation}`, refreshToken: "opaque", expiresIn: 900 });
    }
    if (path === "/api/auth/logout") {
      calls.logout++;
      return new Response(null, { status: 204 });
    }
    calls.items++;
    if (auth !== `Bearer access-${generation}`) {
      // Hold 401s until the whole first wave is here.
      await new Promise<void>((release) => {
        waiting.push(release);
        if (waiting.length >= options.parallel) {
          for (const r of waiting) r();
          waiting = [];
        }
      });
      return problem(401, "token_expired", "The access token has expired.");
    }
    return json(200, { ok: true, path });
  }

  return { fetchImpl, calls, options, expire: () => generation++ };
}

describe("api client token refresh", () => {
  it("turns ten parallel 401s into exactly one refresh and retries every request", async () => {
    const server = fakeServer({ refreshSucceeds: true, parallel: 10 });
    const client = createApiClient({ fetch: server.fetchImpl });
    await client.restore(); // signed in with access-1
    expect(server.calls.refresh).toBe(1);
    server.expire(); // access-1 is now stale

    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.get<{ ok: boolean; path: string }>(`/api/items/${i}`)));

    expect(server.calls.refresh).toBe(2); // the restore plus one for all ten 401s
    expect(results.map((r) => r.path)).toEqual(Array.from({ length: 10 }, (_, i) => `/api/items/${i}`));
    expect(client.isSignedIn).toBe(true);
  });

  it("signs out once when the refresh fails, and every request reports an ended session", async () => {
    const server = fakeServer({ refreshSucceeds: true, parallel: 10 });
    let ended = 0;
    const client = createApiClient({ fetch: server.fetchImpl, onSessionEnded: () => ended++ });
    expect(await client.restore()).toEqual(user);
    const seen: unknown[] = [];
    client.onUserChange((u) => seen.push(u));

    server.options.refreshSucceeds = false; // e.g. the refresh family was revoked
    server.expire();
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => client.get(`/api/items/${i}`)));

    expect(server.calls.refresh).toBe(2);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("rejected");
      const reason = (outcome as PromiseRejectedResult).reason as ApiError;
      expect(reason).toBeInstanceOf(ApiError);
      expect(reason.status).toBe(401);
      expect(reason.code).toBe("session_expired");
    }
    expect(ended).toBe(1);
    expect(seen).toEqual([null]);
    expect(client.isSignedIn).toBe(false);
    expect(client.user).toBeNull();
  });

  it("does not call onSessionEnded when there was no session to restore", async () => {
    const server = fakeServer({ refreshSucceeds: false, parallel: 1 });
    let ended = 0;
    const client = createApiClient({ fetch: server.fetchImpl, onSessionEnded: () => ended++ });
    expect(await client.restore()).toBeNull();
    expect(ended).toBe(0);
  });
});

describe("api client errors", () => {
  it("turns problem+json into an ApiError with code, message and field errors", async () => {
    const client = createApiClient({
      fetch: async () =>
        problem(400, "invalid_request", "The request has invalid fields.", [
          { path: "email", message: "must be an email address" },
          { path: "password", message: "at least 8 characters" },
        ]),
    });
    const error = (await client.register({ email: "x", password: "short" }).catch((e) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(400);
    expect(error.code).toBe("invalid_request");
    expect(error.message).toBe("The request has invalid fields.");
    expect(error.fieldErrors).toEqual({ email: "must be an email address", password: "at least 8 characters" });
    expect(error.requestId).toBe("r1");
    expect(client.isSignedIn).toBe(false);
  });

  it("reports an unreachable server as network_error, and a non-JSON failure by its status", async () => {
    const offline = createApiClient({ fetch: async () => Promise.reject(new TypeError("fetch failed")) });
    expect(await offline.get("/api/me").catch((e: ApiError) => e.code)).toBe("network_error");
    const html = createApiClient({ fetch: async () => new Response("<h1>Bad gateway</h1>", { status: 502, headers: { "content-type": "text/html" } }) });
    const error = (await html.get("/api/me").catch((e) => e)) as ApiError;
    expect(error.code).toBe("http_502");
    expect(error.message).toContain("502");
  });

  it("sends the access token as a bearer header and never to the sign-in endpoints", async () => {
    const seen: { path: string; auth: string | null; credentials?: RequestCredentials }[] = [];
    const server = fakeServer({ refreshSucceeds: true, parallel: 1 });
    const client = createApiClient({
      fetch: async (input, init) => {
        seen.push({ path: String(input), auth: new Headers(init?.headers).get("authorization"), credentials: init?.credentials });
        return server.fetchImpl(input, init);
      },
    });
    await client.restore();
    await client.get("/api/me");
    await client.logout();
    expect(seen).toEqual([
      { path: "/api/auth/refresh", auth: null, credentials: "same-origin" },
      { path: "/api/me", auth: "Bearer access-1", credentials: "same-origin" },
      { path: "/api/auth/logout", auth: null, credentials: "same-origin" },
    ]);
    expect(server.calls.logout).toBe(1);
    expect(client.isSignedIn).toBe(false);
  });

  it("names itself as the web app on the auth endpoints, so the refresh token stays in the HttpOnly cookie", async () => {
    const seen: { path: string; client: string | null }[] = [];
    const server = fakeServer({ refreshSucceeds: true, parallel: 1 });
    const client = createApiClient({
      fetch: async (input, init) => {
        const path = new URL(String(input), "http://app.test").pathname;
        seen.push({ path, client: new Headers(init?.headers).get("x-taskpilot-client") });
        if (path === "/api/auth/login") return json(200, { user, accessToken: "access-0", expiresIn: 900 });
        return server.fetchImpl(input, init);
      },
    });
    await client.login({ email: user.email, password: "right" });
    expect(client.isSignedIn).toBe(true);
    await client.restore();
    await client.get("/api/me");
    await client.logout();
    expect(seen).toEqual([
      { path: "/api/auth/login", client: "web" },
      { path: "/api/auth/refresh", client: "web" },
      { path: "/api/me", client: null },
      { path: "/api/auth/logout", client: "web" },
    ]);
  });
});
