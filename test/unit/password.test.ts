import { describe, expect, it } from "vitest";
import { PBKDF2_ITERATIONS, dummyPasswordHash, hashPassword, verifyPassword } from "../../worker/auth/password";
import { constantTimeEqual, decodeBase64 } from "../../worker/crypto";

describe("PBKDF2-SHA256 password hashing", () => {
  it("stores 100 000 iterations, a 16-byte salt and a 32-byte hash, and verifies only the right password", async () => {
    const stored = await hashPassword("correct horse battery");
    expect(stored.iterations).toBe(PBKDF2_ITERATIONS);
    expect(PBKDF2_ITERATIONS).toBe(100_000);
    expect(decodeBase64(stored.salt)).toHaveLength(16);
    expect(decodeBase64(stored.hash)).toHaveLength(32);
    expect(await verifyPassword("correct horse battery", stored)).toBe(true);
    expect(await verifyPassword("correct horse batterY", stored)).toBe(false);
  });

  it("salts every hash, so one password gives different hashes", async () => {
    const [a, b] = await Promise.all([hashPassword("same password", 1000), hashPassword("same password", 1000)]);
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
  });

  it("verifies with the iteration count stored with the hash", async () => {
    const stored = await hashPassword("older parameters", 1000);
    expect(await verifyPassword("older parameters", stored)).toBe(true);
    expect(await verifyPassword("older parameters", { ...stored, iterations: 1001 })).toBe(false);
  });

  it("matches the published PBKDF2-HMAC-SHA256 vector for P=password, S=salt, c=1", async () => {
    // The SHA-256 counterpart of RFC 6070's first vector; it proves the algorithm, not just self-consistency.
    const expected = "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b";
    const stored = { hash: btoa(String.fromCharCode(...expected.match(/../g)!.map((h) => parseInt(h, 16)))), salt: btoa("salt"), iterations: 1 };
    expect(await verifyPassword("password", stored)).toBe(true);
  });

  it("never matches the dummy hash used for unknown emails", async () => {
    const dummy = dummyPasswordHash();
    expect(dummy.iterations).toBe(PBKDF2_ITERATIONS);
    for (const guess of ["", "password", "a".repeat(256)]) expect(await verifyPassword(guess, dummy)).toBe(false);
  });
});

describe("constantTimeEqual", () => {
  const bytes = (...v: number[]) => Uint8Array.from(v);
  it.each([
    [bytes(), bytes(), true],
    [bytes(1, 2, 3), bytes(1, 2, 3), true],
    [bytes(1, 2, 3), bytes(1, 2, 4), false],
    [bytes(9, 2, 3), bytes(1, 2, 3), false],
    [bytes(1, 2), bytes(1, 2, 0), false],
    [bytes(1, 2, 0), bytes(1, 2), false],
  ])("%o vs %o → %s", (a, b, equal) => {
    expect(constantTimeEqual(a, b)).toBe(equal);
  });
});
