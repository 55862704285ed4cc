import type { Env } from "../../env";
import { DimensionMismatchError, type IndexSignature, type VectorIndex, type VectorMatch, type VectorRecord } from "../types";
import type { IndexOutcome, KnowledgeIndex } from "./local-index";

/** RPC arguments are structured-cloned: one call carries at most this many vectors (≈ 1 MB at 1,536 dimensions). */
const UPSERT_BATCH = 200;

function unwrap<T>(outcome: IndexOutcome<T>): T {
  if (!outcome.ok) throw new DimensionMismatchError(outcome.indexed, outcome.given);
  return outcome.value;
}

/**
 * The local index behind the VectorIndex interface: each user's vectors in
 * their own KnowledgeIndex object (./local-index.ts), so one user's search
 * can never see another's. Only the type of the class is imported here: the
 * class itself is exported by the development entry alone, so a production
 * bundle carries no local index.
 */
export class LocalVectorIndex implements VectorIndex {
  constructor(private readonly namespace: DurableObjectNamespace<KnowledgeIndex>) {}

  static from(env: Env): LocalVectorIndex | undefined {
    return env.KB_VECTORS ? new LocalVectorIndex(env.KB_VECTORS as unknown as DurableObjectNamespace<KnowledgeIndex>) : undefined;
  }

  #index(userId: string) {
    return this.namespace.get(this.namespace.idFromName(userId));
  }

  async upsert(userId: string, signature: IndexSignature, vectors: VectorRecord[]): Promise<void> {
    const index = this.#index(userId);
    for (let i = 0; i < vectors.length; i += UPSERT_BATCH) {
      unwrap(await index.upsert(signature, vectors.slice(i, i + UPSERT_BATCH)));
    }
  }

  async query(userId: string, signature: IndexSignature, vector: Float32Array, topK: number): Promise<VectorMatch[]> {
    return unwrap(await this.#index(userId).query(signature, vector, topK));
  }

  async deleteByIds(userId: string, ids: string[]): Promise<void> {
    if (ids.length) await this.#index(userId).deleteByIds(ids);
  }

  async reset(userId: string): Promise<void> {
    await this.#index(userId).reset();
  }

  /** Each user's index takes the dimensions of the embedder recorded with it. */
  async fixedDimensions(): Promise<null> {
    return null;
  }
}
