import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./accounts";

/**
 * The knowledge base. Originals live in R2 (`KB_FILES`, key `{userId}/{documentId}`);
 * the extracted text, the chunks and their keyword index live here; the
 * vectors live in the vector index (Vectorize, or the local index). The
 * keyword index is the FTS5 table `kb_chunks_fts` (migration 0006), an
 * external-content table over `kb_chunks` kept in step by two plain triggers,
 * so a chunk row and its keyword entry are written and removed together.
 */
export const kbDocuments = sqliteTable(
  "kb_documents",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    mimeType: text("mime_type").notNull(),
    bytes: integer("bytes").notNull(),
    /** pending → indexing → indexed | failed */
    status: text("status").notNull(),
    chunkCount: integer("chunk_count").notNull().default(0),
    progress: integer("progress").notNull().default(0),
    error: text("error"),
    /** SHA-256 of the original, hex. */
    contentHash: text("content_hash").notNull(),
    /** Indexing runs started for this document (queue deliveries and cron retries). */
    attempts: integer("attempts").notNull().default(0),
    /** When the current indexing run started; the cron pass retries a run that has taken too long. */
    indexingStartedAt: integer("indexing_started_at", { mode: "timestamp_ms" }),
    /** The embedder the document's vectors were made with (`kb_indexes.embedder` at the time). */
    embedder: text("embedder"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("kb_documents_user_created_idx").on(t.userId, t.createdAt), index("kb_documents_status_started_idx").on(t.status, t.indexingStartedAt)],
);

/** The extracted text in parts (a D1 value is at most 2 MB; a 10 MB upload can extract to more). */
export const kbTexts = sqliteTable(
  "kb_texts",
  {
    documentId: text("document_id")
      .notNull()
      .references(() => kbDocuments.id, { onDelete: "cascade" }),
    part: integer("part").notNull(),
    content: text("content").notNull(),
  },
  (t) => [primaryKey({ columns: [t.documentId, t.part] })],
);

/**
 * One chunk of a document. The id is `{documentId}:{ordinal}`, so indexing
 * the same document again writes the same ids (idempotent upserts). The
 * implicit rowid is the FTS5 table's content rowid.
 */
export const kbChunks = sqliteTable(
  "kb_chunks",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    documentId: text("document_id")
      .notNull()
      .references(() => kbDocuments.id, { onDelete: "cascade" }),
    ordinal: integer("ordinal").notNull(),
    text: text("text").notNull(),
    /** JSON array of headings, outermost first; also indexed for keyword search. */
    headingPath: text("heading_path").notNull().default("[]"),
    start: integer("start").notNull(),
    end: integer("end").notNull(),
    tokens: integer("tokens").notNull(),
  },
  (t) => [index("kb_chunks_document_ordinal_idx").on(t.documentId, t.ordinal), index("kb_chunks_user_idx").on(t.userId)],
);

/** What a user's vectors were made with: a query or upsert with another embedder or dimension is refused until a reindex. */
export const kbIndexes = sqliteTable("kb_indexes", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  embedder: text("embedder").notNull(),
  dimensions: integer("dimensions").notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});
