import { AppError } from "../../errors";
import type { Embedder } from "../types";
import { normalise } from "./openai";

export const WORKERS_AI_EMBEDDING_MODEL = "@cf/baai/bge-base-en-v1.5";
const BATCH = 100;

/** Workers AI's bge-base-en-v1.5 (768 dimensions) through the `AI` binding: production only, Workers AI has no local mode. */
export class WorkersAiEmbedder implements Embedder {
  readonly id = `workers-ai:${WORKERS_AI_EMBEDDING_MODEL}`;
  readonly dimensions = 768;

  constructor(private readonly ai: Ai) {}

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += BATCH) {
      const text = texts.slice(i, i + BATCH).map((t) => t || " ");
      let res: { data?: number[][] };
      try {
        res = (await this.ai.run(WORKERS_AI_EMBEDDING_MODEL, { text })) as { data?: number[][] };
      } catch (e) {
        throw new AppError(502, "embedding_failed", `Workers AI failed: ${(e as Error).message.slice(0, 200)}`);
      }
      if (!res.data || res.data.length !== text.length) throw new AppError(502, "embedding_failed", "Workers AI returned no vector for some inputs.");
      for (const v of res.data) out.push(normalise(Float32Array.from(v)));
    }
    return out;
  }
}
