import { z } from "zod";
import type { Tool } from "../contract/integrations";
import type { ToolOutcome } from "../contract/tools";
import { callTool, parseToolArguments, type ToolSet } from "./call";
import type { ToolContext } from "./define";
import { describeTool, toolRegistry, type RegisteredTool, type ToolRegistry } from "./registry";
import { modelParameters } from "./schema";

/**
 * What the model is offered each turn. Up to a threshold (config
 * `AGENT_META_TOOLS_THRESHOLD`, default 16) that is every available tool
 * with its schema; past it, two meta tools instead — `tools_search` to find
 * tools and read their schemas, `tools_call` to run one — so the per-turn
 * payload stays the same size however many tools are connected (the
 * pattern of Composio's and Klavis's MCP servers).
 */

export const TOOLS_SEARCH = "tools_search";
export const TOOLS_CALL = "tools_call";

const SearchArgs = z.object({
  query: z.string().min(1).max(200).describe("What the tool should do, in a few words"),
  limit: z.number().int().min(1).max(10).default(5),
});
const CallArgs = z.object({
  name: z.string().min(1).max(64).describe("A tool name from tools_search"),
  arguments: z.record(z.string(), z.unknown()).default({}).describe("Arguments matching that tool's parameters"),
});

export interface ToolMenu {
  mode: "direct" | "meta";
  /** The function list to send to the model. */
  tools: Tool[];
  /** Runs a call the model made against this menu. */
  call(name: string, rawArgs: unknown, ctx: ToolContext): Promise<ToolOutcome>;
}

const words = (text: string) => text.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length >= 2);

/** Tools ranked by how many query words they contain (a word matches a tool word that starts with it, or the reverse). */
export function searchTools(tools: RegisteredTool[], query: string, limit: number): RegisteredTool[] {
  const asked = words(query);
  const scored = tools.map((tool, index) => {
    const own = words(`${tool.name} ${tool.source.id} ${tool.description}`);
    const score = asked.filter((q) => own.some((w) => (q.length >= 3 && w.startsWith(q)) || (w.length >= 3 && q.startsWith(w)) || w === q)).length;
    return { tool, score, index };
  });
  return scored
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, limit)
    .map((s) => s.tool);
}

export function toolMenu(set: ToolSet, threshold: number, registry: ToolRegistry = toolRegistry): ToolMenu {
  if (set.tools.length <= threshold) {
    return { mode: "direct", tools: set.tools.map(describeTool), call: (name, raw, ctx) => callTool(set, name, raw, ctx, registry) };
  }
  const sources = [...new Set(set.tools.map((t) => t.source.id))].join(", ");
  const tools: Tool[] = [
    {
      name: TOOLS_SEARCH,
      provider: "tools",
      description: `Find tools by what they do among the ${set.tools.length} available (${sources}); returns their names and parameters.`,
      parameters: modelParameters(SearchArgs),
    },
    {
      name: TOOLS_CALL,
      provider: "tools",
      description: "Run a tool found with tools_search.",
      parameters: modelParameters(CallArgs),
    },
  ];
  return {
    mode: "meta",
    tools,
    async call(name, raw, ctx) {
      const t0 = ctx.runtime.now();
      const took = () => Math.max(0, ctx.runtime.now() - t0);
      if (name === TOOLS_SEARCH) {
        const parsed = await parseToolArguments(TOOLS_SEARCH, SearchArgs, raw);
        if (!parsed.ok) return { ok: false, tool: name, durationMs: took(), error: parsed.error };
        const matches = searchTools(set.tools, parsed.value.query, parsed.value.limit).map(describeTool);
        const result = matches.length > 0 ? { matches } : { matches, available: set.tools.map((t) => t.name) };
        return { ok: true, tool: name, durationMs: took(), result };
      }
      if (name === TOOLS_CALL) {
        const parsed = await parseToolArguments(TOOLS_CALL, CallArgs, raw);
        if (!parsed.ok) return { ok: false, tool: name, durationMs: took(), error: parsed.error };
        return callTool(set, parsed.value.name, parsed.value.arguments, ctx, registry);
      }
      // A model that saw the full list on an earlier turn may still name a tool directly; that works the same.
      return callTool(set, name, raw, ctx, registry);
    },
  };
}
