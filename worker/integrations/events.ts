import type { IntegrationEventType, IntegrationStatus } from "../contract/integrations";
import { database } from "../db/client";
import { insertIntegrationEvent } from "../db/integrations";
import type { Env } from "../env";
import { log } from "../http/log";
import { publish } from "../realtime/publish";
import { audit } from "../audit/audit";
import type { ProviderId } from "./providers";

/**
 * Every integration transition goes through here: one row in the audit trail
 * (the debug view) and one `integration` frame to the user's open tabs.
 * Callers pass only codes, descriptions, scopes and account labels — never
 * a token.
 */
export async function recordIntegrationEvent(
  env: Env,
  userId: string,
  provider: ProviderId,
  type: IntegrationEventType,
  status: IntegrationStatus,
  detail: Record<string, unknown> = {},
): Promise<void> {
  await insertIntegrationEvent(database(env), { userId, provider, type, status, detail });
  await auditIntegration(env, userId, provider, type, detail);
  try {
    await publish(env, userId, { kind: "integration", provider, status, event: type, detail });
  } catch (e) {
    // The audit row is written; a tab that missed the push refetches on focus.
    log("warn", "integration_publish_failed", { userId, provider, type, error: (e as Error).message });
  }
}

/** The transitions that are security events for the account, in the audit log too. */
async function auditIntegration(env: Env, userId: string, provider: ProviderId, type: IntegrationEventType, detail: Record<string, unknown>) {
  const code = [detail.providerError, detail.code].find((v): v is string => typeof v === "string");
  if (type === "connected") {
    await audit(env, { action: "integration.connected", actor: { type: "user", id: userId }, subjectUserId: userId, detail: { provider } });
  } else if (type === "disconnected") {
    await audit(env, { action: "integration.disconnected", actor: { type: "user", id: userId }, subjectUserId: userId, detail: { provider } });
  } else if (type === "expired" && detail.source === "webhook") {
    await audit(env, { action: "integration.revoked_by_provider", actor: { type: "system", id: provider }, subjectUserId: userId, detail: { provider }, ...(code ? { code } : {}) });
  } else if (type === "refresh_failed") {
    await audit(env, { action: "integration.refresh_failed", actor: { type: "system" }, subjectUserId: userId, result: "failure", detail: { provider }, ...(code ? { code } : {}) });
  }
}
