import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../worker/config";
import worker from "../../worker/index";
import { decryptToken } from "../../worker/integrations/crypto";
import { getAccessToken, getAccessTokenAfterUnauthorized, shouldRefresh } from "../../worker/integrations/refresh";
import { problemOf } from "./auth-helpers";
import { api, eventTypes, newUser, scriptOAuth, seedIntegration, storedRow, upstreamCount } from "./integrations-helpers";

const expired = () => new Date(Date.now() - 60_000);
const keys = () => getConfig(env).encryptionKeys!;

async function failure(p: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { status: number; code: string };
    return { status: err.status, code: err.code };
  }
  throw new Error("expected a failure");
}

describe("shouldRefresh", () => {
  it.each([
    [null, 0, false],
    [new Date(10_000), 0, false],
    [new Date(10_000), 9_500, true],
    [new Date(10_000), 20_000, true],
  ])("expiresAt %s at %i with 1 s ahead → %s", (expiresAt, now, expected) => {
    expect(shouldRefresh(expiresAt, now, 1_000)).toBe(expected);
  });
});

describe("token refresh", () => {
  it("returns the stored token while it is fresh, without calling the provider", async () => {
    const { userId } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "gmail", { accessToken: "at-fresh", refreshToken, expiresAt: new Date(Date.now() + 3_600_000) });
    expect(await getAccessToken(env, userId, "gmail")).toBe("at-fresh");
    expect(await upstreamCount(refreshToken)).toBe(0);
  });

  it("50 concurrent callers on an expired token cause exactly one upstream refresh and all get the new token", async () => {
    const { userId, token } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "gmail", { accessToken: "at-old", refreshToken, expiresAt: expired() });
    await scriptOAuth(refreshToken, { delayMs: 300 });
    const tokens = await Promise.all(Array.from({ length: 50 }, () => getAccessToken(env, userId, "gmail")));
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe("at-old");
    expect(await upstreamCount(refreshToken)).toBe(1);
    const row = (await storedRow(userId, "gmail"))!;
    expect(await decryptToken(keys(), row.id, row.accessTokenEnc!)).toBe(tokens[0]);
    expect(row.expiresAt!.getTime()).toBeGreaterThan(Date.now());
    expect((await eventTypes(token, "gmail")).filter((t) => t === "refreshed")).toHaveLength(1);
  });

  it("many callers that saw a 401 for the same token cause one refresh", async () => {
    const { userId } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "calendar", { accessToken: "at-rejected", refreshToken, expiresAt: new Date(Date.now() + 3_600_000) });
    await scriptOAuth(refreshToken, { delayMs: 100 });
    const tokens = await Promise.all(Array.from({ length: 10 }, () => getAccessTokenAfterUnauthorized(env, userId, "calendar", "at-rejected")));
    expect(new Set(tokens).size).toBe(1);
    expect(await upstreamCount(refreshToken)).toBe(1);
    // A late caller still holding the old token gets the new one without another refresh.
    expect(await getAccessTokenAfterUnauthorized(env, userId, "calendar", "at-rejected")).toBe(tokens[0]);
    expect(await upstreamCount(refreshToken)).toBe(1);
  });

  it("invalid_grant marks the integration expired with refresh_failed + expired events, and does not retry", async () => {
    const { userId, token } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "gmail", { accessToken: "at-old", refreshToken, expiresAt: expired() });
    await scriptOAuth(refreshToken, { status: 400, body: { error: "invalid_grant", error_description: "Token has been expired or revoked." } });
    expect(await failure(getAccessToken(env, userId, "gmail"))).toEqual({ status: 409, code: "integration_expired" });
    expect(await upstreamCount(refreshToken)).toBe(1);
    const status = (await (await api(token, "GET", "/api/integrations/gmail/status")).json()) as { status: string; lastError: { code: string; message: string } };
    expect(status.status).toBe("expired");
    expect(status.lastError).toMatchObject({ code: "invalid_grant", message: "Token has been expired or revoked." });
    expect(await eventTypes(token, "gmail")).toEqual(["expired", "refresh_failed"]);
    // Expired stays expired: later calls do not go upstream again.
    expect(await failure(getAccessToken(env, userId, "gmail"))).toEqual({ status: 409, code: "integration_expired" });
    expect(await upstreamCount(refreshToken)).toBe(1);
  });

  it("a 5xx keeps the status, sets lastError, and retries with backoff", async () => {
    const { userId, token } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "slack", { accessToken: "at-old", refreshToken, expiresAt: expired() });
    await scriptOAuth(refreshToken, { status: 503, body: "maintenance", contentType: "text/plain" });
    expect(await failure(getAccessToken(env, userId, "slack"))).toEqual({ status: 502, code: "provider_unavailable" });
    expect(await upstreamCount(refreshToken)).toBe(3);
    const status = (await (await api(token, "GET", "/api/integrations/slack/status")).json()) as { status: string; lastError: { code: string } };
    expect(status.status).toBe("active");
    expect(status.lastError.code).toBe("provider_unavailable");
    expect(await eventTypes(token, "slack")).toEqual(["refresh_failed"]);
  });

  it("a token response without a refresh token keeps the old refresh token", async () => {
    const { userId } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "gmail", { accessToken: "at-old", refreshToken, expiresAt: expired() });
    await scriptOAuth(refreshToken, { status: 200, body: { access_token: "at-new", token_type: "Bearer", expires_in: 3600 } });
    expect(await getAccessToken(env, userId, "gmail")).toBe("at-new");
    const row = (await storedRow(userId, "gmail"))!;
    expect(await decryptToken(keys(), row.id, row.refreshTokenEnc!)).toBe(refreshToken);
  });

  it("POST /refresh forces a refresh of a fresh token and returns the Integration", async () => {
    const { userId, token } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "github", { accessToken: "at-fresh", refreshToken, expiresAt: new Date(Date.now() + 3_600_000) });
    const res = await api(token, "POST", "/api/integrations/github/refresh");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ provider: "github", status: "active", lastError: null });
    expect(await upstreamCount(refreshToken)).toBe(1);
    expect(await getAccessToken(env, userId, "github")).not.toBe("at-fresh");
  });

  it("POST /refresh on a never-connected integration is 409 not_connected", async () => {
    const { token } = await newUser();
    const res = await api(token, "POST", "/api/integrations/gmail/refresh");
    expect(res.status).toBe(409);
    expect((await problemOf(res)).code).toBe("not_connected");
  });

  it("the cron pass refreshes tokens expiring within 10 minutes and leaves later ones alone", async () => {
    const { userId } = await newUser();
    const soon = `rt-${crypto.randomUUID()}`;
    const later = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "gmail", { accessToken: "at-soon", refreshToken: soon, expiresAt: new Date(Date.now() + 5 * 60_000) });
    await seedIntegration(userId, "calendar", { accessToken: "at-later", refreshToken: later, expiresAt: new Date(Date.now() + 60 * 60_000) });
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "*/5 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await upstreamCount(soon)).toBe(1);
    expect(await upstreamCount(later)).toBe(0);
    expect(await getAccessToken(env, userId, "gmail")).not.toBe("at-soon");
  });
});
