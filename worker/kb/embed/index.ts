import { getConfig, requireConfig } from "../../config";
import type { Env } from "../../env";
import type { Embedder } from "../types";
import { LocalEmbedder } from "./local";
import { OpenAIEmbedder } from "./openai";
import { WorkersAiEmbedder } from "./workers-ai";

const local = new LocalEmbedder();

/**
 * The one place the embedder is chosen. KB_EMBEDDER names one; unset, it is
 * OpenAI when OPENAI_API_KEY is set, else Workers AI when the AI binding is
 * there, else the local embedder. The choice is recorded with each user's
 * index (`kb_indexes`), so changing it later asks for a reindex instead of
 * mixing vectors of two models.
 */
export function embedderFor(env: Env): Embedder {
  const cfg = getConfig(env);
  const choice = cfg.kbEmbedder ?? (cfg.openai.apiKey ? "openai" : env.AI ? "workers-ai" : "local");
  if (cfg.problems.some((p) => p.variable === "KB_EMBEDDER")) requireConfig(cfg, "KB_EMBEDDER", undefined);
  switch (choice) {
    case "openai":
      return new OpenAIEmbedder({ apiKey: requireConfig(cfg, "OPENAI_API_KEY", cfg.openai.apiKey), baseUrl: cfg.openai.baseUrl, model: cfg.openai.embeddingModel });
    case "workers-ai":
      return new WorkersAiEmbedder(requireConfig(cfg, "AI", env.AI));
    case "local":
      return local;
  }
}
