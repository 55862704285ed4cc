import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { kbProgressPercent } from "../../worker/contract/kb";
import { database } from "../../worker/db/client";
import { findKbDocument } from "../../worker/db/kb";
import type { Env } from "../../worker/env";
import { AppError } from "../../worker/errors";
import { consumeKbIndex, retryDelaySeconds } from "../../worker/kb/consumer";
import { KB_MAX_RUNS, KB_STALLED_AFTER_MS, retryStalledKbDocuments } from "../../worker/kb/cron";
import { defaultIndexingDeps } from "../../worker/kb/pipeline";
import { addDocument, GUIDE, kbApi, orphanedKeywordEntries, quietEnv, runIndexing, searchKb, storedCounts, vectorsAfterUpsert } from "./kb-helpers";
import { connect, createUser, type TestUser } from "./realtime-helpers";

const kbFrames = (frames: { kind: string }[], id: string) =>
  frames.filter((f): f is { kind: "status"; scope: string; jobId: string; status: string; message: string } & { id: string } => f.kind === "status" && (f as { jobId?: string }).jobId === id);

async function vectorCount(user: TestUser): Promise<number> {
  const ns = env.KB_VECTORS as unknown as DurableObjectNamespace<{ stats(): Promise<{ count: number }> } & Rpc.DurableObjectBranded>;
  return (await ns.get(ns.idFromName(user.id)).stats()).count;
}

/** A long Markdown document: many chunks, so progress has steps to show. */
function longGuide(sections = 40): string {
  return Array.from({ length: sections }, (_, i) => `## Section ${i + 1}\n\n${`Paragraph about topic${i} with words to index and count. `.repeat(60)}\n`).join("\n");
}

describe("the indexing pipeline", () => {
  it("takes an upload from pending to indexed, with its progress frames in order and the same counts everywhere", async () => {
    const user = await createUser("kb");
    const socket = await connect(user);
    const q = quietEnv();
    const doc = await addDocument(q, user, "Long guide", longGuide());
    expect(doc.status).toBe("pending");
    expect(q.sent).toEqual([{ documentId: doc.id, userId: user.id }]);

    expect(await runIndexing(q, user, doc)).toBe("indexed");
    await socket.until(() => kbFrames(socket.events, doc.id).some((f) => f.status === "indexed"), "the indexed frame");
    const frames = kbFrames(socket.events, doc.id);
    expect(frames.every((f) => f.scope === "kb")).toBe(true);
    expect(frames.map((f) => f.status)).toEqual([...frames.slice(0, -1).map(() => "indexing"), "indexed"]);
    const percents = frames.map((f) => kbProgressPercent(f.message));
    expect(percents[0]).toBe(0);
    expect(percents.at(-1)).toBe(100);
    expect(percents.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < percents.length; i++) expect(percents[i]!).toBeGreaterThan(percents[i - 1]!);
    socket.close();

    const row = (await findKbDocument(database(env), user.id, doc.id))!;
    expect(row).toMatchObject({ status: "indexed", progress: 100, error: null });
    expect(row.chunkCount).toBeGreaterThan(5);
    const counts = await storedCounts(doc.id);
    expect(counts).toEqual({ chunks: row.chunkCount, keyword: row.chunkCount, texts: 1 });
    expect(await vectorCount(user)).toBe(row.chunkCount);
  });

  it("a redelivered message, or a run repeated after a crash, leaves the same chunk, keyword and vector counts", async () => {
    const user = await createUser("kb");
    const q = quietEnv();
    const doc = await addDocument(q, user, "Guide", longGuide(12));
    expect(await runIndexing(q, user, doc)).toBe("indexed");
    const once = { ...(await storedCounts(doc.id)), vectors: await vectorCount(user) };

    // The same message delivered again: the document is already indexed, so the run does nothing.
    expect(await runIndexing(q, user, doc)).toBe("skipped");
    expect({ ...(await storedCounts(doc.id)), vectors: await vectorCount(user) }).toEqual(once);

    // A run that died after writing (the row still says indexing) is done again from the start.
    await env.DB.prepare("UPDATE kb_documents SET status = 'indexing' WHERE id = ?").bind(doc.id).run();
    expect(await runIndexing(q, user, doc)).toBe("indexed");
    expect({ ...(await storedCounts(doc.id)), vectors: await vectorCount(user) }).toEqual(once);
    expect(await orphanedKeywordEntries()).toBe(0);
  });

  it("nothing of a document is found before its run commits, in any mode", async () => {
    const user = await createUser("kb");
    const q = quietEnv();
    const doc = await addDocument(q, user, "Guide", GUIDE);
    let release!: () => void;
    let reached!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const atUpsert = new Promise<void>((r) => (reached = r));
    const holding = vectorsAfterUpsert(q, async () => {
      reached(); // the vectors are in the index …
      await held; // … and the run waits before its commit
    });
    const run = runIndexing(q, user, doc, { vectors: () => holding });
    await atUpsert;
    expect(await vectorCount(user)).toBeGreaterThan(0);
    for (const mode of ["hybrid", "vector", "keyword"] as const) {
      expect((await searchKb(user, { query: "lighthouse keeper", mode })).results).toEqual([]);
    }
    release();
    expect(await run).toBe("indexed");
    for (const mode of ["hybrid", "vector", "keyword"] as const) {
      expect((await searchKb(user, { query: "lighthouse keeper", mode })).results[0]?.documentId).toBe(doc.id);
    }
  });

  it("a corrupt PDF ends failed with a readable reason, announced on the stream, and nothing is searchable", async () => {
    const user = await createUser("kb");
    const socket = await connect(user);
    const q = quietEnv();
    const doc = await addDocument(q, user, "broken.pdf", new TextEncoder().encode("%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage without xref"), "application/pdf");
    expect(await runIndexing(q, user, doc)).toBe("failed");
    const row = (await findKbDocument(database(env), user.id, doc.id))!;
    expect(row.status).toBe("failed");
    expect(row.error).toMatch(/PDF/);
    await socket.until(() => kbFrames(socket.events, doc.id).some((f) => f.status === "failed"), "the failed frame");
    expect(kbFrames(socket.events, doc.id).at(-1)!.message).toBe(row.error);
    expect(await storedCounts(doc.id)).toMatchObject({ chunks: 0, keyword: 0 });
    socket.close();
  });

  it("indexes a real multi-page PDF", async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    for (const words of ["The harbour master signs every manifest.", "Cartographers redraw the estuary each spring."]) {
      pdf.addPage().drawText(words, { x: 50, y: 700, size: 14, font });
    }
    const user = await createUser("kb");
    const q = quietEnv();
    const doc = await addDocument(q, user, "harbour.pdf", await pdf.save(), "application/pdf");
    expect(await runIndexing(q, user, doc)).toBe("indexed");
    const [hit] = (await searchKb(user, { query: "cartographers estuary", mode: "keyword" })).results;
    expect(hit?.documentId).toBe(doc.id);
    expect(hit?.highlight).toContain("<mark>Cartographers</mark>");
  });

  it("deleting a document removes its original, text, chunks, keyword entries and vectors", async () => {
    const user = await createUser("kb");
    const q = quietEnv();
    const doc = await addDocument(q, user, "Guide", GUIDE);
    await runIndexing(q, user, doc);
    expect(await env.KB_FILES.head(`${user.id}/${doc.id}`)).not.toBeNull();
    expect(await vectorCount(user)).toBeGreaterThan(0);

    expect((await kbApi(user, "DELETE", `/documents/${doc.id}`)).status).toBe(204);
    expect(await storedCounts(doc.id)).toEqual({ chunks: 0, keyword: 0, texts: 0 });
    expect(await orphanedKeywordEntries()).toBe(0);
    expect(await vectorCount(user)).toBe(0);
    expect(await env.KB_FILES.head(`${user.id}/${doc.id}`)).toBeNull();
    expect((await kbApi(user, "GET", `/documents/${doc.id}`)).status).toBe(404);
    expect((await kbApi(user, "DELETE", `/documents/${doc.id}`)).status).toBe(404);
  });

  it("a document deleted while it is being indexed leaves no vectors behind", async () => {
    const user = await createUser("kb");
    const q = quietEnv();
    const doc = await addDocument(q, user, "Guide", GUIDE);
    const deletingMidRun = vectorsAfterUpsert(q, async () => {
      expect((await kbApi(user, "DELETE", `/documents/${doc.id}`)).status).toBe(204);
    });
    expect(await runIndexing(q, user, doc, { vectors: () => deletingMidRun })).toBe("skipped");
    expect(await vectorCount(user)).toBe(0);
    expect(await storedCounts(doc.id)).toEqual({ chunks: 0, keyword: 0, texts: 0 });
  });

  it("a transient failure is retried with backoff; out of retries, the dead-letter queue marks it failed with the last error", async () => {
    const user = await createUser("kb");
    const q = quietEnv();
    const doc = await addDocument(q, user, "Guide", GUIDE);
    const failing = {
      ...defaultIndexingDeps,
      embedder: () => ({
        id: "local-hash-v1",
        dimensions: 256,
        embed: async () => {
          throw new AppError(502, "embedding_failed", "The embedding provider answered 503: overloaded.");
        },
      }),
    };
    const batch = createMessageBatch("taskpilot-kb-index", [{ id: "m1", timestamp: new Date(), attempts: 2, body: { documentId: doc.id, userId: user.id } }]);
    const ctx = createExecutionContext();
    await consumeKbIndex(batch, q.env, failing);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages.map((m: { msgId: string }) => m.msgId)).toEqual(["m1"]);
    // Backoff per delivery: 10 s, 20 s, 40 s … capped at 5 minutes.
    expect([1, 2, 3, 6, 20].map(retryDelaySeconds)).toEqual([10, 20, 40, 300, 300]);
    expect(result.explicitAcks).toEqual([]);
    let row = (await findKbDocument(database(env), user.id, doc.id))!;
    expect(row.status).toBe("indexing");
    expect(row.error).toContain("overloaded");

    const dead = createMessageBatch("taskpilot-kb-index-dlq", [{ id: "m2", timestamp: new Date(), attempts: 1, body: { documentId: doc.id, userId: user.id } }]);
    await consumeKbIndex(dead, q.env, failing);
    expect((await getQueueResult(dead, ctx)).explicitAcks).toEqual(["m2"]);
    row = (await findKbDocument(database(env), user.id, doc.id))!;
    expect(row.status).toBe("failed");
    expect(row.error).toMatch(/^Indexing failed after 1 attempts: The embedding provider answered 503: overloaded/);
  });

  it("a malformed message is dropped, not retried forever", async () => {
    const batch = createMessageBatch("taskpilot-kb-index", [{ id: "bad", timestamp: new Date(), attempts: 1, body: { documentId: 42 } }]);
    await consumeKbIndex(batch, quietEnv().env);
    const ctx = createExecutionContext();
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["bad"]);
  });

  it("the cron pass queues a run that stalled, and fails a document out of runs; it never stays indexing for hours", async () => {
    const user = await createUser("kb");
    const q = quietEnv();
    const stalled = await addDocument(q, user, "Stalled", GUIDE);
    const exhausted = await addDocument(q, user, "Exhausted", GUIDE);
    const now = new Date();
    const longAgo = now.getTime() - KB_STALLED_AFTER_MS - 1000;
    await env.DB.batch([
      env.DB.prepare("UPDATE kb_documents SET status = 'indexing', attempts = 1, indexing_started_at = ? WHERE id = ?").bind(longAgo, stalled.id),
      env.DB.prepare("UPDATE kb_documents SET status = 'indexing', attempts = ?, indexing_started_at = ?, error = 'timed out' WHERE id = ?").bind(KB_MAX_RUNS, longAgo, exhausted.id),
    ]);
    q.sent.length = 0;
    await retryStalledKbDocuments(q.env as Env, now);
    expect(q.sent).toContainEqual({ documentId: stalled.id, userId: user.id });
    expect(q.sent).not.toContainEqual({ documentId: exhausted.id, userId: user.id });
    const db = database(env);
    expect((await findKbDocument(db, user.id, stalled.id))!.status).toBe("pending");
    const failed = (await findKbDocument(db, user.id, exhausted.id))!;
    expect(failed.status).toBe("failed");
    expect(failed.error).toContain(`after ${KB_MAX_RUNS} attempts (last error: timed out)`);

    // A run that is merely slow is left alone.
    const fresh = await addDocument(q, user, "Fresh", GUIDE);
    await env.DB.prepare("UPDATE kb_documents SET status = 'indexing', indexing_started_at = ? WHERE id = ?").bind(now.getTime() - 1000, fresh.id).run();
    q.sent.length = 0;
    await retryStalledKbDocuments(q.env as Env, now);
    expect(q.sent).not.toContainEqual({ documentId: fresh.id, userId: user.id });
  });
});
