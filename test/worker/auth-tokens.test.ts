import { env } from "cloudflare:test";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { AUDIENCE, ISSUER } from "../../worker/auth/access-token";
import { getMe, problemOf, register } from "./auth-helpers";

const secret = new TextEncoder().encode(env.JWT_SECRET as string);
const b64url = (value: unknown) => btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

function claims(userId: string, overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { sub: userId, iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 600, ...overrides };
}

async function sign(payload: Record<string, unknown>, alg = "HS256", key: Uint8Array = secret): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: "JWT" }).sign(key);
}

async function expectRejected(token: string, code: string) {
  const res = await getMe(token);
  expect(res.status).toBe(401);
  expect((await problemOf(res)).code).toBe(code);
}

/** RFC 8725 §3.1 (algorithm allow-list), §3.8 and §3.9 (issuer and audience), RFC 7519 §4.1.4 (exp). */
describe("access token verification on /api/me", () => {
  it("accepts a well-formed HS256 token made the same way as ours", async () => {
    const { user } = await register();
    expect((await getMe(await sign(claims(user.id)))).status).toBe(200);
  });

  it("rejects alg: none", async () => {
    const { user } = await register();
    const unsecured = `${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims(user.id))}.`;
    await expectRejected(unsecured, "invalid_token");
  });

  it("rejects an expired token with token_expired", async () => {
    const { user } = await register();
    const now = Math.floor(Date.now() / 1000);
    await expectRejected(await sign(claims(user.id, { iat: now - 3600, exp: now - 60 })), "token_expired");
  });

  it("rejects a wrong issuer or audience", async () => {
    const { user } = await register();
    await expectRejected(await sign(claims(user.id, { iss: "someone-else" })), "invalid_token");
    await expectRejected(await sign(claims(user.id, { aud: "another-api" })), "invalid_token");
  });

  it("rejects HS512 with the right secret and HS256 with another secret", async () => {
    const { user } = await register();
    await expectRejected(await sign(claims(user.id), "HS512"), "invalid_token");
    const otherSecret = new TextEncoder().encode("another-secret-0123456789abcdef0123456789");
    await expectRejected(await sign(claims(user.id), "HS256", otherSecret), "invalid_token");
  });

  it("rejects a token without a subject and one for an account that does not exist", async () => {
    const { sub: _ignored, ...noSubject } = claims("x");
    await expectRejected(await sign(noSubject), "invalid_token");
    await expectRejected(await sign(claims(crypto.randomUUID())), "invalid_token");
  });
});
