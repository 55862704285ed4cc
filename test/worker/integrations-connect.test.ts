import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../worker/config";
import { database } from "../../worker/db/client";
import { consumeOAuthState, insertOAuthState } from "../../worker/db/integrations";
import { decryptToken } from "../../worker/integrations/crypto";
import { BROWSER_COOKIE } from "../../worker/integrations/browser-cookie";
import { hashBrowserNonce, hashState } from "../../worker/integrations/state";
import { ORIGIN, problemOf } from "./auth-helpers";
import { api, authorizeAtProvider, callback, connect, CookieJar, eventTypes, newUser, scriptOAuth, startAuth, storedRow, upstreamCount } from "./integrations-helpers";

describe("POST /api/integrations/{provider}/auth", () => {
  it("returns an authorize URL with PKCE S256 and a fresh high-entropy state each time", async () => {
    const { token } = await newUser();
    const a = await startAuth(token, "gmail");
    const b = await startAuth(token, "gmail");
    expect(a.searchParams.get("code_challenge_method")).toBe("S256");
    expect(a.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.searchParams.get("response_type")).toBe("code");
    expect(a.searchParams.get("client_id")).toBe("test-google-client");
    expect(a.searchParams.get("redirect_uri")).toBe("http://127.0.0.1:8787/api/integrations/gmail/callback");
    expect(a.searchParams.get("scope")).toContain("https://www.googleapis.com/auth/gmail.readonly");
    expect(a.searchParams.get("access_type")).toBe("offline");
    const state = a.searchParams.get("state")!;
    // 32 random bytes in base64url: 256 bits, well over the 128 required.
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.searchParams.get("state")).not.toBe(state);
    expect(b.searchParams.get("code_challenge")).not.toBe(a.searchParams.get("code_challenge"));
  });

  it("stores only the hash of the state, for 10 minutes", async () => {
    const { token, userId } = await newUser();
    const state = (await startAuth(token, "github")).searchParams.get("state")!;
    const raw = await env.DB.prepare("select state_hash, created_at, expires_at from oauth_states where user_id = ?").bind(userId).all<{ state_hash: string; created_at: number; expires_at: number }>();
    expect(raw.results.map((r) => r.state_hash)).toEqual([await hashState(state)]);
    expect(raw.results[0]!.expires_at - raw.results[0]!.created_at).toBe(10 * 60 * 1000);
  });

  it("PKCE is used for every provider, including GitHub and Slack", async () => {
    const { token } = await newUser();
    for (const provider of ["calendar", "slack", "github"]) {
      expect((await startAuth(token, provider)).searchParams.get("code_challenge_method")).toBe("S256");
    }
  });

  it.each([
    "https://evil.example/phish",
    "//evil.example/phish",
    "/\\evil.example",
    "javascript:alert(1)",
    "integrations",
    "/ok\r\nLocation: https://evil.example",
  ])("rejects returnTo %j (no open redirect)", async (returnTo) => {
    const { token } = await newUser();
    const res = await api(token, "POST", "/api/integrations/gmail/auth", { returnTo });
    expect(res.status).toBe(400);
    const body = await problemOf(res);
    expect(body.code).toBe("invalid_request");
    expect(body.errors?.[0]?.path).toBe("returnTo");
  });

  it("needs a signed-in user, a JSON body and a known provider", async () => {
    const unauth = await SELF.fetch(`${ORIGIN}/api/integrations/gmail/auth`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(unauth.status).toBe(401);
    const { token } = await newUser();
    const unknown = await api(token, "POST", "/api/integrations/dropbox/auth", {});
    expect(unknown.status).toBe(404);
    expect((await problemOf(unknown)).code).toBe("unknown_provider");
    const notJson = await SELF.fetch(`${ORIGIN}/api/integrations/gmail/auth`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: "returnTo=/x" });
    expect((await problemOf(notJson)).code).toBe("invalid_request");
  });
});

describe("GET /api/integrations/{provider}/callback", () => {
  it("connects: active, encrypted tokens, account, scopes, events, redirect to returnTo", async () => {
    const { token, userId } = await newUser();
    const authUrl = await startAuth(token, "gmail", { returnTo: "/settings?tab=integrations" });
    const { code, state } = await authorizeAtProvider(authUrl);
    const location = await callback("gmail", { code, state });
    expect(location.origin + location.pathname).toBe("http://127.0.0.1:8787/settings");
    expect(location.searchParams.get("tab")).toBe("integrations");
    expect(location.searchParams.get("connected")).toBe("gmail");

    const status = (await (await api(token, "GET", "/api/integrations/gmail/status")).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ provider: "gmail", name: "Gmail", status: "active", account: { id: "google-user-1", label: "person@example.test" }, lastError: null, tools: ["gmail.search_messages", "gmail.get_message", "gmail.send_email"] });
    expect(status.scopes).toContain("https://www.googleapis.com/auth/gmail.send");
    expect(typeof status.connectedAt).toBe("string");
    expect(typeof status.expiresAt).toBe("string");
    expect(JSON.stringify(status)).not.toMatch(/token/i);

    const row = (await storedRow(userId, "gmail"))!;
    expect(row.accessTokenEnc).toMatch(/^v2\.k1\./);
    expect(row.refreshTokenEnc).toMatch(/^v2\.k1\./);
    const keys = getConfig(env).encryptionKeys!;
    const accessToken = await decryptToken(keys, row.id, "access_token_enc", row.accessTokenEnc!);
    const refreshToken = await decryptToken(keys, row.id, "refresh_token_enc", row.refreshTokenEnc!);
    expect(accessToken).toMatch(/^eyJ/);
    const raw = JSON.stringify(await env.DB.prepare("select * from integrations where id = ?").bind(row.id).first());
    expect(raw).not.toContain(accessToken);
    expect(raw).not.toContain(accessToken.split(".")[1]);
    expect(raw).not.toContain(refreshToken);

    expect(await eventTypes(token, "gmail")).toEqual(["connected", "oauth_started"]);
    const everything = [
      await (await api(token, "GET", "/api/integrations/gmail/events")).text(),
      await (await api(token, "GET", "/api/integrations")).text(),
      await (await api(token, "GET", "/api/events")).text(),
      JSON.stringify(await env.DB.prepare("select * from integration_events where user_id = ?").bind(userId).all()),
    ].join("\n");
    expect(everything).toContain("person@example.test");
    const live = (await (await api(token, "GET", "/api/events")).json()) as { events: Array<Record<string, unknown>> };
    expect(live.events.filter((e) => e.kind === "integration").map((e) => [e.provider, e.event, e.status])).toEqual([
      ["gmail", "oauth_started", "disconnected"],
      ["gmail", "connected", "active"],
    ]);
    expect(everything).not.toContain(accessToken.split(".")[1]);
    expect(everything).not.toContain(refreshToken);
  });

  it("a replayed state connects nothing the second time", async () => {
    const { token, userId } = await newUser();
    const { code, state } = await authorizeAtProvider(await startAuth(token, "gmail"));
    expect((await callback("gmail", { code, state })).searchParams.get("connected")).toBe("gmail");
    await api(token, "POST", "/api/integrations/gmail/disconnect");
    const replay = await callback("gmail", { code, state });
    expect(replay.searchParams.get("error")).toBe("invalid_state");
    expect(replay.searchParams.get("provider")).toBe("gmail");
    expect((await storedRow(userId, "gmail"))!.status).toBe("disconnected");
  });

  it("a tampered or missing state connects nothing and calls no token endpoint", async () => {
    const { token, userId } = await newUser();
    const { code, state } = await authorizeAtProvider(await startAuth(token, "gmail"));
    const tampered = (state[0] === "A" ? "B" : "A") + state.slice(1);
    expect((await callback("gmail", { code, state: tampered })).searchParams.get("error")).toBe("invalid_state");
    expect((await callback("gmail", { code })).searchParams.get("error")).toBe("invalid_state");
    expect((await callback("gmail", { code, state: "a", "state[]": "b" })).searchParams.get("error")).toBe("invalid_state");
    expect(await storedRow(userId, "gmail")).toBeUndefined();
    expect(await upstreamCount(code)).toBe(0);
  });

  it("rejects a state issued for another provider, and records it for that user", async () => {
    const { token, userId } = await newUser();
    const { code, state } = await authorizeAtProvider(await startAuth(token, "gmail"));
    const location = await callback("github", { code, state });
    expect(location.searchParams.get("error")).toBe("state_provider_mismatch");
    expect(location.searchParams.get("provider")).toBe("github");
    expect(await storedRow(userId, "github")).toBeUndefined();
    expect(await storedRow(userId, "gmail")).toBeUndefined();
    expect(await eventTypes(token, "github")).toEqual(["error"]);
  });

  it("rejects an expired state", async () => {
    const { token, userId } = await newUser();
    const { code, state } = await authorizeAtProvider(await startAuth(token, "gmail"));
    await env.DB.prepare("update oauth_states set expires_at = ? where user_id = ?").bind(Date.now() - 1, userId).run();
    expect((await callback("gmail", { code, state })).searchParams.get("error")).toBe("state_expired");
    expect(await storedRow(userId, "gmail")).toBeUndefined();
  });

  it("consumes a state exactly once even when two callbacks race", async () => {
    const { userId } = await newUser();
    const db = database(env);
    const stateHash = await hashState(crypto.randomUUID());
    await insertOAuthState(db, { stateHash, userId, provider: "gmail", codeVerifier: "v", returnTo: "/", browserHash: null, createdAt: new Date(), expiresAt: new Date(Date.now() + 60_000) });
    const results = await Promise.all(Array.from({ length: 10 }, () => consumeOAuthState(db, stateHash)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("access_denied from the provider redirects with the error, records it, keeps the integration as it was", async () => {
    const { token, userId } = await newUser();
    const { state } = await authorizeAtProvider(await startAuth(token, "slack"));
    const location = await callback("slack", { state, error: "access_denied", error_description: "The user said no" });
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("provider")).toBe("slack");
    expect(await storedRow(userId, "slack")).toBeUndefined();
    const events = (await (await api(token, "GET", "/api/integrations/slack/events")).json()) as { events: Array<{ type: string; status: string; detail: Record<string, unknown> }> };
    expect(events.events[0]).toMatchObject({ type: "error", status: "disconnected", detail: { code: "access_denied", providerError: "access_denied", description: "The user said no" } });
  });

  it("a callback without a code fails with missing_code", async () => {
    const { token } = await newUser();
    const { state } = await authorizeAtProvider(await startAuth(token, "github"));
    expect((await callback("github", { state })).searchParams.get("error")).toBe("missing_code");
  });

  it.each([
    [400, { error: "invalid_grant", error_description: "Code was already redeemed." }, "application/json", "token_exchange_failed", "invalid_grant"],
    [401, { error: "invalid_client", error_description: "Client authentication failed." }, "application/json", "token_exchange_failed", "invalid_client"],
    [500, "upstream exploded", "text/plain", "provider_unavailable", "provider_unavailable"],
    [200, "<html>not json</html>", "text/html", "token_exchange_failed", "provider_bad_response"],
    [400, "<html>bad request</html>", "text/html", "token_exchange_failed", "provider_bad_response"],
  ])("token endpoint HTTP %i is handled: nothing stored, provider's code recorded", async (status, body, contentType, code, providerError) => {
    const { token, userId } = await newUser();
    const location = await connect(token, "gmail", (c) => scriptOAuth(c, { status, body, contentType }));
    expect(location.searchParams.get("error")).toBe(code);
    expect(await storedRow(userId, "gmail")).toBeUndefined();
    const events = (await (await api(token, "GET", "/api/integrations/gmail/events")).json()) as { events: Array<{ type: string; detail: Record<string, unknown> }> };
    expect(events.events[0]).toMatchObject({ type: "error", detail: { code, providerError } });
  });

  it("a failed reconnect leaves an active integration untouched", async () => {
    const { token, userId } = await newUser();
    await connect(token, "gmail");
    const before = await storedRow(userId, "gmail");
    const location = await connect(token, "gmail", (c) => scriptOAuth(c, { status: 400, body: { error: "invalid_grant" } }));
    expect(location.searchParams.get("error")).toBe("token_exchange_failed");
    expect(await storedRow(userId, "gmail")).toEqual(before);
  });

  it("records scopes the provider did not grant and shows them as the last error", async () => {
    const { token } = await newUser();
    await connect(token, "gmail", (c) => scriptOAuth(c, { status: 200, body: { access_token: "at-narrow", token_type: "Bearer", expires_in: 3600, refresh_token: "rt-narrow", scope: "openid email" } }));
    const status = (await (await api(token, "GET", "/api/integrations/gmail/status")).json()) as { status: string; scopes: string[]; lastError: { code: string; message: string } };
    expect(status.status).toBe("active");
    expect(status.scopes).toEqual(["openid", "email"]);
    expect(status.lastError.code).toBe("scopes_missing");
    expect(status.lastError.message).toContain("gmail.send");
    const events = (await (await api(token, "GET", "/api/integrations/gmail/events")).json()) as { events: Array<{ detail: Record<string, unknown> }> };
    expect(events.events[0]!.detail.missingScopes).toContain("https://www.googleapis.com/auth/gmail.readonly");
  });

  it("GitHub and Slack identities are read from their APIs", async () => {
    const { token } = await newUser();
    await connect(token, "github");
    await connect(token, "slack");
    const list = (await (await api(token, "GET", "/api/integrations")).json()) as { integrations: Array<{ provider: string; status: string; account: unknown }> };
    expect(list.integrations.map((i) => [i.provider, i.status, i.account])).toEqual([
      ["gmail", "disconnected", null],
      ["calendar", "disconnected", null],
      ["slack", "active", { id: "T1:U1", label: "tester @ Test Team" }],
      ["github", "active", { id: "4242", label: "octo-tester" }],
    ]);
  });
});

describe("the callback is bound to the browser that started the flow (RFC 9700 §4.7.1)", () => {
  const setCookieOf = (res: Response) => res.headers.getAll("set-cookie").find((c) => c.startsWith(`${BROWSER_COOKIE}=`));

  it("POST …/auth sets a 256-bit nonce in an HttpOnly, Secure, SameSite=Lax cookie for /api/integrations, and stores only its hash", async () => {
    const { token, userId } = await newUser();
    const res = await api(token, "POST", "/api/integrations/gmail/auth", {});
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const line = setCookieOf(res)!;
    const [pair, ...attributes] = line.split(";").map((a) => a.trim());
    const nonce = pair!.slice(BROWSER_COOKIE.length + 1);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(attributes).toEqual(expect.arrayContaining(["Max-Age=600", "Path=/api/integrations", "HttpOnly", "Secure", "SameSite=Lax"]));
    expect(attributes.some((a) => /^domain=/i.test(a))).toBe(false);
    const rows = await env.DB.prepare("select * from oauth_states where user_id = ?").bind(userId).all<Record<string, unknown>>();
    expect(rows.results.map((r) => r.browser_hash)).toEqual([await hashBrowserNonce(nonce)]);
    expect(JSON.stringify(rows.results)).not.toContain(nonce);
  });

  it("a callback followed from another browser connects nothing, calls no token endpoint and spends the state", async () => {
    const attacker = await newUser();
    const attackersBrowser = new CookieJar();
    const { code, state } = await authorizeAtProvider(await startAuth(attacker.token, "github", {}, attackersBrowser));

    // The victim opens the link: once with no cookie at all, once (a second link) with the cookie of a flow of their own.
    const fresh = await callback("github", { code, state }, new CookieJar());
    expect(fresh.pathname).toBe("/integrations");
    expect(fresh.searchParams.get("error")).toBe("browser_mismatch");
    expect(fresh.searchParams.get("provider")).toBe("github");
    expect(fresh.searchParams.get("connected")).toBeNull();

    const victim = await newUser();
    const victimsBrowser = new CookieJar();
    await startAuth(victim.token, "gmail", {}, victimsBrowser);
    const victimsNonce = victimsBrowser.get(BROWSER_COOKIE)!;
    const second = await authorizeAtProvider(await startAuth(attacker.token, "github", { returnTo: "/settings" }, attackersBrowser));
    const other = await callback("github", second, victimsBrowser);
    expect(other.pathname).toBe("/integrations");
    expect(other.searchParams.get("error")).toBe("browser_mismatch");
    // The mismatch does not cancel the victim's own pending flow.
    expect(victimsBrowser.get(BROWSER_COOKIE)).toBe(victimsNonce);

    expect(await storedRow(attacker.userId, "github")).toBeUndefined();
    expect(await storedRow(victim.userId, "github")).toBeUndefined();
    expect(await upstreamCount(code)).toBe(0);
    expect(await upstreamCount(second.code)).toBe(0);
    expect(await eventTypes(attacker.token, "github")).toEqual(["error", "oauth_started", "error", "oauth_started"]);
    const events = (await (await api(attacker.token, "GET", "/api/integrations/github/events")).json()) as { events: Array<{ detail: { code?: string } }> };
    expect(events.events[0]!.detail.code).toBe("browser_mismatch");

    // One-time: the browser that started it cannot use the state afterwards either.
    expect((await callback("github", { code, state }, attackersBrowser)).searchParams.get("error")).toBe("invalid_state");
    expect(await storedRow(attacker.userId, "github")).toBeUndefined();
  });

  it("a forged or malformed cookie is no match", async () => {
    const { token, userId } = await newUser();
    const browser = new CookieJar();
    const first = await authorizeAtProvider(await startAuth(token, "gmail", {}, browser));
    const nonce = browser.get(BROWSER_COOKIE)!;
    const forged = new CookieJar();
    forged.set(BROWSER_COOKIE, (nonce[0] === "A" ? "B" : "A") + nonce.slice(1));
    expect((await callback("gmail", first, forged)).searchParams.get("error")).toBe("browser_mismatch");
    const second = await authorizeAtProvider(await startAuth(token, "gmail", {}, browser));
    const malformed = new CookieJar();
    malformed.set(BROWSER_COOKIE, `${nonce}x`);
    expect((await callback("gmail", second, malformed)).searchParams.get("error")).toBe("browser_mismatch");
    expect(await storedRow(userId, "gmail")).toBeUndefined();
  });

  it("a state stored before the binding existed (no hash) never connects", async () => {
    const { token, userId } = await newUser();
    const browser = new CookieJar();
    const { code, state } = await authorizeAtProvider(await startAuth(token, "gmail", {}, browser));
    await env.DB.prepare("update oauth_states set browser_hash = null where user_id = ?").bind(userId).run();
    expect((await callback("gmail", { code, state }, browser)).searchParams.get("error")).toBe("browser_mismatch");
    expect(await storedRow(userId, "gmail")).toBeUndefined();
  });

  it("the browser that started it connects, and the cookie is cleared once its last flow is done", async () => {
    const { token, userId } = await newUser();
    const browser = new CookieJar();
    const location = await connect(token, "calendar", undefined, browser);
    expect(location.searchParams.get("connected")).toBe("calendar");
    expect((await storedRow(userId, "calendar"))!.status).toBe("active");
    expect(browser.get(BROWSER_COOKIE)).toBeUndefined();
  });

  it("flows started in parallel from one browser all connect: two providers, and the same provider twice", async () => {
    const { token, userId } = await newUser();
    const browser = new CookieJar();
    const gmail = await authorizeAtProvider(await startAuth(token, "gmail", {}, browser));
    const nonce = browser.get(BROWSER_COOKIE)!;
    const slack = await authorizeAtProvider(await startAuth(token, "slack", {}, browser));
    const gmailAgain = await authorizeAtProvider(await startAuth(token, "gmail", {}, browser));
    // One nonce for the browser, reused by every flow it starts.
    expect(browser.get(BROWSER_COOKIE)).toBe(nonce);

    expect((await callback("slack", slack, browser)).searchParams.get("connected")).toBe("slack");
    expect(browser.get(BROWSER_COOKIE)).toBe(nonce);
    expect((await callback("gmail", gmail, browser)).searchParams.get("connected")).toBe("gmail");
    expect(browser.get(BROWSER_COOKIE)).toBe(nonce);
    expect((await callback("gmail", gmailAgain, browser)).searchParams.get("connected")).toBe("gmail");
    expect(browser.get(BROWSER_COOKIE)).toBeUndefined();
    expect((await storedRow(userId, "gmail"))!.status).toBe("active");
    expect((await storedRow(userId, "slack"))!.status).toBe("active");

    // A new flow after that gets a new nonce.
    await startAuth(token, "github", {}, browser);
    expect(browser.get(BROWSER_COOKIE)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(browser.get(BROWSER_COOKIE)).not.toBe(nonce);
  });

  it("a failed exchange in the right browser also ends the flow and clears the cookie", async () => {
    const { token } = await newUser();
    const browser = new CookieJar();
    const location = await connect(token, "gmail", (c) => scriptOAuth(c, { status: 400, body: { error: "invalid_grant" } }), browser);
    expect(location.searchParams.get("error")).toBe("token_exchange_failed");
    expect(browser.get(BROWSER_COOKIE)).toBeUndefined();
  });

  it("a malformed cookie sent to POST …/auth is replaced by a fresh nonce", async () => {
    const { token } = await newUser();
    const browser = new CookieJar();
    browser.set(BROWSER_COOKIE, "short");
    const { code, state } = await authorizeAtProvider(await startAuth(token, "gmail", {}, browser));
    expect(browser.get(BROWSER_COOKIE)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await callback("gmail", { code, state }, browser)).searchParams.get("connected")).toBe("gmail");
  });
});

describe("status, events and tools", () => {
  it("lists all four providers for a new user, each disconnected", async () => {
    const { token } = await newUser();
    const body = (await (await api(token, "GET", "/api/integrations")).json()) as { integrations: Array<Record<string, unknown>> };
    expect(body.integrations).toHaveLength(4);
    for (const i of body.integrations) expect(i).toMatchObject({ status: "disconnected", account: null, scopes: [], connectedAt: null, expiresAt: null, lastError: null });
  });

  it("offers tools only for active integrations", async () => {
    const { token } = await newUser();
    const before = (await (await api(token, "GET", "/api/tools")).json()) as { tools: unknown[] };
    expect(before.tools).toEqual([]);
    await connect(token, "github");
    const after = (await (await api(token, "GET", "/api/tools")).json()) as { tools: Array<{ name: string; provider: string; description: string; parameters: object }> };
    expect(after.tools.map((t) => t.name)).toEqual(["github.list_repos", "github.list_issues", "github.create_issue"]);
    expect(after.tools[0]).toMatchObject({ provider: "github", parameters: { type: "object" } });
  });

  it("never shows one user's integration to another", async () => {
    const alice = await newUser();
    const bob = await newUser();
    await connect(alice.token, "gmail");
    const bobView = (await (await api(bob.token, "GET", "/api/integrations/gmail/status")).json()) as { status: string };
    expect(bobView.status).toBe("disconnected");
    expect(await eventTypes(bob.token, "gmail")).toEqual([]);
  });

  it("unknown provider on every route is 404 unknown_provider", async () => {
    const { token } = await newUser();
    for (const [method, path] of [["GET", "/api/integrations/box/status"], ["GET", "/api/integrations/box/events"], ["POST", "/api/integrations/box/disconnect"], ["POST", "/api/integrations/box/refresh"], ["GET", "/api/integrations/box/callback?code=x&state=y"]] as const) {
      const res = await api(token, method, path);
      expect(res.status, path).toBe(404);
      expect((await problemOf(res)).code).toBe("unknown_provider");
    }
  });

  it("/api/health lists every provider as configured", async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/health`);
    const body = (await res.json()) as { checks: { providers: Record<string, { configured: boolean }> } };
    expect(Object.keys(body.checks.providers)).toEqual(["gmail", "calendar", "slack", "github"]);
    expect(Object.values(body.checks.providers).every((p) => p.configured)).toBe(true);
  });
});
