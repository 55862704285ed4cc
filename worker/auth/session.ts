import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { requireConfig } from "../config";
import type { PublicUser, AuthSession } from "../contract/auth";
import { addRefreshToken, startRefreshFamily, type UserRow } from "../db/accounts";
import type { Database } from "../db/client";
import type { AppBindings } from "../http/types";
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken } from "./access-token";
import { REFRESH_FAMILY_TTL_MS, generateRefreshToken, hashRefreshToken } from "./refresh-token";

export const REFRESH_COOKIE = "tp_refresh";
/** The cookie goes only to the auth routes, never to the rest of the API or the SPA. */
const REFRESH_COOKIE_PATH = "/api/auth";

export function publicUser(user: UserRow): PublicUser {
  return { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt.toISOString() };
}

/** The first token of a new login (register or login). */
export async function startSession(c: Context<AppBindings>, db: Database, user: UserRow): Promise<AuthSession> {
  const refreshToken = generateRefreshToken();
  const { expiresAt } = await startRefreshFamily(db, user.id, await hashRefreshToken(refreshToken), REFRESH_FAMILY_TTL_MS);
  return sessionBody(c, user, refreshToken, expiresAt);
}

/** The next token of an existing login; the family's absolute expiry carries over unchanged. */
export async function continueSession(
  c: Context<AppBindings>,
  db: Database,
  user: UserRow,
  familyId: string,
  familyExpiresAt: number,
): Promise<AuthSession> {
  const refreshToken = generateRefreshToken();
  await addRefreshToken(db, familyId, user.id, await hashRefreshToken(refreshToken));
  return sessionBody(c, user, refreshToken, familyExpiresAt);
}

async function sessionBody(c: Context<AppBindings>, user: UserRow, refreshToken: string, expiresAt: number): Promise<AuthSession> {
  const cfg = c.get("config");
  const accessToken = await issueAccessToken(requireConfig(cfg, "JWT_SECRET", cfg.jwtSecret), user.id);
  setCookie(c, REFRESH_COOKIE, refreshToken, {
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    path: REFRESH_COOKIE_PATH,
    maxAge: Math.max(0, Math.floor((expiresAt - Date.now()) / 1000)),
  });
  return { user: publicUser(user), accessToken, refreshToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
}

/** The refresh token from the JSON body (API clients) or else the cookie (the web app). */
export function presentedRefreshToken(c: Context<AppBindings>, fromBody: string | undefined): string | undefined {
  return fromBody ?? getCookie(c, REFRESH_COOKIE);
}

export function clearRefreshCookie(c: Context<AppBindings>): void {
  deleteCookie(c, REFRESH_COOKIE, { path: REFRESH_COOKIE_PATH, secure: true, httpOnly: true, sameSite: "Strict" });
}

/** The same clearing header for error responses, which are built outside the context. */
export const CLEAR_REFRESH_COOKIE = `${REFRESH_COOKIE}=; Max-Age=0; Path=${REFRESH_COOKIE_PATH}; HttpOnly; Secure; SameSite=Strict`;
