import { constantTimeEqual, s256Challenge } from "../crypto";
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET } from "../catalog";

/**
 * The sandbox authorization server's trust decisions, as pure functions over
 * plain values so each can be reviewed and tested on its own.
 */

export type RuleResult<T = undefined> = { ok: true; value: T } | { ok: false; error: string; description: string; status?: number };

const fail = (error: string, description: string, status?: number) => ({ ok: false as const, error, description, status });

/**
 * RFC 6749 §2.3.1: the client authenticates with HTTP Basic (form-encoded
 * id and secret) or with body parameters, never both. An unknown client or
 * wrong secret is `invalid_client` (401).
 */
export function authenticateClient(
  authorization: string | undefined,
  body: { client_id?: string; client_secret?: string },
): RuleResult<{ clientId: string; via: "basic" | "body" }> {
  let id: string | undefined;
  let secret: string | undefined;
  let via: "basic" | "body" = "body";
  if (authorization && /^basic\s/i.test(authorization)) {
    if (body.client_secret !== undefined) return fail("invalid_request", "Client credentials were sent twice (header and body).");
    try {
      const decoded = atob(authorization.replace(/^basic\s+/i, "").trim());
      const i = decoded.indexOf(":");
      if (i < 0) return fail("invalid_client", "Malformed Basic credentials.", 401);
      id = decodeURIComponent(decoded.slice(0, i).replace(/\+/g, " "));
      secret = decodeURIComponent(decoded.slice(i + 1).replace(/\+/g, " "));
      via = "basic";
    } catch {
      return fail("invalid_client", "Malformed Basic credentials.", 401);
    }
    if (body.client_id !== undefined && body.client_id !== id) return fail("invalid_request", "client_id differs from the Basic credentials.");
  } else {
    id = body.client_id;
    secret = body.client_secret;
  }
  if (!id || secret === undefined) return fail("invalid_client", "Client authentication is required.", 401);
  if (id !== SANDBOX_CLIENT_ID || !constantTimeEqual(secret, SANDBOX_CLIENT_SECRET)) {
    return fail("invalid_client", "Unknown client or wrong client secret.", 401);
  }
  return { ok: true, value: { clientId: id, via } };
}

/**
 * RFC 6749 §3.1.2 and §10.15: the server only redirects to a registered
 * redirect URI, otherwise it is an open redirector that leaks codes. The
 * sandbox registers the app's own origins (PUBLIC_URL and the origin the
 * sandbox is reached at); no fragment, http(s) only.
 */
export function checkRedirectUri(raw: string | undefined, allowedOrigins: string[]): RuleResult<URL> {
  if (!raw) return fail("invalid_request", "redirect_uri is required.");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail("invalid_request", "redirect_uri is not an absolute URL.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return fail("invalid_request", "redirect_uri must be http(s).");
  if (url.hash) return fail("invalid_request", "redirect_uri must not contain a fragment.");
  if (!allowedOrigins.includes(url.origin)) return fail("invalid_request", `redirect_uri is not registered for this client (${url.origin}).`);
  return { ok: true, value: url };
}

/** RFC 7636 §4.3: only S256; `plain` would hand the verifier to anyone who sees the authorize URL. */
export function checkChallenge(challenge: string | undefined, method: string | undefined): RuleResult<string> {
  if (!challenge) return fail("invalid_request", "code_challenge is required (PKCE).");
  if (method !== "S256") return fail("invalid_request", "code_challenge_method must be S256.");
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) return fail("invalid_request", "code_challenge must be a base64url SHA-256 digest.");
  return { ok: true, value: challenge };
}

export interface IssuedCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  expiresAt: Date;
}

/**
 * RFC 6749 §4.1.3 and RFC 7636 §4.6: a code only turns into tokens for the
 * client it was issued to, with the same redirect_uri, before it expires,
 * and with the verifier whose S256 digest is the stored challenge (so a
 * stolen code is useless without the verifier). Every mismatch is
 * `invalid_grant`.
 */
export async function checkCodeExchange(
  code: IssuedCode,
  presented: { clientId: string; redirectUri: string | undefined; codeVerifier: string | undefined },
  now: Date,
): Promise<RuleResult> {
  if (code.expiresAt.getTime() <= now.getTime()) return fail("invalid_grant", "The authorization code has expired.");
  if (presented.clientId !== code.clientId) return fail("invalid_grant", "The authorization code was issued to another client.");
  if (presented.redirectUri !== code.redirectUri) return fail("invalid_grant", "redirect_uri does not match the authorization request.");
  const verifier = presented.codeVerifier;
  if (!verifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return fail("invalid_grant", "code_verifier is missing or malformed.");
  if (!constantTimeEqual(await s256Challenge(verifier), code.codeChallenge)) {
    return fail("invalid_grant", "code_verifier does not match the code_challenge.");
  }
  return { ok: true, value: undefined };
}
