import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import type { Env } from "../../worker/env";
import { AppError } from "../../worker/errors";
import { embedderFor } from "../../worker/kb/embed";
import { LocalEmbedder } from "../../worker/kb/embed/local";
import { OpenAIEmbedder } from "../../worker/kb/embed/openai";
import { WorkersAiEmbedder } from "../../worker/kb/embed/workers-ai";
import { DimensionMismatchError, type IndexSignature, type VectorRecord } from "../../worker/kb/types";
import { vectorIndexFor } from "../../worker/kb/vectors";
import { LocalVectorIndex } from "../../worker/kb/vectors/local";
import { KnowledgeIndex } from "../../worker/kb/vectors/local-index";
import { VectorizeVectorIndex } from "../../worker/kb/vectors/vectorize";

const SIG: IndexSignature = { embedder: "test-embedder", dimensions: 32 };
const index = () => vectorIndexFor(env as unknown as Env);
const newUser = () => `kbv-${crypto.randomUUID()}`;

/** Seeded random unit vectors. */
function randomVectors(n: number, dims: number, seed: number): Float32Array[] {
  let s = seed;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  return Array.from({ length: n }, () => {
    const v = Float32Array.from({ length: dims }, next);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

const records = (vectors: Float32Array[], prefix = "c"): VectorRecord[] => vectors.map((values, i) => ({ id: `${prefix}${i}`, values, documentId: "doc" }));

function bruteForce(vectors: Float32Array[], query: Float32Array, k: number): string[] {
  return vectors
    .map((v, i) => ({ id: `c${i}`, score: v.reduce((sum, x, d) => sum + x * query[d]!, 0) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((r) => r.id);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
}

describe("the local vector index (a KnowledgeIndex Durable Object per user)", () => {
  it("returns exactly the brute-force top k, best first", async () => {
    const user = newUser();
    const vectors = randomVectors(3000, SIG.dimensions, 7);
    await index().upsert(user, SIG, records(vectors));
    for (const query of randomVectors(20, SIG.dimensions, 99)) {
      const matches = await index().query(user, SIG, query, 10);
      expect(matches.map((m) => m.id)).toEqual(bruteForce(vectors, query, 10));
      expect(matches.map((m) => m.score)).toEqual([...matches.map((m) => m.score)].sort((a, b) => b - a));
    }
  });

  it("an upsert of an existing id replaces it; delete and reset remove", async () => {
    const user = newUser();
    const [a, b, c] = randomVectors(3, SIG.dimensions, 3);
    await index().upsert(user, SIG, [{ id: "x", values: a!, documentId: "d" }, { id: "y", values: b!, documentId: "d" }]);
    await index().upsert(user, SIG, [{ id: "x", values: c!, documentId: "d" }]);
    let [top] = await index().query(user, SIG, c!, 1);
    expect(top).toMatchObject({ id: "x" });
    expect(top!.score).toBeCloseTo(1, 5);
    expect((await index().query(user, SIG, a!, 5)).map((m) => m.id).sort()).toEqual(["x", "y"]);

    await index().deleteByIds(user, ["y", "not-there"]);
    expect((await index().query(user, SIG, b!, 5)).map((m) => m.id)).toEqual(["x"]);
    await index().reset(user, []);
    expect(await index().query(user, SIG, b!, 5)).toEqual([]);
  });

  it("refuses another embedder or dimension, on upsert and on query, until a reset", async () => {
    const user = newUser();
    const [v] = randomVectors(1, SIG.dimensions, 5);
    await index().upsert(user, SIG, [{ id: "x", values: v!, documentId: "d" }]);
    const other = { embedder: "another-model", dimensions: 32 };
    const e1 = await rejection(index().upsert(user, other, [{ id: "y", values: v!, documentId: "d" }]));
    expect(e1).toBeInstanceOf(DimensionMismatchError);
    expect((e1 as Error).message).toBe("The knowledge base was indexed with test-embedder (32 dimensions), not another-model (32); reindex it first.");
    expect(await rejection(index().query(user, other, v!, 3))).toBeInstanceOf(DimensionMismatchError);
    expect(await rejection(index().query(user, SIG, new Float32Array(16), 3))).toBeInstanceOf(DimensionMismatchError);
    expect(await rejection(index().upsert(user, SIG, [{ id: "z", values: new Float32Array(8), documentId: "d" }]))).toBeInstanceOf(DimensionMismatchError);
    await index().reset(user, []);
    await index().upsert(user, other, [{ id: "y", values: v!, documentId: "d" }]);
    expect((await index().query(user, other, v!, 3)).map((m) => m.id)).toEqual(["y"]);
  });

  it("a fresh instance over the same storage rebuilds the same index from SQLite", async () => {
    const user = newUser();
    const vectors = randomVectors(500, SIG.dimensions, 11);
    await index().upsert(user, SIG, records(vectors));
    await index().deleteByIds(user, ["c0", "c1"]);
    const query = randomVectors(1, SIG.dimensions, 12)[0]!;
    const before = await index().query(user, SIG, query, 10);
    const ns = env.KB_VECTORS as unknown as DurableObjectNamespace<KnowledgeIndex>;
    const rebuilt = await runInDurableObject(ns.get(ns.idFromName(user)), (_instance: unknown, state: DurableObjectState) => {
      const fresh = new KnowledgeIndex(state, env as unknown as Env);
      return { stats: fresh.stats(), query: fresh.query(SIG, query, 10) };
    });
    expect(rebuilt.stats).toEqual({ count: 498, signature: SIG });
    expect(rebuilt.query).toEqual({ ok: true, value: before });
  });

  it("one user's index never returns another user's ids", async () => {
    const [alice, bob] = [newUser(), newUser()];
    const vectors = randomVectors(50, SIG.dimensions, 21);
    await index().upsert(alice, SIG, records(vectors, "alice-"));
    await index().upsert(bob, SIG, records(randomVectors(5, SIG.dimensions, 22), "bob-"));
    const matches = await index().query(bob, SIG, vectors[0]!, 100);
    expect(matches).toHaveLength(5);
    expect(matches.every((m) => m.id.startsWith("bob-"))).toBe(true);
  });
});

/** An in-memory stand-in for a Vectorize index (Vectorize has no local mode): namespaces filter before top-k, batch limits enforced. */
function fakeVectorize(dimensions: number) {
  const store = new Map<string, { values: number[]; namespace?: string }>();
  const calls: Array<[string, number]> = [];
  const vectorize = {
    async describe() {
      return { dimensions, vectorCount: store.size };
    },
    async upsert(vectors: Array<{ id: string; values: number[]; namespace?: string; metadata?: Record<string, unknown> }>) {
      if (vectors.length > 1000) throw new Error("VECTOR_UPSERT_ERROR (code = 40006): too many vectors");
      for (const v of vectors) {
        if (JSON.stringify(v.metadata ?? {}).length > 10240) throw new Error("metadata over 10 KiB");
        store.set(v.id, { values: v.values, namespace: v.namespace });
      }
      calls.push(["upsert", vectors.length]);
      return { mutationId: "m" };
    },
    async query(vector: number[], options: { topK: number; namespace?: string }) {
      const matches = [...store]
        .filter(([, v]) => v.namespace === options.namespace)
        .map(([id, v]) => ({ id, score: v.values.reduce((s, x, i) => s + x * vector[i]!, 0) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, options.topK);
      return { matches, count: matches.length };
    },
    async deleteByIds(ids: string[]) {
      if (ids.length > 1000) throw new Error("too many ids");
      for (const id of ids) store.delete(id);
      calls.push(["delete", ids.length]);
      return { mutationId: "m" };
    },
  };
  return { vectorize: vectorize as unknown as VectorizeIndex, store, calls };
}

describe("the Vectorize adapter", () => {
  it("puts each user in their own namespace, batches by 1,000, and refuses a vector of another dimension", async () => {
    const fake = fakeVectorize(32);
    const vx = new VectorizeVectorIndex(fake.vectorize);
    const vectors = randomVectors(2500, 32, 31);
    await vx.upsert("alice", SIG, records(vectors));
    await vx.upsert("bob", SIG, records(randomVectors(3, 32, 32), "b"));
    expect(fake.calls).toEqual([["upsert", 1000], ["upsert", 1000], ["upsert", 500], ["upsert", 3]]);
    expect((await vx.query("bob", SIG, vectors[0]!, 10)).every((m) => m.id.startsWith("b"))).toBe(true);
    expect((await vx.query("alice", SIG, vectors[0]!, 3))[0]!.id).toBe("c0");
    expect(await rejection(vx.upsert("alice", { embedder: "x", dimensions: 64 }, records(randomVectors(1, 64, 1))))).toBeInstanceOf(DimensionMismatchError);
    await vx.reset("alice", vectors.map((_, i) => `c${i}`));
    expect(fake.calls.slice(-3)).toEqual([["delete", 1000], ["delete", 1000], ["delete", 500]]);
    expect(await vx.query("alice", SIG, vectors[0]!, 10)).toEqual([]);
  });

  it("vectorIndexFor picks Vectorize when bound, the local index otherwise, and names VECTORIZE when neither is", () => {
    expect(vectorIndexFor({ ...env, VECTORIZE: fakeVectorize(8).vectorize } as unknown as Env)).toBeInstanceOf(VectorizeVectorIndex);
    expect(vectorIndexFor(env as unknown as Env)).toBeInstanceOf(LocalVectorIndex);
    const e = (() => {
      try {
        vectorIndexFor({ ...env, KB_VECTORS: undefined } as unknown as Env);
      } catch (err) {
        return err as AppError;
      }
    })();
    expect(e).toMatchObject({ status: 503, code: "config_missing", extra: { variable: "VECTORIZE" } });
  });
});

const SERVER = inject("openaiServerUrl");
const newKey = () => `sk-kb-${crypto.randomUUID()}`;

async function script(key: string, responses: unknown[]) {
  await fetch(`${SERVER}/__script`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key, responses }) });
}

async function requests(key: string): Promise<Array<{ status: number; body: { input: string[]; model: string; dimensions?: number } }>> {
  return ((await (await fetch(`${SERVER}/__requests?key=${encodeURIComponent(key)}`)).json()) as { requests: never[] }).requests;
}

describe("embedders", () => {
  it("OpenAI: batches of 96, vectors back in input order and normalised, empty inputs never sent empty", async () => {
    const key = newKey();
    const embedder = new OpenAIEmbedder({ apiKey: key, baseUrl: `${SERVER}/v1`, model: "text-embedding-3-small", maxRetries: 0 });
    expect([embedder.id, embedder.dimensions]).toEqual(["openai:text-embedding-3-small", 1536]);
    const texts = Array.from({ length: 200 }, (_, i) => (i === 5 ? "" : `passage number ${i}`));
    const vectors = await embedder.embed(texts);
    const sent = await requests(key);
    expect(sent.map((r) => r.body.input.length)).toEqual([96, 96, 8]);
    expect(sent.every((r) => r.status === 200 && r.body.model === "text-embedding-3-small")).toBe(true);
    expect(vectors).toHaveLength(200);
    for (const v of vectors) expect(Math.hypot(...v)).toBeCloseTo(1, 4);
    // In order: the vector of text i is the one the server made for text i (it answered in reverse).
    const [again] = await embedder.embed([texts[150]!]);
    expect(Array.from(again!)).toEqual(Array.from(vectors[150]!));
  });

  it("OpenAI: a model larger than Vectorize allows is shortened to 1,536 dimensions", async () => {
    const key = newKey();
    const embedder = new OpenAIEmbedder({ apiKey: key, baseUrl: `${SERVER}/v1`, model: "text-embedding-3-large", maxRetries: 0 });
    expect([embedder.id, embedder.dimensions]).toEqual(["openai:text-embedding-3-large@1536", 1536]);
    await embedder.embed(["one"]);
    expect((await requests(key))[0]!.body.dimensions).toBe(1536);
  });

  it("OpenAI: a 429 is retried as the API asks; a refused key is embedding_failed without the key", async () => {
    const key = newKey();
    await script(key, [{ status: 429, body: { error: { message: "Rate limit reached", type: "requests" } }, headers: { "retry-after-ms": "5" } }]);
    const embedder = new OpenAIEmbedder({ apiKey: key, baseUrl: `${SERVER}/v1`, model: "text-embedding-3-small", maxRetries: 2 });
    expect(await embedder.embed(["after a rate limit"])).toHaveLength(1);
    expect((await requests(key)).map((r) => r.status)).toEqual([429, 200]);

    const bad = newKey();
    await script(bad, [{ status: 401, body: { error: { message: `Incorrect API key provided: ${bad}.`, type: "invalid_request_error", code: "invalid_api_key" } } }]);
    const e = (await rejection(new OpenAIEmbedder({ apiKey: bad, baseUrl: `${SERVER}/v1`, model: "text-embedding-3-small", maxRetries: 0 }).embed(["x"]))) as AppError;
    expect(e).toBeInstanceOf(AppError);
    expect(e.code).toBe("embedding_failed");
    expect(e.detail).not.toContain(bad);
  });

  it("Workers AI: batches of 100 to bge-base-en-v1.5, 768 dimensions", async () => {
    const calls: Array<{ model: string; n: number }> = [];
    const ai = {
      async run(model: string, input: { text: string[] }) {
        calls.push({ model, n: input.text.length });
        return { shape: [input.text.length, 768], data: input.text.map((t) => Array.from({ length: 768 }, (_, i) => (i === t.length % 768 ? 2 : 0))) };
      },
    } as unknown as Ai;
    const embedder = new WorkersAiEmbedder(ai);
    const vectors = await embedder.embed(Array.from({ length: 250 }, (_, i) => "x".repeat(i)));
    expect(calls).toEqual([
      { model: "@cf/baai/bge-base-en-v1.5", n: 100 },
      { model: "@cf/baai/bge-base-en-v1.5", n: 100 },
      { model: "@cf/baai/bge-base-en-v1.5", n: 50 },
    ]);
    expect(vectors[3]![3]).toBe(1);
  });

  it("embedderFor: KB_EMBEDDER first, then OpenAI with a key, Workers AI with the binding, else local; a missing piece is config_missing by name", () => {
    const pick = (vars: Record<string, unknown>) => embedderFor({ ...env, ...vars } as unknown as Env);
    expect(pick({})).toBeInstanceOf(LocalEmbedder);
    expect(pick({ OPENAI_API_KEY: "sk-x" })).toBeInstanceOf(OpenAIEmbedder);
    expect(pick({ AI: {} })).toBeInstanceOf(WorkersAiEmbedder);
    expect(pick({ OPENAI_API_KEY: "sk-x", KB_EMBEDDER: "local" })).toBeInstanceOf(LocalEmbedder);
    for (const [vars, variable] of [
      [{ KB_EMBEDDER: "openai" }, "OPENAI_API_KEY"],
      [{ KB_EMBEDDER: "workers-ai" }, "AI"],
      [{ KB_EMBEDDER: "magic" }, "KB_EMBEDDER"],
    ] as const) {
      let error: unknown;
      try {
        pick(vars);
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ status: 503, code: "config_missing", extra: { variable } });
    }
  });
});
