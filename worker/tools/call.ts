import type { z } from "zod";
import type { IntegrationStatus } from "../contract/integrations";
import type { ToolError, ToolOutcome } from "../contract/tools";
import { AppError } from "../errors";
import { log } from "../http/log";
import { fieldErrors } from "../http/validate";
import { isProviderId, type ProviderId } from "../integrations/providers";
import type { ToolContext } from "./define";
import { providerName } from "./http";
import { toolRegistry, type RegisteredTool, type ToolRegistry } from "./registry";

/**
 * Running one tool call from a model (or, later, an MCP client). Nothing
 * here throws for a bad call: an unknown or withdrawn tool, arguments that
 * do not fit the schema, a provider's refusal — each comes back as an
 * outcome the agent can show and the model can read and correct.
 */

/** The tools one user may call now, and the integrations whose tools are withheld and why. */
export interface ToolSet {
  tools: RegisteredTool[];
  unavailable: Array<{ provider: ProviderId; status: IntegrationStatus }>;
  /** Changes whenever an integration connects, reconnects, disconnects or changes status (not on a token refresh). */
  revision?: string;
}

/** Codes after which only reconnecting the integration helps. */
const RECONNECT_CODES = new Set(["not_connected", "integration_expired", "token_unreadable", "provider_unauthorized"]);

export function toolError(e: AppError): ToolError {
  const extra = e.extra;
  const provider = typeof extra.provider === "string" ? extra.provider : undefined;
  return {
    code: e.code,
    message: e.detail,
    status: e.status,
    ...(provider ? { provider } : {}),
    ...(typeof extra.providerCode === "string" ? { providerCode: extra.providerCode } : {}),
    ...(extra.errors ? { fields: extra.errors } : {}),
    ...(provider && isProviderId(provider) && RECONNECT_CODES.has(e.code) ? { reconnect: provider } : {}),
    ...(extra.outcomeUnknown === true ? { outcomeUnknown: true } : {}),
    ...(typeof extra.retryAfterSeconds === "number" ? { retryAfterSeconds: extra.retryAfterSeconds } : {}),
  };
}

/**
 * Model arguments arrive as a JSON string (OpenAI) or an object (MCP, the
 * offline planner); both are accepted. A mismatch names each failing field
 * so the model can correct the call.
 */
export async function parseToolArguments<S extends z.ZodType>(
  name: string,
  schema: S,
  raw: unknown,
): Promise<{ ok: true; value: z.output<S> } | { ok: false; error: ToolError }> {
  let value: unknown = raw;
  if (raw === undefined || raw === null || raw === "") value = {};
  else if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch {
      const fields = [{ path: "(arguments)", message: "not valid JSON" }];
      return { ok: false, error: { code: "invalid_arguments", message: `Invalid arguments for ${name}: the arguments are not valid JSON.`, status: 400, fields } };
    }
  }
  const parsed = await schema.safeParseAsync(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const fields = fieldErrors(parsed.error).map((f) => ({ ...f, path: f.path === "(body)" ? "(arguments)" : f.path }));
  const list = fields.map((f) => `${f.path}: ${f.message}`).join("; ");
  return { ok: false, error: { code: "invalid_arguments", message: `Invalid arguments for ${name}: ${list}`, status: 400, fields } };
}

export async function callTool(set: ToolSet, name: string, rawArgs: unknown, ctx: ToolContext, registry: ToolRegistry = toolRegistry): Promise<ToolOutcome> {
  const started = ctx.runtime.now();
  const done = (outcome: { ok: true; result: unknown } | { ok: false; error: ToolError }): ToolOutcome =>
    ({ ...outcome, tool: name, durationMs: Math.max(0, ctx.runtime.now() - started) }) as ToolOutcome;

  const tool = set.tools.find((t) => t.name === name);
  if (!tool) {
    const registered = registry.get(name);
    const withheld = registered?.source.integration && set.unavailable.find((u) => u.provider === registered.source.integration);
    if (withheld) {
      const what = providerName(withheld.provider);
      const why = withheld.status === "disconnected" ? "is not connected" : `is ${withheld.status}`;
      return done({
        ok: false,
        error: { code: "tool_unavailable", message: `${name} cannot run: ${what} ${why}. Ask the person to reconnect ${what}.`, status: 409, provider: withheld.provider, reconnect: withheld.provider },
      });
    }
    const known = set.tools.map((t) => t.name).join(", ") || "none";
    return done({ ok: false, error: { code: "unknown_tool", message: `There is no tool named "${name.slice(0, 64)}". Available now: ${known}.`, status: 404 } });
  }

  const args = await parseToolArguments(name, tool.parameters, rawArgs);
  if (!args.ok) return done(args);

  try {
    return done({ ok: true, result: await tool.run(args.value, ctx) });
  } catch (e) {
    if (e instanceof AppError) {
      // The provider's side failing is worth an operator's look; a refusal of the call itself is the model's to fix.
      if (e.status >= 500) log("warn", "tool_provider_failure", { tool: name, userId: ctx.userId, code: e.code, providerStatus: e.extra.providerStatus, providerCode: e.extra.providerCode });
      return done({ ok: false, error: toolError(e) });
    }
    log("error", "tool_failed", { tool: name, userId: ctx.userId, error: e instanceof Error ? e.message : String(e) });
    return done({ ok: false, error: { code: "internal_error", message: `${name} failed on our side; it may work if tried again later.`, status: 500 } });
  }
}
