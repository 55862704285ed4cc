import { database } from "../db/client";
import { recordDeadLetter } from "../db/dead-letters";
import type { Env } from "../env";
import { log } from "../http/log";
import { countedBatch } from "../metrics/instrument";
import { flushMetrics } from "../metrics/record";

export type QueueConsumer = (batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext) => Promise<void>;

/**
 * Every queue of wrangler.toml and the producer binding that sends to it:
 * where a dead letter goes back to (`npm run admin -- dlq <queue> --requeue`).
 * Each has a `-dlq` dead-letter queue.
 */
export const QUEUE_BINDINGS = {
  "taskpilot-kb-index": "KB_INDEX",
  "taskpilot-spec-exec": "SPEC_EXEC",
  "taskpilot-pr-create": "PR_CREATE",
  "taskpilot-webhooks": "WEBHOOKS",
} as const satisfies Record<string, keyof Env>;

export type QueueName = keyof typeof QUEUE_BINDINGS;
export const QUEUE_NAMES = Object.keys(QUEUE_BINDINGS) as QueueName[];

export function isQueueName(name: string): name is QueueName {
  return Object.hasOwn(QUEUE_BINDINGS, name);
}

/** The producer of a queue, to send a dead letter back onto it. */
export function queueBinding(env: Env, queue: QueueName): Queue {
  return env[QUEUE_BINDINGS[queue]];
}

/**
 * What a feature does before one of its dead letters goes back onto its
 * queue: put what its dead-letter handling marked failed back into the
 * state its consumer works on (a failed document back to pending).
 */
export type RequeuePreparer = (env: Env, body: unknown, now: Date) => Promise<void>;
const preparers: Partial<Record<QueueName, RequeuePreparer>> = {};

export function registerRequeuePreparer(queue: QueueName, prepare: RequeuePreparer): void {
  preparers[queue] = prepare;
}

export async function prepareRequeue(env: Env, queue: QueueName, body: unknown, now: Date): Promise<void> {
  await preparers[queue]?.(env, body, now);
}

/** Queue name → consumer. Each feature registers its own consumer here. */
const consumers: Record<string, QueueConsumer> = {};

export function registerConsumer(queue: string, consumer: QueueConsumer): void {
  consumers[queue] = consumer;
}

function bodyJson(body: unknown): string {
  try {
    return JSON.stringify(body) ?? "null";
  } catch {
    return JSON.stringify(String(body));
  }
}

/**
 * Every message a dead-letter queue delivers is kept in `dead_letters`
 * (once per message id) before the feature's own handling, so an operator
 * can list and requeue it whatever the feature did with it. A failed write
 * is logged and does not stop the feature's handling.
 */
async function recordDeadLetters(batch: MessageBatch<unknown>, env: Env, now: number): Promise<void> {
  const queue = batch.queue.replace(/-dlq$/, "");
  const db = database(env);
  for (const message of batch.messages) {
    try {
      await recordDeadLetter(db, { id: message.id, queue, body: bodyJson(message.body), attempts: message.attempts, reason: null }, new Date(now));
    } catch (e) {
      log("error", "dead_letter_record_failed", { queue: batch.queue, messageId: message.id, error: e instanceof Error ? e.message : String(e) });
    }
  }
  log("warn", "dead_letters_received", { queue, messages: batch.messages.length });
}

/** Routes a batch to the consumer of its queue; a batch nobody consumes is retried into its dead-letter queue, never dropped. */
export async function dispatchQueue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext, now: () => number = Date.now): Promise<void> {
  // Messages, retries and dead letters are counted here, the one place batches arrive (worker/metrics/); sent once the batch is done.
  batch = countedBatch(batch, env);
  if (batch.queue.endsWith("-dlq")) await recordDeadLetters(batch, env, now());
  const consumer = consumers[batch.queue.replace(/-dlq$/, "")];
  if (!consumer) {
    log("error", "queue_without_consumer", { queue: batch.queue, messages: batch.messages.length });
    batch.retryAll();
    return flushMetrics(env);
  }
  await consumer(batch, env, ctx).finally(() => flushMetrics(env));
}
