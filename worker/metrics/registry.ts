import { ProviderName } from "../contract/integrations";

/**
 * Every metric the worker exposes at `GET /api/metrics`, in one place: name,
 * help, type, label names with the set each label's values come from, and a
 * histogram's buckets. A label's values are a closed set (provider ids,
 * queue names, outcomes) or a stable code of ours (`CODE`): never user input,
 * an email or an id, so the number of series stays small and a scrape
 * reveals nothing about anyone. A value outside its set is recorded as
 * `other` (record.ts), so a bug cannot blow up the cardinality.
 */

/** A stable machine-readable code (`access_denied`, `invalid_grant`, `gpt-4o-mini`): short, lower-case words. */
export const CODE = "code" as const;
export type LabelDomain = readonly string[] | typeof CODE;

export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricDefinition {
  type: MetricType;
  help: string;
  labels: Readonly<Record<string, LabelDomain>>;
  /** Upper bounds (seconds), ascending; `+Inf` is implied. Histograms only. */
  buckets?: readonly number[];
}

/** What a value outside its label's set becomes. */
export const OTHER = "other";

// From the contract, not worker/integrations: the socket hub records metrics, and realtime knows nothing of integrations.
const PROVIDERS = ProviderName.options;
const WEBHOOK_PROVIDERS = ["github", "slack"] as const;
/** Every queue of wrangler.toml (a `-dlq` queue is counted under its queue, as `dead_lettered`). */
export const METRIC_QUEUES = ["taskpilot-kb-index", "taskpilot-spec-exec", "taskpilot-pr-create", "taskpilot-webhooks"] as const;
/** `2xx` … `5xx` for an answer; `timeout` and `network` when there was none. */
export const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx", "timeout", "network"] as const;

const def = <const D extends MetricDefinition>(d: D): D => d;

export const REGISTRY = {
  taskpilot_oauth_starts_total: def({ type: "counter", help: "OAuth authorizations started (POST /api/integrations/{provider}/auth).", labels: { provider: PROVIDERS } }),
  taskpilot_oauth_successes_total: def({ type: "counter", help: "OAuth callbacks that connected an integration.", labels: { provider: PROVIDERS } }),
  taskpilot_oauth_failures_total: def({
    type: "counter",
    help: "OAuth callbacks that failed, by our error code (invalid_state, browser_mismatch, access_denied, token_exchange_failed, ...).",
    labels: { provider: PROVIDERS, code: CODE },
  }),
  taskpilot_token_refreshes_total: def({ type: "counter", help: "Provider token refreshes sent upstream (by the integration's single flight).", labels: { provider: PROVIDERS } }),
  taskpilot_token_refresh_failures_total: def({
    type: "counter",
    help: "Provider token refreshes that failed, by the provider's or our error code (invalid_grant, provider_unavailable, ...).",
    labels: { provider: PROVIDERS, code: CODE },
  }),
  taskpilot_provider_requests_total: def({
    type: "counter",
    help: "HTTP requests tools sent to provider APIs (each attempt), by status class; timeout and network when there was no answer.",
    labels: { provider: PROVIDERS, status: STATUS_CLASSES },
  }),
  taskpilot_provider_request_duration_seconds: def({
    type: "histogram",
    help: "Latency of each provider API request tools sent, until the response headers (or the failure).",
    labels: { provider: PROVIDERS },
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
  }),
  taskpilot_agent_turns_total: def({ type: "counter", help: "Agent turns ended, by outcome (completed, error, paused for a reconnect).", labels: { outcome: ["completed", "error", "paused"] } }),
  taskpilot_agent_steps_total: def({ type: "counter", help: "Agent model steps (one model call each).", labels: { model: CODE } }),
  taskpilot_agent_tokens_total: def({ type: "counter", help: "Model tokens used by agent steps, by direction (in = prompt, out = completion).", labels: { model: CODE, direction: ["in", "out"] } }),
  taskpilot_agent_cost_usd_total: def({ type: "counter", help: "Estimated model cost of agent steps in US dollars.", labels: { model: CODE } }),
  taskpilot_kb_documents_total: def({ type: "counter", help: "Knowledge-base documents entering each status (pending on upload, indexing per run, indexed, failed).", labels: { status: ["pending", "indexing", "indexed", "failed"] } }),
  taskpilot_kb_indexing_duration_seconds: def({
    type: "histogram",
    help: "Duration of an indexing run that ended indexed (extract, chunk, embed, index, commit).",
    labels: {},
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  }),
  taskpilot_webhook_deliveries_total: def({
    type: "counter",
    help: "Webhook deliveries received, by outcome (accepted, duplicate, bad_signature, invalid_payload).",
    labels: { provider: WEBHOOK_PROVIDERS, outcome: ["accepted", "duplicate", "bad_signature", "invalid_payload"] },
  }),
  taskpilot_webhook_processing_seconds: def({
    type: "histogram",
    help: "Time the webhook consumer took to process a delivery that it finished.",
    labels: { provider: WEBHOOK_PROVIDERS },
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  }),
  taskpilot_queue_messages_total: def({ type: "counter", help: "Queue messages delivered to a consumer (dead-letter queues excluded).", labels: { queue: METRIC_QUEUES } }),
  taskpilot_queue_retries_total: def({ type: "counter", help: "Queue messages a consumer asked to be retried.", labels: { queue: METRIC_QUEUES } }),
  taskpilot_queue_dead_lettered_total: def({ type: "counter", help: "Queue messages that ran out of retries and reached the queue's dead-letter queue.", labels: { queue: METRIC_QUEUES } }),
  taskpilot_websocket_connections: def({ type: "gauge", help: "WebSocket connections open now (kept by the user hubs on accept and close).", labels: {} }),
  taskpilot_websocket_connections_opened_total: def({ type: "counter", help: "WebSocket connections accepted.", labels: {} }),
} as const satisfies Record<string, MetricDefinition>;

export type Registry = typeof REGISTRY;
export type MetricName = keyof Registry;
export type MetricOfType<T extends MetricType> = { [N in MetricName]: Registry[N]["type"] extends T ? N : never }[MetricName];

type ValueOf<D> = D extends readonly (infer V)[] ? V : string;
/** The labels a metric takes, each typed by its set: `{ provider: "gmail" | … }`. */
export type LabelsOf<N extends MetricName> = { [K in keyof Registry[N]["labels"]]: ValueOf<Registry[N]["labels"][K]> };

const CODE_PATTERN = /^[a-z0-9][a-z0-9_.:-]{0,47}$/i;

/** The value a label is recorded with: itself when it is in the label's set, else `other`. */
export function labelValue(domain: LabelDomain, value: unknown): string {
  if (typeof value !== "string") return OTHER;
  if (domain === CODE) return CODE_PATTERN.test(value) ? value.toLowerCase() : OTHER;
  return domain.includes(value) ? value : OTHER;
}

export function definition(name: MetricName): MetricDefinition {
  return REGISTRY[name];
}

export const METRIC_NAMES = Object.keys(REGISTRY) as MetricName[];
