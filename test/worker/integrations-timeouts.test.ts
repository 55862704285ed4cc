import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../worker/config";
import { callProviderApi, exchangeCode, fetchIdentity, refreshTokens, revokeToken, type ProviderCall } from "../../worker/integrations/oauth-client";
import { redirectUri, resolveProvider } from "../../worker/integrations/providers";
import { arrived, flightOf, injectFlight, release } from "./flight-helpers";
import { api, newUser, rejection, scriptOAuth, seedIntegration, storedRow, upstreamCount } from "./integrations-helpers";

const gmail = () => resolveProvider(getConfig(env), "gmail");

const providerFailure = (p: Promise<unknown>) => rejection(p, ["code", "transient"] as const);

describe("every provider call has a deadline", () => {
  it.each<[ProviderCall, (signal: AbortSignal, key: string) => Promise<unknown>, (key: string) => string]>([
    ["token", (signal, key) => refreshTokens(gmail(), key, [], { signal }), (key) => key],
    ["token", (signal, key) => exchangeCode(gmail(), redirectUri(getConfig(env).publicUrl, "gmail"), key, "verifier", { signal }), (key) => key],
    ["revoke", (signal, key) => revokeToken(gmail(), key, { signal }), (key) => `revoke:${key}`],
    ["identity", (signal, key) => fetchIdentity(gmail(), key, { signal }), (key) => `api:${key}`],
    ["api", (signal, key) => callProviderApi(gmail(), key, "/oauth2/v3/userinfo", {}, { signal }), (key) => `api:${key}`],
  ])("a %s request the provider never answers ends as a transient provider_timeout", async (_call, run, keyOf) => {
    const key = `held-${crypto.randomUUID()}`;
    await scriptOAuth(keyOf(key), { hold: true });
    const deadline = new AbortController();
    const pending = run(deadline.signal, key);
    await arrived(keyOf(key));
    deadline.abort();
    expect(await providerFailure(pending)).toEqual({ code: "provider_timeout", transient: true });
    await release(keyOf(key));
  });

  it("the deadline is configurable per call and applies without a signal", async () => {
    const key = `held-${crypto.randomUUID()}`;
    await scriptOAuth(`api:${key}`, { hold: true });
    // The server holds the request forever, so the 1 ms deadline is the only way this call can end.
    expect(await providerFailure(callProviderApi(gmail(), key, "/oauth2/v3/userinfo", {}, { timeoutMs: 1 }))).toEqual({
      code: "provider_timeout",
      transient: true,
    });
    await release(`api:${key}`);
  });

  it("a revocation endpoint that never answers does not hold up a disconnect", async () => {
    const { userId, token } = await newUser();
    const refreshToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "calendar", { accessToken: "at", refreshToken, expiresAt: new Date(Date.now() + 3_600_000) });
    await scriptOAuth(`revoke:${refreshToken}`, { hold: true });
    const deadlines: AbortController[] = [];
    await injectFlight(userId, "calendar", {
      signal: () => {
        const controller = new AbortController();
        deadlines.push(controller);
        return controller.signal;
      },
    });

    const disconnecting = api(token, "POST", "/api/integrations/calendar/disconnect");
    await arrived(`revoke:${refreshToken}`);
    await runInDurableObject(flightOf(userId, "calendar"), () => deadlines[0]!.abort());
    const res = await disconnecting;

    expect(res.status).toBe(200);
    expect(await storedRow(userId, "calendar")).toMatchObject({ status: "disconnected", accessTokenEnc: null, refreshTokenEnc: null });
    const events = (await (await api(token, "GET", "/api/integrations/calendar/events")).json()) as { events: Array<{ type: string; detail: Record<string, unknown> }> };
    expect(events.events[0]).toMatchObject({ type: "disconnected", detail: { revoked: false, revokeError: "provider_timeout" } });
    expect(await upstreamCount(`revoke:${refreshToken}`)).toBe(1);
    await release(`revoke:${refreshToken}`);
  });
});
