import type { Config } from "../config";
import type { ChatModel } from "./model";
import { OfflinePlanner, type OfflinePlannerOptions } from "./offline-planner";
import { OpenAIChatModel, type OpenAIModelOptions } from "./openai-model";

/**
 * The one place that picks the model: OPENAI_API_KEY set → the
 * OpenAI-compatible model at OPENAI_BASE_URL (OpenAI's own when unset) with
 * OPENAI_MODEL; otherwise the offline planner, so a checkout with no key
 * still runs whole turns against the sandbox providers.
 */
export interface ModelOverrides {
  /** Test and bench hooks: the planner's clock, the OpenAI client's deadline, fetch, retries. */
  offline?: OfflinePlannerOptions;
  openai?: Partial<Omit<OpenAIModelOptions, "apiKey" | "baseUrl" | "model">>;
}

export function chatModelFor(cfg: Pick<Config, "openai">, overrides: ModelOverrides = {}): ChatModel {
  const { apiKey, baseUrl, model } = cfg.openai;
  if (apiKey) return new OpenAIChatModel({ ...overrides.openai, apiKey, baseUrl, model });
  return new OfflinePlanner(overrides.offline);
}
