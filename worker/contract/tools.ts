import { z } from "zod";
import { ProviderName } from "./integrations";

/**
 * What one tool call gives back, shared by the worker (the agent's steps,
 * later the MCP server) and the web app (the step view). `Tool`, the menu
 * entry, lives with the integrations contract.
 */

/** Where a person can open an item a tool returned: a Gmail message, a Calendar event, a Slack permalink, a GitHub `html_url`. */
export const SourceLink = z.object({ url: z.string(), label: z.string() });
export type SourceLink = z.infer<typeof SourceLink>;

export const ToolError = z.object({
  /** Stable: `invalid_arguments`, `unknown_tool`, `tool_unavailable`, `provider_*`, `integration_expired`, … */
  code: z.string(),
  /** For people and for the model; never carries a token. */
  message: z.string(),
  /** The HTTP status the same failure has as a problem+json answer. */
  status: z.number().int(),
  provider: z.string().optional(),
  /** The provider's own code: Google's `status`, Slack's `error`, GitHub's message or field code. */
  providerCode: z.string().optional(),
  /** `invalid_arguments`: which argument is wrong and why. */
  fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  /** Set when only reconnecting this integration can make the call work. */
  reconnect: ProviderName.optional(),
  /** A write that failed in a way that leaves unknown whether it happened (a 5xx or a dropped connection). */
  outcomeUnknown: z.boolean().optional(),
  retryAfterSeconds: z.number().optional(),
});
export type ToolError = z.infer<typeof ToolError>;

export const ToolOutcome = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), tool: z.string(), result: z.unknown(), durationMs: z.number() }),
  z.object({ ok: z.literal(false), tool: z.string(), error: ToolError, durationMs: z.number() }),
]);
export type ToolOutcome = z.infer<typeof ToolOutcome>;
