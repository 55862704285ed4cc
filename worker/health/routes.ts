import { Hono } from "hono";
import { sql } from "drizzle-orm";
import { database } from "../db/client";
import type { AppBindings } from "../http/types";
import { providersHealth } from "../integrations/providers";

interface Check {
  ok: boolean;
  [detail: string]: unknown;
}

async function timed(fn: () => Promise<Record<string, unknown> | void>): Promise<Check> {
  const started = Date.now();
  try {
    const extra = (await fn()) ?? {};
    return { ok: true, ms: Date.now() - started, ...extra };
  } catch (e) {
    return { ok: false, ms: Date.now() - started, error: (e as Error).message };
  }
}

export const health = new Hono<AppBindings>().get("/", async (c) => {
  const cfg = c.get("config");
  const env = c.env;
  const [databaseCheck, realtime] = await Promise.all([
    timed(async () => {
      await database(env).run(sql`select 1`);
    }),
    timed(async () => {
      const stub = env.USER_HUB.get(env.USER_HUB.idFromName("health")) as unknown as { ping(): Promise<string> };
      if ((await stub.ping()) !== "pong") throw new Error("unexpected answer from UserHub");
    }),
  ]);
  const queueBindings = { KB_INDEX: env.KB_INDEX, SPEC_EXEC: env.SPEC_EXEC, PR_CREATE: env.PR_CREATE, WEBHOOKS: env.WEBHOOKS };
  const missingQueues = Object.entries(queueBindings)
    .filter(([, q]) => !q || typeof (q as Queue).send !== "function")
    .map(([name]) => name);
  const checks = {
    database: databaseCheck,
    realtime,
    queues: { ok: missingQueues.length === 0, missing: missingQueues },
    vectors: { ok: true, backend: env.VECTORIZE ? "vectorize" : "local" },
    llm: { ok: true, mode: cfg.openai.apiKey ? "openai" : "offline", model: cfg.openai.apiKey ? cfg.openai.model : "offline-planner" },
    config: { ok: cfg.problems.length === 0, problems: cfg.problems },
    providers: providersHealth(cfg),
  };
  const ok = checks.database.ok && checks.realtime.ok && checks.queues.ok && checks.config.ok;
  return c.json({ status: ok ? "ok" : "degraded", environment: cfg.appEnv, checks }, ok ? 200 : 503);
});
