import { z } from "zod";

/** The integration shapes of the API (as GET /api/openapi.json names them), shared by the worker and the web app. */

export const ProviderName = z.enum(["gmail", "calendar", "slack", "github"]);
export type ProviderName = z.infer<typeof ProviderName>;

export const IntegrationStatus = z.enum(["active", "disconnected", "error", "expired"]);
export type IntegrationStatus = z.infer<typeof IntegrationStatus>;

export const IntegrationEventType = z.enum([
  "oauth_started",
  "connected",
  "refreshed",
  "refresh_failed",
  "error",
  "expired",
  "disconnected",
]);
export type IntegrationEventType = z.infer<typeof IntegrationEventType>;

export const Integration = z.object({
  provider: ProviderName,
  name: z.string(),
  status: IntegrationStatus,
  account: z.object({ id: z.string(), label: z.string() }).nullable(),
  scopes: z.array(z.string()),
  connectedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  lastError: z.object({ code: z.string(), message: z.string(), at: z.string() }).nullable(),
  tools: z.array(z.string()),
});
export type Integration = z.infer<typeof Integration>;

export const IntegrationEvent = z.object({
  id: z.string(),
  provider: ProviderName,
  type: IntegrationEventType,
  status: IntegrationStatus,
  detail: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export type IntegrationEvent = z.infer<typeof IntegrationEvent>;

export const RETURN_TO_MAX = 512;

export const StartAuthBody = z.object({
  returnTo: z.string().max(RETURN_TO_MAX, `at most ${RETURN_TO_MAX} characters`).optional(),
});

export const Tool = z.object({
  name: z.string(),
  /** The integration (`gmail`, …) or feature (`kb`) that serves the tool; `tools` for the meta tools. */
  provider: z.string(),
  description: z.string(),
  parameters: z.record(z.string(), z.unknown()),
});
export type Tool = z.infer<typeof Tool>;
