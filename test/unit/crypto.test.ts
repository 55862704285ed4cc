import { describe, expect, it } from "vitest";
import { parseEncryptionKeys } from "../../worker/config";
import { decryptToken, encryptToken, envelopeKeyId, isCurrentEnvelope, TokenDecryptError } from "../../worker/integrations/crypto";
import { sealLegacyV1 } from "../legacy-envelope";

const key = (byte: number) => btoa(String.fromCharCode(...new Uint8Array(32).fill(byte)));
const current = parseEncryptionKeys(`new:${key(7)},old:${key(9)}`);
const oldOnly = parseEncryptionKeys(`old:${key(9)}`);

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TokenDecryptError) return e.reason;
    throw e;
  }
  return "decrypted";
}

describe("token envelope (AES-256-GCM)", () => {
  it("round-trips as v2 and names the first key", async () => {
    const sealed = await encryptToken(current, "int-1", "access_token_enc", "ya29.secret-access-token");
    expect(sealed.startsWith("v2.new.")).toBe(true);
    expect(envelopeKeyId(sealed)).toBe("new");
    expect(isCurrentEnvelope(sealed, "new")).toBe(true);
    expect(sealed).not.toContain("secret-access-token");
    expect(await decryptToken(current, "int-1", "access_token_enc", sealed)).toBe("ya29.secret-access-token");
  });

  it("uses a fresh IV every time, so equal tokens never give equal ciphertexts", async () => {
    const a = await encryptToken(current, "int-1", "access_token_enc", "same");
    const b = await encryptToken(current, "int-1", "access_token_enc", "same");
    expect(a.split(".")[2]).not.toBe(b.split(".")[2]);
    expect(a).not.toBe(b);
  });

  it("binds the ciphertext to its integration id (moved to another row, it fails)", async () => {
    const sealed = await encryptToken(current, "int-1", "access_token_enc", "token");
    expect(await reason(decryptToken(current, "int-2", "access_token_enc", sealed))).toBe("authentication_failed");
  });

  it("binds the ciphertext to its column (an access token moved into the refresh column, or back, fails)", async () => {
    const access = await encryptToken(current, "int-1", "access_token_enc", "access");
    const refresh = await encryptToken(current, "int-1", "refresh_token_enc", "refresh");
    expect(await reason(decryptToken(current, "int-1", "refresh_token_enc", access))).toBe("authentication_failed");
    expect(await reason(decryptToken(current, "int-1", "access_token_enc", refresh))).toBe("authentication_failed");
    expect(await decryptToken(current, "int-1", "refresh_token_enc", refresh)).toBe("refresh");
  });

  it("still opens v1 envelopes (bound to the row only) and marks them for re-sealing", async () => {
    const legacy = await sealLegacyV1(oldOnly[0]!, "int-1", "legacy-token");
    expect(await decryptToken(current, "int-1", "access_token_enc", legacy)).toBe("legacy-token");
    expect(await reason(decryptToken(current, "int-2", "access_token_enc", legacy))).toBe("authentication_failed");
    expect(envelopeKeyId(legacy)).toBe("old");
    expect(isCurrentEnvelope(legacy, "old")).toBe(false);
  });

  it("decrypts with any listed key and refuses an unknown key id", async () => {
    const sealedOld = await encryptToken(oldOnly, "int-1", "access_token_enc", "token");
    expect(await decryptToken(current, "int-1", "access_token_enc", sealedOld)).toBe("token");
    expect(isCurrentEnvelope(sealedOld, "new")).toBe(false);
    const sealedNew = await encryptToken(current, "int-1", "access_token_enc", "token");
    expect(await reason(decryptToken(oldOnly, "int-1", "access_token_enc", sealedNew))).toBe("unknown_key");
  });

  it("rejects tampering and malformed envelopes", async () => {
    const sealed = await encryptToken(current, "int-1", "access_token_enc", "token");
    const parts = sealed.split(".");
    const body = parts[3]!;
    const flipped = (body[0] === "A" ? "B" : "A") + body.slice(1);
    const open = (envelope: string) => decryptToken(current, "int-1", "access_token_enc", envelope);
    expect(await reason(open([parts[0], parts[1], parts[2], flipped].join(".")))).toBe("authentication_failed");
    // Relabelled as v1, the same ciphertext is checked against the other additional data and fails.
    expect(await reason(open(["v1", parts[1], parts[2], body].join(".")))).toBe("authentication_failed");
    expect(await reason(open("plaintext-token"))).toBe("malformed");
    expect(await reason(open(`v3.new.${parts[2]}.${body}`))).toBe("malformed");
    expect(await reason(open(`v2.new.${"A".repeat(8)}.${body}`))).toBe("malformed");
    expect(await reason(open(`v2.new.${parts[2]}.not*base64`))).toBe("malformed");
    expect(await reason(open(`v2.new.${parts[2]}.A`))).toBe("malformed");
  });
});
