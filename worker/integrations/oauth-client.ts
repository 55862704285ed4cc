import {
  ArcticFetchError,
  CodeChallengeMethod,
  OAuth2Client,
  OAuth2RequestError,
  UnexpectedErrorResponseBodyError,
  UnexpectedResponseError,
  type OAuth2Tokens,
} from "arctic";
import type { AccountIdentity, ResolvedProvider } from "./providers";

/**
 * The provider's side of OAuth through arctic's generic client, with every
 * failure turned into a `ProviderError` that keeps the provider's own code
 * and description (never a token) and says whether trying again may help.
 */

const DESCRIPTION_MAX = 300;

export class ProviderError extends Error {
  constructor(
    /** The provider's OAuth error code (`invalid_grant`, …) or ours (`provider_unavailable`, …). */
    readonly code: string,
    readonly description: string,
    /** 5xx and network failures: the same request may succeed later. */
    readonly transient: boolean,
    readonly httpStatus?: number,
  ) {
    super(`${code}: ${description}`);
    this.name = "ProviderError";
  }
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string | undefined;
  expiresAt: Date | null;
  /** Granted scopes when the provider says; undefined when it does not. */
  scopes: string[] | undefined;
}

function clip(text: string): string {
  return text.length > DESCRIPTION_MAX ? `${text.slice(0, DESCRIPTION_MAX)}…` : text;
}

export function toProviderError(e: unknown): ProviderError {
  if (e instanceof ProviderError) return e;
  if (e instanceof OAuth2RequestError) return new ProviderError(e.code, clip(e.description ?? e.code), false);
  if (e instanceof ArcticFetchError) return new ProviderError("provider_unreachable", "The provider could not be reached.", true);
  if (e instanceof UnexpectedResponseError) {
    return e.status >= 500
      ? new ProviderError("provider_unavailable", `The provider answered HTTP ${e.status}.`, true, e.status)
      : new ProviderError("provider_bad_response", `The provider answered HTTP ${e.status} with a body that is not OAuth JSON.`, false, e.status);
  }
  if (e instanceof UnexpectedErrorResponseBodyError) {
    return new ProviderError("provider_bad_response", `The provider answered HTTP ${e.status} with an unexpected error body.`, false, e.status);
  }
  return new ProviderError("provider_bad_response", clip(e instanceof Error ? e.message : String(e)), false);
}

export function oauthClient(provider: ResolvedProvider, redirectUri: string): OAuth2Client {
  if (!provider.clientId) throw new Error(`${provider.id} has no client id`);
  return new OAuth2Client(provider.clientId, provider.clientSecret ?? null, redirectUri);
}

export function authorizationUrl(provider: ResolvedProvider, redirectUri: string, state: string, verifier: string): URL {
  const url = oauthClient(provider, redirectUri).createAuthorizationURLWithPKCE(
    provider.authorizeUrl,
    state,
    CodeChallengeMethod.S256,
    verifier,
    provider.scopes,
  );
  for (const [k, v] of Object.entries(provider.authorizeParams)) url.searchParams.set(k, v);
  return url;
}

/**
 * GitHub and Slack answer token errors with HTTP 200 and `{error}` (Slack
 * also `ok: false`); treating those as successes would store no token.
 */
function readTokens(tokens: OAuth2Tokens, fallbackScopes?: string[]): TokenSet {
  const data = tokens.data as Record<string, unknown>;
  if (typeof data.error === "string" || data.ok === false) {
    const code = typeof data.error === "string" ? data.error : "provider_error";
    const description = typeof data.error_description === "string" ? data.error_description : code;
    throw new ProviderError(code, clip(description), false);
  }
  let accessToken: string;
  try {
    accessToken = tokens.accessToken();
  } catch {
    throw new ProviderError("provider_bad_response", "The token response has no access_token.", false);
  }
  const expiresIn = typeof data.expires_in === "number" ? data.expires_in : Number(data.expires_in);
  const scopeText = typeof data.scope === "string" ? data.scope : undefined;
  return {
    accessToken,
    refreshToken: tokens.hasRefreshToken() ? tokens.refreshToken() : undefined,
    expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(Date.now() + expiresIn * 1000) : null,
    // Slack separates scopes by commas, the others by spaces.
    scopes: scopeText !== undefined ? scopeText.split(/[ ,]+/).filter(Boolean) : fallbackScopes,
  };
}

export async function exchangeCode(provider: ResolvedProvider, redirectUri: string, code: string, verifier: string): Promise<TokenSet> {
  try {
    return readTokens(await oauthClient(provider, redirectUri).validateAuthorizationCode(provider.tokenUrl, code, verifier));
  } catch (e) {
    throw toProviderError(e);
  }
}

export async function refreshTokens(provider: ResolvedProvider, redirectUri: string, refreshToken: string, currentScopes: string[]): Promise<TokenSet> {
  try {
    return readTokens(await oauthClient(provider, redirectUri).refreshAccessToken(provider.tokenUrl, refreshToken, []), currentScopes);
  } catch (e) {
    throw toProviderError(e);
  }
}

export async function revokeToken(provider: ResolvedProvider, redirectUri: string, token: string): Promise<void> {
  try {
    if (provider.revokeStyle === "github_app_token") {
      const res = await fetch(`${provider.revokeUrl}/applications/${encodeURIComponent(provider.clientId ?? "")}/token`, {
        method: "DELETE",
        headers: {
          authorization: `Basic ${btoa(`${provider.clientId}:${provider.clientSecret}`)}`,
          accept: "application/vnd.github+json",
          "content-type": "application/json",
          "user-agent": "TaskPilot",
        },
        body: JSON.stringify({ access_token: token }),
      });
      await res.body?.cancel();
      if (res.status !== 204 && res.status !== 404) throw new UnexpectedResponseError(res.status);
      return;
    }
    await oauthClient(provider, redirectUri).revokeToken(provider.revokeUrl, token);
  } catch (e) {
    throw toProviderError(e);
  }
}

/** Asks the provider whose account the token belongs to. */
export async function fetchIdentity(provider: ResolvedProvider, accessToken: string): Promise<AccountIdentity> {
  let res: Response;
  try {
    res = await fetch(provider.apiUrl + provider.identityPath, {
      headers: {
        authorization: `Bearer ${accessToken}`,
        accept: "application/json",
        "user-agent": "TaskPilot",
      },
    });
  } catch {
    throw new ProviderError("provider_unreachable", "The provider's API could not be reached.", true);
  }
  if (res.status >= 500) throw new ProviderError("provider_unavailable", `The provider's API answered HTTP ${res.status}.`, true, res.status);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ProviderError("identity_unreadable", `The provider's API answered HTTP ${res.status} with a body that is not JSON.`, false, res.status);
  }
  if (!res.ok) throw new ProviderError("identity_rejected", `The provider's API refused the new token (HTTP ${res.status}).`, false, res.status);
  const identity = body && typeof body === "object" ? provider.readIdentity(body as Record<string, unknown>) : undefined;
  if (!identity) throw new ProviderError("identity_unreadable", "The provider did not say which account was connected.", false);
  return identity;
}
