import { database } from "../db/client";
import { listIntegrationsExpiringBefore, purgeExpiredOAuthStates } from "../db/integrations";
import { log } from "../http/log";
import { registerCronTask } from "../ops/cron";
import { CRON_AHEAD_MS, refreshThroughHub } from "./refresh";
import { isProviderId, type ProviderId } from "./providers";

/** Refreshes, ahead of time, every token that would expire before the next pass, through each user's single flight. */
registerCronTask("integrations_refresh", async (env, now) => {
  const due = await listIntegrationsExpiringBefore(database(env), now.getTime() + CRON_AHEAD_MS);
  const results = await Promise.allSettled(
    due
      .filter((row) => isProviderId(row.provider))
      .map((row) => refreshThroughHub(env, row.userId, row.provider as ProviderId, { aheadMs: CRON_AHEAD_MS })),
  );
  const failed = results.filter((r) => r.status === "rejected" || !r.value.ok).length;
  if (failed > 0) log("warn", "integrations_refresh_incomplete", { due: due.length, failed });
});

registerCronTask("oauth_states_purge", async (env, now) => {
  await purgeExpiredOAuthStates(database(env), now.getTime());
});
