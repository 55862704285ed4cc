import OpenAI from "openai";
import { AppError } from "../../errors";
import type { Embedder } from "../types";

/**
 * Embeddings from OpenAI (or any server speaking its API at OPENAI_BASE_URL)
 * through the `openai` SDK, which retries 408/409/429/5xx and dropped
 * connections with backoff, honouring Retry-After. Inputs go in batches of
 * 96; vectors come back normalised and in input order whatever order the
 * API lists them in. Failures are `embedding_failed` (502) carrying the
 * status, never the key or the API's text about it.
 */

export const OPENAI_EMBED_BATCH = 96;
/** Vectorize holds at most 1,536 dimensions: larger models are asked for that many (their API supports shortening). */
const MAX_DIMENSIONS = 1536;
const KNOWN_DIMENSIONS: Record<string, number> = { "text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536 };

export interface OpenAIEmbedderOptions {
  apiKey: string;
  baseUrl?: string | undefined;
  model: string;
  maxRetries?: number;
  fetch?: typeof fetch;
}

export class OpenAIEmbedder implements Embedder {
  readonly id: string;
  readonly dimensions: number;
  readonly #client: OpenAI;
  readonly #model: string;
  readonly #apiKey: string;
  readonly #shorten: boolean;

  constructor(options: OpenAIEmbedderOptions) {
    this.#model = options.model;
    this.#apiKey = options.apiKey;
    const native = KNOWN_DIMENSIONS[options.model] ?? MAX_DIMENSIONS;
    this.dimensions = Math.min(native, MAX_DIMENSIONS);
    this.#shorten = native > MAX_DIMENSIONS;
    this.id = `openai:${options.model}${this.#shorten ? `@${this.dimensions}` : ""}`;
    this.#client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseUrl, maxRetries: options.maxRetries ?? 3, timeout: 30_000, ...(options.fetch ? { fetch: options.fetch } : {}) });
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += OPENAI_EMBED_BATCH) {
      const input = texts.slice(i, i + OPENAI_EMBED_BATCH).map((t) => t || " ");
      let res;
      try {
        res = await this.#client.embeddings.create({ model: this.#model, input, encoding_format: "float", ...(this.#shorten ? { dimensions: this.dimensions } : {}) });
      } catch (e) {
        throw this.#failure(e);
      }
      const byIndex = [...res.data].sort((a, b) => a.index - b.index);
      if (byIndex.length !== input.length) throw new AppError(502, "embedding_failed", `The embedding API returned ${byIndex.length} vectors for ${input.length} inputs.`);
      for (const item of byIndex) {
        if (item.embedding.length !== this.dimensions) {
          throw new AppError(502, "embedding_failed", `The embedding API returned ${item.embedding.length} dimensions, not ${this.dimensions}.`);
        }
        out.push(normalise(Float32Array.from(item.embedding)));
      }
    }
    return out;
  }

  #failure(e: unknown): AppError {
    if (e instanceof OpenAI.APIError && typeof e.status === "number") {
      if (e.status === 401 || e.status === 403) return new AppError(502, "embedding_failed", "The embedding API refused the configured OPENAI_API_KEY.", { providerStatus: e.status });
      return new AppError(502, "embedding_failed", `The embedding API failed (${e.status}).`, { providerStatus: e.status });
    }
    const text = (e instanceof Error ? e.message : String(e)).split(this.#apiKey).join("[key]");
    return new AppError(502, "embedding_failed", `The embedding API could not be reached: ${text.slice(0, 200)}`);
  }
}

export function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  if (n > 0) {
    const inv = 1 / Math.sqrt(n);
    for (let i = 0; i < v.length; i++) v[i]! *= inv;
  }
  return v;
}
