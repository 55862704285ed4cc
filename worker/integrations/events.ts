import type { IntegrationEventType, IntegrationStatus } from "../contract/integrations";
import { database } from "../db/client";
import { insertIntegrationEvent } from "../db/integrations";
import type { Env } from "../env";
import { log } from "../http/log";
import { publish } from "../realtime/publish";
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
  try {
    await publish(env, userId, { kind: "integration", provider, status, event: type, detail });
  } catch (e) {
    // The audit row is written; a tab that missed the push refetches on focus.
    log("warn", "integration_publish_failed", { userId, provider, type, error: (e as Error).message });
  }
}
