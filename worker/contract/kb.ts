import { z } from "zod";

/**
 * The knowledge base as the API and the web app see it (`/api/kb/*`).
 * Indexing progress travels on the event stream as `status` frames with
 * `scope: "kb"`, `jobId` = the document id, `status` = the document status
 * and `message` = the percent done, written `"42%"` (or, for `failed`, the
 * reason in words).
 */

export const KB_MAX_FILE_BYTES = 10 * 1024 * 1024;
export const KB_MAX_QUERY_CHARS = 2000;

/** What can be uploaded. A file's type is checked against its bytes, not only its name or header. */
export const KbMimeType = z.enum(["text/plain", "text/markdown", "text/html", "application/json", "application/pdf"]);
export type KbMimeType = z.infer<typeof KbMimeType>;

export const KbDocumentStatus = z.enum(["pending", "indexing", "indexed", "failed"]);
export type KbDocumentStatus = z.infer<typeof KbDocumentStatus>;

export const KbDocument = z.object({
  id: z.string(),
  title: z.string(),
  mimeType: KbMimeType,
  /** Size of the original upload. */
  bytes: z.number().int().nonnegative(),
  status: KbDocumentStatus,
  /** Chunks in the index (0 until `indexed`). */
  chunks: z.number().int().nonnegative(),
  /** 0–100 while indexing; 100 once indexed. */
  progress: z.number().int().min(0).max(100),
  /** Why indexing failed, in words a person can act on; null otherwise. */
  error: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type KbDocument = z.infer<typeof KbDocument>;

/** Where a chunk sits in the extracted text: what a citation opens. */
export const KbChunkRef = z.object({
  id: z.string(),
  ordinal: z.number().int().nonnegative(),
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  headingPath: z.array(z.string()),
});
export type KbChunkRef = z.infer<typeof KbChunkRef>;

/** `GET /api/kb/documents/{id}`: the document, its extracted text (empty until extracted) and its chunks' places in it. */
export const KbDocumentDetail = z.object({
  document: KbDocument,
  text: z.string(),
  chunks: z.array(KbChunkRef),
});
export type KbDocumentDetail = z.infer<typeof KbDocumentDetail>;

/** `POST /api/kb/documents` as JSON (a file goes as multipart `file`, with an optional `title` field). */
export const CreateKbDocumentBody = z.object({
  title: z.string().trim().min(1).max(200),
  content: z.string().min(1, "content is empty"),
  mimeType: KbMimeType.default("text/plain"),
});
export type CreateKbDocumentBody = z.input<typeof CreateKbDocumentBody>;

export const KbSearchMode = z.enum(["hybrid", "vector", "keyword"]);
export type KbSearchMode = z.infer<typeof KbSearchMode>;

export const KbSearchBody = z.object({
  query: z.string().trim().min(1, "the query is empty").max(KB_MAX_QUERY_CHARS),
  topK: z.number().int().min(1).max(50).default(5),
  mode: KbSearchMode.default("hybrid"),
});
export type KbSearchBody = z.input<typeof KbSearchBody>;

export const KbSearchResult = z.object({
  documentId: z.string(),
  chunkId: z.string(),
  title: z.string(),
  text: z.string(),
  /** hybrid: reciprocal-rank-fusion score; vector: cosine similarity; keyword: BM25 relevance (higher is better in every mode). */
  score: z.number(),
  headingPath: z.array(z.string()),
  /**
   * A short excerpt of `text` around the best match. Everything in it is
   * HTML-escaped except the `<mark>` … `</mark>` around matched words, so it
   * can be rendered as HTML as it is.
   */
  highlight: z.string(),
  /** Where `text` sits in the document's extracted text. */
  offsets: z.object({ start: z.number().int().nonnegative(), end: z.number().int().nonnegative() }),
});
export type KbSearchResult = z.infer<typeof KbSearchResult>;

export const KbSearchResponse = z.object({
  results: z.array(KbSearchResult),
  tookMs: z.number().nonnegative(),
  mode: KbSearchMode,
});
export type KbSearchResponse = z.infer<typeof KbSearchResponse>;

export const KbDocumentsResponse = z.object({ documents: z.array(KbDocument) });
export type KbDocumentsResponse = z.infer<typeof KbDocumentsResponse>;

export const KbReindexResponse = z.object({ documents: z.number().int().nonnegative(), embedder: z.string(), dimensions: z.number().int().positive() });
export type KbReindexResponse = z.infer<typeof KbReindexResponse>;

/** Parses the percent out of a kb `status` frame's message ("42%" → 42); null when it carries none. */
export function kbProgressPercent(message: string): number | null {
  const m = /^(\d{1,3})%$/.exec(message.trim());
  return m ? Math.min(100, Number(m[1])) : null;
}
