import type { Env } from "../env";
import { log } from "../http/log";
import { registerConsumer, registerRequeuePreparer } from "../ops/queues";
import { defaultIndexingDeps, failFromDeadLetter, indexDocument, reviveFromDeadLetter, type IndexingDeps } from "./pipeline";
import { IndexMessage } from "./queue";

/** Seconds before a failed run is tried again: 10, 20, 40 … capped at 5 minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(300, 10 * 2 ** Math.max(0, attempts - 1));
}

/**
 * The `KB_INDEX` consumer and its dead-letter queue's. A run that fails for
 * a reason a retry can fix is retried with backoff; after the queue's
 * max_retries the message lands in the dead-letter queue, whose consumer
 * marks the document `failed` with the last error. A malformed message is
 * logged and dropped: retrying it could never succeed.
 */
export async function consumeKbIndex(batch: MessageBatch<unknown>, env: Env, deps: IndexingDeps = defaultIndexingDeps): Promise<void> {
  const dead = batch.queue.endsWith("-dlq");
  for (const message of batch.messages) {
    const parsed = IndexMessage.safeParse(message.body);
    if (!parsed.success) {
      log("error", "kb_index_message_malformed", { queue: batch.queue, messageId: message.id });
      message.ack();
      continue;
    }
    if (dead) {
      await failFromDeadLetter(env, parsed.data, deps.now());
      message.ack();
      continue;
    }
    try {
      await indexDocument(env, parsed.data, deps);
      message.ack();
    } catch (e) {
      log("warn", "kb_index_attempt_failed", { documentId: parsed.data.documentId, attempts: message.attempts, error: (e as Error).message });
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}

registerConsumer("taskpilot-kb-index", (batch, env) => consumeKbIndex(batch, env));
registerRequeuePreparer("taskpilot-kb-index", async (env, body, now) => {
  const parsed = IndexMessage.safeParse(body);
  if (parsed.success) await reviveFromDeadLetter(env, parsed.data, now);
});
