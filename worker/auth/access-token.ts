import { SignJWT, jwtVerify, errors as joseErrors } from "jose";

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const ISSUER = "taskpilot";
export const AUDIENCE = "taskpilot-api";

let hmacKey: { secret: string; key: Promise<CryptoKey> } | undefined;

/**
 * The HS256 key, imported once per isolate (per JWT_SECRET): given raw bytes,
 * jose would import them again for every signature and every verification.
 */
function signingKey(secret: string): Promise<CryptoKey> {
  if (hmacKey?.secret !== secret) {
    const key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    hmacKey = { secret, key };
    // A failed import is not remembered: the next call tries again.
    key.catch(() => {
      if (hmacKey?.key === key) hmacKey = undefined;
    });
  }
  return hmacKey.key;
}

/** `sessionVersion`: the user's at issue (the `sv` claim); a token under a lower one than the user's is refused. */
export async function issueAccessToken(secret: string, userId: string, sessionVersion = 0, now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  return new SignJWT({ sv: sessionVersion })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ACCESS_TOKEN_TTL_SECONDS)
    .sign(await signingKey(secret));
}

export type AccessTokenResult = { ok: true; userId: string; sessionVersion: number } | { ok: false; reason: "expired" | "invalid" };

/**
 * Verifies signature, algorithm, issuer, audience and expiry. The algorithm
 * allow-list (HS256 only) is what stops `alg: none` and algorithm-confusion
 * tokens (RFC 8725 §3.1).
 */
export async function verifyAccessToken(secret: string, token: string, now = Date.now()): Promise<AccessTokenResult> {
  try {
    const { payload } = await jwtVerify(token, await signingKey(secret), {
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: new Date(now),
      requiredClaims: ["sub", "iat", "exp"],
    });
    if (typeof payload.sub !== "string" || payload.sub === "") return { ok: false, reason: "invalid" };
    // Tokens issued before the claim existed were issued under version 0.
    const sv = "sv" in payload ? payload.sv : 0;
    if (typeof sv !== "number" || !Number.isSafeInteger(sv) || sv < 0) return { ok: false, reason: "invalid" };
    return { ok: true, userId: payload.sub, sessionVersion: sv };
  } catch (e) {
    return { ok: false, reason: e instanceof joseErrors.JWTExpired ? "expired" : "invalid" };
  }
}
