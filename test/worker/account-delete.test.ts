import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../worker/config";
import { decryptToken } from "../../worker/integrations/crypto";
import type { ProviderId } from "../../worker/integrations/providers";
import { deleteAccount, rowCounts, userColumns } from "./account-helpers";
import { getMe, post, problemOf, refresh, register } from "./auth-helpers";
import { api, connect, scriptOAuth, startAuth, storedRow, upstreamCount } from "./integrations-helpers";
import { getTicket, connect as openSocket, upgrade } from "./realtime-helpers";

type Session = Awaited<ReturnType<typeof register>>;

/** A user with rows in every user table: two logins, a connected provider, a pending OAuth state, a ticket and event history. */
async function busyUser(): Promise<Session> {
  const session = await register();
  expect((await post("/api/auth/login", { email: session.user.email, password: session.password })).status).toBe(200);
  await connect(session.accessToken, "gmail");
  await startAuth(session.accessToken, "slack");
  expect((await api(session.accessToken, "POST", "/api/realtime/ticket")).status).toBe(200);
  return session;
}

async function sealedRefreshToken(userId: string, provider: ProviderId): Promise<string> {
  const row = (await storedRow(userId, provider))!;
  return decryptToken(getConfig(env).encryptionKeys!, row.id, "refresh_token_enc", row.refreshTokenEnc!);
}

describe("DELETE /api/me", () => {
  it("runs on a D1 that enforces foreign keys, and every reference to users cascades", async () => {
    expect(await env.DB.prepare("PRAGMA foreign_keys").first("foreign_keys")).toBe(1);
    const references = (await userColumns()).filter((c) => c.table !== "users");
    expect(references.length).toBeGreaterThanOrEqual(7);
    expect(references.filter((c) => c.onDelete !== "CASCADE")).toEqual([]);
  });

  it("removes every row of the user in every table that references users, and leaves another user's rows alone", async () => {
    const [doomed, bystander] = [await busyUser(), await busyUser()];
    const before = await rowCounts(doomed.user.id);
    const seeded = Object.entries(before).filter(([, n]) => n > 0).map(([column]) => column);
    expect(seeded).toEqual(
      expect.arrayContaining([
        "users.id",
        "refresh_families.user_id",
        "refresh_tokens.user_id",
        "integrations.user_id",
        "integration_events.user_id",
        "oauth_states.user_id",
        "realtime_tickets.user_id",
        "events.user_id",
      ]),
    );
    const bystanderBefore = await rowCounts(bystander.user.id);

    const res = await deleteAccount(doomed.accessToken, { password: doomed.password });
    expect(res.status).toBe(204);
    expect(res.headers.get("set-cookie")).toMatch(/tp_refresh=;.*Max-Age=0/);

    expect(Object.values(await rowCounts(doomed.user.id)).every((n) => n === 0)).toBe(true);
    expect(await rowCounts(bystander.user.id)).toEqual(bystanderBefore);
    expect((await getMe(bystander.accessToken)).status).toBe(200);
  });

  it("revokes every connected provider grant at the provider", async () => {
    const user = await register();
    await connect(user.accessToken, "gmail");
    await connect(user.accessToken, "github");
    const grants = [await sealedRefreshToken(user.user.id, "gmail"), await sealedRefreshToken(user.user.id, "github")];

    expect((await deleteAccount(user.accessToken, { password: user.password })).status).toBe(204);
    for (const grant of grants) expect(await upstreamCount(`revoke:${grant}`)).toBe(1);
  });

  it("still deletes everything when a provider refuses the revocation", async () => {
    const user = await register();
    await connect(user.accessToken, "slack");
    await scriptOAuth(`revoke:${await sealedRefreshToken(user.user.id, "slack")}`, { status: 503, body: "down", contentType: "text/plain" });

    expect((await deleteAccount(user.accessToken, { password: user.password })).status).toBe(204);
    expect(Object.values(await rowCounts(user.user.id)).every((n) => n === 0)).toBe(true);
  });

  it("closes every open socket of the deleted user with 4001 account_deleted, and no one else's", async () => {
    const [doomed, other] = [await register(), await register()];
    const sockets = [await openSocket({ id: doomed.user.id, token: doomed.accessToken }), await openSocket({ id: doomed.user.id, token: doomed.accessToken })];
    const otherSocket = await openSocket({ id: other.user.id, token: other.accessToken });

    expect((await deleteAccount(doomed.accessToken, { password: doomed.password })).status).toBe(204);
    for (const socket of sockets) {
      await socket.until(() => socket.closed !== undefined, "the deleted user's socket to close");
      expect(socket.closed).toEqual({ code: 4001, reason: "account_deleted" });
    }
    expect(otherSocket.closed).toBeUndefined();
    otherSocket.close();
  });

  it("a ticket taken before the deletion cannot open a socket after it", async () => {
    const user = await register();
    const ticket = await getTicket({ id: user.user.id, token: user.accessToken });
    expect((await deleteAccount(user.accessToken, { password: user.password })).status).toBe(204);
    const res = await upgrade(ticket);
    expect(res.status).toBe(401);
    expect(res.webSocket).toBeNull();
  });

  it("ends the login: the refresh token, the access token and the password all stop working", async () => {
    const user = await register();
    expect((await deleteAccount(user.accessToken, { password: user.password })).status).toBe(204);

    const refreshed = await refresh(user.refreshToken);
    expect(refreshed.status).toBe(401);
    expect((await problemOf(refreshed)).code).toBe("invalid_refresh_token");
    expect((await problemOf(await getMe(user.accessToken))).code).toBe("invalid_token");
    const login = await post("/api/auth/login", { email: user.user.email, password: user.password });
    expect((await problemOf(login)).code).toBe("invalid_credentials");
    // Deleting twice with a still-unexpired access token is not a second deletion.
    expect((await problemOf(await deleteAccount(user.accessToken, { password: user.password }))).code).toBe("invalid_token");
  });

  it("the deleted account's still-unexpired access token is 401 invalid_token everywhere, never a 500 from a dangling user id", async () => {
    const user = await register();
    expect((await deleteAccount(user.accessToken, { password: user.password })).status).toBe(204);
    const routes = [
      ["GET", "/api/integrations"],
      ["POST", "/api/integrations/gmail/auth"],
      ["POST", "/api/realtime/ticket"],
      ["GET", "/api/events"],
      ["GET", "/api/tools"],
      ["GET", "/api/me/export"],
    ] as const;
    for (const [method, path] of routes) {
      const res = await api(user.accessToken, method, path, method === "POST" ? {} : undefined);
      expect([method, path, res.status, (await problemOf(res)).code]).toEqual([method, path, 401, "invalid_token"]);
    }
  });

  it("a wrong password is 401 invalid_credentials and deletes nothing, revokes nothing, closes nothing", async () => {
    const user = await busyUser();
    const grant = await sealedRefreshToken(user.user.id, "gmail");
    const socket = await openSocket({ id: user.user.id, token: user.accessToken });
    const before = await rowCounts(user.user.id);

    const res = await deleteAccount(user.accessToken, { password: "not the password" });
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe("invalid_credentials");
    expect(res.headers.get("set-cookie")).toBeNull();

    expect(await rowCounts(user.user.id)).toEqual(before);
    expect(await upstreamCount(`revoke:${grant}`)).toBe(0);
    expect((await storedRow(user.user.id, "gmail"))?.status).toBe("active");
    expect((await refresh(user.refreshToken)).status).toBe(200);
    expect(socket.closed).toBeUndefined();
    socket.close();
  });

  it("an access token alone is not enough: no body, or no password, is 400 invalid_request", async () => {
    const user = await register();
    for (const body of [undefined, {}, { password: "" }]) {
      const res = await deleteAccount(user.accessToken, body);
      expect(res.status).toBe(400);
      expect((await problemOf(res)).code).toBe("invalid_request");
    }
    expect((await getMe(user.accessToken)).status).toBe(200);
  });

  it("without an access token the password alone is not enough either", async () => {
    const user = await register();
    const res = await api("", "DELETE", "/api/me", { password: user.password });
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe("unauthorized");
    expect((await getMe(user.accessToken)).status).toBe(200);
  });

  it("stops password guessing: after 5 attempts in 15 minutes even the right password is 429 and the account stays", async () => {
    const user = await register();
    for (let i = 0; i < 5; i++) expect((await deleteAccount(user.accessToken, { password: `guess ${i}` })).status).toBe(401);
    const res = await deleteAccount(user.accessToken, { password: user.password });
    expect(res.status).toBe(429);
    expect((await problemOf(res)).code).toBe("rate_limited");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await getMe(user.accessToken)).status).toBe(200);
  });
});
