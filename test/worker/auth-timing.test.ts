import { afterEach, describe, expect, it, vi } from "vitest";
import { decodeBase64 } from "../../worker/crypto";
import { PBKDF2_ITERATIONS, dummyPasswordHash } from "../../worker/auth/password";
import { post, problemOf, register, uniqueEmail } from "./auth-helpers";

/**
 * What a login's response time is made of: its PBKDF2 runs. Observed at
 * WebCrypto itself (the real derivation still runs), so the test fails when
 * one path skips, shortens or repeats the work, and never because the
 * machine was busy.
 */
async function derivationsOf(request: () => Promise<Response>) {
  const deriveBits = vi.spyOn(crypto.subtle, "deriveBits");
  const res = await request();
  const runs = deriveBits.mock.calls.map(([algorithm, , length]) => {
    const { name, hash, iterations, salt } = algorithm as { name: string; hash: string; iterations: number; salt: Uint8Array };
    return { name, hash, iterations, saltBytes: salt.byteLength, length };
  });
  deriveBits.mockRestore();
  return { res, runs };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("login timing does not reveal whether an email has an account", () => {
  it("runs the same PBKDF2 derivation, once, for an unknown email as for a wrong password, and answers alike", async () => {
    const { user } = await register();
    const wrong = await derivationsOf(() => post("/api/auth/login", { email: user.email, password: "not the password" }));
    const unknown = await derivationsOf(() => post("/api/auth/login", { email: uniqueEmail("ghost"), password: "not the password" }));

    expect(wrong.runs).toEqual([{ name: "PBKDF2", hash: "SHA-256", iterations: PBKDF2_ITERATIONS, saltBytes: 16, length: 256 }]);
    expect(unknown.runs).toEqual(wrong.runs);
    expect([wrong.res.status, (await problemOf(wrong.res)).code]).toEqual([401, "invalid_credentials"]);
    expect([unknown.res.status, (await problemOf(unknown.res)).code]).toEqual([401, "invalid_credentials"]);
  });

  it("checks unknown emails against a hash with the current parameters and a fresh salt, which no password matches", () => {
    const [a, b] = [dummyPasswordHash(), dummyPasswordHash()];
    expect(a.iterations).toBe(PBKDF2_ITERATIONS);
    expect(decodeBase64(a.salt)?.byteLength).toBe(16);
    expect(a.salt).not.toBe(b.salt);
    expect(decodeBase64(a.hash)).toEqual(new Uint8Array(32));
  });
});
