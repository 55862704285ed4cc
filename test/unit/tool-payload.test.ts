import { countTokens } from "gpt-tokenizer";
import { countChatCompletionTokens } from "gpt-tokenizer/model/gpt-4o-mini";
import { describe, expect, it } from "vitest";
import type { Tool } from "../../worker/contract/integrations";
import type { ToolSet } from "../../worker/tools/call";
import { toolMenu } from "../../worker/tools/meta";
import { asFunctionTools } from "../../worker/tools/names";
import { toolRegistry } from "../../worker/tools/registry";

/**
 * The tool list goes to the model on every turn, so its size is a cost per
 * turn. Measured with a real BPE tokenizer (gpt-tokenizer, o200k_base — the
 * encoding of the gpt-4o family, the default model), not a character
 * estimate: the JSON request payload itself, and the model-side rendering
 * OpenAI bills for it.
 */

const BUDGET_TOKENS = 2_500;
const everyProvider: ToolSet = { tools: toolRegistry.list().filter((t) => t.source.integration), unavailable: [] };

function payloadTokens(tools: Tool[]) {
  const functions = asFunctionTools(tools);
  return {
    json: countTokens(JSON.stringify(functions)),
    rendered: countChatCompletionTokens!({
      messages: [],
      functions: functions.map((f) => f.function) as unknown as NonNullable<Parameters<NonNullable<typeof countChatCompletionTokens>>[0]["functions"]>,
    }),
  };
}

describe("tool payload size", () => {
  it(`with every provider connected, the full list stays under ${BUDGET_TOKENS} tokens`, () => {
    const menu = toolMenu(everyProvider, 16);
    expect(menu.mode).toBe("direct");
    expect(menu.tools).toHaveLength(11);
    const tokens = payloadTokens(menu.tools);
    console.log(`tool payload, 11 tools: ${tokens.json} tokens as JSON, ${tokens.rendered} as the model renders it`);
    expect(tokens.json).toBeLessThan(BUDGET_TOKENS);
    expect(tokens.rendered).toBeLessThan(tokens.json);
  });

  it("the meta tools cost a fraction of that, whatever the number of tools behind them", () => {
    const menu = toolMenu(everyProvider, 4);
    expect(menu.mode).toBe("meta");
    const tokens = payloadTokens(menu.tools);
    console.log(`tool payload, meta tools: ${tokens.json} tokens as JSON, ${tokens.rendered} as the model renders it`);
    expect(tokens.json).toBeLessThan(payloadTokens(toolMenu(everyProvider, 16).tools).json / 4);
  });

  it("no tool's schema carries zod's long format regexes or the dialect line", () => {
    const text = JSON.stringify(toolRegistry.list().map((t) => t.jsonSchema));
    expect(text).not.toContain("$schema");
    expect(text).not.toContain("(?:");
  });
});
