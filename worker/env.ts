/** Bindings and variables the worker receives (wrangler.toml, .dev.vars, secrets). */
export interface Env {
  DB: D1Database;
  ASSETS: Fetcher;
  USER_HUB: DurableObjectNamespace;
  /** IntegrationFlight: one per user and provider (worker/integrations/flight.ts). */
  INTEGRATION_FLIGHT: DurableObjectNamespace;
  AGENT_SESSION: DurableObjectNamespace;
  /** MetricsStore shards (worker/metrics/): the counters behind GET /api/metrics. */
  METRICS: DurableObjectNamespace;
  KB_INDEX: Queue;
  SPEC_EXEC: Queue;
  PR_CREATE: Queue;
  WEBHOOKS: Queue;
  /** Knowledge-base vectors in production (one namespace per user). */
  VECTORIZE?: VectorizeIndex;
  /** The local vector index, one KnowledgeIndex Durable Object per user (development and tests; worker/kb/vectors/). */
  KB_VECTORS?: DurableObjectNamespace;
  /** Originals of knowledge-base uploads. */
  KB_FILES: R2Bucket;
  /** Grants, tokens and clients of the MCP authorization server (@cloudflare/workers-oauth-provider). */
  OAUTH_KV: KVNamespace;
  /** Workers AI, for the `workers-ai` embedder (remote only). */
  AI?: Ai;

  APP_ENV?: string;
  PUBLIC_URL?: string;
  JWT_SECRET?: string;
  TOKEN_ENCRYPTION_KEYS?: string;
  SANDBOX_PROVIDERS?: string;
  ALLOW_JOB_PURGE?: string;
  /** A scraper's bearer token for GET /api/metrics (optional secret, ≥ 32 characters; worker/metrics/). */
  METRICS_TOKEN?: string;
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  OPENAI_MODEL?: string;
  OPENAI_EMBEDDING_MODEL?: string;
  /** `local`, `openai` or `workers-ai`; unset: openai with a key, else workers-ai with an AI binding, else local. */
  KB_EMBEDDER?: string;
  LOG_LEVEL?: string;
  /** The operator's bearer token for /api/admin/* (optional secret, ≥ 32 characters; worker/admin/). */
  ADMIN_TOKEN?: string;
  [variable: string]: unknown;
}
