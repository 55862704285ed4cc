import { Hono } from "hono";
import { sql } from "drizzle-orm";
import { database } from "../db/client";
import { log } from "../http/log";
import type { AppBindings } from "../http/types";
import { providersHealth } from "../integrations/providers";
import { knowledgeHealth } from "../kb/health";

interface Check {
  ok: boolean;
  status: "ok" | "failed";
  [detail: string]: unknown;
}

function check(ok: boolean, details: Record<string, unknown> = {}): Check {
  return { ok, status: ok ? "ok" : "failed", ...details };
}

/**
 * Runs one check. A failure's exception text goes to the log, under the
 * request id, and never into the answer: /api/health answers anyone, and a
 * driver's or the runtime's message can name internals (SQL, bindings,
 * hosts, class names) that help an attacker and not the caller.
 */
async function timed(name: string, requestId: string, fn: () => Promise<void | { ok: boolean; details: Record<string, unknown> }>): Promise<Check> {
  const started = Date.now();
  try {
    const result = await fn();
    return check(result?.ok ?? true, { ...result?.details, ms: Date.now() - started });
  } catch (e) {
    log("error", "health_check_failed", { check: name, requestId, error: e instanceof Error ? e.message : String(e) });
    return check(false, { ms: Date.now() - started });
  }
}

export const health = new Hono<AppBindings>().get("/", async (c) => {
  const cfg = c.get("config");
  const env = c.env;
  const requestId = c.get("requestId");
  const [databaseCheck, realtime, vectors] = await Promise.all([
    timed("database", requestId, async () => {
      await database(env).run(sql`select 1`);
    }),
    timed("realtime", requestId, async () => {
      const stub = env.USER_HUB.get(env.USER_HUB.idFromName("health")) as unknown as { ping(): Promise<string> };
      if ((await stub.ping()) !== "pong") throw new Error("unexpected answer from UserHub");
    }),
    timed("vectors", requestId, () => knowledgeHealth(env)),
  ]);
  const queueBindings = { KB_INDEX: env.KB_INDEX, SPEC_EXEC: env.SPEC_EXEC, PR_CREATE: env.PR_CREATE, WEBHOOKS: env.WEBHOOKS };
  const missingQueues = Object.entries(queueBindings)
    .filter(([, q]) => !q || typeof (q as Queue).send !== "function")
    .map(([name]) => name);
  const checks = {
    database: databaseCheck,
    realtime,
    queues: check(missingQueues.length === 0, { missing: missingQueues }),
    vectors,
    llm: check(true, { mode: cfg.openai.apiKey ? "openai" : "offline", model: cfg.openai.apiKey ? cfg.openai.model : "offline-planner" }),
    // Named by variable only: the request that needs one answers config_missing with the reason.
    // Informational: without a secret that provider's webhook refuses every delivery (503 config_missing).
    webhooks: check(true, { github: Boolean(cfg.webhookSecrets.github), slack: Boolean(cfg.webhookSecrets.slack) }),
    config: check(cfg.problems.length === 0, { problems: cfg.problems.map((p) => ({ variable: p.variable })) }),
    providers: providersHealth(cfg),
  };
  const ok = checks.database.ok && checks.realtime.ok && checks.queues.ok && checks.config.ok && checks.vectors.ok;
  return c.json({ status: ok ? "ok" : "degraded", environment: cfg.appEnv, checks }, ok ? 200 : 503);
});
