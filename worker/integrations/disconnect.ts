import { getConfig, type Config } from "../config";
import type { Integration } from "../contract/integrations";
import { database } from "../db/client";
import { findIntegration, listIntegrationRows, updateIntegration } from "../db/integrations";
import type { Env } from "../env";
import { AppError } from "../errors";
import { decryptToken, type TokenColumn } from "./crypto";
import { recordIntegrationEvent } from "./events";
import { callFlight } from "./flight-stub";
import { revokeToken, toProviderError } from "./oauth-client";
import { isProviderId, providerSpec, resolveProvider, type ProviderId } from "./providers";
import type { RefreshDeps } from "./refresh";
import { toIntegration } from "./view";

export type DisconnectResult = { ok: true; integration: Integration } | { ok: false; code: "not_connected"; message: string };

/**
 * `POST …/disconnect`: runs in the integration's flight, after any write
 * already under way and before any later one, so a refresh still upstream
 * when it completes cannot write its tokens back (flight.ts).
 */
export async function disconnectIntegration(env: Env, _cfg: Config, userId: string, provider: ProviderId): Promise<Integration> {
  const result = await callFlight(env, userId, provider, (flight) => flight.disconnect(userId, provider) as Promise<DisconnectResult>);
  if (!result.ok) throw new AppError(409, result.code, result.message);
  return result.integration;
}

/**
 * Revokes the grant at the provider when it can (a failed revoke is
 * recorded, never a reason to keep the tokens), then forgets the tokens.
 * Called by the flight under its lock.
 */
export async function disconnectNow(env: Env, userId: string, provider: ProviderId, deps: Pick<RefreshDeps, "signal">): Promise<DisconnectResult> {
  const db = database(env);
  const row = await findIntegration(db, userId, provider);
  if (!row || row.status === "disconnected") {
    return { ok: false, code: "not_connected", message: `${providerSpec(provider).name} is not connected, so there is nothing to disconnect.` };
  }

  const revoke = await revokeAtProvider(getConfig(env), row.id, provider, row.refreshTokenEnc ? ["refresh_token_enc", row.refreshTokenEnc] : ["access_token_enc", row.accessTokenEnc], deps);
  const updated = await updateIntegration(db, row.id, {
    status: "disconnected",
    accessTokenEnc: null,
    refreshTokenEnc: null,
    expiresAt: null,
    connectedAt: null,
    lastErrorCode: null,
    lastErrorMessage: null,
    lastErrorAt: null,
  });
  await recordIntegrationEvent(env, userId, provider, "disconnected", "disconnected", revoke);
  return { ok: true, integration: toIntegration(provider, updated) };
}

/** Revoking the refresh token ends the whole grant at Google; other providers take the token they issued. */
async function revokeAtProvider(
  cfg: Config,
  integrationId: string,
  provider: ProviderId,
  [column, sealed]: [TokenColumn, string | null],
  deps: Pick<RefreshDeps, "signal">,
): Promise<Record<string, unknown>> {
  if (!sealed) return { revoked: false, revokeError: "no_token" };
  const resolved = resolveProvider(cfg, provider);
  if (resolved.missing.length > 0) return { revoked: false, revokeError: "config_missing", missing: resolved.missing };
  if (!cfg.encryptionKeys) return { revoked: false, revokeError: "config_missing", missing: ["TOKEN_ENCRYPTION_KEYS"] };
  let token: string;
  try {
    token = await decryptToken(cfg.encryptionKeys, integrationId, column, sealed);
  } catch {
    return { revoked: false, revokeError: "token_unreadable" };
  }
  try {
    await revokeToken(resolved, token, { signal: deps.signal("revoke") });
    return { revoked: true };
  } catch (e) {
    const error = toProviderError(e);
    return { revoked: false, revokeError: error.code, description: error.description };
  }
}

/** Account deletion: revokes and forgets every connected integration of the user; one failure does not stop the others. */
export async function disconnectAllIntegrations(env: Env, cfg: Config, userId: string): Promise<void> {
  const rows = await listIntegrationRows(database(env), userId);
  await Promise.allSettled(
    rows.filter((r) => r.status !== "disconnected" && isProviderId(r.provider)).map((r) => disconnectIntegration(env, cfg, userId, r.provider as ProviderId)),
  );
}
