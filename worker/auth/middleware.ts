import type { Context, MiddlewareHandler } from "hono";
import { requireConfig } from "../config";
import { sameSecret } from "../crypto";
import { userExists } from "../db/accounts";
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

/** The signed-in user of a request with a valid `Authorization: Bearer <access token>`, else 401 problem+json. */
async function bearerUser(c: Context<AppBindings>): Promise<string> {
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
  return result.userId;
}

/**
 * Authenticated routes: `c.get("userId")`. A deleted account's token is still
 * correctly signed for up to its lifetime; without a check it would keep
 * reading (empty) data and make writes fail on the users foreign key as 500s
 * instead of a clean 401. Writes always check D1; reads trust a confirmation
 * of this isolate for a short while (`confirmedUsers`), which spares the hot
 * read paths a D1 round trip per request.
 */
export const requireUser: MiddlewareHandler<AppBindings> = async (c, next) => {
  const userId = await bearerUser(c);
  const read = c.req.method === "GET" || c.req.method === "HEAD";
  if (!read || !confirmedUsers.has(userId)) {
    if (!(await userExists(database(c.env), userId))) {
      confirmedUsers.forget(userId);
      throw invalidToken();
    }
    confirmedUsers.confirm(userId);
  }
  c.set("userId", userId);
  await next();
};

/**
 * For routes that read the user's own row anyway (`/api/me`): only the token
 * is checked here, and the route's read is the existence check, answering
 * `invalidToken()` when the row is gone, so the row is read once, not twice.
 */
export const requireAccessToken: MiddlewareHandler<AppBindings> = async (c, next) => {
  c.set("userId", await bearerUser(c));
  await next();
};
