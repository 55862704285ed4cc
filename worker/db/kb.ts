import { and, asc, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import type { KbChunkRef, KbDocument, KbDocumentStatus, KbMimeType } from "../contract/kb";
import type { Chunk, IndexSignature } from "../kb/types";
import type { Database } from "./client";
import { kbChunks, kbDocuments, kbIndexes, kbTexts } from "./schema";

/**
 * Every query of the knowledge base. D1 binds at most 100 parameters per
 * statement, so multi-row writes and `IN (…)` reads go in slices sized by
 * their column count; a set of writes that belongs together is one
 * `db.batch`, which D1 runs as one transaction.
 */

export type KbDocumentRow = typeof kbDocuments.$inferSelect;
export type KbChunkRow = typeof kbChunks.$inferSelect;

const MAX_PARAMS = 100;
/** Characters per stored text part: a D1 value is at most 2 MB, and a character can take up to 3 bytes in UTF-8. */
export const TEXT_PART_CHARS = 500_000;

function slices<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function toKbDocument(row: KbDocumentRow): KbDocument {
  return {
    id: row.id,
    title: row.title,
    mimeType: row.mimeType as KbMimeType,
    bytes: row.bytes,
    status: row.status as KbDocumentStatus,
    chunks: row.status === "indexed" ? row.chunkCount : 0,
    progress: row.status === "indexed" ? 100 : row.progress,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Whether the user has anything to search: `kb.search` is offered only then. */
export async function hasIndexedKbDocument(db: Database, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: kbDocuments.id })
    .from(kbDocuments)
    .where(and(eq(kbDocuments.userId, userId), eq(kbDocuments.status, "indexed")))
    .limit(1);
  return row !== undefined;
}

export async function insertKbDocument(db: Database, row: typeof kbDocuments.$inferInsert): Promise<KbDocumentRow> {
  const [inserted] = await db.insert(kbDocuments).values(row).returning();
  return inserted!;
}

export function listKbDocuments(db: Database, userId: string): Promise<KbDocumentRow[]> {
  return db.select().from(kbDocuments).where(eq(kbDocuments.userId, userId)).orderBy(desc(kbDocuments.createdAt), desc(kbDocuments.id));
}

/** The caller's document, or undefined for another user's and for an unknown id alike. */
export async function findKbDocument(db: Database, userId: string, id: string): Promise<KbDocumentRow | undefined> {
  const [row] = await db
    .select()
    .from(kbDocuments)
    .where(and(eq(kbDocuments.id, id), eq(kbDocuments.userId, userId)))
    .limit(1);
  return row;
}

/**
 * Starts an indexing run: only a `pending` or `indexing` document (a run that
 * died, or a redelivered message) is taken; an `indexed` or `failed` one, or
 * a deleted one, answers undefined and the message is done.
 */
export async function claimKbDocument(db: Database, id: string, now: Date): Promise<KbDocumentRow | undefined> {
  const [row] = await db
    .update(kbDocuments)
    .set({ status: "indexing", progress: 0, attempts: sql`${kbDocuments.attempts} + 1`, indexingStartedAt: now, updatedAt: now })
    .where(and(eq(kbDocuments.id, id), inArray(kbDocuments.status, ["pending", "indexing"])))
    .returning();
  return row;
}

export async function setKbProgress(db: Database, id: string, progress: number, now: Date): Promise<void> {
  await db
    .update(kbDocuments)
    .set({ progress, updatedAt: now })
    .where(and(eq(kbDocuments.id, id), eq(kbDocuments.status, "indexing")));
}

/** Records a transient failure of the current run (the dead-letter consumer turns the last one into the reason). */
export async function noteKbAttemptError(db: Database, id: string, error: string, now: Date): Promise<void> {
  await db.update(kbDocuments).set({ error, updatedAt: now }).where(eq(kbDocuments.id, id));
}

export async function markKbFailed(db: Database, id: string, error: string, now: Date): Promise<KbDocumentRow | undefined> {
  const [row] = await db
    .update(kbDocuments)
    .set({ status: "failed", error, progress: 0, indexingStartedAt: null, updatedAt: now })
    .where(and(eq(kbDocuments.id, id), inArray(kbDocuments.status, ["pending", "indexing"])))
    .returning();
  return row;
}

/** A `failed` document back to `pending`, its error cleared (a dead letter requeued by an operator); undefined when it was not failed. */
export async function reviveFailedKbDocument(db: Database, userId: string, id: string, now: Date): Promise<KbDocumentRow | undefined> {
  const [row] = await db
    .update(kbDocuments)
    .set({ status: "pending", error: null, progress: 0, attempts: 0, indexingStartedAt: null, updatedAt: now })
    .where(and(eq(kbDocuments.id, id), eq(kbDocuments.userId, userId), eq(kbDocuments.status, "failed")))
    .returning();
  return row;
}

/** Back to `pending` for another run (the cron pass's retry, a reindex). */
export async function requeueKbDocument(db: Database, id: string, now: Date): Promise<void> {
  await db.update(kbDocuments).set({ status: "pending", progress: 0, indexingStartedAt: null, updatedAt: now }).where(eq(kbDocuments.id, id));
}

export async function replaceKbText(db: Database, documentId: string, text: string): Promise<void> {
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + TEXT_PART_CHARS);
    // Never split a surrogate pair across two rows.
    if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end -= 1;
    parts.push(text.slice(start, end));
    start = end;
  }
  await db.batch([
    db.delete(kbTexts).where(eq(kbTexts.documentId, documentId)),
    ...parts.map((content, part) => db.insert(kbTexts).values({ documentId, part, content })),
  ]);
}

export async function readKbText(db: Database, documentId: string): Promise<string> {
  const rows = await db.select({ content: kbTexts.content }).from(kbTexts).where(eq(kbTexts.documentId, documentId)).orderBy(asc(kbTexts.part));
  return rows.map((r) => r.content).join("");
}

export const chunkId = (documentId: string, ordinal: number) => `${documentId}:${ordinal}`;

/**
 * The commit of an indexing run, in one transaction: the document's old
 * chunks (and, through the triggers, their keyword entries) go, the new ones
 * come, and the document becomes `indexed`. Search reads chunks only of
 * `indexed` documents, so before this nothing of the run is found and after
 * it all of it is; a run repeated after a crash or a redelivery leaves
 * exactly one set. False when the document is no longer `indexing` (deleted,
 * or failed by the cron pass): then nothing was written.
 */
export async function commitKbDocument(db: Database, userId: string, documentId: string, chunks: Chunk[], embedder: string, now: Date): Promise<boolean> {
  const rows = chunks.map((c) => ({
    id: chunkId(documentId, c.ordinal),
    userId,
    documentId,
    ordinal: c.ordinal,
    text: c.text,
    headingPath: JSON.stringify(c.headingPath),
    start: c.start,
    end: c.end,
    tokens: c.tokens,
  }));
  const perStatement = Math.floor(MAX_PARAMS / 9);
  const [flipped] = await db.batch([
    db
      .update(kbDocuments)
      .set({ status: "indexed", chunkCount: chunks.length, progress: 100, error: null, embedder, indexingStartedAt: null, updatedAt: now })
      .where(and(eq(kbDocuments.id, documentId), eq(kbDocuments.status, "indexing")))
      .returning({ id: kbDocuments.id }),
    db.delete(kbChunks).where(eq(kbChunks.documentId, documentId)),
    ...slices(rows, perStatement).map((s) => db.insert(kbChunks).values(s)),
  ]);
  if (flipped.length > 0) return true;
  // Failed by the cron pass meanwhile: its chunks must not outlive the run (a deleted document's insert failed on its foreign key and rolled back).
  await db.delete(kbChunks).where(and(eq(kbChunks.documentId, documentId), sql`NOT EXISTS (SELECT 1 FROM kb_documents WHERE id = ${documentId} AND status = 'indexed')`));
  return false;
}

export async function listKbChunkIds(db: Database, where: { userId: string } | { documentId: string }): Promise<string[]> {
  const rows = await db
    .select({ id: kbChunks.id })
    .from(kbChunks)
    .where("userId" in where ? eq(kbChunks.userId, where.userId) : eq(kbChunks.documentId, where.documentId));
  return rows.map((r) => r.id);
}

export async function listKbChunkRefs(db: Database, documentId: string): Promise<KbChunkRef[]> {
  const rows = await db
    .select({ id: kbChunks.id, ordinal: kbChunks.ordinal, start: kbChunks.start, end: kbChunks.end, headingPath: kbChunks.headingPath })
    .from(kbChunks)
    .where(eq(kbChunks.documentId, documentId))
    .orderBy(asc(kbChunks.ordinal));
  return rows.map((r) => ({ ...r, headingPath: JSON.parse(r.headingPath) as string[] }));
}

/** Removes the document; its text and chunks (and their keyword entries) go with it by cascade. */
export async function deleteKbDocument(db: Database, userId: string, id: string): Promise<void> {
  await db.delete(kbDocuments).where(and(eq(kbDocuments.id, id), eq(kbDocuments.userId, userId)));
}

export interface KeywordHit {
  id: string;
  /** BM25 relevance, higher is better (SQLite's bm25() is lower-is-better, so it is negated). */
  score: number;
}

/**
 * Keyword search over the user's indexed chunks. `terms` is an FTS5
 * expression built by ../kb/highlight.ts from quoted words only, never the
 * raw input. The user's own id is a column of the index, so the match starts
 * from that user's postings and never scores another user's chunks.
 * Headings weigh half of the body text; the id column nothing.
 */
export async function keywordSearchKb(db: Database, userId: string, terms: string, limit: number): Promise<KeywordHit[]> {
  const match = `user_id:"${userId.replaceAll('"', '""')}" AND (${terms})`;
  // The best matches come from the index alone (FTS5 ranks `ORDER BY rank LIMIT` without materialising a join);
  // only those few are joined to check that they are this user's chunks of an indexed document.
  const rows = await db.all<{ id: string; rank: number }>(sql`
    SELECT c.id AS id, f.rank AS rank
    FROM (
      SELECT rowid, rank FROM kb_chunks_fts
      WHERE kb_chunks_fts MATCH ${match} AND rank MATCH 'bm25(1.0, 0.5, 0.0)'
      ORDER BY rank LIMIT ${limit + 20}
    ) AS f
    JOIN kb_chunks c ON c.rowid = f.rowid
    JOIN kb_documents d ON d.id = c.document_id
    WHERE c.user_id = ${userId} AND d.status = 'indexed'
    ORDER BY f.rank
    LIMIT ${limit}`);
  return rows.map((r) => ({ id: r.id, score: -r.rank }));
}

export interface HydratedChunk {
  id: string;
  documentId: string;
  title: string;
  text: string;
  headingPath: string[];
  start: number;
  end: number;
}

/** The chunks behind search hits, only the user's and only of documents that are `indexed`: nothing half-indexed is ever returned. */
export async function hydrateKbChunks(db: Database, userId: string, ids: string[]): Promise<Map<string, HydratedChunk>> {
  const found = new Map<string, HydratedChunk>();
  for (const slice of slices(ids, MAX_PARAMS - 10)) {
    const rows = await db
      .select({
        id: kbChunks.id,
        documentId: kbChunks.documentId,
        title: kbDocuments.title,
        text: kbChunks.text,
        headingPath: kbChunks.headingPath,
        start: kbChunks.start,
        end: kbChunks.end,
      })
      .from(kbChunks)
      .innerJoin(kbDocuments, eq(kbDocuments.id, kbChunks.documentId))
      .where(and(inArray(kbChunks.id, slice), eq(kbChunks.userId, userId), eq(kbDocuments.status, "indexed")));
    for (const r of rows) found.set(r.id, { ...r, headingPath: JSON.parse(r.headingPath) as string[] });
  }
  return found;
}

export async function getKbIndexSignature(db: Database, userId: string): Promise<IndexSignature | undefined> {
  const [row] = await db.select().from(kbIndexes).where(eq(kbIndexes.userId, userId)).limit(1);
  return row ? { embedder: row.embedder, dimensions: row.dimensions } : undefined;
}

/** Records the embedder of a user's first vectors; an existing record is kept (the caller compares). */
export async function claimKbIndexSignature(db: Database, userId: string, signature: IndexSignature, now: Date): Promise<IndexSignature> {
  await db
    .insert(kbIndexes)
    .values({ userId, ...signature, updatedAt: now })
    .onConflictDoNothing();
  return (await getKbIndexSignature(db, userId))!;
}

/**
 * A reindex: the user's index now belongs to `signature`, every document is
 * `pending` again and its chunks are gone until its new run commits.
 */
export async function resetKbIndex(db: Database, userId: string, signature: IndexSignature, now: Date): Promise<string[]> {
  const [, , docs] = await db.batch([
    db
      .insert(kbIndexes)
      .values({ userId, ...signature, updatedAt: now })
      .onConflictDoUpdate({ target: kbIndexes.userId, set: { ...signature, updatedAt: now } }),
    db.delete(kbChunks).where(eq(kbChunks.userId, userId)),
    db
      .update(kbDocuments)
      .set({ status: "pending", progress: 0, chunkCount: 0, error: null, attempts: 0, indexingStartedAt: null, updatedAt: now })
      .where(and(eq(kbDocuments.userId, userId), inArray(kbDocuments.status, ["pending", "indexing", "indexed", "failed"])))
      .returning({ id: kbDocuments.id }),
  ]);
  return docs.map((d) => d.id);
}

/** Runs that have taken longer than `startedBefore`, and documents left `pending` since `pendingBefore` (a lost queue message). */
export function listStalledKbDocuments(db: Database, startedBefore: Date, pendingBefore: Date, limit: number): Promise<KbDocumentRow[]> {
  return db
    .select()
    .from(kbDocuments)
    .where(
      or(
        and(eq(kbDocuments.status, "indexing"), lt(kbDocuments.indexingStartedAt, startedBefore)),
        and(eq(kbDocuments.status, "pending"), lt(kbDocuments.updatedAt, pendingBefore)),
      ),
    )
    .orderBy(asc(kbDocuments.updatedAt))
    .limit(limit);
}
