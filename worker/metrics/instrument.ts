import type { Env } from "../env";
import type { ProviderId } from "../integrations/providers";
import type { ToolRuntime } from "../tools/http";
import { flushMetrics, metrics } from "./record";
import { METRIC_QUEUES, type STATUS_CLASSES } from "./registry";

/**
 * The wrappers that put metrics at the few places everything passes
 * through: the worker's fetch entry (flush after every request), the queue
 * dispatcher (messages, retries, dead letters; flush after the batch) and
 * the runtime provider clients fetch with (requests and latency).
 */

type Fetch = (request: Request, env: Env, ctx: ExecutionContext) => Promise<Response>;

/** The worker's fetch: what the request recorded is sent once, after the response, through `ctx.waitUntil`. */
export function flushingMetrics(fetch: Fetch): Fetch {
  return async (request, env, ctx) => {
    try {
      return await fetch(request, env, ctx);
    } finally {
      ctx.waitUntil(flushMetrics(env));
    }
  };
}

type QueueLabel = (typeof METRIC_QUEUES)[number];

function queueLabel(queue: string): QueueLabel | "other" {
  const base = queue.replace(/-dlq$/, "");
  return (METRIC_QUEUES as readonly string[]).includes(base) ? (base as QueueLabel) : "other";
}

/**
 * The batch as the consumer sees it, counting as it goes: every message of
 * a queue is `messages`, every `retry()` (and each message of a
 * `retryAll()`) `retries`; a message arriving on a `-dlq` queue for the
 * first time is `dead_lettered` under its queue.
 */
export function countedBatch<T>(batch: MessageBatch<T>, env: Env): MessageBatch<T> {
  const queue = queueLabel(batch.queue) as QueueLabel;
  const m = metrics(env);
  if (batch.queue.endsWith("-dlq")) {
    m.inc("taskpilot_queue_dead_lettered_total", { queue }, batch.messages.filter((msg) => msg.attempts <= 1).length);
    return batch;
  }
  m.inc("taskpilot_queue_messages_total", { queue }, batch.messages.length);
  const messages = batch.messages.map(
    (msg): Message<T> => ({
      get id() {
        return msg.id;
      },
      get timestamp() {
        return msg.timestamp;
      },
      get body() {
        return msg.body;
      },
      get attempts() {
        return msg.attempts;
      },
      ack: () => msg.ack(),
      retry: (options?: QueueRetryOptions) => {
        m.inc("taskpilot_queue_retries_total", { queue });
        msg.retry(options);
      },
    }),
  );
  const counted: MessageBatch<T> = {
    get queue() {
      return batch.queue;
    },
    get metadata() {
      return batch.metadata;
    },
    messages,
    ackAll: () => batch.ackAll(),
    retryAll: (options?: QueueRetryOptions) => {
      m.inc("taskpilot_queue_retries_total", { queue }, batch.messages.length);
      batch.retryAll(options);
    },
  };
  return counted;
}

type StatusClass = (typeof STATUS_CLASSES)[number];

function statusClass(status: number): StatusClass {
  const c = Math.floor(status / 100);
  return c >= 1 && c <= 5 ? (`${c}xx` as StatusClass) : "5xx";
}

/**
 * The runtime a provider connection sends with, timing each request: its
 * status class (or `timeout` / `network`) and its latency until the headers,
 * by the runtime's own clock. Used where connections are made (tools/live.ts).
 */
export function timedRuntime(env: Env, provider: ProviderId, runtime: ToolRuntime): ToolRuntime {
  return {
    ...runtime,
    fetch: async (request) => {
      const started = runtime.now();
      const seconds = () => Math.max(0, runtime.now() - started) / 1000;
      try {
        const response = await runtime.fetch(request);
        metrics(env).inc("taskpilot_provider_requests_total", { provider, status: statusClass(response.status) }).observe("taskpilot_provider_request_duration_seconds", { provider }, seconds());
        return response;
      } catch (e) {
        const status = request.signal.aborted ? "timeout" : "network";
        metrics(env).inc("taskpilot_provider_requests_total", { provider, status }).observe("taskpilot_provider_request_duration_seconds", { provider }, seconds());
        throw e;
      }
    },
  };
}
