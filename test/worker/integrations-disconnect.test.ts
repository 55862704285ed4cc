import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../worker/config";
import { decryptToken } from "../../worker/integrations/crypto";
import { problemOf } from "./auth-helpers";
import { api, connect, eventTypes, newUser, scriptOAuth, storedRow, upstreamCount } from "./integrations-helpers";

describe("POST /api/integrations/{provider}/disconnect", () => {
  it("revokes at the provider, deletes the tokens and reports disconnected", async () => {
    const { userId, token } = await newUser();
    await connect(token, "gmail");
    const row = (await storedRow(userId, "gmail"))!;
    const refreshToken = await decryptToken(getConfig(env).encryptionKeys!, row.id, "refresh_token_enc", row.refreshTokenEnc!);

    const res = await api(token, "POST", "/api/integrations/gmail/disconnect");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ provider: "gmail", status: "disconnected", connectedAt: null, expiresAt: null });
    expect(await upstreamCount(`revoke:${refreshToken}`)).toBe(1);
    const after = (await storedRow(userId, "gmail"))!;
    expect(after).toMatchObject({ status: "disconnected", accessTokenEnc: null, refreshTokenEnc: null });
    const events = (await (await api(token, "GET", "/api/integrations/gmail/events")).json()) as { events: Array<{ type: string; detail: Record<string, unknown> }> };
    expect(events.events[0]).toMatchObject({ type: "disconnected", detail: { revoked: true } });
    const tools = (await (await api(token, "GET", "/api/tools")).json()) as { tools: unknown[] };
    expect(tools.tools).toEqual([]);
  });

  it("still disconnects when the provider refuses the revocation, and records why", async () => {
    const { userId, token } = await newUser();
    await connect(token, "slack");
    const row = (await storedRow(userId, "slack"))!;
    const refreshToken = await decryptToken(getConfig(env).encryptionKeys!, row.id, "refresh_token_enc", row.refreshTokenEnc!);
    await scriptOAuth(`revoke:${refreshToken}`, { status: 503, body: "down", contentType: "text/plain" });

    const res = await api(token, "POST", "/api/integrations/slack/disconnect");
    expect(res.status).toBe(200);
    expect((await storedRow(userId, "slack"))!).toMatchObject({ status: "disconnected", accessTokenEnc: null, refreshTokenEnc: null });
    const events = (await (await api(token, "GET", "/api/integrations/slack/events")).json()) as { events: Array<{ type: string; detail: Record<string, unknown> }> };
    expect(events.events[0]).toMatchObject({ type: "disconnected", detail: { revoked: false, revokeError: "provider_unavailable" } });
  });

  it("a never-connected or already disconnected integration is 409 not_connected and records nothing", async () => {
    const { token } = await newUser();
    const first = await api(token, "POST", "/api/integrations/github/disconnect");
    expect(first.status).toBe(409);
    expect((await problemOf(first)).code).toBe("not_connected");
    expect(await eventTypes(token, "github")).toEqual([]);

    await connect(token, "github");
    expect((await api(token, "POST", "/api/integrations/github/disconnect")).status).toBe(200);
    const again = await api(token, "POST", "/api/integrations/github/disconnect");
    expect((await problemOf(again)).code).toBe("not_connected");
  });

  it("reconnecting after a disconnect makes the integration active again", async () => {
    const { token } = await newUser();
    await connect(token, "calendar");
    await api(token, "POST", "/api/integrations/calendar/disconnect");
    expect((await connect(token, "calendar")).searchParams.get("connected")).toBe("calendar");
    const status = (await (await api(token, "GET", "/api/integrations/calendar/status")).json()) as { status: string };
    expect(status.status).toBe("active");
    expect(await eventTypes(token, "calendar")).toEqual(["connected", "oauth_started", "disconnected", "connected", "oauth_started"]);
  });
});
