import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { requireConfig } from "../config";
import { WEB_CLIENT_HEADER, WEB_CLIENT_VALUE, type AuthSession, type CookieSession, type PublicUser } from "../contract/auth";
import { rotateRefreshToken, startRefreshFamily, type StoredRefreshToken, type UserRow } from "../db/accounts";
import type { Database } from "../db/client";
import type { AppBindings } from "../http/types";
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken } from "./access-token";
import { REFRESH_FAMILY_TTL_MS, generateRefreshToken, hashRefreshToken } from "./refresh-token";

export const REFRESH_COOKIE = "tp_refresh";
/** The cookie goes only to the auth routes, never to the rest of the API or the SPA. */
const REFRESH_COOKIE_PATH = "/api/auth";

export function publicUser(user: UserRow): PublicUser {
  return { id: user.id, email: user.email, name: user.name, role: user.role === "admin" ? "admin" : "user", createdAt: user.createdAt.toISOString() };
}

/**
 * The web app names itself (`WEB_CLIENT_HEADER`) on register and login; a
 * refresh whose token came from the cookie is the web app by construction.
 * Either way the new refresh token goes only into the HttpOnly cookie: script
 * injected into the page can read a JSON body, so a 30-day credential in it
 * would be one XSS away from leaving the browser. API clients that send
 * neither get the token in the body as before.
 */
export function isWebClient(c: Context<AppBindings>): boolean {
  return c.req.header(WEB_CLIENT_HEADER)?.trim().toLowerCase() === WEB_CLIENT_VALUE;
}

/** Where the new refresh token goes: the cookie only (web app), or also the body (API clients). */
export type Delivery = "cookie" | "body";

/** The first token of a new login (register or login). */
export async function startSession(c: Context<AppBindings>, db: Database, user: UserRow, delivery: Delivery): Promise<AuthSession | CookieSession> {
  const refreshToken = generateRefreshToken();
  const { expiresAt } = await startRefreshFamily(db, user.id, await hashRefreshToken(refreshToken), REFRESH_FAMILY_TTL_MS);
  return sessionBody(c, user, refreshToken, expiresAt, delivery);
}

/**
 * The next token of an existing login, in the same transaction that spends
 * `presented`; `undefined` when someone spent it first (reuse). The family's
 * absolute expiry carries over unchanged.
 */
export async function continueSession(
  c: Context<AppBindings>,
  db: Database,
  user: UserRow,
  presented: StoredRefreshToken,
  delivery: Delivery,
): Promise<AuthSession | CookieSession | undefined> {
  const refreshToken = generateRefreshToken();
  const rotated = await rotateRefreshToken(db, {
    tokenId: presented.id,
    familyId: presented.familyId,
    userId: user.id,
    nextTokenHash: await hashRefreshToken(refreshToken),
  });
  if (!rotated) return undefined;
  return sessionBody(c, user, refreshToken, presented.familyExpiresAt.getTime(), delivery);
}

async function sessionBody(
  c: Context<AppBindings>,
  user: UserRow,
  refreshToken: string,
  expiresAt: number,
  delivery: Delivery,
): Promise<AuthSession | CookieSession> {
  const cfg = c.get("config");
  const accessToken = await issueAccessToken(requireConfig(cfg, "JWT_SECRET", cfg.jwtSecret), user.id, user.sessionVersion);
  setCookie(c, REFRESH_COOKIE, refreshToken, {
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    path: REFRESH_COOKIE_PATH,
    maxAge: Math.max(0, Math.floor((expiresAt - Date.now()) / 1000)),
  });
  const session: CookieSession = { user: publicUser(user), accessToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
  return delivery === "cookie" ? session : { ...session, refreshToken };
}

/** The refresh token from the JSON body (API clients) or else the cookie (the web app), and which it was. */
export function presentedRefreshToken(c: Context<AppBindings>, fromBody: string | undefined): { token: string | undefined; delivery: Delivery } {
  if (fromBody !== undefined) return { token: fromBody, delivery: isWebClient(c) ? "cookie" : "body" };
  return { token: getCookie(c, REFRESH_COOKIE), delivery: "cookie" };
}

export function clearRefreshCookie(c: Context<AppBindings>): void {
  deleteCookie(c, REFRESH_COOKIE, { path: REFRESH_COOKIE_PATH, secure: true, httpOnly: true, sameSite: "Strict" });
}

/** The same clearing header for error responses, which are built outside the context. */
export const CLEAR_REFRESH_COOKIE = `${REFRESH_COOKIE}=; Max-Age=0; Path=${REFRESH_COOKIE_PATH}; HttpOnly; Secure; SameSite=Strict`;
