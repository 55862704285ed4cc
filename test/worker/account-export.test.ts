import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { getConfig } from "../../worker/config";
import { AccountExport } from "../../worker/contract/auth";
import { decryptToken } from "../../worker/integrations/crypto";
import { publish } from "../../worker/realtime/publish";
import { exportAccount } from "./account-helpers";
import { problemOf, register } from "./auth-helpers";
import { api, connect, storedRow } from "./integrations-helpers";

describe("GET /api/me/export", () => {
  it("is a JSON attachment holding the profile, logins, integrations, their events and the realtime history", async () => {
    const user = await register();
    await connect(user.accessToken, "gmail");
    await api(user.accessToken, "POST", "/api/integrations/gmail/disconnect");
    await connect(user.accessToken, "github");

    const res = await exportAccount(user.accessToken);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="taskpilot-export-\d{4}-\d{2}-\d{2}\.json"$/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const data = AccountExport.parse(await res.json());

    expect(data.user).toMatchObject({ id: user.user.id, email: user.user.email });
    expect(data.logins).toHaveLength(1);
    expect(data.integrations.map((i) => [i.provider, i.status]).sort()).toEqual([
      ["github", "active"],
      ["gmail", "disconnected"],
    ]);
    const github = data.integrations.find((i) => i.provider === "github")!;
    expect(github.account?.label).toBeTruthy();
    expect(github.scopes.length).toBeGreaterThan(0);
    expect(github.connectedAt).not.toBeNull();
    expect(data.integrationEvents.map((e) => `${e.provider}:${e.type}`)).toEqual([
      "gmail:oauth_started",
      "gmail:connected",
      "gmail:disconnected",
      "github:oauth_started",
      "github:connected",
    ]);
    expect(data.events.map((e) => e.kind)).toEqual(["integration", "integration", "integration", "integration", "integration"]);
    expect(data.events.map((e) => Number(e.id))).toEqual([1, 2, 3, 4, 5]);
  });

  it("never carries a password, a salt, a hash, a token or a sealed token envelope", async () => {
    const user = await register();
    await connect(user.accessToken, "slack");
    const row = (await storedRow(user.user.id, "slack"))!;
    const keys = getConfig(env).encryptionKeys!;
    const userRow = await env.DB.prepare("SELECT password_hash, password_salt FROM users WHERE id = ?").bind(user.user.id).first<Record<string, string>>();
    const tokenHashes = await env.DB.prepare("SELECT token_hash FROM refresh_tokens WHERE user_id = ?").bind(user.user.id).all<{ token_hash: string }>();
    const secrets = [
      user.password,
      user.accessToken,
      user.refreshToken,
      userRow!.password_hash!,
      userRow!.password_salt!,
      ...tokenHashes.results.map((r) => r.token_hash),
      row.accessTokenEnc!,
      row.refreshTokenEnc!,
      await decryptToken(keys, row.id, "access_token_enc", row.accessTokenEnc!),
      await decryptToken(keys, row.id, "refresh_token_enc", row.refreshTokenEnc!),
    ];

    const text = await (await exportAccount(user.accessToken)).text();
    expect(text).toContain(user.user.email);
    for (const secret of secrets) expect(text).not.toContain(secret);
    for (const key of ["password", "salt", "hash", "Enc", "token"]) expect(text.toLowerCase()).not.toContain(`${key.toLowerCase()}"`);
  });

  it("holds only the caller's data", async () => {
    const [mine, theirs] = [await register(), await register()];
    await connect(theirs.accessToken, "calendar");

    const data = AccountExport.parse(await (await exportAccount(mine.accessToken)).json());
    expect(data.integrations).toEqual([]);
    expect(data.integrationEvents).toEqual([]);
    expect(data.events).toEqual([]);
    expect(JSON.stringify(data)).not.toContain(theirs.user.id);
    expect(JSON.stringify(data)).not.toContain(theirs.user.email);
  });

  it("skips and logs malformed stored events instead of failing, however many of them come first", async () => {
    const user = await register();
    // More bad rows than one export page holds, written straight into D1 ahead of the good ones.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 501)
       INSERT INTO events (user_id, seq, kind, frame, created_at) SELECT ?1, i, 'status', CASE WHEN i % 2 THEN '{not json' ELSE '{"kind":"dance"}' END, ?2 FROM n`,
    )
      .bind(user.user.id, Date.now())
      .run();
    const status = (message: string) => ({ kind: "status" as const, jobId: "job-export", scope: "session" as const, status: "ok", message });
    await publish(env, user.user.id, status("after the bad rows"));
    await publish(env, user.user.id, status("and one more"));
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});

    const res = await exportAccount(user.accessToken);
    expect(res.status).toBe(200);
    const data = AccountExport.parse(await res.json());
    expect(data.events.map((e) => [e.id, e.kind === "status" && e.message])).toEqual([
      ["502", "after the bad rows"],
      ["503", "and one more"],
    ]);
    const skipped = errors.mock.calls.filter((c) => String(c[0]).includes('"realtime_stored_frame_invalid"'));
    expect(skipped).toHaveLength(501);
    errors.mockRestore();
  });

  it("needs an access token", async () => {
    const res = await exportAccount("");
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe("unauthorized");
  });
});
