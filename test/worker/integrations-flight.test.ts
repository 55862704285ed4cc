import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../worker/config";
import { decryptToken } from "../../worker/integrations/crypto";
import { CRON_AHEAD_MS, forceRefresh, getAccessToken, type RefreshOutcome } from "../../worker/integrations/refresh";
import { problemOf } from "./auth-helpers";
import { arrived, delivered, flightOf, injectFlight, recordingSleep, release, seededRandom } from "./flight-helpers";
import { api, connect, eventTypes, newUser, scriptOAuth, seedIntegration, rejection, storedRow, upstreamCount } from "./integrations-helpers";

const keys = () => getConfig(env).encryptionKeys!;
const expired = () => new Date(Date.now() - 60_000);
const soon = () => new Date(Date.now() + 5 * 60_000);
const tokenBody = (accessToken: string, refreshToken?: string) => ({
  access_token: accessToken,
  token_type: "Bearer",
  expires_in: 3600,
  ...(refreshToken ? { refresh_token: refreshToken } : {}),
});

const failure = (p: Promise<unknown>) => rejection(p, ["status", "code"] as const);

describe("the refresh single flight (IntegrationFlight)", () => {
  it("50 concurrent POST /refresh cause exactly one upstream token request, and all answer 200", async () => {
    const { userId, token } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "gmail", { accessToken: "at-fresh", refreshToken, expiresAt: new Date(Date.now() + 3_600_000) });
    // Answered at once and without rotating the refresh token: most of the burst reaches the flight after the
    // first refresh has finished, and a second upstream refresh would carry the same key and be counted.
    await scriptOAuth(refreshToken, { status: 200, body: tokenBody("at-new") });
    // A burst is every request asked for before the refresh started. On the wall clock a loaded machine can
    // start the first refresh before the last request arrives, and that request rightly gets a refresh of its
    // own; the flight's clock is set a minute ahead so that all fifty were asked for before it started.
    const ahead = Date.now() + 60_000;
    await injectFlight(userId, "gmail", { now: () => ahead });

    const settled = await Promise.all(Array.from({ length: 50 }, () => api(token, "POST", "/api/integrations/gmail/refresh")));

    expect(settled.map((r) => r.status)).toEqual(Array.from({ length: 50 }, () => 200));
    expect(await upstreamCount(refreshToken)).toBe(1);
    expect((await eventTypes(token, "gmail")).filter((t) => t === "refreshed")).toHaveLength(1);
    expect(await getAccessToken(env, userId, "gmail")).toBe("at-new");
  });

  it("a forced refresh that joins a running cron refresh gets an upstream refresh of its own", async () => {
    const { userId, token } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    const rotated = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "calendar", { accessToken: "at-before", refreshToken, expiresAt: soon() });
    // The cron's refresh rotates the refresh token, so the two upstream requests can be counted apart.
    await scriptOAuth(refreshToken, { hold: true, status: 200, body: tokenBody("at-from-cron", rotated) });
    await scriptOAuth(rotated, { status: 200, body: tokenBody("at-from-force") });
    const startedAt = Date.now();
    await injectFlight(userId, "calendar", { now: () => startedAt });

    const flight = flightOf(userId, "calendar");
    const cron = flight.refresh(userId, "calendar", { aheadMs: CRON_AHEAD_MS }) as Promise<RefreshOutcome>;
    await arrived(refreshToken);
    // Asked for one millisecond after the cron's refresh started: that refresh cannot answer it.
    const forced = flight.refresh(userId, "calendar", { force: true, requestedAt: startedAt + 1 }) as Promise<RefreshOutcome>;
    await delivered(flight);
    await release(refreshToken);

    expect(await cron).toMatchObject({ ok: true, accessToken: "at-from-cron", refreshed: true });
    expect(await forced).toMatchObject({ ok: true, accessToken: "at-from-force", refreshed: true });
    expect(await upstreamCount(refreshToken)).toBe(1);
    expect(await upstreamCount(rotated)).toBe(1);
    expect((await eventTypes(token, "calendar")).filter((t) => t === "refreshed")).toHaveLength(2);
  });

  it("a forced refresh asked for before the running refresh started shares it", async () => {
    const { userId } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "calendar", { accessToken: "at-before", refreshToken, expiresAt: soon() });
    await scriptOAuth(refreshToken, { hold: true });
    const startedAt = Date.now();
    await injectFlight(userId, "calendar", { now: () => startedAt });

    const flight = flightOf(userId, "calendar");
    const first = flight.refresh(userId, "calendar", { force: true, requestedAt: startedAt }) as Promise<RefreshOutcome>;
    await arrived(refreshToken);
    const second = flight.refresh(userId, "calendar", { force: true, requestedAt: startedAt - 5 }) as Promise<RefreshOutcome>;
    await delivered(flight);
    await release(refreshToken);

    const [a, b] = await Promise.all([first, second]);
    expect(a).toEqual(b);
    expect(await upstreamCount(refreshToken)).toBe(1);
    // Arriving after it finished, but asked for before it started, it is still answered by it.
    expect(await flight.refresh(userId, "calendar", { force: true, requestedAt: startedAt - 1 })).toEqual(a);
    expect(await upstreamCount(refreshToken)).toBe(1);
  });

  it("a caller whose token was rejected is never handed that token back", async () => {
    const { userId } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    const rotated = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "slack", { accessToken: "at-rejected", refreshToken, expiresAt: soon() });
    // The running (cron) refresh comes back with the very token the caller just saw rejected.
    await scriptOAuth(refreshToken, { hold: true, status: 200, body: tokenBody("at-rejected", rotated) });
    await scriptOAuth(rotated, { status: 200, body: tokenBody("at-good") });

    const flight = flightOf(userId, "slack");
    const cron = flight.refresh(userId, "slack", { aheadMs: CRON_AHEAD_MS }) as Promise<RefreshOutcome>;
    await arrived(refreshToken);
    const afterUnauthorized = flight.refresh(userId, "slack", { rejectedToken: "at-rejected" }) as Promise<RefreshOutcome>;
    await delivered(flight);
    await release(refreshToken);

    expect(await cron).toMatchObject({ ok: true, accessToken: "at-rejected" });
    expect(await afterUnauthorized).toMatchObject({ ok: true, accessToken: "at-good" });
    expect(await upstreamCount(rotated)).toBe(1);
  });

  it("a disconnect that completes while a refresh is upstream is not undone by it", async () => {
    const { userId, token } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    const late = `rt-late-${crypto.randomUUID()}`;
    await seedIntegration(userId, "gmail", { accessToken: "at-old", refreshToken, expiresAt: expired() });
    await scriptOAuth(refreshToken, { hold: true, status: 200, body: tokenBody("at-late", late) });

    const refreshing = getAccessToken(env, userId, "gmail");
    await arrived(refreshToken);
    const res = await api(token, "POST", "/api/integrations/gmail/disconnect");
    expect(res.status).toBe(200);
    await release(refreshToken);

    expect(await failure(refreshing)).toEqual({ status: 409, code: "not_connected" });
    expect(await storedRow(userId, "gmail")).toMatchObject({ status: "disconnected", accessTokenEnc: null, refreshTokenEnc: null, expiresAt: null });
    expect(await eventTypes(token, "gmail")).toEqual(["disconnected"]);
    // The grant the refresh obtained after the user asked to disconnect is revoked, not left live at the provider.
    expect(await upstreamCount(`revoke:${late}`)).toBe(1);
  });

  it("a reconnect that completes while a refresh is upstream keeps the new grant", async () => {
    const { userId, token } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    const late = `rt-late-${crypto.randomUUID()}`;
    await seedIntegration(userId, "github", { accessToken: "at-old", refreshToken, expiresAt: expired() });
    await scriptOAuth(refreshToken, { hold: true, status: 200, body: tokenBody("at-late", late) });

    const refreshing = getAccessToken(env, userId, "github");
    await arrived(refreshToken);
    expect((await connect(token, "github")).searchParams.get("connected")).toBe("github");
    const row = (await storedRow(userId, "github"))!;
    const connected = await decryptToken(keys(), row.id, "access_token_enc", row.accessTokenEnc!);
    await release(refreshToken);

    expect(await refreshing).toBe(connected);
    const after = (await storedRow(userId, "github"))!;
    expect(after.accessTokenEnc).toBe(row.accessTokenEnc);
    expect(after.refreshTokenEnc).toBe(row.refreshTokenEnc);
    expect(await upstreamCount(`revoke:${late}`)).toBe(0);
    expect(await eventTypes(token, "github")).not.toContain("refreshed");
  });

  it("a token endpoint that never answers ends in a transient provider_unavailable with seeded backoff, and the next call refreshes", async () => {
    const { userId, token } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "slack", { accessToken: "at-old", refreshToken, expiresAt: expired() });
    await scriptOAuth(refreshToken, { hold: true });
    const deadlines: AbortController[] = [];
    const { delays, sleep } = recordingSleep();
    await injectFlight(userId, "slack", {
      sleep,
      random: seededRandom(42),
      signal: (call) => {
        const controller = new AbortController();
        if (call === "token") deadlines.push(controller);
        return controller.signal;
      },
    });

    const refreshing = getAccessToken(env, userId, "slack");
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await arrived(refreshToken, attempt);
      // The deadline passes inside the flight, where its request lives.
      await runInDurableObject(flightOf(userId, "slack"), () => deadlines[attempt - 1]!.abort());
    }
    expect(await failure(refreshing)).toEqual({ status: 502, code: "provider_unavailable" });
    expect(delays).toEqual([240.44150076806545, 358.63244719803333]);
    const status = (await (await api(token, "GET", "/api/integrations/slack/status")).json()) as { status: string; lastError: { code: string } };
    expect(status).toMatchObject({ status: "active", lastError: { code: "provider_timeout" } });

    await release(refreshToken);
    expect(await getAccessToken(env, userId, "slack")).not.toBe("at-old");
    expect(await upstreamCount(refreshToken)).toBe(4);
  });

  it("a flight that fails is a 503 integration_unavailable problem, never a 500", async () => {
    const { userId, token } = await newUser();
    await seedIntegration(userId, "gmail", { accessToken: "at", refreshToken: `rt-${crypto.randomUUID()}`, expiresAt: expired() });
    await injectFlight(userId, "gmail", {
      now: () => {
        throw new Error("the flight's clock broke");
      },
    });

    const res = await api(token, "POST", "/api/integrations/gmail/refresh");
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const problem = await problemOf(res);
    expect(problem.code).toBe("integration_unavailable");
    expect(JSON.stringify(problem)).not.toContain("clock broke");
    expect(await failure(getAccessToken(env, userId, "gmail"))).toEqual({ status: 503, code: "integration_unavailable" });
  });

  it("a binding that cannot reach the flight at all is the same 503", async () => {
    const { userId } = await newUser();
    const unreachable = {
      ...env,
      INTEGRATION_FLIGHT: {
        idFromName: () => {
          throw new Error("Durable Object namespace unavailable");
        },
      } as unknown as DurableObjectNamespace,
    };
    expect(await failure(forceRefresh(unreachable, userId, "github"))).toEqual({ status: 503, code: "integration_unavailable" });
  });
});
