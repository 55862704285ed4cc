import type { KbMimeType } from "../contract/kb";

/**
 * The seams of the knowledge base. Each has its implementations in its own
 * file, and the app picks one from config in one place (./embed/index.ts,
 * ./vectors/index.ts), so the pipeline and search never know which runs.
 */

// ------------------------------------------------------------ extraction

/** The text of a document as indexed and shown: Markdown-like, headings kept as `#` lines. */
export interface ExtractedText {
  text: string;
  /** PDF: where each page starts in `text` (for "page N" in citations); absent for other types. */
  pageStarts?: number[];
}

/** Why a document cannot be indexed, in words a person can act on. Ends the document `failed`; never retried. */
export class ExtractionError extends Error {
  constructor(
    /** Stable: `empty_document`, `binary_content`, `invalid_json`, `corrupt_pdf`, `pdf_no_text`, `unsupported_type`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ExtractionError";
  }
}

export type Extractor = (bytes: Uint8Array, mimeType: KbMimeType) => Promise<ExtractedText>;

// -------------------------------------------------------------- chunking

export interface Chunk {
  /** 0, 1, 2 … in document order. */
  ordinal: number;
  text: string;
  /** `text` is exactly `document.slice(start, end)`. */
  start: number;
  end: number;
  /** The headings this chunk sits under, outermost first: `["Guide", "Install"]`. */
  headingPath: string[];
  /** Tokens in `text` by the tokenizer the chunker counts with. */
  tokens: number;
}

// ------------------------------------------------------------ embeddings

export interface Embedder {
  /** Recorded with the index: `local-hash-v1`, `openai:text-embedding-3-small`, `workers-ai:@cf/baai/bge-base-en-v1.5`. */
  readonly id: string;
  readonly dimensions: number;
  /** One L2-normalised vector per text, in order. Throws `AppError` (`embedding_failed`, 502) when the provider fails after its retries. */
  embed(texts: string[]): Promise<Float32Array[]>;
}

// ---------------------------------------------------------- vector index

export interface VectorRecord {
  /** The chunk id. */
  id: string;
  values: Float32Array;
  documentId: string;
}

export interface VectorMatch {
  id: string;
  /** Cosine similarity, higher is closer. */
  score: number;
}

/** What the index was built with; a query or upsert with another embedder is refused (`DimensionMismatchError`). */
export interface IndexSignature {
  embedder: string;
  dimensions: number;
}

export class DimensionMismatchError extends Error {
  constructor(
    readonly indexed: IndexSignature,
    readonly given: IndexSignature,
  ) {
    super(
      `The knowledge base was indexed with ${indexed.embedder} (${indexed.dimensions} dimensions), not ${given.embedder} (${given.dimensions}); reindex it first.`,
    );
    this.name = "DimensionMismatchError";
  }
}

/**
 * One user's vectors. Production: Vectorize with the user id as namespace
 * (namespaces filter before top-k, so one user never sees another's chunks).
 * Development and tests: the local index, a Durable Object per user with
 * exact search. Both behave the same behind this interface.
 */
export interface VectorIndex {
  upsert(userId: string, signature: IndexSignature, vectors: VectorRecord[]): Promise<void>;
  /** Top `topK` (1–100) by cosine similarity, best first. */
  query(userId: string, signature: IndexSignature, vector: Float32Array, topK: number): Promise<VectorMatch[]>;
  deleteByIds(userId: string, ids: string[]): Promise<void>;
  /**
   * Forgets every vector of the user and the signature (reindex, account
   * deletion). `ids` are the user's chunk ids: Vectorize can only delete by
   * id; the local index drops everything of the user whatever it is given.
   */
  reset(userId: string, ids: string[]): Promise<void>;
  /**
   * The one length of vector the index accepts (Vectorize's, fixed when it was created), or null when it takes
   * whatever each user's recorded embedder makes (the local index).
   */
  fixedDimensions(): Promise<number | null>;
}
