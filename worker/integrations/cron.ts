import { database } from "../db/client";
import { listIntegrationsExpiringBefore } from "../db/integrations";
import type { Env } from "../env";
import { log } from "../http/log";
import { registerCronTask } from "../ops/cron";
import { CRON_AHEAD_MS, refreshThroughFlight } from "./refresh";
import { isProviderId, type ProviderId } from "./providers";

/** Integrations refreshed per cron pass (the query's order decides which, see listIntegrationsExpiringBefore). */
export const CRON_REFRESH_BATCH = 200;

/** Refreshes, ahead of time, every token that would expire before the next pass, each through its integration's single flight. */
export async function refreshDueIntegrations(env: Env, now: Date, limit = CRON_REFRESH_BATCH): Promise<{ due: number; failed: number }> {
  const due = await listIntegrationsExpiringBefore(database(env), now.getTime() + CRON_AHEAD_MS, limit);
  const results = await Promise.allSettled(
    due
      .filter((row) => isProviderId(row.provider))
      .map((row) => refreshThroughFlight(env, row.userId, row.provider as ProviderId, { aheadMs: CRON_AHEAD_MS })),
  );
  const failed = results.filter((r) => r.status === "rejected" || !r.value.ok).length;
  if (failed > 0) log("warn", "integrations_refresh_incomplete", { due: due.length, failed });
  return { due: due.length, failed };
}

registerCronTask("integrations_refresh", async (env, now) => {
  await refreshDueIntegrations(env, now);
});
