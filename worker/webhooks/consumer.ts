import { z } from "zod";
import { database } from "../db/client";
import { failDelivery, findDelivery, finishDelivery, noteDeliveryError, startAttempt } from "../db/webhooks";
import type { Env } from "../env";
import { log } from "../http/log";
import { metrics } from "../metrics/record";
import { registerConsumer } from "../ops/queues";
import { handleDelivery } from "./handlers";

export const WEBHOOKS_QUEUE = "taskpilot-webhooks";

/** What the receivers and the replay put on `WEBHOOKS`: our delivery row id. */
export const WebhookMessage = z.object({ id: z.string().min(1).max(100), replay: z.boolean().default(false) });
export type WebhookMessage = z.infer<typeof WebhookMessage>;

export interface ConsumerDeps {
  now: () => number;
}

/** Seconds before a failed attempt is tried again: 5, 10, 20 … capped at 5 minutes. */
export function webhookRetryDelaySeconds(attempts: number): number {
  return Math.min(300, 5 * 2 ** Math.max(0, attempts - 1));
}

/**
 * The `WEBHOOKS` consumer and its dead-letter queue's. A delivery already
 * `processed` is acknowledged without running again (a queue redelivery, or
 * a provider's retry that was enqueued twice), unless the message is a
 * replay. A handler that throws is retried with backoff; after the queue's
 * max_retries the message reaches the dead-letter queue, whose consumer
 * marks the delivery `failed` with the last error.
 */
export async function consumeWebhooks(batch: MessageBatch<unknown>, env: Env, deps: ConsumerDeps = { now: Date.now }): Promise<void> {
  const dead = batch.queue.endsWith("-dlq");
  const db = database(env);
  for (const message of batch.messages) {
    const parsed = WebhookMessage.safeParse(message.body);
    if (!parsed.success) {
      log("error", "webhook_message_malformed", { queue: batch.queue, messageId: message.id });
      message.ack();
      continue;
    }
    const { id, replay } = parsed.data;
    if (dead) {
      const row = await findDelivery(db, id).catch(() => undefined);
      await failDelivery(db, id, row?.lastError ?? "ran out of retries", new Date(deps.now()));
      log("error", "webhook_dead_lettered", { id, attempts: message.attempts });
      message.ack();
      continue;
    }
    const row = await startAttempt(db, id);
    if (!row) {
      log("warn", "webhook_delivery_missing", { id });
      message.ack();
      continue;
    }
    if (row.status === "processed" && !replay) {
      message.ack();
      continue;
    }
    try {
      const started = deps.now();
      const outcome = await handleDelivery(env, row);
      await finishDelivery(db, id, outcome, new Date(deps.now()));
      metrics(env).observe("taskpilot_webhook_processing_seconds", { provider: row.provider as "github" | "slack" }, (deps.now() - started) / 1000);
      message.ack();
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      log("warn", "webhook_attempt_failed", { id, provider: row.provider, eventType: row.eventType, attempts: message.attempts, error });
      await noteDeliveryError(db, id, error);
      message.retry({ delaySeconds: webhookRetryDelaySeconds(message.attempts) });
    }
  }
}

registerConsumer(WEBHOOKS_QUEUE, (batch, env) => consumeWebhooks(batch, env));
