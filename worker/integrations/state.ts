import { constantTimeEqual, sha256Hex } from "../crypto";
import type { OAuthStateRow } from "../db/integrations";

/**
 * The trust decisions of the OAuth round trip, as pure functions so they can
 * be read and tested alone.
 */

export const STATE_TTL_MS = 10 * 60 * 1000;
export const DEFAULT_RETURN_TO = "/integrations";

/** Only the SHA-256 of the state is stored, so a read of the table cannot be replayed as a callback. */
export const hashState = sha256Hex;

/**
 * `returnTo` must be a same-origin relative path. Anything else would let a
 * link to our authorize route end on an attacker's page right after a
 * successful login at the provider (an open redirect, RFC 6749 §10.15).
 * Browsers read `//host` and `/\host` as other origins, and strip tabs and
 * newlines before parsing, so those are refused outright.
 */
export function safeReturnTo(publicUrl: string, raw: string | undefined): { ok: true; path: string } | { ok: false; reason: string } {
  if (raw === undefined || raw === "") return { ok: true, path: DEFAULT_RETURN_TO };
  if (!raw.startsWith("/")) return { ok: false, reason: "must be a relative path starting with /" };
  if (raw.startsWith("//") || raw.startsWith("/\\")) return { ok: false, reason: "must not name another host" };
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return { ok: false, reason: "must not contain control characters or backslashes" };
  let resolved: URL;
  try {
    resolved = new URL(raw, publicUrl);
  } catch {
    return { ok: false, reason: "is not a valid path" };
  }
  if (resolved.origin !== new URL(publicUrl).origin) return { ok: false, reason: "must stay on this site" };
  return { ok: true, path: resolved.pathname + resolved.search + resolved.hash };
}

export type StateCheck = { ok: true } | { ok: false; code: "invalid_state" | "state_expired" | "state_provider_mismatch" };

/**
 * A consumed state row is good only for the provider it was issued for and
 * only within its lifetime. Checking the provider stops a state issued for
 * one provider being spent on another provider's callback (mix-up attack,
 * RFC 9700 §4.4).
 */
export function checkState(row: Pick<OAuthStateRow, "provider" | "expiresAt"> | undefined, provider: string, now: number): StateCheck {
  if (!row) return { ok: false, code: "invalid_state" };
  if (row.provider !== provider) return { ok: false, code: "state_provider_mismatch" };
  if (row.expiresAt.getTime() <= now) return { ok: false, code: "state_expired" };
  return { ok: true };
}

/**
 * The nonce that binds a round trip to the browser that started it (RFC 9700
 * §4.7.1): 32 random bytes, base64url, kept in an HttpOnly cookie. Like the
 * state, only its SHA-256 is stored.
 */
export const BROWSER_NONCE_BYTES = 32;
export const hashBrowserNonce = sha256Hex;

/** A cookie value we could have minted; anything else is treated as no cookie at all. */
export function isBrowserNonce(value: string | undefined): value is string {
  return value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value);
}

export type BrowserCheck = { ok: true } | { ok: false; code: "browser_mismatch" };

/**
 * The callback connects only in the browser that asked for the authorization
 * URL. Without this, someone could start a flow on their own account, send
 * the URL to a victim, and the victim's consent would land the victim's
 * grant in the attacker's account (RFC 9700 §4.7.1; providers such as GitHub
 * skip consent for an app already authorized, so one click is enough).
 * A row without a hash predates the binding and is never accepted.
 */
export function checkBrowser(storedHash: string | null | undefined, presentedHash: string | undefined): BrowserCheck {
  if (!storedHash || !presentedHash) return { ok: false, code: "browser_mismatch" };
  return constantTimeEqual(storedHash, presentedHash) ? { ok: true } : { ok: false, code: "browser_mismatch" };
}

/**
 * One nonce per browser, reused by every flow started while it lives, so
 * flows started in parallel (two providers, or two tabs) all find it. The
 * callback of this browser's flow clears it only when no other flow of the
 * same user still waits on it; a callback that did not match keeps it, so a
 * link from someone else cannot cancel the user's own pending flows.
 */
export function browserCookieAfterCallback(outcome: { matched: boolean; otherFlowsPending: boolean }): "clear" | "keep" {
  return outcome.matched && !outcome.otherFlowsPending ? "clear" : "keep";
}

/** Scopes we asked for that the provider did not grant (an empty list when everything was granted). */
export function missingScopes(requested: string[], granted: string[]): string[] {
  const have = new Set(granted);
  return requested.filter((s) => !have.has(s));
}

/** Where the browser lands after the callback: the stored path plus `connected=` or `error=&provider=`. */
export function callbackRedirect(publicUrl: string, returnTo: string, params: Record<string, string>): string {
  const url = new URL(returnTo, publicUrl);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.toString();
}
