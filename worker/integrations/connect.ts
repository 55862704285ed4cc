import { generateCodeVerifier, generateState } from "arctic";
import { requireConfig, type Config } from "../config";
import type { IntegrationStatus } from "../contract/integrations";
import { database } from "../db/client";
import { consumeOAuthState, ensureIntegrationRow, findIntegration, hasPendingOAuthState, insertOAuthState, type IntegrationPatch } from "../db/integrations";
import type { Env } from "../env";
import { AppError } from "../errors";
import { log } from "../http/log";
import { invalidRequest } from "../http/validate";
import { metrics } from "../metrics/record";
import { recordIntegrationEvent } from "./events";
import { encryptToken } from "./crypto";
import { callFlight } from "./flight-stub";
import { authorizationUrl, exchangeCode, fetchIdentity, ProviderError } from "./oauth-client";
import { redirectUri, resolveProvider, type ProviderId, type ResolvedProvider } from "./providers";
import {
  browserCookieAfterCallback,
  callbackRedirect,
  checkBrowser,
  checkState,
  DEFAULT_RETURN_TO,
  hashBrowserNonce,
  hashState,
  missingScopes,
  safeReturnTo,
  STATE_TTL_MS,
} from "./state";

/** A provider that lacks credentials answers `config_missing` naming the first missing variable. */
export function connectableProvider(cfg: Config, provider: ProviderId): ResolvedProvider {
  const resolved = resolveProvider(cfg, provider);
  const variable = resolved.missing[0];
  if (variable) {
    throw new AppError(503, "config_missing", `Server configuration: ${variable} is not set, so ${resolved.name} cannot be connected.`, { variable });
  }
  return resolved;
}

async function currentStatus(env: Env, userId: string, provider: ProviderId): Promise<IntegrationStatus> {
  const row = await findIntegration(database(env), userId, provider);
  return (row?.status as IntegrationStatus | undefined) ?? "disconnected";
}

/** `browserNonce` is the value of the browser's binding cookie (see browser-cookie.ts); only its hash is stored with the state. */
export async function startAuthorization(
  env: Env,
  cfg: Config,
  userId: string,
  provider: ProviderId,
  returnTo: string | undefined,
  browserNonce: string,
): Promise<string> {
  const resolved = connectableProvider(cfg, provider);
  requireConfig(cfg, "TOKEN_ENCRYPTION_KEYS", cfg.encryptionKeys);
  const target = safeReturnTo(cfg.publicUrl, returnTo);
  if (!target.ok) throw invalidRequest([{ path: "returnTo", message: target.reason }], "returnTo must be a path on this site.");

  const state = generateState();
  const verifier = generateCodeVerifier();
  const now = Date.now();
  await insertOAuthState(database(env), {
    stateHash: await hashState(state),
    userId,
    provider,
    codeVerifier: verifier,
    returnTo: target.path,
    browserHash: await hashBrowserNonce(browserNonce),
    createdAt: new Date(now),
    expiresAt: new Date(now + STATE_TTL_MS),
  });
  metrics(env).inc("taskpilot_oauth_starts_total", { provider });
  await recordIntegrationEvent(env, userId, provider, "oauth_started", await currentStatus(env, userId, provider), {
    scopes: resolved.scopes,
    sandbox: resolved.sandbox,
  });
  return authorizationUrl(resolved, redirectUri(cfg.publicUrl, provider), state, verifier).toString();
}

export interface CallbackInput {
  code?: string | undefined;
  state?: string | undefined;
  error?: string | undefined;
  error_description?: string | undefined;
}

class CallbackFailure extends Error {
  constructor(
    readonly code: string,
    readonly detail: Record<string, unknown>,
  ) {
    super(code);
  }
}

const PROVIDER_CODE = /^[a-z0-9_.-]{1,64}$/i;

export interface CallbackOutcome {
  /** Where to send the browser. */
  location: string;
  /** What to do with the browser's binding cookie (see browserCookieAfterCallback). */
  browserCookie: "clear" | "keep";
}

/**
 * Finishes the round trip and says where to send the browser. The user is
 * known only from the state (the browser arrives by redirect, without our
 * bearer token), so nothing is written before the state checks out and the
 * browser presents the nonce of the browser that started it, and a failure
 * after that records an `error` event and leaves the integration as it was.
 * The state is spent whatever the outcome: a callback is never retried with it.
 */
export async function completeCallback(
  env: Env,
  cfg: Config,
  provider: ProviderId,
  input: CallbackInput,
  browserNonce: string | undefined,
): Promise<CallbackOutcome> {
  const db = database(env);
  const now = Date.now();
  const row = input.state ? await consumeOAuthState(db, await hashState(input.state)) : undefined;
  const check = checkState(row, provider, now);
  if (!row || !check.ok) {
    const code = check.ok ? "invalid_state" : check.code;
    log("warn", "oauth_callback_rejected", { provider, code, userKnown: Boolean(row) });
    metrics(env).inc("taskpilot_oauth_failures_total", { provider, code });
    if (row) await recordIntegrationEvent(env, row.userId, provider, "error", await currentStatus(env, row.userId, provider), { code, stateProvider: row.provider });
    // A state spent on another provider's callback may not be the user's own round trip, so its returnTo is not trusted for it.
    const back = row && code === "state_expired" ? row.returnTo : DEFAULT_RETURN_TO;
    return { location: callbackRedirect(cfg.publicUrl, back, { error: code, provider }), browserCookie: "keep" };
  }

  const userId = row.userId;
  const browser = checkBrowser(row.browserHash, browserNonce === undefined ? undefined : await hashBrowserNonce(browserNonce));
  if (!browser.ok) {
    // No token request is made: the code stays unspent at the provider, and nothing is written for the state's user but the event.
    log("warn", "oauth_callback_rejected", { provider, code: browser.code, userKnown: true, nonceSent: browserNonce !== undefined });
    metrics(env).inc("taskpilot_oauth_failures_total", { provider, code: browser.code });
    await recordIntegrationEvent(env, userId, provider, "error", await currentStatus(env, userId, provider), { code: browser.code });
    return { location: callbackRedirect(cfg.publicUrl, DEFAULT_RETURN_TO, { error: browser.code, provider }), browserCookie: "keep" };
  }
  const browserCookie = browserCookieAfterCallback({ matched: true, otherFlowsPending: await hasPendingOAuthState(db, userId, row.browserHash!, now) });

  try {
    await connect(env, cfg, provider, userId, row.codeVerifier, input, now);
    metrics(env).inc("taskpilot_oauth_successes_total", { provider });
    return { location: callbackRedirect(cfg.publicUrl, row.returnTo, { connected: provider }), browserCookie };
  } catch (e) {
    const failure =
      e instanceof CallbackFailure
        ? e
        : e instanceof AppError
          ? new CallbackFailure(e.code, { message: e.detail })
          : new CallbackFailure("callback_failed", { message: "The connection could not be saved." });
    if (!(e instanceof CallbackFailure) && !(e instanceof AppError)) log("error", "oauth_callback_failed", { provider, userId, error: (e as Error).message });
    metrics(env).inc("taskpilot_oauth_failures_total", { provider, code: failure.code });
    await recordIntegrationEvent(env, userId, provider, "error", await currentStatus(env, userId, provider), { code: failure.code, ...failure.detail });
    return { location: callbackRedirect(cfg.publicUrl, row.returnTo, { error: failure.code, provider }), browserCookie };
  }
}

async function connect(env: Env, cfg: Config, provider: ProviderId, userId: string, verifier: string, input: CallbackInput, now: number): Promise<void> {
  if (input.error !== undefined) {
    const providerCode = PROVIDER_CODE.test(input.error) ? input.error : "provider_error";
    throw new CallbackFailure(providerCode === "access_denied" ? "access_denied" : "provider_error", {
      providerError: providerCode,
      description: (input.error_description ?? "").slice(0, 300),
    });
  }
  if (!input.code) throw new CallbackFailure("missing_code", { message: "The provider sent no authorization code." });

  const resolved = connectableProvider(cfg, provider);
  const keys = requireConfig(cfg, "TOKEN_ENCRYPTION_KEYS", cfg.encryptionKeys);
  const callbackUri = redirectUri(cfg.publicUrl, provider);
  const tokens = await exchangeCode(resolved, callbackUri, input.code, verifier).catch((e: ProviderError) => {
    throw new CallbackFailure(e.transient ? "provider_unavailable" : "token_exchange_failed", {
      providerError: e.code,
      description: e.description,
      ...(e.httpStatus ? { httpStatus: e.httpStatus } : {}),
    });
  });
  const identity = await fetchIdentity(resolved, tokens.accessToken).catch((e: ProviderError) => {
    throw new CallbackFailure("identity_failed", { providerError: e.code, description: e.description });
  });

  const granted = tokens.scopes ?? resolved.scopes;
  const notGranted = missingScopes(resolved.scopes, granted);
  const id = await ensureIntegrationRow(database(env), userId, provider, now);
  const patch: IntegrationPatch = {
    status: "active",
    accountId: identity.id,
    accountLabel: identity.label,
    scopes: JSON.stringify(granted),
    accessTokenEnc: await encryptToken(keys, id, "access_token_enc", tokens.accessToken),
    refreshTokenEnc: tokens.refreshToken ? await encryptToken(keys, id, "refresh_token_enc", tokens.refreshToken) : null,
    expiresAt: tokens.expiresAt,
    connectedAt: new Date(now),
    lastErrorCode: notGranted.length > 0 ? "scopes_missing" : null,
    lastErrorMessage: notGranted.length > 0 ? `${resolved.name} did not grant: ${notGranted.join(", ")}. Some tools may fail; reconnect and allow them.` : null,
    lastErrorAt: notGranted.length > 0 ? new Date(now) : null,
  };
  // Stored by the integration's flight, in order with refreshes and disconnects (flight.ts).
  await callFlight(env, userId, provider, (flight) => flight.storeConnection(userId, provider, id, patch, now));
  await recordIntegrationEvent(env, userId, provider, "connected", "active", {
    account: identity.label,
    scopes: granted,
    ...(notGranted.length > 0 ? { missingScopes: notGranted } : {}),
  });
}
