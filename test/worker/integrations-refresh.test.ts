import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../worker/config";
import worker from "../../worker/index";
import { decryptToken } from "../../worker/integrations/crypto";
import { ProviderError } from "../../worker/integrations/oauth-client";
import {
  answers,
  BACKOFF_BASE_MS,
  getAccessToken,
  getAccessTokenAfterUnauthorized,
  retryTransient,
  shouldRefresh,
  type RefreshOutcome,
  type RefreshRequest,
} from "../../worker/integrations/refresh";
import { problemOf } from "./auth-helpers";
import { arrived, injectFlight, recordingSleep, release, seededRandom } from "./flight-helpers";
import { api, eventTypes, newUser, scriptOAuth, seedIntegration, rejection, storedRow, upstreamCount } from "./integrations-helpers";

const expired = () => new Date(Date.now() - 60_000);
const keys = () => getConfig(env).encryptionKeys!;
const seven = seededRandom(7);
const SEED_7 = [seven(), seven()] as const;

const failure = (p: Promise<unknown>) => rejection(p, ["status", "code"] as const);

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

describe("answers (who a refresh that started at 1000 answers)", () => {
  const fresh = (accessToken: string, refreshed = true) => ({ ok: true as const, accessToken, expiresAt: new Date(1_000 + 3_600_000).toISOString(), refreshed });
  const failed = { ok: false as const, code: "provider_unavailable", message: "down", status: "active" as const, transient: true };
  it.each<[string, RefreshRequest, number, RefreshOutcome, boolean]>([
    ["a force asked before it started: yes", { force: true }, 999, fresh("at-new"), true],
    ["a force asked in the same millisecond: yes", { force: true }, 1_000, fresh("at-new"), true],
    ["a force asked after it started: no", { force: true }, 1_001, fresh("at-new"), false],
    ["a force, when it only read the stored token: no", { force: true }, 999, fresh("at-old", false), false],
    ["a force, when it failed: yes", { force: true }, 999, failed, true],
    ["a force asked after it started, even though it failed: no", { force: true }, 1_001, failed, false],
    ["a caller whose token was rejected, given another: yes", { rejectedToken: "at-old" }, 5_000, fresh("at-new"), true],
    ["a caller whose token was rejected, given that token: no", { rejectedToken: "at-old" }, 5_000, fresh("at-old"), false],
    ["a caller that needs 10 minutes, given a token for an hour: yes", { aheadMs: 600_000 }, 5_000, fresh("at-new"), true],
    ["a caller that needs 2 hours, given a token for an hour: no", { aheadMs: 7_200_000 }, 5_000, fresh("at-new"), false],
    ["a plain caller, when it failed: yes", {}, 5_000, failed, true],
  ])("%s", (_name, request, requestedAt, outcome, expected) => {
    expect(answers(request, requestedAt, 1_000, outcome, 1_000)).toBe(expected);
  });
});

describe("retryTransient (full-jitter backoff)", () => {
  it("waits random × base × 2^attempt between attempts, with the injected sleep and random", async () => {
    const { delays, sleep } = recordingSleep();
    let calls = 0;
    const result = await retryTransient(
      async () => {
        calls += 1;
        if (calls < 3) throw new ProviderError("provider_unavailable", "down", true, 503);
        return "ok";
      },
      { sleep, random: seededRandom(7) },
    );
    expect(result).toBe("ok");
    expect(delays).toEqual([SEED_7[0] * 400, SEED_7[1] * 800]);
    expect(delays).toEqual([4.681901261210442, 49.56660605967045]);
  });

  it("does not retry a permanent failure, and gives up after the last attempt", async () => {
    const { delays, sleep } = recordingSleep();
    const permanent = retryTransient(() => Promise.reject(new ProviderError("invalid_grant", "revoked", false)), { sleep, random: () => 0.5 });
    await expect(permanent).rejects.toMatchObject({ code: "invalid_grant" });
    expect(delays).toEqual([]);
    const transient = retryTransient(() => Promise.reject(new ProviderError("provider_timeout", "slow", true)), { sleep, random: () => 0.5 });
    await expect(transient).rejects.toMatchObject({ code: "provider_timeout" });
    expect(delays).toEqual([200, 400]);
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
    await scriptOAuth(refreshToken, { hold: true });
    const pending = Promise.all(Array.from({ length: 50 }, () => getAccessToken(env, userId, "gmail")));
    await arrived(refreshToken);
    await release(refreshToken);
    const tokens = await pending;
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe("at-old");
    expect(await upstreamCount(refreshToken)).toBe(1);
    const row = (await storedRow(userId, "gmail"))!;
    expect(await decryptToken(keys(), row.id, "access_token_enc", row.accessTokenEnc!)).toBe(tokens[0]);
    expect(row.expiresAt!.getTime()).toBeGreaterThan(Date.now());
    expect((await eventTypes(token, "gmail")).filter((t) => t === "refreshed")).toHaveLength(1);
  });

  it("many callers that saw a 401 for the same token cause one refresh", async () => {
    const { userId } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "calendar", { accessToken: "at-rejected", refreshToken, expiresAt: new Date(Date.now() + 3_600_000) });
    await scriptOAuth(refreshToken, { hold: true });
    const pending = Promise.all(Array.from({ length: 10 }, () => getAccessTokenAfterUnauthorized(env, userId, "calendar", "at-rejected")));
    await arrived(refreshToken);
    await release(refreshToken);
    const tokens = await pending;
    expect(tokens[0]).not.toBe("at-rejected");
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

  it("a 5xx keeps the status, sets lastError, and retries with jittered backoff", async () => {
    const { userId, token } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "slack", { accessToken: "at-old", refreshToken, expiresAt: expired() });
    await scriptOAuth(refreshToken, { status: 503, body: "maintenance", contentType: "text/plain" });
    const { delays, sleep } = recordingSleep();
    await injectFlight(userId, "slack", { sleep, random: seededRandom(7) });
    expect(await failure(getAccessToken(env, userId, "slack"))).toEqual({ status: 502, code: "provider_unavailable" });
    expect(await upstreamCount(refreshToken)).toBe(3);
    // Attempt n waits random × 200 ms × 2^n; seed 7 gives these two draws every run.
    expect(delays).toEqual([BACKOFF_BASE_MS * 2 * SEED_7[0], BACKOFF_BASE_MS * 4 * SEED_7[1]]);
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
    expect(await decryptToken(keys(), row.id, "refresh_token_enc", row.refreshTokenEnc!)).toBe(refreshToken);
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
