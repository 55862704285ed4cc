import type { EncryptionKey } from "../config";
import { getConfig } from "../config";
import type { IntegrationStatus } from "../contract/integrations";
import { database } from "../db/client";
import { findIntegration, updateIntegrationIfUnchanged, type IntegrationPatch, type IntegrationRow } from "../db/integrations";
import type { Env } from "../env";
import { AppError } from "../errors";
import { log } from "../http/log";
import { metrics } from "../metrics/record";
import { decryptToken, encryptToken, TokenDecryptError } from "./crypto";
import { recordIntegrationEvent } from "./events";
import { callFlight } from "./flight-stub";
import { refreshTokens, revokeToken, toProviderError, type ProviderCall, type ProviderError, type TokenSet } from "./oauth-client";
import { providerSpec, resolveProvider, type ProviderId } from "./providers";
import { parseScopes } from "./view";

/** A token this close to expiry is refreshed before use, so a call does not start with a token that dies in flight. */
export const USE_AHEAD_MS = 60_000;
/** The cron pass refreshes everything that expires within this window (it runs every 5 minutes). */
export const CRON_AHEAD_MS = 10 * 60_000;
export const TRANSIENT_ATTEMPTS = 3;
export const BACKOFF_BASE_MS = 200;

/** What a caller of the single flight needs (`IntegrationFlight.refresh`). */
export interface RefreshRequest {
  /** Refresh even if the token is not close to expiry (`POST …/refresh`): only a refresh that started at or after `requestedAt` answers it. */
  force?: boolean;
  /** When the caller asked (epoch ms); defaults to when the flight received the request. */
  requestedAt?: number;
  /** The access token a provider just answered 401 to: only a different token answers it. */
  rejectedToken?: string;
  /** Refresh when the token expires within this many ms (default USE_AHEAD_MS). */
  aheadMs?: number;
}

/** The merged needs of everyone waiting on one refresh. */
export interface RefreshNeeds {
  force: boolean;
  rejectedTokens: string[];
  aheadMs: number;
}

export type RefreshOutcome =
  | { ok: true; accessToken: string; expiresAt: string | null; refreshed: boolean }
  | { ok: false; code: string; message: string; status: IntegrationStatus; transient: boolean };

/** Time, randomness and provider deadlines, injected so tests control them. */
export interface RefreshDeps {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** In [0, 1), like Math.random. */
  random(): number;
  /** A signal that ends one provider call early; undefined leaves the call's default deadline alone. */
  signal(call: ProviderCall): AbortSignal | undefined;
}

export const systemDeps: RefreshDeps = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
  signal: () => undefined,
};

/** What the flight lends the refresh: its deps and its lock, which every write to the integration row takes. */
export interface FlightContext {
  deps: RefreshDeps;
  exclusive<T>(write: () => Promise<T>): Promise<T>;
}

/** Whether a stored token should be replaced before it is used (pure, for the single flight and the cron pass). */
export function shouldRefresh(expiresAt: Date | null, now: number, aheadMs: number): boolean {
  return expiresAt !== null && expiresAt.getTime() - now <= aheadMs;
}

/**
 * Whether the outcome of a refresh that started at `startedAt` answers a
 * caller who asked at `requestedAt` (pure): a forced refresh needs an
 * upstream refresh that started no earlier than it was asked for (the clock
 * has millisecond resolution, so the same millisecond counts as after:
 * telling them apart would cost a second upstream refresh for nothing); a
 * caller whose token was just rejected needs a different token; a caller
 * that wants a token good for `aheadMs` needs one that lives that long. A
 * failure is an answer for everyone whose refresh it was.
 */
export function answers(request: RefreshRequest, requestedAt: number, startedAt: number, outcome: RefreshOutcome, now: number): boolean {
  if (request.force && startedAt < requestedAt) return false;
  if (!outcome.ok) return true;
  if (request.force && !outcome.refreshed) return false;
  if (request.rejectedToken !== undefined && outcome.accessToken === request.rejectedToken) return false;
  const expiresAt = outcome.expiresAt === null ? null : new Date(outcome.expiresAt);
  return !shouldRefresh(expiresAt, now, request.aheadMs ?? USE_AHEAD_MS);
}

export function mergeNeeds(needs: RefreshNeeds, request: RefreshRequest): void {
  needs.force ||= request.force === true;
  if (request.rejectedToken !== undefined && !needs.rejectedTokens.includes(request.rejectedToken)) needs.rejectedTokens.push(request.rejectedToken);
  needs.aheadMs = Math.max(needs.aheadMs, request.aheadMs ?? USE_AHEAD_MS);
}

function fail(code: string, message: string, status: IntegrationStatus, transient = false): RefreshOutcome {
  return { ok: false, code, message, status, transient };
}

/**
 * Retries transient failures with full jitter (each delay uniform in
 * [0, base × 2^attempt)), so many integrations that failed together do not
 * retry in lockstep; permanent failures and the last attempt's failure are
 * thrown as they are.
 */
export async function retryTransient<T>(run: () => Promise<T>, deps: Pick<RefreshDeps, "sleep" | "random">, attempts = TRANSIENT_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (e) {
      const error = toProviderError(e);
      if (!error.transient || attempt >= attempts) throw error;
      await deps.sleep(deps.random() * BACKOFF_BASE_MS * 2 ** attempt);
    }
  }
}

interface Plain {
  accessToken: string;
  refreshToken: string | undefined;
}

async function openRow(keys: EncryptionKey[], row: IntegrationRow): Promise<Plain | undefined> {
  if (!row.accessTokenEnc) return undefined;
  return {
    accessToken: await decryptToken(keys, row.id, "access_token_enc", row.accessTokenEnc),
    refreshToken: row.refreshTokenEnc ? await decryptToken(keys, row.id, "refresh_token_enc", row.refreshTokenEnc) : undefined,
  };
}

/**
 * Writes `patch` with a compare-and-swap on the envelopes `row` was read
 * with, under the flight's lock. When the envelopes changed only because a
 * key rotation re-sealed the same tokens, it tries again on the re-sealed
 * row; any other change (a disconnect, a reconnect) wins, and the caller
 * gets the row as it is now instead.
 */
async function writeIfUnchanged(
  env: Env,
  flight: FlightContext,
  keys: EncryptionKey[],
  row: IntegrationRow,
  plain: Plain | undefined,
  patch: (current: IntegrationRow) => Promise<IntegrationPatch> | IntegrationPatch,
): Promise<{ written: IntegrationRow } | { lost: IntegrationRow | undefined }> {
  const db = database(env);
  return flight.exclusive(async () => {
    let expected = row;
    for (let tries = 0; tries < 3; tries += 1) {
      const written = await updateIntegrationIfUnchanged(db, expected, await patch(expected));
      if (written) return { written };
      const current = await findIntegration(db, row.userId, row.provider);
      if (!current || current.id !== row.id || current.status === "disconnected" || !plain) return { lost: current };
      const reopened = await openRow(keys, current).catch(() => undefined);
      if (reopened?.accessToken !== plain.accessToken || reopened.refreshToken !== plain.refreshToken) return { lost: current };
      expected = current;
    }
    return { lost: await findIntegration(db, row.userId, row.provider) };
  });
}

/** The answer for callers when another writer changed the row while this refresh ran: the row as it is now. */
async function currentOutcome(env: Env, keys: EncryptionKey[], provider: ProviderId, row: IntegrationRow | undefined): Promise<RefreshOutcome> {
  const name = providerSpec(provider).name;
  if (!row || row.status === "disconnected" || !row.accessTokenEnc) return fail("not_connected", `${name} is not connected.`, "disconnected");
  if (row.status === "expired") return fail("integration_expired", `${name} access has expired; reconnect it.`, "expired");
  try {
    const accessToken = await decryptToken(keys, row.id, "access_token_enc", row.accessTokenEnc);
    return { ok: true, accessToken, expiresAt: row.expiresAt?.toISOString() ?? null, refreshed: false };
  } catch {
    return fail("token_unreadable", "The stored token cannot be decrypted with the configured keys; reconnect the integration.", "error");
  }
}

/**
 * Does one refresh for one integration. Runs only inside the integration's
 * `IntegrationFlight`, which decides who shares it (see flight.ts); this
 * function re-reads the row, so callers whose need the stored token already
 * meets get it without an upstream request.
 */
export async function refreshIntegrationToken(env: Env, userId: string, provider: ProviderId, needs: RefreshNeeds, flight: FlightContext): Promise<RefreshOutcome> {
  const cfg = getConfig(env);
  const keys = cfg.encryptionKeys;
  if (!keys) return fail("config_missing", "TOKEN_ENCRYPTION_KEYS is not set.", "error");
  const name = providerSpec(provider).name;
  const row = await findIntegration(database(env), userId, provider);
  if (!row || row.status === "disconnected" || !row.accessTokenEnc) return fail("not_connected", `${name} is not connected.`, "disconnected");
  if (row.status === "expired") return fail("integration_expired", `${name} access has expired; reconnect it.`, "expired");
  // Already recorded once; every later call would otherwise add the same error event again.
  if (row.status === "error" && row.lastErrorCode === "token_unreadable") return fail("token_unreadable", row.lastErrorMessage ?? "The stored token cannot be decrypted.", "error");

  let current: string;
  try {
    current = await decryptToken(keys, row.id, "access_token_enc", row.accessTokenEnc);
  } catch (e) {
    return markUnreadable(env, flight, keys, row, provider, e);
  }
  const rejected = needs.rejectedTokens.includes(current);
  if (!needs.force && !rejected && !shouldRefresh(row.expiresAt, flight.deps.now(), needs.aheadMs)) {
    return { ok: true, accessToken: current, expiresAt: row.expiresAt?.toISOString() ?? null, refreshed: false };
  }

  if (!row.refreshTokenEnc) {
    if (row.expiresAt === null && !rejected) {
      return fail("refresh_unsupported", `${name} issued a token that does not expire and cannot be refreshed.`, row.status as IntegrationStatus);
    }
    return markExpired(env, flight, keys, row, { accessToken: current, refreshToken: undefined }, provider, {
      code: "no_refresh_token",
      description: "The provider gave no refresh token; reconnect to continue.",
    });
  }
  let refreshToken: string;
  try {
    refreshToken = await decryptToken(keys, row.id, "refresh_token_enc", row.refreshTokenEnc);
  } catch (e) {
    return markUnreadable(env, flight, keys, row, provider, e);
  }
  const plain = { accessToken: current, refreshToken };

  const resolved = resolveProvider(cfg, provider);
  let tokens: TokenSet;
  metrics(env).inc("taskpilot_token_refreshes_total", { provider });
  try {
    tokens = await retryTransient(() => refreshTokens(resolved, refreshToken, parseScopes(row.scopes), { signal: flight.deps.signal("token") }), flight.deps);
  } catch (e) {
    const error = e as ProviderError;
    metrics(env).inc("taskpilot_token_refresh_failures_total", { provider, code: error.code });
    if (error.code === "invalid_grant") return markExpired(env, flight, keys, row, plain, provider, error);
    return recordFailure(env, flight, keys, row, plain, provider, error);
  }

  const result = await writeIfUnchanged(env, flight, keys, row, plain, async (expected) => ({
    status: "active",
    accessTokenEnc: await encryptToken(keys, expected.id, "access_token_enc", tokens.accessToken),
    // Most providers do not rotate refresh tokens: no new one means the old one stays valid.
    ...(tokens.refreshToken ? { refreshTokenEnc: await encryptToken(keys, expected.id, "refresh_token_enc", tokens.refreshToken) } : {}),
    ...(tokens.scopes ? { scopes: JSON.stringify(tokens.scopes) } : {}),
    expiresAt: tokens.expiresAt,
    lastErrorCode: null,
    lastErrorMessage: null,
    lastErrorAt: null,
  }));
  if ("lost" in result) return abandon(env, flight, keys, provider, result.lost, tokens);

  await recordIntegrationEvent(env, userId, provider, "refreshed", "active", {
    expiresAt: tokens.expiresAt?.toISOString() ?? null,
    rotatedRefreshToken: Boolean(tokens.refreshToken),
  });
  return { ok: true, accessToken: tokens.accessToken, expiresAt: tokens.expiresAt?.toISOString() ?? null, refreshed: true };
}

/**
 * The integration was disconnected (or reconnected) while this refresh was
 * upstream: its tokens are not stored. After a disconnect they are also
 * revoked, so no grant the user asked to end stays live at the provider
 * (a provider that rotates refresh tokens just issued a new one). After a
 * reconnect they are only dropped: revoking could end the new grant too.
 */
async function abandon(env: Env, flight: FlightContext, keys: EncryptionKey[], provider: ProviderId, now: IntegrationRow | undefined, tokens: TokenSet): Promise<RefreshOutcome> {
  const disconnected = !now || now.status === "disconnected" || !now.accessTokenEnc;
  log("info", "integration_refresh_abandoned", { provider, disconnected });
  if (disconnected) {
    const resolved = resolveProvider(getConfig(env), provider);
    await revokeToken(resolved, tokens.refreshToken ?? tokens.accessToken, { signal: flight.deps.signal("revoke") }).catch((e: unknown) => {
      log("warn", "integration_abandoned_revoke_failed", { provider, error: toProviderError(e).code });
    });
  }
  return currentOutcome(env, keys, provider, now);
}

/** `invalid_grant`: the grant is gone (revoked, expired, reused); retrying cannot help, only a reconnect can. */
async function markExpired(
  env: Env,
  flight: FlightContext,
  keys: EncryptionKey[],
  row: IntegrationRow,
  plain: Plain,
  provider: ProviderId,
  error: { code: string; description: string },
): Promise<RefreshOutcome> {
  const result = await writeIfUnchanged(env, flight, keys, row, plain, () => ({
    status: "expired",
    lastErrorCode: error.code,
    lastErrorMessage: error.description,
    lastErrorAt: new Date(flight.deps.now()),
  }));
  if ("lost" in result) return currentOutcome(env, keys, provider, result.lost);
  const detail = { providerError: error.code, description: error.description };
  await recordIntegrationEvent(env, row.userId, provider, "refresh_failed", "expired", detail);
  await recordIntegrationEvent(env, row.userId, provider, "expired", "expired", detail);
  return fail("integration_expired", `${providerSpec(provider).name} access has expired (${error.code}); reconnect it.`, "expired");
}

/** 5xx, network, timeouts and other provider failures: the status is kept (the grant may be fine), the error is shown. */
async function recordFailure(
  env: Env,
  flight: FlightContext,
  keys: EncryptionKey[],
  row: IntegrationRow,
  plain: Plain,
  provider: ProviderId,
  error: ProviderError,
): Promise<RefreshOutcome> {
  const status: IntegrationStatus = error.transient ? (row.status as IntegrationStatus) : "error";
  const result = await writeIfUnchanged(env, flight, keys, row, plain, () => ({
    status,
    lastErrorCode: error.code,
    lastErrorMessage: error.description,
    lastErrorAt: new Date(flight.deps.now()),
  }));
  if ("lost" in result) return currentOutcome(env, keys, provider, result.lost);
  await recordIntegrationEvent(env, row.userId, provider, "refresh_failed", status, {
    providerError: error.code,
    description: error.description,
    transient: error.transient,
    ...(error.httpStatus ? { httpStatus: error.httpStatus } : {}),
  });
  return fail(error.transient ? "provider_unavailable" : "refresh_failed", `${providerSpec(provider).name} token refresh failed: ${error.description}`, status, error.transient);
}

/** A sealed token that no configured key opens (a key was dropped too early, or the row was tampered with). */
async function markUnreadable(env: Env, flight: FlightContext, keys: EncryptionKey[], row: IntegrationRow, provider: ProviderId, e: unknown): Promise<RefreshOutcome> {
  const reason = e instanceof TokenDecryptError ? e.reason : "unknown";
  const message = "The stored token cannot be decrypted with the configured keys; reconnect the integration.";
  const result = await writeIfUnchanged(env, flight, keys, row, undefined, () => ({
    status: "error",
    lastErrorCode: "token_unreadable",
    lastErrorMessage: message,
    lastErrorAt: new Date(flight.deps.now()),
  }));
  if ("lost" in result) return currentOutcome(env, keys, provider, result.lost);
  log("error", "integration_token_unreadable", { userId: row.userId, provider, reason });
  await recordIntegrationEvent(env, row.userId, provider, "error", "error", { code: "token_unreadable", reason });
  return fail("token_unreadable", message, "error");
}

/** Asks the integration's flight to refresh; every caller whose need one refresh meets shares it. */
export function refreshThroughFlight(env: Env, userId: string, provider: ProviderId, request: RefreshRequest = {}): Promise<RefreshOutcome> {
  return callFlight(env, userId, provider, (flight) => flight.refresh(userId, provider, request) as Promise<RefreshOutcome>);
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
 * `token_unreadable`, 502 `provider_unavailable` / `refresh_failed`, or 503
 * `integration_unavailable` when the flight cannot be reached.
 */
export async function getAccessToken(env: Env, userId: string, provider: ProviderId): Promise<string> {
  const cfg = getConfig(env);
  const row = await findIntegration(database(env), userId, provider);
  if (row?.status === "active" && row.accessTokenEnc && cfg.encryptionKeys && !shouldRefresh(row.expiresAt, Date.now(), USE_AHEAD_MS)) {
    try {
      return await decryptToken(cfg.encryptionKeys, row.id, "access_token_enc", row.accessTokenEnc);
    } catch {
      // Falls through to the flight, which marks the row and answers token_unreadable.
    }
  }
  const outcome = await refreshThroughFlight(env, userId, provider);
  if (!outcome.ok) throw outcomeError(outcome);
  return outcome.accessToken;
}

/** After a provider answered 401 to `rejectedToken`: one refresh however many calls saw the 401, and never that token back. */
export async function getAccessTokenAfterUnauthorized(env: Env, userId: string, provider: ProviderId, rejectedToken: string): Promise<string> {
  const outcome = await refreshThroughFlight(env, userId, provider, { rejectedToken });
  if (!outcome.ok) throw outcomeError(outcome);
  return outcome.accessToken;
}

/**
 * `POST …/refresh`: a forced refresh, answered by any refresh that started
 * at or after `requestedAt` (when the request arrived), so a burst of them
 * costs one upstream request. Failures are problems with the provider's code kept.
 */
export async function forceRefresh(env: Env, userId: string, provider: ProviderId, requestedAt = Date.now()): Promise<void> {
  const outcome = await refreshThroughFlight(env, userId, provider, { force: true, requestedAt });
  if (!outcome.ok) throw outcomeError(outcome);
}
