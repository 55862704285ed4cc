import { REFRESH_FAMILY_TTL_MS } from "../auth/refresh-token";
import type { Database } from "../db/client";
import {
  purgeEndedLogins,
  purgeExpiredOAuthStateRows,
  purgeOldEvents,
  purgeOldIntegrationEvents,
  purgeOldDeadLetters,
  purgeOldWebhookDeliveries,
  purgeRateLimitWindows,
  purgeSpentRefreshTokens,
  purgeSpentTickets,
} from "../db/retention";
import { log } from "../http/log";
import { purgeAuditBefore } from "../db/audit";
import { KEEP_AT_LEAST } from "../realtime/event-log";

/** How long each kind of row is kept; the table in worker/ops/README.md says why. */
const DAY = 24 * 60 * 60 * 1000;
export const RETENTION = {
  /** D1 event history (`GET /api/events`, export). Each user's newest KEEP_AT_LEAST ids stay whatever their age. */
  eventsMs: 30 * DAY,
  eventsKeepNewest: KEEP_AT_LEAST,
  integrationEventsMs: 90 * DAY,
  /**
   * A refresh token spent longer ago than a login can live belongs to a
   * login that has expired, so dropping it cannot weaken reuse detection
   * (RFC 9700 §4.14.2): a spent token of a live login must stay, or
   * presenting it again would no longer end that login.
   */
  spentRefreshTokensMs: REFRESH_FAMILY_TTL_MS,
  /** Revoked or expired logins (and the last token of each) stay listed in the export this long after they ended. */
  endedLoginsMs: 30 * DAY,
  /** Webhook deliveries, processed or failed: long enough to investigate and replay, not an archive of payloads. */
  webhookDeliveriesMs: 30 * DAY,
  /** Dead letters, requeued or not, after they were last seen: long enough to fix the cause and requeue (queues keep messages for at most 14 days). */
  deadLettersMs: 30 * DAY,
  /** Longer than any rate-limit window. */
  rateLimitWindowsMs: DAY,
} as const;

/** Rows per DELETE, and DELETEs per purge per cron pass: at most 10,000 rows of each kind every 5 minutes. */
export const PURGE_BATCH_ROWS = 500;
export const PURGE_MAX_BATCHES = 20;

export interface RetentionCutoffs {
  eventsBefore: Date;
  integrationEventsBefore: Date;
  spentRefreshTokensBefore: Date;
  endedLoginsBefore: Date;
  /** Tickets and OAuth states are useless once expired: purged as soon as they are. */
  expiredBefore: Date;
  rateLimitWindowsBefore: Date;
  webhookDeliveriesBefore: Date;
  deadLettersBefore: Date;
}

/** Pure: the cutoffs for a pass at `now` (the cron passes its scheduled time, tests any time they like). */
export function retentionCutoffs(now: Date): RetentionCutoffs {
  const ago = (ms: number) => new Date(now.getTime() - ms);
  return {
    eventsBefore: ago(RETENTION.eventsMs),
    integrationEventsBefore: ago(RETENTION.integrationEventsMs),
    spentRefreshTokensBefore: ago(RETENTION.spentRefreshTokensMs),
    endedLoginsBefore: ago(RETENTION.endedLoginsMs),
    expiredBefore: now,
    rateLimitWindowsBefore: ago(RETENTION.rateLimitWindowsMs),
    webhookDeliveriesBefore: ago(RETENTION.webhookDeliveriesMs),
    deadLettersBefore: ago(RETENTION.deadLettersMs),
  };
}

export interface DrainResult {
  deleted: number;
  /** The per-pass cap was reached with a full last batch: the next pass continues. */
  more: boolean;
}

/** Repeats one bounded purge until a batch comes back short or `maxBatches` have run. */
export async function drain(
  purgeBatch: (limit: number) => Promise<number>,
  batchRows = PURGE_BATCH_ROWS,
  maxBatches = PURGE_MAX_BATCHES,
): Promise<DrainResult> {
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const n = await purgeBatch(batchRows);
    deleted += n;
    if (n < batchRows) return { deleted, more: false };
  }
  return { deleted, more: true };
}

export type PurgeName =
  | "events"
  | "integration_events"
  | "spent_refresh_tokens"
  | "ended_logins"
  | "realtime_tickets"
  | "oauth_states"
  | "rate_limit_windows"
  | "webhook_deliveries"
  | "dead_letters"
  | "audit_log";

/**
 * One retention pass. The purges run one after another (D1 has one writer,
 * so running them together would only queue), and one failing purge does
 * not stop the others.
 */
export async function runRetention(db: Database, now: Date, auditRetentionDays = 400): Promise<Partial<Record<PurgeName, DrainResult>>> {
  const c = retentionCutoffs(now);
  const auditBefore = new Date(now.getTime() - auditRetentionDays * DAY);
  const purges: Array<[PurgeName, (limit: number) => Promise<number>]> = [
    ["events", (n) => purgeOldEvents(db, c.eventsBefore, RETENTION.eventsKeepNewest, n)],
    ["integration_events", (n) => purgeOldIntegrationEvents(db, c.integrationEventsBefore, n)],
    ["spent_refresh_tokens", (n) => purgeSpentRefreshTokens(db, c.spentRefreshTokensBefore, n)],
    ["ended_logins", (n) => purgeEndedLogins(db, c.endedLoginsBefore, n)],
    ["realtime_tickets", (n) => purgeSpentTickets(db, c.expiredBefore, n)],
    ["oauth_states", (n) => purgeExpiredOAuthStateRows(db, c.expiredBefore, n)],
    ["rate_limit_windows", (n) => purgeRateLimitWindows(db, c.rateLimitWindowsBefore, n)],
    ["webhook_deliveries", (n) => purgeOldWebhookDeliveries(db, c.webhookDeliveriesBefore, n)],
    ["dead_letters", (n) => purgeOldDeadLetters(db, c.deadLettersBefore, n)],
    ["audit_log", (n) => purgeAuditBefore(db, auditBefore, n)],
  ];
  const results: Partial<Record<PurgeName, DrainResult>> = {};
  for (const [purge, batch] of purges) {
    try {
      const result = await drain(batch);
      results[purge] = result;
      // Logged with the purge's name as a value: the log redactor hides values under keys that look like credentials.
      if (result.more) log("warn", "retention_backlog", { purge, deleted: result.deleted });
      else if (result.deleted > 0) log("info", "retention_purged", { purge, deleted: result.deleted });
    } catch (error) {
      log("error", "retention_purge_failed", { purge, error: (error as Error).message });
    }
  }
  return results;
}
