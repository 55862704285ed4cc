import { describe, expect, it } from "vitest";
import { addCosts, costOf, PRICES, priceOf } from "../../worker/agent/pricing";

describe("price table", () => {
  it.each([
    // model, prompt tokens, completion tokens, USD
    ["gpt-4o-mini", 1_000_000, 1_000_000, 0.75],
    ["gpt-4o-mini", 1_200, 300, 0.00036],
    ["gpt-4o", 1_000, 500, 0.0075],
    ["gpt-4.1-mini", 10_000, 2_000, 0.0072],
    ["gpt-4.1", 1_000_000, 0, 2],
    ["gpt-4.1-nano", 0, 1_000_000, 0.4],
    ["offline-planner", 5_000, 5_000, 0],
  ])("%s: %i prompt + %i completion tokens cost $%d", (model, promptTokens, completionTokens, usd) => {
    expect(costOf(model, { promptTokens, completionTokens })).toEqual({ promptTokens, completionTokens, costUsd: usd, priced: true });
  });

  it("the offline planner is in the table and costs nothing", () => {
    expect(PRICES["offline-planner"]).toEqual({ prompt: 0, completion: 0 });
  });

  it("a dated snapshot is priced as its family; case does not matter", () => {
    expect(priceOf("gpt-4o-mini-2024-07-18")).toBe(PRICES["gpt-4o-mini"]);
    expect(priceOf("GPT-4o")).toBe(PRICES["gpt-4o"]);
  });

  it("an unknown model costs 0 with priced: false, so the UI can say the price is unknown", () => {
    expect(costOf("llama-3.1-70b", { promptTokens: 900, completionTokens: 100 })).toEqual({ promptTokens: 900, completionTokens: 100, costUsd: 0, priced: false });
  });

  it("a session's total adds its messages' and is unpriced if any is", () => {
    const a = costOf("gpt-4o-mini", { promptTokens: 1_000, completionTokens: 100 });
    const b = costOf("gpt-4o-mini", { promptTokens: 2_000, completionTokens: 200 });
    expect(addCosts([a, b])).toEqual({ promptTokens: 3_000, completionTokens: 300, costUsd: 0.00063, priced: true });
    expect(addCosts([a, costOf("mystery", { promptTokens: 1, completionTokens: 1 })]).priced).toBe(false);
    expect(addCosts([])).toEqual({ promptTokens: 0, completionTokens: 0, costUsd: 0, priced: true });
  });
});
