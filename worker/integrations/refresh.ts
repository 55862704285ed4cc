import { getConfig } from "../config";
import type { IntegrationStatus } from "../contract/integrations";
import { database } from "../db/client";
import { findIntegration, updateIntegration, type IntegrationRow } from "../db/integrations";
import type { Env } from "../env";
import { AppError } from "../errors";
import { log } from "../http/log";
import { userHub } from "../realtime/publish";
import { decryptToken, encryptToken, TokenDecryptError } from "./crypto";
import { recordIntegrationEvent } from "./events";
import { refreshTokens, toProviderError, type ProviderError, type TokenSet } from "./oauth-client";
import { providerSpec, redirectUri, resolveProvider, type ProviderId } from "./providers";
import { parseScopes } from "./view";

/** A token this close to expiry is refreshed before use, so a call does not start with a token that dies in flight. */
export const USE_AHEAD_MS = 60_000;
/** The cron pass refreshes everything that expires within this window (it runs every 5 minutes). */
export const CRON_AHEAD_MS = 10 * 60_000;
const TRANSIENT_ATTEMPTS = 3;
const BACKOFF_BASE_MS = 200;

export interface RefreshOptions {
  /** Refresh even if the token is not close to expiry (`POST …/refresh`). */
  force?: boolean;
  /** The access token a provider just answered 401 to: refresh only if it is still the stored one. */
  rejectedToken?: string;
  /** Refresh when the token expires within this many ms (default USE_AHEAD_MS). */
  aheadMs?: number;
}

export type RefreshOutcome =
  | { ok: true; accessToken: string; expiresAt: string | null; refreshed: boolean }
  | { ok: false; code: string; message: string; status: IntegrationStatus; transient: boolean };

/** Whether a stored token should be replaced before it is used (pure, for the single flight and the cron pass). */
export function shouldRefresh(expiresAt: Date | null, now: number, aheadMs: number): boolean {
  return expiresAt !== null && expiresAt.getTime() - now <= aheadMs;
}

function fail(code: string, message: string, status: IntegrationStatus, transient = false): RefreshOutcome {
  return { ok: false, code, message, status, transient };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function refreshWithBackoff(run: () => Promise<TokenSet>): Promise<TokenSet> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (e) {
      const error = toProviderError(e);
      if (!error.transient || attempt >= TRANSIENT_ATTEMPTS) throw error;
      // Full jitter keeps many integrations that failed together from retrying in lockstep.
      await sleep(Math.random() * BACKOFF_BASE_MS * 2 ** attempt);
    }
  }
}

/**
 * Does one refresh for one integration. Runs inside the user's UserHub
 * (`UserHub.refreshIntegration`), which lets only one run per provider at a
 * time and hands its result to everyone who asked meanwhile; a caller that
 * arrives just after still re-reads the row here and gets the fresh token
 * without a second upstream request.
 */
export async function refreshIntegrationToken(env: Env, userId: string, provider: ProviderId, options: RefreshOptions = {}): Promise<RefreshOutcome> {
  const cfg = getConfig(env);
  const keys = cfg.encryptionKeys;
  if (!keys) return fail("config_missing", "TOKEN_ENCRYPTION_KEYS is not set.", "error");
  const db = database(env);
  const row = await findIntegration(db, userId, provider);
  if (!row || row.status === "disconnected" || !row.accessTokenEnc) return fail("not_connected", `${providerSpec(provider).name} is not connected.`, "disconnected");
  if (row.status === "expired") return fail("integration_expired", `${providerSpec(provider).name} access has expired; reconnect it.`, "expired");
  // Already recorded once; every later call would otherwise add the same error event again.
  if (row.status === "error" && row.lastErrorCode === "token_unreadable") return fail("token_unreadable", row.lastErrorMessage ?? "The stored token cannot be decrypted.", "error");

  let current: string;
  try {
    current = await decryptToken(keys, row.id, row.accessTokenEnc);
  } catch (e) {
    return markUnreadable(env, row, provider, e);
  }
  const now = Date.now();
  const stillFresh = options.rejectedToken !== undefined ? options.rejectedToken !== current : !options.force && !shouldRefresh(row.expiresAt, now, options.aheadMs ?? USE_AHEAD_MS);
  if (stillFresh) return { ok: true, accessToken: current, expiresAt: row.expiresAt?.toISOString() ?? null, refreshed: false };

  if (!row.refreshTokenEnc) {
    if (row.expiresAt === null && options.rejectedToken === undefined) {
      return fail("refresh_unsupported", `${providerSpec(provider).name} issued a token that does not expire and cannot be refreshed.`, row.status as IntegrationStatus);
    }
    return markExpired(env, row, provider, { code: "no_refresh_token", description: "The provider gave no refresh token; reconnect to continue." });
  }
  let refreshToken: string;
  try {
    refreshToken = await decryptToken(keys, row.id, row.refreshTokenEnc);
  } catch (e) {
    return markUnreadable(env, row, provider, e);
  }

  const resolved = resolveProvider(cfg, provider);
  let tokens: TokenSet;
  try {
    tokens = await refreshWithBackoff(() => refreshTokens(resolved, redirectUri(cfg.publicUrl, provider), refreshToken, parseScopes(row.scopes)));
  } catch (e) {
    const error = e as ProviderError;
    if (error.code === "invalid_grant") return markExpired(env, row, provider, error);
    return recordFailure(env, row, provider, error);
  }

  await updateIntegration(db, row.id, {
    status: "active",
    accessTokenEnc: await encryptToken(keys, row.id, tokens.accessToken),
    // Most providers do not rotate refresh tokens: no new one means the old one stays valid.
    ...(tokens.refreshToken ? { refreshTokenEnc: await encryptToken(keys, row.id, tokens.refreshToken) } : {}),
    ...(tokens.scopes ? { scopes: JSON.stringify(tokens.scopes) } : {}),
    expiresAt: tokens.expiresAt,
    lastErrorCode: null,
    lastErrorMessage: null,
    lastErrorAt: null,
  });
  await recordIntegrationEvent(env, userId, provider, "refreshed", "active", {
    expiresAt: tokens.expiresAt?.toISOString() ?? null,
    rotatedRefreshToken: Boolean(tokens.refreshToken),
  });
  return { ok: true, accessToken: tokens.accessToken, expiresAt: tokens.expiresAt?.toISOString() ?? null, refreshed: true };
}

/** `invalid_grant`: the grant is gone (revoked, expired, reused); retrying cannot help, only a reconnect can. */
async function markExpired(env: Env, row: IntegrationRow, provider: ProviderId, error: { code: string; description: string }): Promise<RefreshOutcome> {
  const now = new Date();
  await updateIntegration(database(env), row.id, {
    status: "expired",
    lastErrorCode: error.code,
    lastErrorMessage: error.description,
    lastErrorAt: now,
  });
  const detail = { providerError: error.code, description: error.description };
  await recordIntegrationEvent(env, row.userId, provider, "refresh_failed", "expired", detail);
  await recordIntegrationEvent(env, row.userId, provider, "expired", "expired", detail);
  return fail("integration_expired", `${providerSpec(provider).name} access has expired (${error.code}); reconnect it.`, "expired");
}

/** 5xx, network and other provider failures: the status is kept (the grant may be fine), the error is shown. */
async function recordFailure(env: Env, row: IntegrationRow, provider: ProviderId, error: ProviderError): Promise<RefreshOutcome> {
  const status: IntegrationStatus = error.transient ? (row.status as IntegrationStatus) : "error";
  await updateIntegration(database(env), row.id, {
    status,
    lastErrorCode: error.code,
    lastErrorMessage: error.description,
    lastErrorAt: new Date(),
  });
  await recordIntegrationEvent(env, row.userId, provider, "refresh_failed", status, {
    providerError: error.code,
    description: error.description,
    transient: error.transient,
    ...(error.httpStatus ? { httpStatus: error.httpStatus } : {}),
  });
  return fail(error.transient ? "provider_unavailable" : "refresh_failed", `${providerSpec(provider).name} token refresh failed: ${error.description}`, status, error.transient);
}

/** A sealed token that no configured key opens (a key was dropped too early, or the row was tampered with). */
async function markUnreadable(env: Env, row: IntegrationRow, provider: ProviderId, e: unknown): Promise<RefreshOutcome> {
  const reason = e instanceof TokenDecryptError ? e.reason : "unknown";
  log("error", "integration_token_unreadable", { userId: row.userId, provider, reason });
  const message = "The stored token cannot be decrypted with the configured keys; reconnect the integration.";
  await updateIntegration(database(env), row.id, { status: "error", lastErrorCode: "token_unreadable", lastErrorMessage: message, lastErrorAt: new Date() });
  await recordIntegrationEvent(env, row.userId, provider, "error", "error", { code: "token_unreadable", reason });
  return fail("token_unreadable", message, "error");
}

/** Asks the user's hub to refresh (single flight); every concurrent caller gets the same outcome. */
export function refreshThroughHub(env: Env, userId: string, provider: ProviderId, options: RefreshOptions = {}): Promise<RefreshOutcome> {
  return userHub(env, userId).refreshIntegration(userId, provider, options) as Promise<RefreshOutcome>;
}

function outcomeError(outcome: Extract<RefreshOutcome, { ok: false }>): AppError {
  if (outcome.code === "config_missing") return new AppError(503, "config_missing", `Server configuration: ${outcome.message}`, { variable: "TOKEN_ENCRYPTION_KEYS" });
  const status = outcome.transient ? 502 : outcome.code === "refresh_failed" ? 502 : 409;
  return new AppError(status, outcome.code, outcome.message, { integrationStatus: outcome.status });
}

/**
 * A usable access token for a provider call (tools, agent, specs): the
 * stored one while it is fresh, else one refreshed through the single
 * flight. Throws 409 `not_connected` / `integration_expired` /
 * `token_unreadable` or 502 `provider_unavailable` / `refresh_failed`.
 */
export async function getAccessToken(env: Env, userId: string, provider: ProviderId): Promise<string> {
  const cfg = getConfig(env);
  const row = await findIntegration(database(env), userId, provider);
  if (row?.status === "active" && row.accessTokenEnc && cfg.encryptionKeys && !shouldRefresh(row.expiresAt, Date.now(), USE_AHEAD_MS)) {
    try {
      return await decryptToken(cfg.encryptionKeys, row.id, row.accessTokenEnc);
    } catch {
      // Falls through to the hub, which marks the row and answers token_unreadable.
    }
  }
  const outcome = await refreshThroughHub(env, userId, provider);
  if (!outcome.ok) throw outcomeError(outcome);
  return outcome.accessToken;
}

/** After a provider answered 401 to `rejectedToken`: one refresh however many calls saw the 401. */
export async function getAccessTokenAfterUnauthorized(env: Env, userId: string, provider: ProviderId, rejectedToken: string): Promise<string> {
  const outcome = await refreshThroughHub(env, userId, provider, { rejectedToken });
  if (!outcome.ok) throw outcomeError(outcome);
  return outcome.accessToken;
}

/** `POST …/refresh`: a forced refresh; failures are problems with the provider's code kept. */
export async function forceRefresh(env: Env, userId: string, provider: ProviderId): Promise<void> {
  const outcome = await refreshThroughHub(env, userId, provider, { force: true });
  if (!outcome.ok) throw outcomeError(outcome);
}
