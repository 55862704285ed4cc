import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { getConfig } from "../../worker/config";
import { decryptToken } from "../../worker/integrations/crypto";
import { ORIGIN } from "./auth-helpers";
import { BROWSER_COOKIE } from "../../worker/integrations/browser-cookie";
import { authorizeAtProvider, CookieJar, newUser, scriptOAuth, seedIntegration, storedRow } from "./integrations-helpers";
import { fetchWithEnv } from "./sandbox-helpers";

/** Requests run with LOG_LEVEL=debug, so even the info-level access log is checked. */
function call(path: string, init: RequestInit = {}, token?: string): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  if (init.body) headers.set("content-type", "application/json");
  return fetchWithEnv(`${ORIGIN}${path}`, { LOG_LEVEL: "debug" }, { ...init, headers, redirect: "manual" });
}

/** Every console line the worker writes while the test runs, at every level. */
function captureLogs(): string[] {
  const lines: string[] = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
  }
  return lines;
}

describe("integration secrets stay out of logs", () => {
  afterEach(async () => {
    vi.restoreAllMocks();
    await fetchWithEnv(`${ORIGIN}/api/health`, { LOG_LEVEL: "warn" });
  });

  it("connect, a replayed callback, refresh, a refresh failure and disconnect log no token, code, state or client secret", async () => {
    const lines = captureLogs();
    const { userId, token } = await newUser();

    const started = await call("/api/integrations/gmail/auth", { method: "POST", body: "{}" }, token);
    const browser = new CookieJar();
    browser.store(started);
    const nonce = browser.get(BROWSER_COOKIE)!;
    const { code, state } = await authorizeAtProvider(new URL(((await started.json()) as { authorizationUrl: string }).authorizationUrl));
    const callbackPath = `/api/integrations/gmail/callback?${new URLSearchParams({ code, state })}`;
    const withCookie = { headers: { cookie: browser.header()! } };
    expect(new URL((await call(callbackPath, withCookie)).headers.get("location")!).searchParams.get("connected")).toBe("gmail");
    expect(new URL((await call(callbackPath, withCookie)).headers.get("location")!).searchParams.get("error")).toBe("invalid_state");
    // A callback from another browser is rejected without its cookie value or the state reaching a log line.
    const foreign = await call("/api/integrations/gmail/auth", { method: "POST", body: "{}" }, token);
    const foreignNonce = new CookieJar();
    foreignNonce.store(foreign);
    const second = await authorizeAtProvider(new URL(((await foreign.json()) as { authorizationUrl: string }).authorizationUrl));
    const mismatch = await call(`/api/integrations/gmail/callback?${new URLSearchParams(second)}`, withCookie);
    expect(new URL(mismatch.headers.get("location")!).searchParams.get("error")).toBe("browser_mismatch");

    const keys = getConfig(env).encryptionKeys!;
    const row = (await storedRow(userId, "gmail"))!;
    const accessToken = await decryptToken(keys, row.id, "access_token_enc", row.accessTokenEnc!);
    const refreshToken = await decryptToken(keys, row.id, "refresh_token_enc", row.refreshTokenEnc!);
    expect((await call("/api/integrations/gmail/refresh", { method: "POST" }, token)).status).toBe(200);
    const refreshed = (await storedRow(userId, "gmail"))!;
    const newAccessToken = await decryptToken(keys, refreshed.id, "access_token_enc", refreshed.accessTokenEnc!);
    expect((await call("/api/integrations/gmail/disconnect", { method: "POST" }, token)).status).toBe(200);

    const failingRefresh = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "slack", { accessToken: `at-${crypto.randomUUID()}`, refreshToken: failingRefresh, expiresAt: new Date(0) });
    await scriptOAuth(failingRefresh, { status: 400, body: { error: "invalid_grant", error_description: "revoked" } });
    expect((await call("/api/integrations/slack/refresh", { method: "POST" }, token)).status).toBeGreaterThanOrEqual(400);

    // The capture works: the callback's access-log line and the rejected replay are there.
    expect(lines.some((l) => l.includes('"message":"request"') && l.includes("/callback"))).toBe(true);
    expect(lines.some((l) => l.includes("oauth_callback_rejected"))).toBe(true);
    expect(lines.some((l) => l.includes("oauth_callback_rejected") && l.includes("browser_mismatch"))).toBe(true);
    const secrets = [accessToken, refreshToken, newAccessToken, failingRefresh, code, state, second.code, second.state, nonce, foreignNonce.get(BROWSER_COOKIE)!, token, "test-google-secret", "test-slack-secret"];
    for (const line of lines) for (const secret of secrets) expect(line).not.toContain(secret);
  });
});
