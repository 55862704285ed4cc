import type { z } from "zod";
import type { Env } from "../env";
import type { ProviderId } from "../integrations/providers";
import type { Connection, ToolRuntime } from "./http";

/** What a tool's handler gets besides its arguments: who it acts for, and its way out to the providers. */
export interface ToolContext {
  userId: string;
  /** The worker's bindings, for feature tools that read them (the knowledge base); absent in pure tests. */
  env?: Env;
  runtime: ToolRuntime;
  /** The user's connection to one provider: API base, credentials, the runtime. */
  connection(provider: ProviderId): Connection;
}

export type ToolParameters = z.ZodObject;

export interface ToolDefinition<S extends ToolParameters = ToolParameters> {
  /** `{source}.{action}`, see ./names.ts. */
  name: string;
  /** One or two sentences for the model: what it does and when to use it. */
  description: string;
  /** Validates every call; sent to the model as JSON Schema (./schema.ts). */
  parameters: S;
  /** Returns a compact, JSON-serialisable result (./results.ts); throws `AppError` for a failure the agent should show. */
  run(args: z.output<S>, ctx: ToolContext): Promise<unknown>;
}

/** Keeps the handler's argument type tied to its schema while the registry holds tools of every shape. */
export function defineTool<S extends ToolParameters>(tool: ToolDefinition<S>): ToolDefinition {
  return tool as unknown as ToolDefinition;
}

/**
 * A group of tools registered together: an integration's (offered while
 * that integration is `active`) or a feature's such as the knowledge base
 * (offered while `available` says so, by default always).
 */
export interface ToolSource {
  /** The `provider` field of each tool in `GET /api/tools`, and the prefix of its names. */
  id: string;
  integration?: ProviderId;
  available?(env: Env, userId: string): boolean | Promise<boolean>;
  tools: ToolDefinition[];
}
