import { getConfig } from "../config";
import { database } from "../db/client";
import type { Env } from "../env";
import { log } from "../http/log";
import { flushMetrics } from "../metrics/record";
import { runRetention } from "./retention";

export type CronTask = (env: Env, now: Date) => Promise<void>;

/** wrangler.toml's crons: the five-minute pass runs every task; the one-minute pass only the tasks that need it (the runner watch). */
export const EVERY_MINUTE = "* * * * *";

const tasks: Array<[string, CronTask, { everyMinute: boolean }]> = [];

export function registerCronTask(name: string, task: CronTask, options: { everyMinute?: boolean } = {}): void {
  tasks.push([name, task, { everyMinute: options.everyMinute ?? false }]);
}

/** Drops what has outlived its retention (worker/ops/README.md), in bounded batches. */
registerCronTask("retention", async (env, now) => {
  await runRetention(database(env), now, getConfig(env).auditRetentionDays);
});

/** Runs every registered task; one failing task does not stop the others. */
export async function runScheduled(env: Env, now = new Date(), cron?: string): Promise<void> {
  const due = cron === EVERY_MINUTE ? tasks.filter(([, , o]) => o.everyMinute) : tasks;
  const results = await Promise.allSettled(due.map(([, task]) => task(env, now)));
  results.forEach((r, i) => {
    if (r.status === "rejected") log("error", "cron_task_failed", { task: due[i]![0], error: String(r.reason) });
  });
}

/**
 * The Workers `scheduled` entry: every task sees the pass's scheduled time
 * as "now", so a test drives retention and refresh with the clock it passes
 * to the controller instead of waiting for one.
 */
export const scheduled: ExportedHandlerScheduledHandler<Env> = (controller, env, ctx) => {
  ctx.waitUntil(runScheduled(env, new Date(controller.scheduledTime), controller.cron).finally(() => flushMetrics(env)));
};
