import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { randomBase64Url } from "../crypto";
import { BROWSER_NONCE_BYTES, isBrowserNonce, STATE_TTL_MS } from "./state";

export const BROWSER_COOKIE = "tp_oauth_browser";

/**
 * The cookie goes only to the integration routes. Lax, not Strict: the
 * callback is a top-level navigation coming back from the provider's site,
 * which a Strict cookie would not accompany. Secure always, like the refresh
 * cookie: browsers accept it from http://127.0.0.1 and http://localhost,
 * which they count as secure contexts.
 */
const ATTRIBUTES = { path: "/api/integrations", httpOnly: true, secure: true, sameSite: "Lax" } as const;

/** The browser's nonce when it sent a well-formed one; a malformed value counts as none. */
export function presentedBrowserNonce(c: Context): string | undefined {
  const value = getCookie(c, BROWSER_COOKIE);
  return isBrowserNonce(value) ? value : undefined;
}

/** The nonce this browser already holds, or a fresh 256-bit one. */
export function browserNonceFor(c: Context): string {
  return presentedBrowserNonce(c) ?? randomBase64Url(BROWSER_NONCE_BYTES);
}

/** (Re)sets the cookie for as long as the newest state lives: no flow outlasts it, so it needs to live no longer. */
export function setBrowserCookie(c: Context, nonce: string): void {
  setCookie(c, BROWSER_COOKIE, nonce, { ...ATTRIBUTES, maxAge: STATE_TTL_MS / 1000 });
}

export function clearBrowserCookie(c: Context): void {
  deleteCookie(c, BROWSER_COOKIE, ATTRIBUTES);
}
