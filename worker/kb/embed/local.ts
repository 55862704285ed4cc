import type { Embedder } from "../types";

/**
 * The local embedder: deterministic, nothing to download, fast enough to
 * index megabytes a second. Feature hashing (the "hashing trick") of what
 * makes two passages about the same thing: word stems, pairs of adjacent
 * stems, and character trigrams of each stem (so "invoices", "invoicing" and
 * a typo of either still meet), with sublinear term weights, into a fixed
 * 256 dimensions, L2-normalised. A feature's sign comes from its hash too,
 * so collisions cancel out on average instead of piling up.
 *
 * It is not a language model: it knows no synonyms. It stands in for one
 * offline with the same interface, and its dimension is small because the
 * local index keeps every vector in memory.
 */

export const LOCAL_EMBEDDER_ID = "local-hash-v1";
export const LOCAL_DIMENSIONS = 256;

const WORD = /[\p{L}\p{N}]+/gu;

function fold(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase();
}

/** A light suffix stripper (English-leaning): enough for plural and tense to meet, not a full Porter stemmer. */
export function stem(word: string): string {
  let w = word;
  if (w.length > 4 && w.endsWith("ies")) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && w.endsWith("sses")) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith("s") && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith("ing")) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith("ed")) w = w.slice(0, -2);
  if (w.length > 3 && w.endsWith("e")) w = w.slice(0, -1);
  return w;
}

/** FNV-1a, 32 bits, over UTF-16 code units, starting from a per-kind seed. */
function hash(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const SEED_WORD = 0x811c9dc5;
const SEED_PAIR = 0x9e3779b9;
const SEED_GRAM = 0x85ebca6b;

export function embedLocally(text: string, dimensions = LOCAL_DIMENSIONS): Float32Array {
  const vector = new Float32Array(dimensions);
  const put = (h: number, w: number) => {
    vector[h % dimensions]! += h & 0x80000000 ? -w : w;
  };
  // Words and word pairs are counted first, so their weight can grow sublinearly with repetition.
  const counts = new Map<number, number>();
  let previous: string | undefined;
  for (const m of fold(text).matchAll(WORD)) {
    const s = stem(m[0]);
    const h = hash(s, SEED_WORD);
    counts.set(h, (counts.get(h) ?? 0) + 1);
    if (previous !== undefined) {
      const pair = hash(s, hash(previous, SEED_PAIR));
      counts.set(pair, (counts.get(pair) ?? 0) + 0.25);
    }
    previous = s;
    // Character trigrams of "<stem>", hashed in place (no substrings), each a small fixed weight.
    const n = s.length + 2;
    for (let i = 0; i + 3 <= n; i++) {
      let g = SEED_GRAM;
      for (let j = i; j < i + 3; j++) {
        g ^= j === 0 ? 60 : j === n - 1 ? 62 : s.charCodeAt(j - 1);
        g = Math.imul(g, 0x01000193);
      }
      put(g >>> 0, 0.25);
    }
  }
  // Sublinear term frequency: the tenth mention of a word adds far less than the first.
  for (const [h, c] of counts) put(h, Math.sqrt(c));
  let norm = 0;
  for (let i = 0; i < dimensions; i++) norm += vector[i]! * vector[i]!;
  if (norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < dimensions; i++) vector[i]! *= inv;
  }
  return vector;
}

export class LocalEmbedder implements Embedder {
  readonly id = LOCAL_EMBEDDER_ID;
  readonly dimensions = LOCAL_DIMENSIONS;

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => embedLocally(t, this.dimensions));
  }
}
