import { describe, expect, it } from "vitest";
import { REFRESH_FAMILY_TTL_MS, generateRefreshToken, hashRefreshToken } from "../../worker/auth/refresh-token";

describe("refresh tokens", () => {
  it("are 256 random bits in base64url without padding", () => {
    const tokens = new Set(Array.from({ length: 200 }, generateRefreshToken));
    expect(tokens.size).toBe(200);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("are stored as their SHA-256 in lower-case hex (FIPS 180-2 'abc' vector)", async () => {
    expect(await hashRefreshToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("belong to a login that lasts 30 days at most", () => {
    expect(REFRESH_FAMILY_TTL_MS).toBe(30 * 24 * 60 * 60 * 1000);
  });
});
