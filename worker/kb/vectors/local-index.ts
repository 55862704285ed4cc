import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../env";
import type { IndexSignature, VectorMatch } from "../types";

/**
 * The local vector index: one Durable Object per user, standing in for
 * Vectorize where Vectorize cannot run (development, tests, the bench).
 *
 * Vectors are kept twice: in the object's SQLite storage (the truth, which
 * survives eviction) and in one contiguous Float32Array in memory, loaded on
 * first use, for search. Search is exact — a dot product with every vector
 * (they are normalised, so it is the cosine), keeping the best k in a small
 * sorted buffer — because at a user's scale an exact scan is fast enough and
 * needs no recall caveat. Memory: 4 bytes × dimensions per vector (1 KiB
 * with the local embedder's 256).
 *
 * Results are plain values, not thrown errors, because an error's class does
 * not survive the RPC boundary: the adapter (./local.ts) turns a signature
 * mismatch back into DimensionMismatchError.
 */

export type IndexOutcome<T> = { ok: true; value: T } | { ok: false; indexed: IndexSignature; given: IndexSignature };

export interface LocalRecord {
  id: string;
  values: Float32Array | number[];
  documentId: string;
}

export class KnowledgeIndex extends DurableObject<Env> {
  #loaded = false;
  #signature: IndexSignature | undefined;
  #dims = 0;
  #data = new Float32Array(0);
  #ids: string[] = [];
  #slots = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS vectors (id TEXT PRIMARY KEY, document_id TEXT NOT NULL, v BLOB NOT NULL)");
  }

  #load(): void {
    if (this.#loaded) return;
    const meta = this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'signature'").toArray()[0];
    this.#signature = meta ? (JSON.parse(meta.value) as IndexSignature) : undefined;
    this.#dims = this.#signature?.dimensions ?? 0;
    const count = this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM vectors").one().n;
    this.#data = new Float32Array(Math.max(1024, count) * this.#dims);
    this.#ids = [];
    this.#slots.clear();
    for (const row of this.ctx.storage.sql.exec<{ id: string; v: ArrayBuffer }>("SELECT id, v FROM vectors")) {
      this.#place(row.id, new Float32Array(row.v));
    }
    this.#loaded = true;
  }

  #place(id: string, values: Float32Array | number[]): void {
    let slot = this.#slots.get(id);
    if (slot === undefined) {
      slot = this.#ids.length;
      if ((slot + 1) * this.#dims > this.#data.length) {
        const grown = new Float32Array(Math.max(1024 * this.#dims, this.#data.length * 2));
        grown.set(this.#data);
        this.#data = grown;
      }
      this.#ids.push(id);
      this.#slots.set(id, slot);
    }
    this.#data.set(values, slot * this.#dims);
  }

  #check(given: IndexSignature): IndexOutcome<never> | undefined {
    const indexed = this.#signature;
    if (indexed && (indexed.embedder !== given.embedder || indexed.dimensions !== given.dimensions)) return { ok: false, indexed, given };
    return undefined;
  }

  upsert(signature: IndexSignature, records: LocalRecord[]): IndexOutcome<number> {
    this.#load();
    const mismatch = this.#check(signature);
    if (mismatch) return mismatch;
    for (const r of records) {
      if (r.values.length !== signature.dimensions) return { ok: false, indexed: signature, given: { embedder: signature.embedder, dimensions: r.values.length } };
    }
    if (!this.#signature) {
      this.#signature = signature;
      this.#dims = signature.dimensions;
      this.#data = new Float32Array(1024 * this.#dims);
      this.ctx.storage.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('signature', ?)", JSON.stringify(signature));
    }
    // No await from here to the end: the writes and the memory change land together (the object's implicit transaction).
    for (const r of records) {
      const values = r.values instanceof Float32Array ? r.values : Float32Array.from(r.values);
      this.ctx.storage.sql.exec("INSERT OR REPLACE INTO vectors (id, document_id, v) VALUES (?, ?, ?)", r.id, r.documentId, values.slice().buffer);
      this.#place(r.id, values);
    }
    return { ok: true, value: this.#ids.length };
  }

  query(signature: IndexSignature, vector: Float32Array | number[], topK: number): IndexOutcome<VectorMatch[]> {
    this.#load();
    const mismatch = this.#check(signature);
    if (mismatch) return mismatch;
    if (vector.length !== signature.dimensions) return { ok: false, indexed: this.#signature ?? signature, given: { embedder: signature.embedder, dimensions: vector.length } };
    const k = Math.max(1, Math.min(100, Math.floor(topK)));
    const q = vector instanceof Float32Array ? vector : Float32Array.from(vector);
    const dims = this.#dims;
    const data = this.#data;
    // The best k so far, best first; a candidate enters only if it beats the worst kept.
    const scores: number[] = [];
    const slots: number[] = [];
    const tail = dims - (dims % 4);
    for (let slot = 0, base = 0; slot < this.#ids.length; slot++, base += dims) {
      // Four running sums: independent additions the JIT can overlap.
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      let i = 0;
      for (; i < tail; i += 4) {
        d0 += data[base + i]! * q[i]!;
        d1 += data[base + i + 1]! * q[i + 1]!;
        d2 += data[base + i + 2]! * q[i + 2]!;
        d3 += data[base + i + 3]! * q[i + 3]!;
      }
      for (; i < dims; i++) d0 += data[base + i]! * q[i]!;
      const dot = d0 + d1 + d2 + d3;
      if (scores.length === k && dot <= scores[k - 1]!) continue;
      let at = scores.length === k ? k - 1 : scores.length;
      while (at > 0 && scores[at - 1]! < dot) at--;
      scores.splice(at, 0, dot);
      slots.splice(at, 0, slot);
      if (scores.length > k) {
        scores.pop();
        slots.pop();
      }
    }
    return { ok: true, value: slots.map((slot, i) => ({ id: this.#ids[slot]!, score: scores[i]! })) };
  }

  deleteByIds(ids: string[]): number {
    this.#load();
    let removed = 0;
    for (const id of ids) {
      const slot = this.#slots.get(id);
      if (slot === undefined) continue;
      this.ctx.storage.sql.exec("DELETE FROM vectors WHERE id = ?", id);
      // Swap-remove: the last vector moves into the freed slot, so the array stays dense.
      const last = this.#ids.length - 1;
      if (slot !== last) {
        const lastId = this.#ids[last]!;
        this.#data.copyWithin(slot * this.#dims, last * this.#dims, (last + 1) * this.#dims);
        this.#ids[slot] = lastId;
        this.#slots.set(lastId, slot);
      }
      this.#ids.pop();
      this.#slots.delete(id);
      removed++;
    }
    return removed;
  }

  reset(): void {
    this.ctx.storage.sql.exec("DELETE FROM vectors");
    this.ctx.storage.sql.exec("DELETE FROM meta");
    this.#signature = undefined;
    this.#dims = 0;
    this.#data = new Float32Array(0);
    this.#ids = [];
    this.#slots.clear();
    this.#loaded = true;
  }

  stats(): { count: number; signature: IndexSignature | null } {
    this.#load();
    return { count: this.#ids.length, signature: this.#signature ?? null };
  }
}
