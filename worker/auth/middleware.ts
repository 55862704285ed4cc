import type { Context, MiddlewareHandler } from "hono";
import { requireConfig } from "../config";
import { sameSecret } from "../crypto";
import { userSessionVersion } from "../db/accounts";
import { database } from "../db/client";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";
import { verifyAccessToken } from "./access-token";
import { confirmedUsers } from "./confirmed-users";

const challenge = { headers: { "WWW-Authenticate": `Bearer realm="taskpilot", error="invalid_token"` } };

/** The 401 for a token that is bad, or good but for an account that no longer exists: either way the client signs out. */
export const invalidToken = () => new AppError(401, "invalid_token", "The access token is not valid.", challenge);

/** The value of `Authorization: Bearer <value>`, if the request has one. */
export function bearerOf(c: Context): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
}

/** Whether the bearer is `secret` (a configured operator or scraper token; none configured never matches), compared in constant time. */
export async function bearerIsSecret(c: Context, secret: string | undefined): Promise<boolean> {
  const presented = bearerOf(c);
  return Boolean(secret && presented && (await sameSecret(presented, secret)));
}

/** The signed-in user of a request with a valid `Authorization: Bearer <access token>`, and the session version it was issued under; else 401 problem+json. */
async function bearerUser(c: Context<AppBindings>): Promise<{ userId: string; sessionVersion: number }> {
  const cfg = c.get("config");
  const token = bearerOf(c);
  if (!token) {
    throw new AppError(401, "unauthorized", "Sign in first: this route needs an access token.", {
      headers: { "WWW-Authenticate": 'Bearer realm="taskpilot"' },
    });
  }
  const secret = requireConfig(cfg, "JWT_SECRET", cfg.jwtSecret);
  const result = await verifyAccessToken(secret, token);
  if (!result.ok) {
    if (result.reason === "expired") throw new AppError(401, "token_expired", "The access token has expired.", challenge);
    throw invalidToken();
  }
  return { userId: result.userId, sessionVersion: result.sessionVersion };
}

/** Whether a token issued under `tokenVersion` is still good for an account now at `current` ("This wasn't me" raises it). */
export function sessionStillValid(tokenVersion: number, current: number): boolean {
  return tokenVersion >= current;
}

/**
 * Authenticated routes: `c.get("userId")`. A token stays correctly signed for
 * its whole lifetime, so two things are checked against the user's row: that
 * the account still exists (else reads would see empty data and writes fail on
 * the users foreign key as 500s instead of a clean 401), and that its logins
 * were not ended since the token was issued ("This wasn't me" raises the
 * session version). Writes always check D1; reads trust a confirmation of this
 * isolate for a short while (`confirmedUsers`), which spares the hot read
 * paths a D1 round trip per request. A token newer than the confirmation (a
 * sign-in after "This wasn't me" elsewhere) is checked in D1.
 */
export const requireUser: MiddlewareHandler<AppBindings> = async (c, next) => {
  const { userId, sessionVersion } = await bearerUser(c);
  const read = c.req.method === "GET" || c.req.method === "HEAD";
  let current = read ? confirmedUsers.versionOf(userId) : undefined;
  if (current === undefined || sessionVersion > current) {
    current = await userSessionVersion(database(c.env), userId);
    if (current === undefined) {
      confirmedUsers.forget(userId);
      throw invalidToken();
    }
    confirmedUsers.confirm(userId, current);
  }
  if (!sessionStillValid(sessionVersion, current)) throw invalidToken();
  c.set("userId", userId);
  await next();
};

/**
 * For routes that read the user's own row anyway (`GET /api/me`): only the
 * token is checked here, and the route's read is the check, answering
 * `invalidToken()` when the row is gone or its session version is newer than
 * the token's (`sessionStillValid`), so the row is read once, not twice.
 */
export const requireAccessToken: MiddlewareHandler<AppBindings> = async (c, next) => {
  const { userId, sessionVersion } = await bearerUser(c);
  c.set("userId", userId);
  c.set("tokenSessionVersion", sessionVersion);
  await next();
};
