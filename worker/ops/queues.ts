import type { Env } from "../env";
import { log } from "../http/log";

export type QueueConsumer = (batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext) => Promise<void>;

/** Queue name → consumer. Each feature registers its own consumer here. */
const consumers: Record<string, QueueConsumer> = {};

export function registerConsumer(queue: string, consumer: QueueConsumer): void {
  consumers[queue] = consumer;
}

/** Routes a batch to the consumer of its queue; a batch nobody consumes is retried into its dead-letter queue, never dropped. */
export async function dispatchQueue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const consumer = consumers[batch.queue.replace(/-dlq$/, "")];
  if (!consumer) {
    log("error", "queue_without_consumer", { queue: batch.queue, messages: batch.messages.length });
    batch.retryAll();
    return;
  }
  await consumer(batch, env, ctx);
}
