/** Bindings and variables the worker receives (wrangler.toml, .dev.vars, secrets). */
export interface Env {
  DB: D1Database;
  ASSETS: Fetcher;
  USER_HUB: DurableObjectNamespace;
  /** IntegrationFlight: one per user and provider (worker/integrations/flight.ts). */
  INTEGRATION_FLIGHT: DurableObjectNamespace;
  AGENT_SESSION: DurableObjectNamespace;
  KB_INDEX: Queue;
  SPEC_EXEC: Queue;
  PR_CREATE: Queue;
  WEBHOOKS: Queue;
  VECTORIZE?: VectorizeIndex;

  APP_ENV?: string;
  PUBLIC_URL?: string;
  JWT_SECRET?: string;
  TOKEN_ENCRYPTION_KEYS?: string;
  SANDBOX_PROVIDERS?: string;
  ALLOW_JOB_PURGE?: string;
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  OPENAI_MODEL?: string;
  OPENAI_EMBEDDING_MODEL?: string;
  LOG_LEVEL?: string;
  [variable: string]: unknown;
}
