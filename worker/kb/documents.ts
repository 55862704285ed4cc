import { database } from "../db/client";
import { deleteKbDocument, listKbChunkIds, resetKbIndex, type KbDocumentRow } from "../db/kb";
import type { Env } from "../env";
import { log } from "../http/log";
import { embedderFor } from "./embed";
import { announceKbStatus } from "./pipeline";
import { enqueueIndexingMany } from "./queue";
import { originalKey } from "./upload";
import { vectorIndexFor } from "./vectors";

/**
 * Removes a document and everything made from it: vectors first (if the
 * index refuses, nothing is removed and the person can try again), then the
 * row, whose cascade takes its text, chunks and — through the triggers —
 * keyword entries, then the original. A run still indexing it notices the
 * row is gone and takes back the vectors it wrote (pipeline.ts).
 */
export async function removeKbDocument(env: Env, doc: KbDocumentRow): Promise<void> {
  const db = database(env);
  const ids = await listKbChunkIds(db, { documentId: doc.id });
  if (ids.length) await vectorIndexFor(env).deleteByIds(doc.userId, ids);
  await deleteKbDocument(db, doc.userId, doc.id);
  try {
    await env.KB_FILES.delete(originalKey(doc.userId, doc.id));
  } catch (e) {
    log("error", "kb_original_delete_failed", { userId: doc.userId, documentId: doc.id, error: (e as Error).message });
  }
}

/**
 * Moves a user's knowledge base to the embedder configured now: the old
 * vectors go, every document is `pending` again and queued, and the index
 * records the new embedder, so searches and uploads work again as each
 * document commits.
 */
export async function reindexKnowledge(env: Env, userId: string, now: Date): Promise<{ documents: number; embedder: string; dimensions: number }> {
  const db = database(env);
  const embedder = embedderFor(env);
  const signature = { embedder: embedder.id, dimensions: embedder.dimensions };
  await vectorIndexFor(env).reset(userId, await listKbChunkIds(db, { userId }));
  const ids = await resetKbIndex(db, userId, signature, now);
  await enqueueIndexingMany(
    env,
    ids.map((documentId) => ({ documentId, userId })),
  );
  for (const id of ids) await announceKbStatus(env, userId, id, "pending", "0%");
  return { documents: ids.length, ...signature };
}

/**
 * Account deletion's part: the vectors and originals live outside D1, so
 * they are found before the user row's cascade removes the chunk rows that
 * name them, and removed after it. Returns the step to run after the cascade.
 */
export async function prepareKbPurge(env: Env, userId: string): Promise<() => Promise<void>> {
  const ids = await listKbChunkIds(database(env), { userId });
  return async () => {
    await vectorIndexFor(env).reset(userId, ids);
    let cursor: string | undefined;
    do {
      const page = await env.KB_FILES.list({ prefix: `${userId}/`, cursor });
      if (page.objects.length) await env.KB_FILES.delete(page.objects.map((o) => o.key));
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
  };
}
