import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_CONFIG,
  EMBEDDER_DIMENSIONS,
  isPlaceholderId,
  placeholderBindings,
  readEnvironment,
  resourcesOf,
  setBlockValue,
  VECTORIZE_METADATA_INDEXES,
} from "../../scripts/lib/cloudflare-resources.mjs";
import { LOCAL_DIMENSIONS } from "../../worker/kb/embed/local";
import { OpenAIEmbedder } from "../../worker/kb/embed/openai";
import { WorkersAiEmbedder } from "../../worker/kb/embed/workers-ai";
import { VectorizeVectorIndex } from "../../worker/kb/vectors/vectorize";

// What `npm run provision` and `npm run deploy` read from wrangler.toml, and the one-line edit that writes an id.

describe("the Vectorize index provision creates", () => {
  it("has the dimensions of each embedder worker/kb/embed can select", () => {
    expect(EMBEDDER_DIMENSIONS.local).toBe(LOCAL_DIMENSIONS);
    expect(EMBEDDER_DIMENSIONS["workers-ai"]).toBe(new WorkersAiEmbedder({} as Ai).dimensions);
    for (const model of ["text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002", "some-future-model"]) {
      expect(new OpenAIEmbedder({ apiKey: "sk-test", model }).dimensions).toBe(EMBEDDER_DIMENSIONS.openai);
    }
  });

  it("indexes the metadata fields the Vectorize adapter writes", async () => {
    const upserts: VectorizeVector[] = [];
    const index = {
      describe: async () => ({ dimensions: 3 }),
      upsert: async (vectors: VectorizeVector[]) => {
        upserts.push(...vectors);
        return { mutationId: "m" };
      },
    } as unknown as VectorizeIndex;
    await new VectorizeVectorIndex(index).upsert("user-1", { embedder: "e", dimensions: 3 }, [{ id: "doc-1:0", documentId: "doc-1", values: new Float32Array([1, 0, 0]) }]);
    const written = Object.keys(upserts[0]!.metadata ?? {}).sort();
    expect(VECTORIZE_METADATA_INDEXES.map((m) => m.propertyName).sort()).toEqual(written);
    expect(VECTORIZE_METADATA_INDEXES.every((m) => typeof upserts[0]!.metadata![m.propertyName] === m.type)).toBe(true);
  });
});

describe("the resources of [env.production]", () => {
  const resources = resourcesOf(readEnvironment(DEFAULT_CONFIG, "production"));

  it("are every binding of the environment, each consumer's dead-letter queue among the queues", () => {
    const text = readFileSync(DEFAULT_CONFIG, "utf8");
    const production = text.slice(text.indexOf("\n[env.production]\n"));
    for (const [, q] of production.matchAll(/^(?:queue|dead_letter_queue) = "([^"]+)"$/gm)) expect(resources.queues).toContain(q);
    expect(resources.queues.filter((q) => q.endsWith("-dlq")).length).toBe([...production.matchAll(/^dead_letter_queue = /gm)].length);
    expect(resources.d1.map((d) => d.name)).toEqual(["taskpilot"]);
    expect(resources.kv.map((k) => k.title)).toEqual(["taskpilot-oauth-kv"]);
    expect(resources.vectorize).toEqual([expect.objectContaining({ name: "taskpilot-kb", dimensions: 1536, metric: "cosine" })]);
  });

  it("still hold placeholder ids in the repository, which deploy refuses", () => {
    expect(placeholderBindings(resources)).toEqual([
      'd1_databases DB (database_id = "00000000-0000-4000-8000-000000000000")',
      'kv_namespaces OAUTH_KV (id = "00000000000000000000000000000000")',
    ]);
  });

  it("an unknown KB_EMBEDDER is refused", () => {
    expect(() => resourcesOf({ workerName: "w", env: { vars: { KB_EMBEDDER: "bert" } } })).toThrow(/KB_EMBEDDER = "bert" is not one of openai, workers-ai, local/);
  });
});

describe("placeholder ids", () => {
  it("are the shipped zero ids and empty ones; real ids are not", () => {
    for (const id of ["00000000-0000-4000-8000-000000000000", "00000000000000000000000000000000", "", undefined]) expect(isPlaceholderId(id)).toBe(true);
    for (const id of ["6f1c3a52-8d0e-4b7a-9f21-3c5d7e9a1b24", "4d2f6a8c0e1b3d5f7a9c1e3b5d7f9a0c"]) expect(isPlaceholderId(id)).toBe(false);
  });
});

describe("setBlockValue", () => {
  const text = readFileSync(join(DEFAULT_CONFIG), "utf8");

  it("changes only the id line of the named environment's block, keeping comments and layout", () => {
    const out = setBlockValue(text, { envName: "production", table: "d1_databases", binding: "DB", key: "database_id", value: "6f1c3a52-8d0e-4b7a-9f21-3c5d7e9a1b24" });
    const a = text.split("\n");
    const b = out.split("\n");
    expect(b.length).toBe(a.length);
    const changed = b.flatMap((line, i) => (line === a[i] ? [] : [[a[i], line]]));
    expect(changed).toEqual([['database_id = "00000000-0000-4000-8000-000000000000"', 'database_id = "6f1c3a52-8d0e-4b7a-9f21-3c5d7e9a1b24"']]);
    expect(out.indexOf("6f1c3a52")).toBeGreaterThan(out.indexOf("\n[env.production]\n"));
    // The same value again is the same text.
    expect(setBlockValue(out, { envName: "production", table: "d1_databases", binding: "DB", key: "database_id", value: "6f1c3a52-8d0e-4b7a-9f21-3c5d7e9a1b24" })).toBe(out);
  });

  it("adds the key after the binding line when the block has none, and keeps CRLF line ends", () => {
    const crlf = '# top\r\n[[env.production.kv_namespaces]]\r\nbinding = "OAUTH_KV" # tokens\r\n\r\n[[env.production.r2_buckets]]\r\nbinding = "B"\r\n';
    expect(setBlockValue(crlf, { envName: "production", table: "kv_namespaces", binding: "OAUTH_KV", key: "id", value: "abc" })).toBe(
      '# top\r\n[[env.production.kv_namespaces]]\r\nbinding = "OAUTH_KV" # tokens\r\nid = "abc"\r\n\r\n[[env.production.r2_buckets]]\r\nbinding = "B"\r\n',
    );
  });

  it("refuses a block that is not there instead of writing somewhere else", () => {
    expect(() => setBlockValue(text, { envName: "staging", table: "d1_databases", binding: "DB", key: "database_id", value: "x" })).toThrow(/No \[\[env.staging.d1_databases\]\] block with binding = "DB"/);
  });
});
