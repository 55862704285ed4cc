import type { KbDocumentStatus, KbMimeType } from "../contract/kb";
import { database } from "../db/client";
import {
  chunkId,
  claimKbDocument,
  claimKbIndexSignature,
  commitKbDocument,
  findKbDocument,
  listKbChunkIds,
  markKbFailed,
  reviveFailedKbDocument,
  noteKbAttemptError,
  replaceKbText,
  setKbProgress,
  type KbDocumentRow,
} from "../db/kb";
import type { Env } from "../env";
import { log } from "../http/log";
import { metrics } from "../metrics/record";
import { publish } from "../realtime/publish";
import { embedderFor } from "./embed";
import { extractText } from "./extract";
import type { IndexMessage } from "./queue";
import { ExtractionError, DimensionMismatchError, type Chunk, type Embedder, type Extractor, type VectorIndex } from "./types";
import { originalKey } from "./upload";
import { vectorIndexFor } from "./vectors";

/**
 * One indexing run of one document: extract → chunk → embed → index, then
 * the commit that makes it searchable. Every write is keyed by the document
 * (chunk ids are `{documentId}:{ordinal}`), so a run repeated after a crash
 * or a redelivered message leaves the same rows, keyword entries and vectors
 * as one run. Until the commit (`commitKbDocument`) the document is `indexing`
 * and search skips its chunks, so nothing half-indexed is ever found.
 */

export interface IndexingDeps {
  now(): Date;
  extract: Extractor;
  chunk(text: string): Chunk[] | Promise<Chunk[]>;
  embedder(env: Env): Embedder;
  vectors(env: Env): VectorIndex;
}

export const defaultIndexingDeps: IndexingDeps = {
  now: () => new Date(),
  extract: extractText,
  // The chunker carries the tokenizer's tables (megabytes): loaded by the indexing consumer when it first chunks, not by every request.
  chunk: async (text) => (await import("./chunk")).chunkText(text),
  embedder: embedderFor,
  vectors: vectorIndexFor,
};

/** Chunks embedded per call: small enough for every provider's request cap, large enough to keep the round trips few. */
export const EMBED_BATCH = 64;

/** A failure that no retry can fix: the document ends `failed` with `reason` at once. */
class PermanentFailure extends Error {}

/** The document was deleted while this run worked on it. */
class DocumentGone extends Error {}

export type RunOutcome = "indexed" | "failed" | "skipped";

async function tell(env: Env, userId: string, documentId: string, status: KbDocumentStatus, message: string): Promise<void> {
  // Told once per transition into pending (reindex), indexed and failed; "indexing" is also told for each step of progress.
  if (status !== "indexing") metrics(env).inc("taskpilot_kb_documents_total", { status });
  try {
    await publish(env, userId, { kind: "status", jobId: documentId, scope: "kb", status, message });
  } catch (e) {
    // Progress is a courtesy: the document's row is the truth, and the page refetches it on reconnect.
    log("warn", "kb_progress_publish_failed", { userId, documentId, error: (e as Error).message });
  }
}

/**
 * Writes and announces progress, at most once per 10 points so a long
 * document does not flood the stream. The writes run one after another on a
 * chain of their own, so frames keep their order while the run goes on
 * embedding instead of waiting for each; `settled()` waits for the chain
 * (before the final frame, and before a failure is recorded).
 */
function progressReporter(env: Env, deps: IndexingDeps, doc: KbDocumentRow) {
  let last = -1;
  let chain: Promise<void> = Promise.resolve();
  const report = (percent: number): void => {
    const p = Math.max(0, Math.min(99, Math.floor(percent)));
    if (last >= 0 && p < last + 10) return;
    last = p;
    const at = deps.now();
    chain = chain.then(async () => {
      try {
        await setKbProgress(database(env), doc.id, p, at);
      } catch (e) {
        // The percent is a courtesy: a failed write must not fail the run (the commit sets 100).
        log("warn", "kb_progress_write_failed", { userId: doc.userId, documentId: doc.id, error: (e as Error).message });
      }
      await tell(env, doc.userId, doc.id, "indexing", `${p}%`);
    });
  };
  return Object.assign(report, { settled: () => chain });
}

export async function indexDocument(env: Env, message: IndexMessage, deps: IndexingDeps = defaultIndexingDeps): Promise<RunOutcome> {
  const db = database(env);
  const startedAt = deps.now();
  const doc = await claimKbDocument(db, message.documentId, startedAt);
  if (!doc || doc.userId !== message.userId) return "skipped";
  metrics(env).inc("taskpilot_kb_documents_total", { status: "indexing" });
  const progress = progressReporter(env, deps, doc);
  const upserted: string[] = [];
  try {
    progress(0);
    const original = await env.KB_FILES.get(originalKey(doc.userId, doc.id));
    if (!original) throw new PermanentFailure("The original file is missing from storage; upload it again.");
    let text: string;
    try {
      text = (await deps.extract(new Uint8Array(await original.arrayBuffer()), doc.mimeType as KbMimeType)).text;
    } catch (e) {
      if (e instanceof ExtractionError) throw new PermanentFailure(e.message);
      throw e;
    }
    await replaceKbText(db, doc.id, text);
    progress(10);

    const chunks = await deps.chunk(text);
    if (chunks.length === 0) throw new PermanentFailure("The document has no text to index.");
    const embedder = deps.embedder(env);
    const signature = { embedder: embedder.id, dimensions: embedder.dimensions };
    const recorded = await claimKbIndexSignature(db, doc.userId, signature, deps.now());
    if (recorded.embedder !== signature.embedder || recorded.dimensions !== signature.dimensions) {
      throw new PermanentFailure(new DimensionMismatchError(recorded, signature).message);
    }
    const vectors = deps.vectors(env);
    const ids = chunks.map((c) => chunkId(doc.id, c.ordinal));
    const current = new Set(ids);
    const stale = (await listKbChunkIds(db, { documentId: doc.id })).filter((id) => !current.has(id));
    if (stale.length) await vectors.deleteByIds(doc.userId, stale);
    progress(15);

    for (let i = 0; i < chunks.length; i += EMBED_BATCH) {
      const batch = chunks.slice(i, i + EMBED_BATCH);
      const values = await embedder.embed(batch.map((c) => c.text));
      const records = batch.map((c, j) => ({ id: ids[i + j]!, values: values[j]!, documentId: doc.id }));
      await vectors.upsert(doc.userId, signature, records);
      upserted.push(...records.map((r) => r.id));
      progress(15 + (75 * Math.min(chunks.length, i + EMBED_BATCH)) / chunks.length);
    }
    if (!(await commitKbDocument(db, doc.userId, doc.id, chunks, embedder.id, deps.now()))) throw new DocumentGone();
    metrics(env).observe("taskpilot_kb_indexing_duration_seconds", {}, (deps.now().getTime() - startedAt.getTime()) / 1000);
    await progress.settled();
    await tell(env, doc.userId, doc.id, "indexed", "100%");
    return "indexed";
  } catch (e) {
    // A progress write still queued must not land after the outcome below.
    await progress.settled();
    if (e instanceof DocumentGone || !(await findKbDocument(db, doc.userId, doc.id))) {
      // Deleted (or failed by the cron pass) while this run worked: take back the vectors it wrote, which nothing else knows of.
      if (upserted.length) await deps.vectors(env).deleteByIds(doc.userId, upserted).catch(() => undefined);
      return "skipped";
    }
    if (e instanceof PermanentFailure || e instanceof DimensionMismatchError) {
      if (upserted.length) await deps.vectors(env).deleteByIds(doc.userId, upserted).catch(() => undefined);
      await markKbFailed(db, doc.id, e.message, deps.now());
      await tell(env, doc.userId, doc.id, "failed", e.message);
      return "failed";
    }
    await noteKbAttemptError(db, doc.id, describeError(e), deps.now());
    throw e;
  }
}

/** A transient failure in words, without anything a provider might have echoed back of a key. */
function describeError(e: unknown): string {
  const detail = (e as { detail?: unknown }).detail;
  const text = typeof detail === "string" ? detail : e instanceof Error ? e.message : String(e);
  return text.replace(/(sk|key|token)[-_][A-Za-z0-9_-]{8,}/gi, "[redacted]").slice(0, 500);
}

/** The dead-letter queue's end of a document: out of retries, it is `failed` with the last error as the reason. */
export async function failFromDeadLetter(env: Env, message: IndexMessage, now: Date): Promise<void> {
  const db = database(env);
  const doc = await findKbDocument(db, message.userId, message.documentId);
  if (!doc || (doc.status !== "pending" && doc.status !== "indexing")) return;
  const reason = `Indexing failed after ${doc.attempts} attempts: ${doc.error ?? "the indexer stopped without a reason"}. Delete the document and upload it again, or try later.`;
  if (await markKbFailed(db, doc.id, reason, now)) await tell(env, doc.userId, doc.id, "failed", reason);
}

/** An operator requeued the dead letter of a failed document: it is pending again, and its owner's tabs say so. */
export async function reviveFromDeadLetter(env: Env, message: IndexMessage, now: Date): Promise<void> {
  const doc = await reviveFailedKbDocument(database(env), message.userId, message.documentId, now);
  if (doc) await tell(env, doc.userId, doc.id, "pending", "Queued for indexing again.");
}

export { tell as announceKbStatus };
