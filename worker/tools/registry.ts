import type { Tool } from "../contract/integrations";
import { isProviderId, providerSpec } from "../integrations/providers";
import { calendarTools } from "./calendar";
import type { ToolDefinition, ToolSource } from "./define";
import { githubTools } from "./github";
import { gmailTools } from "./gmail";
import { isToolName } from "./names";
import { modelParameters } from "./schema";
import { slackTools } from "./slack";

/**
 * The one list of tools: names, descriptions, parameter schemas and
 * handlers. The four integrations register here; any other feature (the
 * knowledge base's `kb.search`) calls `toolRegistry.register(...)` from its
 * own folder. What a user may call right now is ./live.ts's `toolsForUser`.
 */

export interface RegisteredTool extends ToolDefinition {
  source: ToolSource;
  /** JSON Schema of `parameters` as the model gets it (computed once). */
  jsonSchema: Record<string, unknown>;
}

export class ToolRegistry {
  readonly #tools = new Map<string, RegisteredTool>();

  /** Adds a source's tools; returns the function that takes them out again. Throws on a name that is malformed, taken, or not the source's. */
  register(source: ToolSource): () => void {
    for (const tool of source.tools) {
      if (!isToolName(tool.name) || !tool.name.startsWith(`${source.id}.`)) {
        throw new Error(`tool "${tool.name}" must be named "${source.id}.{action}" in lower-case words joined by "_"`);
      }
      if (this.#tools.has(tool.name)) throw new Error(`tool "${tool.name}" is registered twice`);
    }
    if (source.integration) {
      // providers.ts lists each integration's tools for the Integrations page; it must say what is really offered.
      const listed = providerSpec(source.integration).tools;
      const names = source.tools.map((t) => t.name);
      if (listed.join() !== names.join()) throw new Error(`${source.integration}'s tools in providers.ts (${listed.join(", ")}) differ from its registered tools (${names.join(", ")})`);
    } else if (isProviderId(source.id)) {
      throw new Error(`"${source.id}" is an integration: register its tools with integration set`);
    }
    const added = source.tools.map((tool) => ({ ...tool, source, jsonSchema: modelParameters(tool.parameters) }));
    for (const tool of added) this.#tools.set(tool.name, tool);
    return () => {
      for (const tool of added) if (this.#tools.get(tool.name) === tool) this.#tools.delete(tool.name);
    };
  }

  list(): RegisteredTool[] {
    return [...this.#tools.values()];
  }

  get(name: string): RegisteredTool | undefined {
    return this.#tools.get(name);
  }
}

/** What `GET /api/tools` and the agent's tool list show of one tool. */
export function describeTool(tool: RegisteredTool): Tool {
  return { name: tool.name, provider: tool.source.id, description: tool.description, parameters: tool.jsonSchema };
}

export const toolRegistry = new ToolRegistry();

for (const source of [gmailTools, calendarTools, slackTools, githubTools]) toolRegistry.register(source);
