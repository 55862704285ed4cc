import type { Env } from "../env";
import { embedderFor } from "./embed";
import { vectorIndexFor } from "./vectors";

/**
 * Whether the knowledge base can index and search at all: the embedder the configuration picks must make vectors
 * the index accepts. Vectorize has one dimension, fixed when it was created (1,536 by `npm run provision`); a
 * deployment without OPENAI_API_KEY falls back to the 256-dimension local embedder, and then every upload would
 * fail. Said here, where the operator looks after a deploy, instead of in the first person's failed document.
 * Throws when Vectorize cannot be asked (the caller logs it and reports the check failed).
 */
export async function knowledgeHealth(env: Env): Promise<{ ok: boolean; details: Record<string, unknown> }> {
  const backend = env.VECTORIZE ? "vectorize" : "local";
  let embedder: ReturnType<typeof embedderFor>;
  try {
    embedder = embedderFor(env);
  } catch {
    // KB_EMBEDDER names a provider whose key or binding is missing; the config check names the variable.
    return { ok: false, details: { backend, problem: "embedder_unavailable" } };
  }
  const indexDimensions = await vectorIndexFor(env).fixedDimensions();
  const ok = indexDimensions === null || indexDimensions === embedder.dimensions;
  return {
    ok,
    details: {
      backend,
      embedder: embedder.id,
      dimensions: embedder.dimensions,
      ...(indexDimensions === null ? {} : { indexDimensions }),
      ...(ok ? {} : { problem: "dimension_mismatch" }),
    },
  };
}
