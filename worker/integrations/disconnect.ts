import type { Config } from "../config";
import type { Integration } from "../contract/integrations";
import { database } from "../db/client";
import { findIntegration, listIntegrationRows, updateIntegration } from "../db/integrations";
import type { Env } from "../env";
import { AppError } from "../errors";
import { decryptToken } from "./crypto";
import { recordIntegrationEvent } from "./events";
import { revokeToken, toProviderError } from "./oauth-client";
import { isProviderId, providerSpec, redirectUri, resolveProvider, type ProviderId } from "./providers";
import { toIntegration } from "./view";

/**
 * Revokes the grant at the provider when it can (a failed revoke is
 * recorded, never a reason to keep the tokens), then forgets the tokens.
 */
export async function disconnectIntegration(env: Env, cfg: Config, userId: string, provider: ProviderId): Promise<Integration> {
  const db = database(env);
  const row = await findIntegration(db, userId, provider);
  if (!row || row.status === "disconnected") {
    throw new AppError(409, "not_connected", `${providerSpec(provider).name} is not connected, so there is nothing to disconnect.`);
  }

  const revoke = await revokeAtProvider(cfg, row.id, provider, row.refreshTokenEnc ?? row.accessTokenEnc);
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
  return toIntegration(provider, updated);
}

/** Revoking the refresh token ends the whole grant at Google; other providers take the token they issued. */
async function revokeAtProvider(cfg: Config, integrationId: string, provider: ProviderId, sealed: string | null): Promise<Record<string, unknown>> {
  if (!sealed) return { revoked: false, revokeError: "no_token" };
  const resolved = resolveProvider(cfg, provider);
  if (resolved.missing.length > 0) return { revoked: false, revokeError: "config_missing", missing: resolved.missing };
  if (!cfg.encryptionKeys) return { revoked: false, revokeError: "config_missing", missing: ["TOKEN_ENCRYPTION_KEYS"] };
  let token: string;
  try {
    token = await decryptToken(cfg.encryptionKeys, integrationId, sealed);
  } catch {
    return { revoked: false, revokeError: "token_unreadable" };
  }
  try {
    await revokeToken(resolved, redirectUri(cfg.publicUrl, provider), token);
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
