import { env, SELF } from "cloudflare:test";
import type { KbDocument, KbDocumentDetail, KbMimeType, KbSearchBody, KbSearchResponse } from "../../worker/contract/kb";
import type { Env } from "../../worker/env";
import { defaultIndexingDeps, indexDocument, type IndexingDeps, type RunOutcome } from "../../worker/kb/pipeline";
import type { IndexMessage } from "../../worker/kb/queue";
import type { VectorIndex } from "../../worker/kb/types";
import { storeUpload } from "../../worker/kb/upload";
import { vectorIndexFor } from "../../worker/kb/vectors";
import { authed, ORIGIN, type TestUser } from "./realtime-helpers";

/**
 * The knowledge base's tests drive the pipeline themselves where they need
 * to hold or repeat a run: `quietEnv` is the real environment (D1, R2, the
 * local vector index, the hubs) whose `KB_INDEX` records messages instead of
 * queueing them, so no consumer runs behind the test's back. The end-to-end
 * tests use the real queue.
 */
export interface QuietEnv {
  env: Env;
  sent: IndexMessage[];
}

export function quietEnv(overrides: Partial<Env> = {}): QuietEnv {
  const sent: IndexMessage[] = [];
  const queue = {
    async send(body: IndexMessage) {
      sent.push(body);
    },
    async sendBatch(messages: { body: IndexMessage }[]) {
      sent.push(...messages.map((m) => m.body));
    },
  } as unknown as Queue;
  return { env: { ...(env as unknown as Env), KB_INDEX: queue, ...overrides }, sent };
}

export async function addDocument(q: QuietEnv, user: TestUser, title: string, content: string | Uint8Array, mimeType: KbMimeType = "text/markdown"): Promise<KbDocument> {
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  return storeUpload(q.env, user.id, { title, mimeType, bytes }, new Date());
}

export function runIndexing(q: QuietEnv, user: TestUser, doc: { id: string }, deps: Partial<IndexingDeps> = {}): Promise<RunOutcome> {
  return indexDocument(q.env, { documentId: doc.id, userId: user.id }, { ...defaultIndexingDeps, ...deps });
}

/** The real vector index, with `afterUpsert` run once each upsert has written (to hold a run there, or act in the middle of it). */
export function vectorsAfterUpsert(q: QuietEnv, afterUpsert: () => Promise<void>): VectorIndex {
  const real = vectorIndexFor(q.env);
  return {
    query: real.query.bind(real),
    deleteByIds: real.deleteByIds.bind(real),
    reset: real.reset.bind(real),
    fixedDimensions: real.fixedDimensions.bind(real),
    async upsert(userId, signature, vectors) {
      await real.upsert(userId, signature, vectors);
      await afterUpsert();
    },
  };
}

export async function kbApi(user: TestUser, method: string, path: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "content-type": "application/json" };
  }
  return SELF.fetch(`${ORIGIN}/api/kb${path}`, authed(user, init));
}

export async function searchKb(user: TestUser, body: KbSearchBody): Promise<KbSearchResponse> {
  const res = await kbApi(user, "POST", "/search", body);
  if (res.status !== 200) throw new Error(`search failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as KbSearchResponse;
}

export async function detail(user: TestUser, id: string): Promise<KbDocumentDetail> {
  const res = await kbApi(user, "GET", `/documents/${id}`);
  if (res.status !== 200) throw new Error(`detail failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as KbDocumentDetail;
}

/** What a document left in D1: chunk rows, keyword-index entries (FTS5's docsize rows for those chunks' rowids) and text parts. */
export async function storedCounts(documentId: string): Promise<{ chunks: number; keyword: number; texts: number }> {
  const row = await env.DB.prepare(
    `SELECT
       (SELECT count(*) FROM kb_chunks WHERE document_id = ?1) AS chunks,
       (SELECT count(*) FROM kb_chunks_fts_docsize WHERE id IN (SELECT rowid FROM kb_chunks WHERE document_id = ?1)) AS keyword,
       (SELECT count(*) FROM kb_texts WHERE document_id = ?1) AS texts`,
  )
    .bind(documentId)
    .first<{ chunks: number; keyword: number; texts: number }>();
  return row!;
}

/** Keyword-index entries whose chunk row is gone: must always be none. */
export async function orphanedKeywordEntries(): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM kb_chunks_fts_docsize WHERE id NOT IN (SELECT rowid FROM kb_chunks)`).first<{ n: number }>();
  return row!.n;
}

/** A guide with headings and distinct words per section, so each search has one right passage. */
export const GUIDE = `# Field guide

## Lighthouses

The lighthouse keeper trims the wick at dusk and logs every passing schooner in the ledger.

## Orchards

Quince and medlar trees need frost before their fruit softens; the orchard ladder leans on the north wall.

## Observatory

The refracting telescope sits under a copper dome that rotates on bronze rollers.
`;
