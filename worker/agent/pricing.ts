/**
 * USD per million tokens, per model: the one price table. A model missing
 * here costs 0 rather than a guess; the offline planner costs 0 by design.
 */
const PRICES: Record<string, { prompt: number; completion: number }> = {
  "offline-planner": { prompt: 0, completion: 0 },
  "gpt-4o-mini": { prompt: 0.15, completion: 0.6 },
  "gpt-4o": { prompt: 2.5, completion: 10 },
};

export function costOf(modelId: string, usage: { promptTokens: number; completionTokens: number }): number {
  const price = PRICES[modelId];
  if (!price) return 0;
  return (usage.promptTokens * price.prompt + usage.completionTokens * price.completion) / 1_000_000;
}
