import { lt } from "drizzle-orm";
import { database, schema } from "../db/client";
import type { Env } from "../env";
import { log } from "../http/log";

export type CronTask = (env: Env, now: Date) => Promise<void>;

const tasks: Array<[string, CronTask]> = [];

export function registerCronTask(name: string, task: CronTask): void {
  tasks.push([name, task]);
}

/** Drops rows whose only purpose has expired (rate-limit windows older than a day). */
registerCronTask("purge_expired", async (env, now) => {
  const db = database(env);
  await db.delete(schema.rateLimits).where(lt(schema.rateLimits.windowStart, now.getTime() - 86_400_000));
});

/** Runs every registered task; one failing task does not stop the others. */
export async function runScheduled(env: Env, now = new Date()): Promise<void> {
  const results = await Promise.allSettled(tasks.map(([, task]) => task(env, now)));
  results.forEach((r, i) => {
    if (r.status === "rejected") log("error", "cron_task_failed", { task: tasks[i]![0], error: String(r.reason) });
  });
}
