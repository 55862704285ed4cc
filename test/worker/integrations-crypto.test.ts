import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parseEncryptionKeys } from "../../worker/config";
import { database } from "../../worker/db/client";
import { decryptToken, encryptToken, envelopeKeyId, TokenDecryptError } from "../../worker/integrations/crypto";
import { getAccessToken } from "../../worker/integrations/refresh";
import { rotateTokenKeys } from "../../worker/integrations/rotate";
import { api, eventTypes, newUser, seedIntegration, storedRow } from "./integrations-helpers";

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

  it("key rotation re-seals every row under the first key and keeps them readable", async () => {
    const { userId } = await newUser();
    const db = database(env);
    // Rows sealed under the old key only, as before the rotation.
    const oldKeys = parseEncryptionKeys(`k0:${KEY_K0}`);
    const { userId: other } = await newUser();
    await seedIntegration(userId, "gmail", { accessToken: "gmail-access", refreshToken: "gmail-refresh", expiresAt: later() });
    await seedIntegration(other, "slack", { accessToken: "slack-access", expiresAt: null });
    for (const [user, provider] of [[userId, "gmail"], [other, "slack"]] as const) {
      const row = (await storedRow(user, provider))!;
      await env.DB.prepare("update integrations set access_token_enc = ?, refresh_token_enc = ? where id = ?")
        .bind(
          await encryptToken(oldKeys, row.id, await decryptToken(parseEncryptionKeys(`k1:${KEY_K1}`), row.id, row.accessTokenEnc!)),
          row.refreshTokenEnc ? await encryptToken(oldKeys, row.id, await decryptToken(parseEncryptionKeys(`k1:${KEY_K1}`), row.id, row.refreshTokenEnc)) : null,
          row.id,
        )
        .run();
    }
    expect(envelopeKeyId((await storedRow(userId, "gmail"))!.accessTokenEnc!)).toBe("k0");

    const rotated = parseEncryptionKeys(`k2:${KEY_K2},k1:${KEY_K1},k0:${KEY_K0}`);
    const report = await rotateTokenKeys(db, rotated);
    expect(report.rewritten).toBeGreaterThanOrEqual(2);

    const onlyNewKey = parseEncryptionKeys(`k2:${KEY_K2}`);
    const gmail = (await storedRow(userId, "gmail"))!;
    const slack = (await storedRow(other, "slack"))!;
    expect(report.unreadable).not.toContain(gmail.id);
    expect(report.unreadable).not.toContain(slack.id);
    expect([gmail.accessTokenEnc, gmail.refreshTokenEnc, slack.accessTokenEnc].map((e) => envelopeKeyId(e!))).toEqual(["k2", "k2", "k2"]);
    expect(slack.refreshTokenEnc).toBeNull();
    expect(await decryptToken(onlyNewKey, gmail.id, gmail.accessTokenEnc!)).toBe("gmail-access");
    expect(await decryptToken(onlyNewKey, gmail.id, gmail.refreshTokenEnc!)).toBe("gmail-refresh");
    expect(await decryptToken(onlyNewKey, slack.id, slack.accessTokenEnc!)).toBe("slack-access");
    // Dropping the retired keys now loses nothing, and running it again changes nothing.
    await expect(decryptToken(parseEncryptionKeys(`k0:${KEY_K0}`), gmail.id, gmail.accessTokenEnc!)).rejects.toBeInstanceOf(TokenDecryptError);
    await rotateTokenKeys(db, rotated);
    expect((await storedRow(userId, "gmail"))!.accessTokenEnc).toBe(gmail.accessTokenEnc);
  });

  it("rotation reports a row no key opens and leaves it as it was", async () => {
    const { userId } = await newUser();
    await seedIntegration(userId, "github", { accessToken: "gh-access", expiresAt: null });
    const row = (await storedRow(userId, "github"))!;
    const forged = row.accessTokenEnc!.replace(/^v1\.k1\./, "v1.k0.");
    await env.DB.prepare("update integrations set access_token_enc = ? where id = ?").bind(forged, row.id).run();
    const report = await rotateTokenKeys(database(env), parseEncryptionKeys(`k2:${KEY_K2},k1:${KEY_K1},k0:${KEY_K0}`));
    expect(report.unreadable).toContain(row.id);
    expect((await storedRow(userId, "github"))!.accessTokenEnc).toBe(forged);
  });
});
