import {
  ArcticFetchError,
  CodeChallengeMethod,
  OAuth2Client,
  OAuth2RequestError,
  OAuth2Tokens,
  UnexpectedErrorResponseBodyError,
  UnexpectedResponseError,
} from "arctic";
import type { AccountIdentity, ResolvedProvider } from "./providers";

/**
 * The provider's side of OAuth, with every failure turned into a
 * `ProviderError` that keeps the provider's own code and description (never
 * a token) and says whether trying again may help.
 *
 * Every call to a provider has a deadline. arctic builds the authorization
 * URL, but its token and revocation requests cannot take an AbortSignal, so
 * those two requests are sent here (RFC 6749 §4.1.3, §6; RFC 7009 §2) with
 * the deadline on the request and on reading its body: a provider that
 * accepts the connection and never answers must not hold a refresh, and
 * everyone waiting on it, forever.
 */

const DESCRIPTION_MAX = 300;
const USER_AGENT = "TaskPilot";

export type ProviderCall = "token" | "revoke" | "identity" | "api";

/** Default deadline of each kind of provider call. */
export const PROVIDER_TIMEOUT_MS: Readonly<Record<ProviderCall, number>> = {
  token: 10_000,
  revoke: 5_000,
  identity: 10_000,
  api: 20_000,
};

export interface CallOptions {
  /** Ends the call early: the caller's own deadline (tests pass one they abort themselves). */
  signal?: AbortSignal | undefined;
  /** Replaces this call's default deadline from PROVIDER_TIMEOUT_MS. */
  timeoutMs?: number | undefined;
}

export class ProviderError extends Error {
  constructor(
    /** The provider's OAuth error code (`invalid_grant`, …) or ours (`provider_unavailable`, …). */
    readonly code: string,
    readonly description: string,
    /** 5xx, network failures and timeouts: the same request may succeed later. */
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

const CALL_NAMES: Record<ProviderCall, string> = {
  token: "token request",
  revoke: "revocation request",
  identity: "account lookup",
  api: "API call",
};

/**
 * Runs one provider call under its deadline. Whatever the call was doing
 * when the deadline passed (connecting, waiting for headers, reading the
 * body), it ends as a transient `provider_timeout`.
 */
async function withDeadline<T>(call: ProviderCall, options: CallOptions, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? PROVIDER_TIMEOUT_MS[call]);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    return await run(signal);
  } catch (e) {
    if (signal.aborted) throw new ProviderError("provider_timeout", `The provider did not answer the ${CALL_NAMES[call]} in time.`, true);
    throw toProviderError(e);
  }
}

async function send(url: string, init: RequestInit, signal: AbortSignal): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal });
  } catch (e) {
    if (signal.aborted) throw e;
    throw new ArcticFetchError(e);
  }
}

/** RFC 6749 §2.3.1: the client id and secret are form-encoded before they go into HTTP Basic. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function postForm(provider: ResolvedProvider, url: string, params: Record<string, string>, signal: AbortSignal): Promise<Response> {
  if (!provider.clientId) throw new Error(`${provider.id} has no client id`);
  const body = new URLSearchParams(params);
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
    "user-agent": USER_AGENT,
  };
  if (provider.clientSecret) headers.authorization = `Basic ${btoa(`${formEncode(provider.clientId)}:${formEncode(provider.clientSecret)}`)}`;
  else body.set("client_id", provider.clientId);
  return send(url, { method: "POST", headers, body }, signal);
}

async function readObject(res: Response): Promise<object> {
  let data: unknown;
  try {
    data = await res.json();
  } catch {
    throw new UnexpectedResponseError(res.status);
  }
  if (typeof data !== "object" || data === null) throw new UnexpectedErrorResponseBodyError(res.status, data);
  return data;
}

/** RFC 6749 §5.2: an error response is a JSON object whose `error` is a string. */
async function readOAuthError(res: Response): Promise<Error> {
  const data = (await readObject(res)) as Record<string, unknown>;
  if (typeof data.error !== "string") return new UnexpectedErrorResponseBodyError(res.status, data);
  const text = (v: unknown) => (typeof v === "string" ? v : null);
  return new OAuth2RequestError(data.error, text(data.error_description), text(data.error_uri), text(data.state));
}

async function tokenRequest(provider: ResolvedProvider, params: Record<string, string>, signal: AbortSignal): Promise<OAuth2Tokens> {
  const res = await postForm(provider, provider.tokenUrl, params, signal);
  if (res.status === 400 || res.status === 401) throw await readOAuthError(res);
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new UnexpectedResponseError(res.status);
  }
  return new OAuth2Tokens(await readObject(res));
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

export async function exchangeCode(provider: ResolvedProvider, redirectUri: string, code: string, verifier: string, options: CallOptions = {}): Promise<TokenSet> {
  return withDeadline("token", options, async (signal) =>
    readTokens(await tokenRequest(provider, { grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier }, signal)),
  );
}

export async function refreshTokens(provider: ResolvedProvider, refreshToken: string, currentScopes: string[], options: CallOptions = {}): Promise<TokenSet> {
  return withDeadline("token", options, async (signal) =>
    readTokens(await tokenRequest(provider, { grant_type: "refresh_token", refresh_token: refreshToken }, signal), currentScopes),
  );
}

export async function revokeToken(provider: ResolvedProvider, token: string, options: CallOptions = {}): Promise<void> {
  await withDeadline("revoke", options, async (signal) => {
    if (provider.revokeStyle === "github_app_token") {
      const res = await send(
        `${provider.revokeUrl}/applications/${encodeURIComponent(provider.clientId ?? "")}/token`,
        {
          method: "DELETE",
          headers: {
            authorization: `Basic ${btoa(`${provider.clientId}:${provider.clientSecret}`)}`,
            accept: "application/vnd.github+json",
            "content-type": "application/json",
            "user-agent": USER_AGENT,
          },
          body: JSON.stringify({ access_token: token }),
        },
        signal,
      );
      await res.body?.cancel();
      if (res.status !== 204 && res.status !== 404) throw new UnexpectedResponseError(res.status);
      return;
    }
    const res = await postForm(provider, provider.revokeUrl, { token }, signal);
    if (res.status === 400 || res.status === 401) throw await readOAuthError(res);
    await res.body?.cancel();
    if (res.status !== 200) throw new UnexpectedResponseError(res.status);
  });
}

export interface ApiResponse {
  status: number;
  /** Parsed JSON, or undefined when the body is empty or not JSON. */
  body: unknown;
}

/**
 * One call to a provider's REST API with the user's access token, under the
 * API deadline (body included). 5xx answers are transient `provider_unavailable`
 * errors; other statuses are returned for the caller to judge (a 401 means
 * refresh through `getAccessTokenAfterUnauthorized`).
 */
export async function callProviderApi(
  provider: ResolvedProvider,
  accessToken: string,
  path: string,
  init: { method?: string; body?: unknown } = {},
  options: CallOptions = {},
  call: ProviderCall = "api",
): Promise<ApiResponse> {
  return withDeadline(call, options, async (signal) => {
    const headers: Record<string, string> = { authorization: `Bearer ${accessToken}`, accept: "application/json", "user-agent": USER_AGENT };
    if (init.body !== undefined) headers["content-type"] = "application/json";
    const res = await send(provider.apiUrl + path, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) }, signal);
    if (res.status >= 500) {
      await res.body?.cancel();
      throw new ProviderError("provider_unavailable", `The provider's API answered HTTP ${res.status}.`, true, res.status);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, body };
  });
}

/** Asks the provider whose account the token belongs to. */
export async function fetchIdentity(provider: ResolvedProvider, accessToken: string, options: CallOptions = {}): Promise<AccountIdentity> {
  let res: ApiResponse;
  try {
    res = await callProviderApi(provider, accessToken, provider.identityPath, {}, options, "identity");
  } catch (e) {
    const error = toProviderError(e);
    if (error.code === "provider_unreachable") throw new ProviderError("provider_unreachable", "The provider's API could not be reached.", true);
    throw error;
  }
  if (res.body === undefined) throw new ProviderError("identity_unreadable", `The provider's API answered HTTP ${res.status} with a body that is not JSON.`, false, res.status);
  if (res.status < 200 || res.status >= 300) throw new ProviderError("identity_rejected", `The provider's API refused the new token (HTTP ${res.status}).`, false, res.status);
  const identity = typeof res.body === "object" && res.body !== null ? provider.readIdentity(res.body as Record<string, unknown>) : undefined;
  if (!identity) throw new ProviderError("identity_unreadable", "The provider did not say which account was connected.", false);
  return identity;
}
