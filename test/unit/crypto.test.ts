import { describe, expect, it } from "vitest";
import { parseEncryptionKeys } from "../../worker/config";
import { decryptToken, encryptToken, envelopeKeyId, TokenDecryptError } from "../../worker/integrations/crypto";

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
  it("round-trips and names the first key", async () => {
    const sealed = await encryptToken(current, "int-1", "ya29.secret-access-token");
    expect(envelopeKeyId(sealed)).toBe("new");
    expect(sealed).not.toContain("secret-access-token");
    expect(await decryptToken(current, "int-1", sealed)).toBe("ya29.secret-access-token");
  });

  it("uses a fresh IV every time, so equal tokens never give equal ciphertexts", async () => {
    const a = await encryptToken(current, "int-1", "same");
    const b = await encryptToken(current, "int-1", "same");
    expect(a.split(".")[2]).not.toBe(b.split(".")[2]);
    expect(a).not.toBe(b);
  });

  it("binds the ciphertext to its integration id (moved to another row, it fails)", async () => {
    const sealed = await encryptToken(current, "int-1", "token");
    expect(await reason(decryptToken(current, "int-2", sealed))).toBe("authentication_failed");
  });

  it("decrypts with any listed key and refuses an unknown key id", async () => {
    const sealedOld = await encryptToken(oldOnly, "int-1", "token");
    expect(await decryptToken(current, "int-1", sealedOld)).toBe("token");
    const sealedNew = await encryptToken(current, "int-1", "token");
    expect(await reason(decryptToken(oldOnly, "int-1", sealedNew))).toBe("unknown_key");
  });

  it("rejects tampering and malformed envelopes", async () => {
    const sealed = await encryptToken(current, "int-1", "token");
    const parts = sealed.split(".");
    const body = parts[3]!;
    const flipped = (body[0] === "A" ? "B" : "A") + body.slice(1);
    expect(await reason(decryptToken(current, "int-1", [parts[0], parts[1], parts[2], flipped].join(".")))).toBe("authentication_failed");
    expect(await reason(decryptToken(current, "int-1", "plaintext-token"))).toBe("malformed");
    expect(await reason(decryptToken(current, "int-1", `v1.new.${"A".repeat(8)}.${body}`))).toBe("malformed");
    expect(await reason(decryptToken(current, "int-1", `v1.new.${parts[2]}.not*base64`))).toBe("malformed");
    expect(await reason(decryptToken(current, "int-1", `v1.new.${parts[2]}.A`))).toBe("malformed");
  });
});
