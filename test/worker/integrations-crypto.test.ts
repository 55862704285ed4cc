import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../../worker/db/client";
import { getConfig, parseEncryptionKeys } from "../../worker/config";
import { decryptToken, encryptToken, envelopeKeyId, isCurrentEnvelope, TokenDecryptError } from "../../worker/integrations/crypto";
import { getAccessToken } from "../../worker/integrations/refresh";
import { rotateTokenEnvelopes, rotateTokenKeys, sqlRotationStore } from "../../worker/integrations/rotate";
import { sealLegacyV1 } from "../legacy-envelope";
import { api, eventTypes, newUser, seedIntegration, storedRow, upstreamCount } from "./integrations-helpers";

const KEY_K0 = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";
const KEY_K1 = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const KEY_K2 = "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=";
const later = () => new Date(Date.now() + 3_600_000);

describe("tokens at rest in workerd", () => {
  it("a ciphertext moved to another user's row does not decrypt there", async () => {
    const alice = await newUser();
    const mallory = await newUser();
    await seedIntegration(alice.userId, "gmail", { accessToken: "alice-access", refreshToken: "alice-refresh", expiresAt: later() });
    await seedIntegration(mallory.userId, "gmail", { accessToken: "mallory-access", refreshToken: "mallory-refresh", expiresAt: later() });
    const aliceRow = (await storedRow(alice.userId, "gmail"))!;
    const malloryRow = (await storedRow(mallory.userId, "gmail"))!;
    await env.DB.prepare("update integrations set access_token_enc = ?, refresh_token_enc = ? where id = ?")
      .bind(aliceRow.accessTokenEnc, aliceRow.refreshTokenEnc, malloryRow.id)
      .run();

    await expect(getAccessToken(env, mallory.userId, "gmail")).rejects.toMatchObject({ status: 409, code: "token_unreadable" });
    const status = (await (await api(mallory.token, "GET", "/api/integrations/gmail/status")).json()) as { status: string; lastError: { code: string } };
    expect(status).toMatchObject({ status: "error", lastError: { code: "token_unreadable" } });
    await expect(getAccessToken(env, mallory.userId, "gmail")).rejects.toMatchObject({ code: "token_unreadable" });
    expect((await eventTypes(mallory.token, "gmail")).filter((t) => t === "error")).toHaveLength(1);
    expect(await getAccessToken(env, alice.userId, "gmail")).toBe("alice-access");
  });

  it("an access-token envelope swapped with the refresh-token envelope of the same row opens as neither", async () => {
    const { userId, token } = await newUser();
    const accessToken = `at-${crypto.randomUUID()}`;
    const refreshToken = `rt-${crypto.randomUUID()}`;
    await seedIntegration(userId, "gmail", { accessToken, refreshToken, expiresAt: new Date(Date.now() - 60_000) });
    const row = (await storedRow(userId, "gmail"))!;
    await env.DB.prepare("update integrations set access_token_enc = refresh_token_enc, refresh_token_enc = access_token_enc where id = ?").bind(row.id).run();

    const keys = getConfig(env).encryptionKeys!;
    await expect(decryptToken(keys, row.id, "access_token_enc", row.refreshTokenEnc!)).rejects.toMatchObject({ reason: "authentication_failed" });
    await expect(decryptToken(keys, row.id, "refresh_token_enc", row.accessTokenEnc!)).rejects.toMatchObject({ reason: "authentication_failed" });
    await expect(getAccessToken(env, userId, "gmail")).rejects.toMatchObject({ status: 409, code: "token_unreadable" });
    const res = await api(token, "POST", "/api/integrations/gmail/refresh");
    expect(res.status).toBe(409);
    const body = await res.text();
    const status = (await (await api(token, "GET", "/api/integrations/gmail/status")).json()) as { status: string; lastError: { code: string } };
    expect(status).toMatchObject({ status: "error", lastError: { code: "token_unreadable" } });
    // Neither token was sent anywhere (the token endpoint counts by the refresh token it is given), and neither leaks.
    expect(await upstreamCount(refreshToken)).toBe(0);
    expect(await upstreamCount(accessToken)).toBe(0);
    const events = await (await api(token, "GET", "/api/integrations/gmail/events")).text();
    for (const secret of [accessToken, refreshToken]) {
      expect(body).not.toContain(secret);
      expect(events).not.toContain(secret);
      expect(JSON.stringify(status)).not.toContain(secret);
    }
  });

  it("key rotation re-seals every row under the first key and keeps them readable", async () => {
    const { userId } = await newUser();
    const db = database(env);
    // Rows sealed under the old key only, as before the rotation: one in the current format, one in the v1 format.
    const oldKeys = parseEncryptionKeys(`k0:${KEY_K0}`);
    const { userId: other } = await newUser();
    await seedIntegration(userId, "gmail", { accessToken: "gmail-access", refreshToken: "gmail-refresh", expiresAt: later() });
    await seedIntegration(other, "slack", { accessToken: "slack-access", expiresAt: null });
    const gmailRow = (await storedRow(userId, "gmail"))!;
    await env.DB.prepare("update integrations set access_token_enc = ?, refresh_token_enc = ? where id = ?")
      .bind(
        await encryptToken(oldKeys, gmailRow.id, "access_token_enc", "gmail-access"),
        await encryptToken(oldKeys, gmailRow.id, "refresh_token_enc", "gmail-refresh"),
        gmailRow.id,
      )
      .run();
    const slackRow = (await storedRow(other, "slack"))!;
    await env.DB.prepare("update integrations set access_token_enc = ? where id = ?").bind(await sealLegacyV1(oldKeys[0]!, slackRow.id, "slack-access"), slackRow.id).run();
    expect(envelopeKeyId((await storedRow(userId, "gmail"))!.accessTokenEnc!)).toBe("k0");
    expect((await storedRow(other, "slack"))!.accessTokenEnc!.startsWith("v1.k0.")).toBe(true);

    const rotated = parseEncryptionKeys(`k2:${KEY_K2},k1:${KEY_K1},k0:${KEY_K0}`);
    const report = await rotateTokenKeys(db, rotated);
    expect(report.rewritten).toBeGreaterThanOrEqual(2);

    const onlyNewKey = parseEncryptionKeys(`k2:${KEY_K2}`);
    const gmail = (await storedRow(userId, "gmail"))!;
    const slack = (await storedRow(other, "slack"))!;
    expect(report.unreadable).not.toContain(gmail.id);
    expect(report.unreadable).not.toContain(slack.id);
    expect([gmail.accessTokenEnc, gmail.refreshTokenEnc, slack.accessTokenEnc].map((e) => isCurrentEnvelope(e!, "k2"))).toEqual([true, true, true]);
    expect(slack.refreshTokenEnc).toBeNull();
    expect(await decryptToken(onlyNewKey, gmail.id, "access_token_enc", gmail.accessTokenEnc!)).toBe("gmail-access");
    expect(await decryptToken(onlyNewKey, gmail.id, "refresh_token_enc", gmail.refreshTokenEnc!)).toBe("gmail-refresh");
    expect(await decryptToken(onlyNewKey, slack.id, "access_token_enc", slack.accessTokenEnc!)).toBe("slack-access");
    // The re-sealed v1 row is now bound to its column too.
    await expect(decryptToken(onlyNewKey, slack.id, "refresh_token_enc", slack.accessTokenEnc!)).rejects.toBeInstanceOf(TokenDecryptError);
    // Dropping the retired keys now loses nothing, and running it again changes nothing.
    await expect(decryptToken(parseEncryptionKeys(`k0:${KEY_K0}`), gmail.id, "access_token_enc", gmail.accessTokenEnc!)).rejects.toBeInstanceOf(TokenDecryptError);
    await rotateTokenKeys(db, rotated);
    expect((await storedRow(userId, "gmail"))!.accessTokenEnc).toBe(gmail.accessTokenEnc);
  });

  it("rotation under the same key turns v1 rows into v2 and leaves v2 rows alone", async () => {
    const { userId } = await newUser();
    const keys = getConfig(env).encryptionKeys!;
    await seedIntegration(userId, "calendar", { accessToken: "cal-access", refreshToken: "cal-refresh", expiresAt: later() });
    const row = (await storedRow(userId, "calendar"))!;
    await env.DB.prepare("update integrations set access_token_enc = ?, refresh_token_enc = ? where id = ?")
      .bind(await sealLegacyV1(keys[0]!, row.id, "cal-access"), await sealLegacyV1(keys[0]!, row.id, "cal-refresh"), row.id)
      .run();
    // Still readable before the rotation: the worker keeps serving during the transition.
    expect(await getAccessToken(env, userId, "calendar")).toBe("cal-access");

    const { userId: current } = await newUser();
    await seedIntegration(current, "calendar", { accessToken: "cur-access", expiresAt: later() });
    const untouched = (await storedRow(current, "calendar"))!;

    const report = await rotateTokenKeys(database(env), keys);
    expect(report.unreadable).not.toContain(row.id);
    const after = (await storedRow(userId, "calendar"))!;
    expect(after.accessTokenEnc!.startsWith(`v2.${keys[0]!.kid}.`)).toBe(true);
    expect(after.refreshTokenEnc!.startsWith(`v2.${keys[0]!.kid}.`)).toBe(true);
    expect(await decryptToken(keys, row.id, "refresh_token_enc", after.refreshTokenEnc!)).toBe("cal-refresh");
    expect((await storedRow(current, "calendar"))!.accessTokenEnc).toBe(untouched.accessTokenEnc);
  });

  it("the SQL the keys:rotate script runs through wrangler re-seals the same way, and skips a row a refresh changed meanwhile", async () => {
    const keys = getConfig(env).encryptionKeys!;
    const { userId } = await newUser();
    await seedIntegration(userId, "slack", { accessToken: "sql-access", refreshToken: "sql-refresh", expiresAt: later() });
    const row = (await storedRow(userId, "slack"))!;
    await env.DB.prepare("update integrations set access_token_enc = ?, refresh_token_enc = ? where id = ?")
      .bind(await sealLegacyV1(keys[0]!, row.id, "sql-access"), await sealLegacyV1(keys[0]!, row.id, "sql-refresh"), row.id)
      .run();
    const { userId: racing } = await newUser();
    await seedIntegration(racing, "slack", { accessToken: "race-access", expiresAt: later() });
    const raced = (await storedRow(racing, "slack"))!;
    await env.DB.prepare("update integrations set access_token_enc = ? where id = ?").bind(await sealLegacyV1(keys[0]!, raced.id, "race-access"), raced.id).run();
    const refreshedMeanwhile = await encryptToken(keys, raced.id, "access_token_enc", "race-access-2");

    const run = async (statements: string[]) => {
      if (statements[0]!.startsWith("update")) {
        await env.DB.prepare("update integrations set access_token_enc = ? where id = ?").bind(refreshedMeanwhile, raced.id).run();
      }
      return env.DB.batch<Record<string, unknown>>(statements.map((s) => env.DB.prepare(s)));
    };
    const report = await rotateTokenEnvelopes(sqlRotationStore(run), keys);

    expect(report.skipped).toBe(1);
    const after = (await storedRow(userId, "slack"))!;
    expect(await decryptToken(keys, row.id, "access_token_enc", after.accessTokenEnc!)).toBe("sql-access");
    expect(await decryptToken(keys, row.id, "refresh_token_enc", after.refreshTokenEnc!)).toBe("sql-refresh");
    expect(isCurrentEnvelope(after.accessTokenEnc!, keys[0]!.kid)).toBe(true);
    expect((await storedRow(racing, "slack"))!.accessTokenEnc).toBe(refreshedMeanwhile);
  });

  it("rotation reports a row no key opens and leaves it as it was", async () => {
    const { userId } = await newUser();
    await seedIntegration(userId, "github", { accessToken: "gh-access", expiresAt: null });
    const row = (await storedRow(userId, "github"))!;
    const forged = row.accessTokenEnc!.replace(/^v2\.k1\./, "v2.k0.");
    await env.DB.prepare("update integrations set access_token_enc = ? where id = ?").bind(forged, row.id).run();
    const report = await rotateTokenKeys(database(env), parseEncryptionKeys(`k2:${KEY_K2},k1:${KEY_K1},k0:${KEY_K0}`));
    expect(report.unreadable).toContain(row.id);
    expect((await storedRow(userId, "github"))!.accessTokenEnc).toBe(forged);
  });
});
