import type { Integration, IntegrationEvent, IntegrationStatus } from "../contract/integrations";
import type { IntegrationEventRow, IntegrationRow } from "../db/integrations";
import { providerSpec, type ProviderId } from "./providers";

/** The public shape of one integration (`Integration` in worker/contract/integrations.ts); tokens never leave the row. */
export function toIntegration(provider: ProviderId, row: IntegrationRow | undefined): Integration {
  const spec = providerSpec(provider);
  const base: Integration = {
    provider,
    name: spec.name,
    status: "disconnected",
    account: null,
    scopes: [],
    connectedAt: null,
    expiresAt: null,
    lastError: null,
    tools: spec.tools,
  };
  if (!row) return base;
  return {
    ...base,
    status: row.status as IntegrationStatus,
    account: row.accountId ? { id: row.accountId, label: row.accountLabel ?? row.accountId } : null,
    scopes: parseScopes(row.scopes),
    connectedAt: row.connectedAt?.toISOString() ?? null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastError:
      row.lastErrorCode && row.lastErrorAt
        ? { code: row.lastErrorCode, message: row.lastErrorMessage ?? row.lastErrorCode, at: row.lastErrorAt.toISOString() }
        : null,
  };
}

export function parseScopes(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === "string") : [];
  } catch {
    return [];
  }
}

export function toIntegrationEvent(row: IntegrationEventRow): IntegrationEvent {
  let detail: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.detail);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) detail = parsed as Record<string, unknown>;
  } catch {
    detail = {};
  }
  return {
    id: row.id,
    provider: row.provider as IntegrationEvent["provider"],
    type: row.type as IntegrationEvent["type"],
    status: row.status as IntegrationStatus,
    detail,
    createdAt: row.createdAt.toISOString(),
  };
}
