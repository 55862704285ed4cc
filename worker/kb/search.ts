import type { KbSearchMode, KbSearchResponse, KbSearchResult } from "../contract/kb";
import { database } from "../db/client";
import { getKbIndexSignature, hydrateKbChunks, keywordSearchKb } from "../db/kb";
import type { Env } from "../env";
import { AppError } from "../errors";
import { embedderFor } from "./embed";
import { ftsQuery, highlightExcerpt, queryTerms } from "./highlight";
import { DimensionMismatchError, type Embedder, type VectorIndex } from "./types";
import { vectorIndexFor } from "./vectors";

/**
 * Search over one user's indexed chunks: keyword (D1 FTS5, BM25), vector
 * (the vector index, cosine) or hybrid — both lists fused by reciprocal rank
 * fusion, which needs no calibration between BM25 and cosine scores. The
 * route and the agent's `kb.search` tool both call `searchKnowledge`.
 */

export interface SearchRequest {
  query: string;
  topK: number;
  mode: KbSearchMode;
}

export interface SearchDeps {
  embedder(env: Env): Embedder;
  vectors(env: Env): VectorIndex;
  /** Milliseconds from some fixed point, for `tookMs`. */
  clock(): number;
}

export const defaultSearchDeps: SearchDeps = { embedder: embedderFor, vectors: vectorIndexFor, clock: () => performance.now() };

/** RRF's constant (Cormack et al., 2009): damps the weight of the very top ranks so one list cannot dominate. */
export const RRF_K = 60;

export interface Ranked {
  id: string;
  score: number;
}

/** Reciprocal rank fusion: each id scores Σ 1/(k + rank) over the lists it appears in (rank from 1); ties keep the first list's order. */
export function reciprocalRankFusion(lists: Ranked[][], k = RRF_K): Ranked[] {
  const scores = new Map<string, number>();
  for (const list of lists) {
    list.forEach((hit, i) => scores.set(hit.id, (scores.get(hit.id) ?? 0) + 1 / (k + i + 1)));
  }
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}

/** Candidates fetched per list: more than asked for, since fusion reorders them and a document may stop being `indexed` before hydration. */
function candidates(topK: number, mode: KbSearchMode): number {
  return Math.min(100, mode === "hybrid" ? Math.max(40, topK * 4) : topK + 10);
}

async function vectorHits(env: Env, deps: SearchDeps, userId: string, query: string, limit: number): Promise<Ranked[]> {
  const recorded = await getKbIndexSignature(database(env), userId);
  if (!recorded) return []; // nothing indexed yet
  const embedder = deps.embedder(env);
  const signature = { embedder: embedder.id, dimensions: embedder.dimensions };
  if (recorded.embedder !== signature.embedder || recorded.dimensions !== signature.dimensions) {
    throw new AppError(409, "reindex_required", new DimensionMismatchError(recorded, signature).message, { indexed: recorded, configured: signature });
  }
  const [vector] = await embedder.embed([query]);
  try {
    return await deps.vectors(env).query(userId, signature, vector!, limit);
  } catch (e) {
    if (e instanceof DimensionMismatchError) throw new AppError(409, "reindex_required", e.message, { indexed: e.indexed, configured: e.given });
    throw e;
  }
}

export async function searchKnowledge(env: Env, userId: string, request: SearchRequest, deps: SearchDeps = defaultSearchDeps): Promise<KbSearchResponse> {
  const started = deps.clock();
  const db = database(env);
  const terms = queryTerms(request.query);
  const limit = candidates(request.topK, request.mode);
  const match = ftsQuery(terms);
  const [keyword, vector] = await Promise.all([
    request.mode !== "vector" && match ? keywordSearchKb(db, userId, match, limit) : Promise.resolve([]),
    request.mode !== "keyword" ? vectorHits(env, deps, userId, request.query, limit) : Promise.resolve([]),
  ]);
  const ranked = request.mode === "hybrid" ? reciprocalRankFusion([vector, keyword]) : request.mode === "vector" ? vector : keyword;
  // Hydrate in rank order, a window at a time: usually the first window fills topK, and the texts of the rest are never read.
  const results: KbSearchResult[] = [];
  const window = Math.max(10, request.topK * 2);
  for (let i = 0; i < ranked.length && results.length < request.topK; i += window) {
    const slice = ranked.slice(i, i + window);
    const chunks = await hydrateKbChunks(
      db,
      userId,
      slice.map((r) => r.id),
    );
    for (const hit of slice) {
      const chunk = chunks.get(hit.id);
      if (!chunk) continue; // not this user's, or its document is not `indexed` (any more)
      results.push({
        documentId: chunk.documentId,
        chunkId: chunk.id,
        title: chunk.title,
        text: chunk.text,
        score: Number(hit.score.toFixed(6)),
        headingPath: chunk.headingPath,
        highlight: highlightExcerpt(chunk.text, terms),
        offsets: { start: chunk.start, end: chunk.end },
      });
      if (results.length === request.topK) break;
    }
  }
  return { results, tookMs: Math.round((deps.clock() - started) * 100) / 100, mode: request.mode };
}
