import { env, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { KbDocument } from "../../worker/contract/kb";
import "../../worker/kb/routes";
import { KB_REINDEX_PER_USER, KB_UPLOAD_PER_USER } from "../../worker/auth/rate-limit";
import { reciprocalRankFusion } from "../../worker/kb/search";
import { deleteAccount, exportAccount } from "./account-helpers";
import { problemOf, register } from "./auth-helpers";
import { addDocument, detail, GUIDE, kbApi, quietEnv, runIndexing, searchKb } from "./kb-helpers";
import { authed, createUser, ORIGIN, type TestUser } from "./realtime-helpers";
import { resultOf, runTool } from "./tools-helpers";

async function indexed(user: TestUser, title: string, content: string): Promise<KbDocument> {
  const q = quietEnv();
  const doc = await addDocument(q, user, title, content);
  expect(await runIndexing(q, user, doc)).toBe("indexed");
  return doc;
}

function upload(user: TestUser, file: File, title?: string): Promise<Response> {
  const form = new FormData();
  form.set("file", file);
  if (title) form.set("title", title);
  return SELF.fetch(`${ORIGIN}/api/kb/documents`, authed(user, { method: "POST", body: form }));
}

describe("knowledge-base search", () => {
  it("end to end through the real queue: a multipart upload is pending at once, then indexed, then found in every mode at its passage", async () => {
    const user = await createUser("kb");
    const res = await upload(user, new File([GUIDE], "field-guide.md", { type: "text/markdown" }));
    expect(res.status).toBe(202);
    const { document } = (await res.json()) as { document: KbDocument };
    expect(document).toMatchObject({ title: "field-guide.md", mimeType: "text/markdown", status: "pending", chunks: 0, bytes: new TextEncoder().encode(GUIDE).byteLength });

    // The queue consumer runs in the same worker; wait for its commit.
    await vi.waitFor(async () => expect((await detail(user, document.id)).document.status).toBe("indexed"), { timeout: 15_000, interval: 100 });
    const { text, chunks } = await detail(user, document.id);
    expect(text).toContain("# Field guide");
    expect(chunks.length).toBeGreaterThan(0);

    for (const mode of ["hybrid", "vector", "keyword"] as const) {
      const body = await searchKb(user, { query: "copper dome telescope", mode, topK: 3 });
      expect(body.mode).toBe(mode);
      expect(body.tookMs).toBeGreaterThanOrEqual(0);
      const [best] = body.results;
      expect(best, mode).toBeDefined();
      expect(best!.documentId).toBe(document.id);
      expect(best!.title).toBe("field-guide.md");
      // A citation: the passage is exactly where its offsets say in the extracted text.
      expect(text.slice(best!.offsets.start, best!.offsets.end)).toBe(best!.text);
      expect(best!.text).toContain("copper dome");
      expect(chunks.map((c) => c.id)).toContain(best!.chunkId);
      expect(best!.highlight).toContain("<mark>copper</mark>");
    }
  });

  it("ranks the passage that answers above the others, and hybrid fuses both rankings", async () => {
    const user = await createUser("kb");
    await indexed(user, "Guide", GUIDE);
    const { results } = await searchKb(user, { query: "quince medlar frost", topK: 5 });
    expect(results[0]!.headingPath).toEqual(["Field guide", "Orchards"]);
    expect(results.map((r) => r.score)).toEqual([...results.map((r) => r.score)].sort((a, b) => b - a));

    expect(reciprocalRankFusion([[{ id: "a", score: 0.9 }, { id: "b", score: 0.5 }], [{ id: "b", score: 7 }, { id: "c", score: 3 }]]).map((r) => r.id)).toEqual(["b", "a", "c"]);
  });

  it("one user never finds, opens or deletes another user's documents", async () => {
    const [owner, stranger] = [await createUser("kb"), await createUser("kb")];
    const doc = await indexed(owner, "Guide", GUIDE);
    for (const mode of ["hybrid", "vector", "keyword"] as const) {
      expect((await searchKb(stranger, { query: "lighthouse keeper schooner", mode })).results).toEqual([]);
    }
    expect((await kbApi(stranger, "GET", `/documents/${doc.id}`)).status).toBe(404);
    expect((await kbApi(stranger, "DELETE", `/documents/${doc.id}`)).status).toBe(404);
    expect(((await (await kbApi(stranger, "GET", "/documents")).json()) as { documents: unknown[] }).documents).toEqual([]);
    expect((await searchKb(owner, { query: "lighthouse keeper schooner" })).results[0]?.documentId).toBe(doc.id);
  });

  it("query text is never read as FTS5 syntax, and HTML in a passage comes back escaped", async () => {
    const user = await createUser("kb");
    await indexed(user, "Markup", "# Notes\n\nThe <script>alert(1)</script> tag and the NEAR operator are just words here.\n");
    for (const query of ['NEAR("a" "b")', "script* AND :", '"unbalanced', "( ) ^ -", "😀"]) {
      const res = await kbApi(user, "POST", "/search", { query, mode: "keyword" });
      expect(res.status, query).toBe(200);
    }
    const [hit] = (await searchKb(user, { query: "script tag", mode: "keyword" })).results;
    expect(hit!.highlight).toContain("&lt;<mark>script</mark>&gt;");
    expect(hit!.highlight).not.toContain("<script>");
  });

  it.each([
    ["an empty query", { query: "   " }],
    ["a query over 2,000 characters", { query: "a".repeat(2001) }],
    ["topK 0", { query: "x", topK: 0 }],
    ["topK 51", { query: "x", topK: 51 }],
    ["an unknown mode", { query: "x", mode: "fuzzy" }],
  ])("refuses %s with 400 invalid_request", async (_, body) => {
    const user = await createUser("kb");
    const res = await kbApi(user, "POST", "/search", body);
    expect(res.status).toBe(400);
    expect((await problemOf(res)).code).toBe("invalid_request");
  });

  it("refuses bad uploads with a clear problem and stores nothing", async () => {
    const user = await createUser("kb");
    const cases: Array<[Promise<Response>, number, string]> = [
      [upload(user, new File([], "empty.txt", { type: "text/plain" })), 400, "empty_document"],
      [upload(user, new File([new Uint8Array([137, 80, 78, 71])], "photo.png", { type: "image/png" })), 400, "unsupported_type"],
      [upload(user, new File([new Uint8Array(10 * 1024 * 1024 + 1)], "huge.txt", { type: "text/plain" })), 413, "payload_too_large"],
      [kbApi(user, "POST", "/documents", { title: "x", content: "", mimeType: "text/plain" }), 400, "invalid_request"],
      [kbApi(user, "POST", "/documents", { title: "x", content: "%PDF-1.4", mimeType: "application/pdf" }), 400, "invalid_request"],
      [kbApi(user, "POST", "/documents", { title: "x", content: "hello", mimeType: "image/png" }), 400, "invalid_request"],
      [SELF.fetch(`${ORIGIN}/api/kb/documents`, authed(user, { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" })), 400, "invalid_request"],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect(res.status, code).toBe(status);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect((await problemOf(res)).code).toBe(code);
    }
    expect(((await (await kbApi(user, "GET", "/documents")).json()) as { documents: unknown[] }).documents).toEqual([]);
    expect((await env.KB_FILES.list({ prefix: `${user.id}/` })).objects).toEqual([]);
  });

  it("uploads and reindexing are rate limited per user, with Retry-After, and a refused upload stores nothing", async () => {
    const user = await createUser("kb");
    // The upload window is already full (the counter is the same fixed window the route counts in).
    await env.DB.prepare("INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, ?)")
      .bind(`${KB_UPLOAD_PER_USER.name}:${user.id}`, Math.floor(Date.now() / KB_UPLOAD_PER_USER.windowMs) * KB_UPLOAD_PER_USER.windowMs, KB_UPLOAD_PER_USER.limit)
      .run();
    const refused = await upload(user, new File(["hello"], "a.txt", { type: "text/plain" }));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await problemOf(refused)).code).toBe("rate_limited");
    expect((await env.KB_FILES.list({ prefix: `${user.id}/` })).objects).toEqual([]);

    const statuses = [];
    for (let i = 0; i <= KB_REINDEX_PER_USER.limit; i++) statuses.push((await kbApi(user, "POST", "/reindex")).status);
    expect(statuses).toEqual([...Array(KB_REINDEX_PER_USER.limit).fill(202), 429]);
  });

  it("binary sent as text ends failed with the reason instead of indexing garbage", async () => {
    const user = await createUser("kb");
    const q = quietEnv();
    const doc = await addDocument(q, user, "notes.txt", new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37, 0, 1, 2, 3, 0, 0, 255, 254]), "text/plain");
    expect(await runIndexing(q, user, doc)).toBe("failed");
    const { document } = await detail(user, doc.id);
    expect(document.status).toBe("failed");
    expect(document.error).toBeTruthy();
  });

  it("the agent's kb.search tool returns the same passages as citations that open at their place", async () => {
    const user = await createUser("kb");
    const doc = await indexed(user, "Guide", GUIDE);
    const outcome = await runTool(user.id, "kb.search", { query: "refracting telescope" });
    expect(outcome.ok).toBe(true);
    const { items } = resultOf<{ items: Array<{ documentId: string; chunkId: string; text: string; section?: string; source: { url: string; label: string } }> }>(outcome);
    expect(items[0]!.documentId).toBe(doc.id);
    expect(items[0]!.text).toContain("refracting telescope");
    expect(items[0]!.section).toBe("Field guide › Observatory");
    expect(items[0]!.source).toEqual({ url: `/knowledge/${doc.id}?chunk=${encodeURIComponent(items[0]!.chunkId)}`, label: "Guide › Observatory" });
  });

  it("an index built by another embedder is refused with reindex_required, and reindex moves the user over", async () => {
    const user = await createUser("kb");
    const doc = await indexed(user, "Guide", GUIDE);
    await env.DB.prepare("UPDATE kb_indexes SET embedder = 'openai:text-embedding-3-small', dimensions = 1536 WHERE user_id = ?").bind(user.id).run();
    const res = await kbApi(user, "POST", "/search", { query: "lighthouse" });
    expect(res.status).toBe(409);
    const problem = await problemOf(res);
    expect(problem.code).toBe("reindex_required");
    expect(problem.detail).toMatch(/openai:text-embedding-3-small \(1536 dimensions\).*reindex/);

    const reindex = await kbApi(user, "POST", "/reindex");
    expect(reindex.status).toBe(202);
    expect(await reindex.json()).toMatchObject({ documents: 1, embedder: "local-hash-v1" });
    // Until its run commits again, the document is not found.
    expect((await detail(user, doc.id)).document.status).not.toBe("indexed");
    await vi.waitFor(async () => expect((await detail(user, doc.id)).document.status).toBe("indexed"), { timeout: 15_000, interval: 100 });
    expect((await searchKb(user, { query: "lighthouse keeper" })).results[0]?.documentId).toBe(doc.id);
  });

  it("the account export carries each document with its text; deleting the account removes originals and vectors too", async () => {
    const session = await register();
    const user: TestUser = { id: session.user.id, token: session.accessToken };
    const doc = await indexed(user, "Guide", GUIDE);

    const exported = (await (await exportAccount(session.accessToken)).json()) as { documents: Array<KbDocument & { text: string }> };
    expect(exported.documents).toEqual([expect.objectContaining({ id: doc.id, title: "Guide", status: "indexed", text: expect.stringContaining("copper dome") })]);

    expect((await deleteAccount(session.accessToken, { password: session.password })).status).toBe(204);
    expect((await env.KB_FILES.list({ prefix: `${user.id}/` })).objects).toEqual([]);
    const ns = env.KB_VECTORS as unknown as DurableObjectNamespace<{ stats(): Promise<{ count: number }> } & Rpc.DurableObjectBranded>;
    expect((await ns.get(ns.idFromName(user.id)).stats()).count).toBe(0);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM kb_chunks WHERE user_id = ?").bind(user.id).first("n")).toBe(0);
  });
});
