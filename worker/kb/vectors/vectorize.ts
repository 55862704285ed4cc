import { DimensionMismatchError, type IndexSignature, type VectorIndex, type VectorMatch, type VectorRecord } from "../types";

/** Vectorize accepts at most 1,000 vectors per upsert and ids per delete. */
const BATCH = 1000;

/**
 * Vectorize in production. Each user's vectors live in their own namespace
 * (the user id): Vectorize applies the namespace before top-k, so a query
 * can only ever rank that user's chunks. Metadata is the document id alone,
 * far under the 10 KiB limit; texts stay in D1. The index has one fixed
 * dimension (set when it was created): a vector of another length is
 * refused here, before Vectorize would.
 */
export class VectorizeVectorIndex implements VectorIndex {
  #dimensions: Promise<number> | undefined;

  constructor(private readonly index: VectorizeIndex) {}

  #indexDimensions(): Promise<number> {
    this.#dimensions ??= this.index.describe().then((d) => ("dimensions" in d ? (d as { dimensions: number }).dimensions : (d as { config: { dimensions: number } }).config.dimensions));
    return this.#dimensions;
  }

  fixedDimensions(): Promise<number> {
    return this.#indexDimensions();
  }

  async #check(signature: IndexSignature, length: number): Promise<void> {
    const dimensions = await this.#indexDimensions();
    if (length !== dimensions || signature.dimensions !== dimensions) {
      throw new DimensionMismatchError({ embedder: "this Vectorize index", dimensions }, { embedder: signature.embedder, dimensions: length });
    }
  }

  async upsert(userId: string, signature: IndexSignature, vectors: VectorRecord[]): Promise<void> {
    if (vectors.length === 0) return;
    await this.#check(signature, vectors[0]!.values.length);
    for (let i = 0; i < vectors.length; i += BATCH) {
      await this.index.upsert(
        vectors.slice(i, i + BATCH).map((v) => ({ id: v.id, values: Array.from(v.values), namespace: userId, metadata: { documentId: v.documentId } })),
      );
    }
  }

  async query(userId: string, signature: IndexSignature, vector: Float32Array, topK: number): Promise<VectorMatch[]> {
    await this.#check(signature, vector.length);
    const res = await this.index.query(Array.from(vector), { topK: Math.max(1, Math.min(100, topK)), namespace: userId, returnValues: false, returnMetadata: "none" });
    return res.matches.map((m) => ({ id: m.id, score: m.score }));
  }

  async deleteByIds(_userId: string, ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += BATCH) await this.index.deleteByIds(ids.slice(i, i + BATCH));
  }

  async reset(userId: string, ids: string[]): Promise<void> {
    await this.deleteByIds(userId, ids);
  }
}
