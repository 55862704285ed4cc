import type { Usage } from "../contract/agent";
import { OFFLINE_PLANNER_ID } from "./offline-planner";

/**
 * What a turn costs, from one price table kept here: USD per million prompt
 * and completion tokens, as the providers publish them for standard (not
 * batch, not cached-input) requests. A model that is not in the table is
 * costed 0 with `priced: false`, so the UI says "price unknown" instead of
 * showing a free turn that was not free.
 */

export interface Price {
  /** USD per 1M prompt (input) tokens. */
  prompt: number;
  /** USD per 1M completion (output) tokens. */
  completion: number;
}

export const PRICES: Readonly<Record<string, Price>> = {
  [OFFLINE_PLANNER_ID]: { prompt: 0, completion: 0 },
  "gpt-4o-mini": { prompt: 0.15, completion: 0.6 },
  "gpt-4o": { prompt: 2.5, completion: 10 },
  "gpt-4.1": { prompt: 2, completion: 8 },
  "gpt-4.1-mini": { prompt: 0.4, completion: 1.6 },
  "gpt-4.1-nano": { prompt: 0.1, completion: 0.4 },
  "o4-mini": { prompt: 1.1, completion: 4.4 },
  "o3-mini": { prompt: 1.1, completion: 4.4 },
};

export interface Cost extends Usage {
  /** False when the model is not in the price table: `costUsd` is then 0 and means "unknown", not "free". */
  priced: boolean;
}

/**
 * Dated snapshots (`gpt-4o-mini-2024-07-18`) cost what their family does;
 * anything else is looked up as given, case-insensitively.
 */
export function priceOf(modelId: string): Price | undefined {
  const id = modelId.trim().toLowerCase();
  return PRICES[id] ?? PRICES[id.replace(/-\d{4}-\d{2}-\d{2}$/, "")];
}

export function costOf(modelId: string, usage: { promptTokens: number; completionTokens: number }): Cost {
  const price = priceOf(modelId);
  const promptTokens = Math.max(0, Math.floor(usage.promptTokens));
  const completionTokens = Math.max(0, Math.floor(usage.completionTokens));
  if (!price) return { promptTokens, completionTokens, costUsd: 0, priced: false };
  return { promptTokens, completionTokens, costUsd: roundUsd((promptTokens * price.prompt + completionTokens * price.completion) / 1_000_000), priced: true };
}

/** Adds usages (a session's total from its messages'); unpriced if any part is. */
export function addCosts(costs: Cost[]): Cost {
  return costs.reduce<Cost>(
    (sum, c) => ({
      promptTokens: sum.promptTokens + c.promptTokens,
      completionTokens: sum.completionTokens + c.completionTokens,
      costUsd: roundUsd(sum.costUsd + c.costUsd),
      priced: sum.priced && c.priced,
    }),
    { promptTokens: 0, completionTokens: 0, costUsd: 0, priced: true },
  );
}

/** Twelve decimals: exact enough for a millionth of a cent, and free of float noise such as 0.30000000000000004. */
function roundUsd(n: number): number {
  return Math.round(n * 1e12) / 1e12;
}
