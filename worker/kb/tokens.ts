import { countTokens as countCl100k } from "gpt-tokenizer/encoding/cl100k_base";

/**
 * Tokens as OpenAI's embedding models count them (cl100k_base, the encoding
 * of text-embedding-3-*): what "a 500-token chunk" means. The module is
 * imported by encoding so the bundle carries one table, not every model's.
 */
export function countTokens(text: string): number {
  return text ? countCl100k(text) : 0;
}
