import { environmentManager, MutationObserver, QueryObserver } from "@tanstack/solid-query";
import { beforeAll, describe, expect, it } from "vitest";
import { KB_MAX_FILE_BYTES, type KbDocument } from "../../worker/contract/kb";
import { ApiError, createApiClient } from "../../web/src/lib/api";
import { EventsConnection } from "../../web/src/lib/events";
import { createAppQueryClient } from "../../web/src/lib/query";
import { textBlocks } from "../../web/src/routes/knowledge/text-blocks";
import {
  checkSearchQuery,
  deleteKbDocumentMutation,
  formatBytes,
  kbDocumentsQuery,
  kbUploader,
  kbUploadsQuery,
  reconcileUpload,
  uploadLabel,
  type KbUpload,
} from "../../web/src/stores/kb";
import { invalidateOnEvents } from "../../web/src/stores/server-state";
import { FakeSocket } from "./fake-socket";

const T = "2026-12-01T10:00:00.000Z";
const user = { id: "u1", email: "ada@example.test", name: "Ada", createdAt: T };

const doc = (id: string, over: Partial<KbDocument> = {}): KbDocument => ({
  id,
  title: `${id}.md`,
  mimeType: "text/markdown",
  bytes: 100,
  status: "pending",
  chunks: 0,
  progress: 0,
  error: null,
  createdAt: T,
  updatedAt: T,
  ...over,
});

const json = (status: number, body: unknown, type = "application/json") => new Response(JSON.stringify(body), { status, headers: { "content-type": type } });
const problem = (status: number, code: string, detail: string) => json(status, { status, code, detail }, "application/problem+json");

/** An XMLHttpRequest double: records what was sent and lets the test report bytes sent and answer. */
class FakeXhr {
  static all: FakeXhr[] = [];
  method = "";
  url = "";
  headers: Record<string, string> = {};
  body: FormData | undefined;
  status = 0;
  responseText = "";
  responseType = "";
  aborted = false;
  private responseHeaders: Record<string, string> = {};
  upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  ontimeout: (() => void) | null = null;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
  }
  getResponseHeader(name: string) {
    return this.responseHeaders[name.toLowerCase()] ?? null;
  }
  send(body: FormData) {
    this.body = body;
    FakeXhr.all.push(this);
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ lengthComputable: true, loaded, total });
  }
  respond(status: number, body: unknown, type = status < 300 ? "application/json" : "application/problem+json") {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.responseHeaders = { "content-type": type };
    this.onload?.();
  }
  get file() {
    return this.body?.get("file") as File | null;
  }
}

/** The kb API (and the auth and realtime calls around it), with the documents a test puts in it. */
function fakeServer() {
  const documents = new Map<string, KbDocument>();
  const calls: string[] = [];
  let generation = 1;
  let refreshes = 0;
  let deleteRefused = false;
  let deleteGate: Promise<void> | undefined;
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), "http://app.test");
    const method = init?.method ?? "GET";
    if (url.pathname === "/api/auth/refresh") {
      refreshes++;
      return json(200, { user, accessToken: `access-${generation}`, expiresIn: 900 });
    }
    if (url.pathname === "/api/events") return json(200, { events: [], latestId: "0" });
    if (url.pathname === "/api/realtime/ticket") return json(200, { ticket: "t", expiresIn: 60 });
    calls.push(`${method} ${url.pathname}`);
    if (url.pathname === "/api/kb/documents" && method === "GET") {
      return json(200, { documents: [...documents.values()].reverse() });
    }
    const m = /^\/api\/kb\/documents\/([^/]+)$/.exec(url.pathname);
    if (m && method === "DELETE") {
      await deleteGate;
      if (deleteRefused) return problem(503, "unavailable", "The knowledge base is busy; try again in a moment.");
      return documents.delete(decodeURIComponent(m[1]!)) ? new Response(null, { status: 204 }) : problem(404, "not_found", "No such document.");
    }
    return problem(404, "not_found", "No such route.");
  };
  return {
    documents,
    calls,
    refreshes: () => refreshes,
    /** Access tokens issued before this are refused from now on. */
    expireTokens: () => generation++,
    token: () => `access-${generation}`,
    refuseDeletes: () => (deleteRefused = true),
    /** Deletes wait for the returned function. */
    holdDeletes() {
      let release!: () => void;
      deleteGate = new Promise<void>((resolve) => (release = resolve));
      return release;
    },
    client: createApiClient({ fetch: fetchImpl as typeof fetch, XMLHttpRequest: FakeXhr as unknown as typeof XMLHttpRequest, locks: null, channel: null }),
  };
}

let nextId = 1;
const kbFrame = (jobId: string, status: string, message: string, scope = "kb") => ({
  kind: "status",
  jobId,
  scope,
  status,
  message,
  id: String(nextId++),
  timestamp: "2026-12-01T10:00:01.000Z",
});

/** The Knowledge page on screen: the documents list and the upload rows observed, the event stream wired as the layout wires it. */
async function shownPage(server: ReturnType<typeof fakeServer>) {
  FakeSocket.all = [];
  FakeXhr.all = [];
  await server.client.restore();
  const queryClient = createAppQueryClient();
  const list = new QueryObserver(queryClient, kbDocumentsQuery(server.client, () => Promise.resolve()));
  const uploads = new QueryObserver(queryClient, kbUploadsQuery(queryClient));
  const offs = [list.subscribe(() => {}), uploads.subscribe(() => {})];
  const connection = new EventsConnection(server.client, { baseUrl: "http://app.test", WebSocket: FakeSocket as unknown as typeof WebSocket });
  const stopInvalidating = invalidateOnEvents(queryClient, connection);
  connection.start();
  await expect.poll(() => FakeSocket.all.length).toBe(1);
  const socket = FakeSocket.all[0]!;
  socket.open();
  await expect.poll(() => list.getCurrentResult().isSuccess).toBe(true);
  return {
    queryClient,
    list,
    socket,
    uploader: kbUploader(server.client, queryClient),
    rows: () => uploads.getCurrentResult().data?.items ?? [],
    row: (name: string) => (uploads.getCurrentResult().data?.items ?? []).find((i) => i.name === name),
    listed: (id: string) => list.getCurrentResult().data?.find((d) => d.id === id),
    stop() {
      for (const off of offs) off();
      stopInvalidating();
      connection.stop();
    },
  };
}

const file = (name: string, text: string, type = "text/markdown") => new File([text], name, { type });
const listGets = (calls: string[]) => calls.filter((c) => c === "GET /api/kb/documents").length;

describe("knowledge base store (solid-query)", () => {
  beforeAll(() => environmentManager.setIsServer(() => false));

  it("an upload goes from bytes sent to the indexing percent of its kb frames to indexed with its chunk count", async () => {
    const server = fakeServer();
    const page = await shownPage(server);
    page.uploader.add([file("guide.md", "# Guide\n\nRotate the keys weekly.")]);
    await expect.poll(() => FakeXhr.all.length).toBe(1);
    const xhr = FakeXhr.all[0]!;
    expect(xhr.method).toBe("POST");
    expect(xhr.url).toBe("/api/kb/documents");
    expect(xhr.headers.authorization).toBe(`Bearer ${server.token()}`);
    expect(xhr.file?.name).toBe("guide.md");
    expect(await xhr.file?.text()).toBe("# Guide\n\nRotate the keys weekly.");
    expect(page.row("guide.md")).toMatchObject({ phase: "uploading", started: true, percent: 0, uploadedBytes: 0 });

    // The multipart body is a little larger than the file: the share sent is what counts.
    const bytes = page.row("guide.md")!.bytes;
    xhr.progress(60, 200);
    expect(page.row("guide.md")).toMatchObject({ phase: "uploading", percent: 30, uploadedBytes: Math.round(0.3 * bytes) });
    expect(uploadLabel(page.row("guide.md")!)).toBe("Uploading 30%");

    const d1 = doc("d1", { title: "guide.md", bytes });
    server.documents.set("d1", d1);
    xhr.respond(202, { document: d1 });
    await expect.poll(() => page.row("guide.md")?.phase).toBe("indexing");
    expect(page.row("guide.md")).toMatchObject({ documentId: "d1", percent: 0, uploadedBytes: bytes });
    // The accepted document is in the list before any refetch could have brought it.
    await expect.poll(() => page.listed("d1")?.status).toBe("pending");

    server.documents.set("d1", { ...d1, status: "indexing", progress: 42 });
    page.socket.serverSends(kbFrame("d1", "indexing", "42%"));
    await expect.poll(() => page.row("guide.md")?.percent).toBe(42);
    expect(uploadLabel(page.row("guide.md")!)).toBe("Indexing 42%");
    expect(page.listed("d1")).toMatchObject({ status: "indexing", progress: 42 });

    server.documents.set("d1", { ...d1, status: "indexed", progress: 100, chunks: 12 });
    page.socket.serverSends(kbFrame("d1", "indexed", "100%"));
    await expect.poll(() => page.row("guide.md")?.phase).toBe("indexed");
    // The chunk count comes from the refetched list.
    await expect.poll(() => page.listed("d1")?.chunks).toBe(12);
    expect(uploadLabel(page.row("guide.md")!, page.listed("d1"))).toBe("Indexed · 12 chunks");
    page.stop();
  });

  it("a failed frame fails the upload with the reason it carries, in the upload row and in the list", async () => {
    const server = fakeServer();
    const page = await shownPage(server);
    page.uploader.add([file("scan.pdf", "%PDF-1.7 …", "application/pdf")]);
    await expect.poll(() => FakeXhr.all.length).toBe(1);
    const d2 = doc("d2", { title: "scan.pdf", mimeType: "application/pdf" });
    server.documents.set("d2", d2);
    FakeXhr.all[0]!.respond(202, { document: d2 });
    await expect.poll(() => page.row("scan.pdf")?.phase).toBe("indexing");

    page.socket.serverSends(kbFrame("d2", "indexing", "10%"));
    await expect.poll(() => page.row("scan.pdf")?.percent).toBe(10);
    const reason = "The PDF has no text layer (a scan?): there is no text to index.";
    server.documents.set("d2", { ...d2, status: "failed", error: reason, progress: 10 });
    page.socket.serverSends(kbFrame("d2", "failed", reason));
    await expect.poll(() => page.row("scan.pdf")?.phase).toBe("failed");
    expect(page.row("scan.pdf")?.error).toBe(reason);
    expect(uploadLabel(page.row("scan.pdf")!)).toBe(reason);
    await expect.poll(() => page.listed("d2")).toMatchObject({ status: "failed", error: reason });
    page.stop();
  });

  it("kb frames refetch the documents list when a status changes or indexing ends, not for a percent alone; other scopes leave it alone", async () => {
    const server = fakeServer();
    server.documents.set("d3", doc("d3"));
    const page = await shownPage(server);
    server.calls.length = 0;

    // A session's status frame with the same id is not about documents.
    page.socket.serverSends(kbFrame("d3", "indexing", "5%", "session"));
    // An unknown document (uploaded from another tab) refetches the list.
    server.documents.set("d4", doc("d4"));
    page.socket.serverSends(kbFrame("d4", "pending", "0%"));
    await expect.poll(() => page.listed("d4")?.status).toBe("pending");
    expect(page.listed("d3")?.status).toBe("pending");
    expect(listGets(server.calls)).toBe(1);

    server.documents.set("d3", doc("d3", { status: "indexing", progress: 5 }));
    page.socket.serverSends(kbFrame("d3", "indexing", "5%"));
    await expect.poll(() => listGets(server.calls)).toBe(2);
    await expect.poll(() => page.list.getCurrentResult().isFetching).toBe(false);
    // A new percent of the same status is patched into the row, with no request.
    page.socket.serverSends(kbFrame("d3", "indexing", "57%"));
    await expect.poll(() => page.listed("d3")?.progress).toBe(57);
    expect(listGets(server.calls)).toBe(2);

    server.documents.set("d3", doc("d3", { status: "indexed", progress: 100, chunks: 4 }));
    page.socket.serverSends(kbFrame("d3", "indexed", "100%"));
    await expect.poll(() => page.listed("d3")?.chunks).toBe(4);
    expect(listGets(server.calls)).toBe(3);
    page.stop();
  });

  it("frames that arrive before the upload's own answer still move its row", async () => {
    const server = fakeServer();
    const page = await shownPage(server);
    page.uploader.add([file("fast.txt", "quick", "text/plain")]);
    await expect.poll(() => FakeXhr.all.length).toBe(1);
    const d5 = doc("d5", { title: "fast.txt", mimeType: "text/plain" });
    server.documents.set("d5", { ...d5, status: "indexed", progress: 100, chunks: 1 });
    page.socket.serverSends(kbFrame("d5", "indexing", "50%"));
    page.socket.serverSends(kbFrame("d5", "indexed", "100%"));
    await expect.poll(() => page.listed("d5")?.status).toBe("indexed");
    expect(page.row("fast.txt")?.phase).toBe("uploading");
    // The answer was made when the document was still pending.
    FakeXhr.all[0]!.respond(202, { document: d5 });
    await expect.poll(() => page.row("fast.txt")?.phase).toBe("indexed");
    expect(uploadLabel(page.row("fast.txt")!, page.listed("d5"))).toBe("Indexed · 1 chunk");
    page.stop();
  });

  it("refuses empty, oversized and unknown files before sending, and sends at most three at a time", async () => {
    const server = fakeServer();
    const page = await shownPage(server);
    const big = new File([new Uint8Array(KB_MAX_FILE_BYTES + 1)], "huge.txt", { type: "text/plain" });
    page.uploader.add([
      file("empty.md", ""),
      big,
      file("image.png", "not text", "image/png"),
      ...[1, 2, 3, 4, 5].map((n) => file(`n${n}.md`, `note ${n}`)),
    ]);
    expect(page.row("empty.md")).toMatchObject({ phase: "failed", error: '"empty.md" is empty: there is nothing in it to index.' });
    expect(page.row("huge.txt")).toMatchObject({ phase: "failed", error: '"huge.txt" is 10.0 MB, more than the 10 MB a file can be.' });
    expect(page.row("image.png")?.error).toContain("is not a kind of file the knowledge base reads");
    await expect.poll(() => FakeXhr.all.length).toBe(3);
    expect(FakeXhr.all.map((x) => x.file?.name)).toEqual(["n1.md", "n2.md", "n3.md"]);
    expect(page.row("n4.md")).toMatchObject({ phase: "uploading", started: false });
    expect(uploadLabel(page.row("n4.md")!)).toBe("Waiting to upload");

    // One answer frees a slot: the fourth starts, the fifth still waits.
    FakeXhr.all[1]!.respond(413, { status: 413, code: "payload_too_large", detail: "Too large." });
    await expect.poll(() => FakeXhr.all.length).toBe(4);
    expect(FakeXhr.all[3]!.file?.name).toBe("n4.md");
    expect(page.row("n5.md")?.started).toBe(false);
    expect(page.row("n2.md")).toMatchObject({ phase: "failed", error: "The file is larger than 10 MB, the most the knowledge base takes." });
    // The batch's rows are in the order the files were chosen.
    expect(page.rows().map((r) => r.name).slice(0, 3)).toEqual(["empty.md", "huge.txt", "image.png"]);
    page.stop();
  });

  it("an upload refused with 401 is sent again once with a refreshed token", async () => {
    const server = fakeServer();
    const page = await shownPage(server);
    const before = server.refreshes();
    server.expireTokens();
    page.uploader.add([file("notes.txt", "hello", "text/plain")]);
    await expect.poll(() => FakeXhr.all.length).toBe(1);
    FakeXhr.all[0]!.respond(401, { status: 401, code: "token_expired", detail: "The access token has expired." });
    await expect.poll(() => FakeXhr.all.length).toBe(2);
    expect(server.refreshes()).toBe(before + 1);
    expect(FakeXhr.all[1]!.headers.authorization).toBe(`Bearer ${server.token()}`);
    FakeXhr.all[1]!.respond(400, { status: 400, code: "empty_document", detail: "No text." });
    await expect.poll(() => page.row("notes.txt")?.phase).toBe("failed");
    expect(page.row("notes.txt")?.error).toBe("The file has no text in it to index.");
    page.stop();
  });

  it("the API client's upload maps a network failure to words and honours an abort", async () => {
    const server = fakeServer();
    await server.client.restore();
    FakeXhr.all = [];
    const form = new FormData();
    form.append("file", file("a.md", "x"));
    const failing = server.client.upload("/api/kb/documents", form).catch((e: unknown) => e);
    await expect.poll(() => FakeXhr.all.length).toBe(1);
    FakeXhr.all[0]!.onerror?.();
    const error = await failing;
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("network_error");

    const controller = new AbortController();
    const aborted = server.client.upload("/api/kb/documents", form, { signal: controller.signal }).catch((e: unknown) => e);
    await expect.poll(() => FakeXhr.all.length).toBe(2);
    controller.abort();
    expect(FakeXhr.all[1]!.aborted).toBe(true);
    expect(((await aborted) as DOMException).name).toBe("AbortError");
  });

  it("delete takes the document out of the list at once and puts it back when the server refuses", async () => {
    const server = fakeServer();
    server.documents.set("a", doc("a"));
    server.documents.set("b", doc("b"));
    const page = await shownPage(server);
    const ids = () => page.list.getCurrentResult().data?.map((d) => d.id);
    expect(ids()).toEqual(["b", "a"]);

    const remove = new MutationObserver(page.queryClient, deleteKbDocumentMutation(server.client, page.queryClient));
    const release = server.holdDeletes();
    const done = remove.mutate({ id: "a" });
    // Gone from the list while the server has not answered yet.
    await expect.poll(() => server.calls.includes("DELETE /api/kb/documents/a")).toBe(true);
    expect(ids()).toEqual(["b"]);
    release();
    await done;
    await expect.poll(() => ids()).toEqual(["b"]);

    server.refuseDeletes();
    const refused = await remove.mutate({ id: "b" }).catch((e: unknown) => e);
    expect((refused as ApiError).status).toBe(503);
    // Put back by the mutation itself, before the list's refetch could have answered.
    expect(page.queryClient.getQueryData<KbDocument[]>(["kb-documents"])?.map((d) => d.id)).toEqual(["b"]);
    await expect.poll(() => ids()).toEqual(["b"]);
    page.stop();
  });

  it("signing out (clearing the cache) cancels the uploads still being sent", async () => {
    const server = fakeServer();
    const page = await shownPage(server);
    page.uploader.add([file("long.md", "# Long")]);
    await expect.poll(() => FakeXhr.all.length).toBe(1);
    page.stop();
    page.queryClient.clear();
    expect(FakeXhr.all[0]!.aborted).toBe(true);
    await page.uploader.idle();
    // Nothing of the signed-out session is written back into the cache.
    expect(page.queryClient.getQueryData(["kb-uploads"])).toBeUndefined();
  });
});

describe("knowledge helpers", () => {
  const upload = (over: Partial<KbUpload>): KbUpload => ({
    key: "k",
    name: "g.md",
    bytes: 10,
    uploadedBytes: 10,
    phase: "indexing",
    percent: 20,
    error: null,
    documentId: "d1",
    started: true,
    ...over,
  });

  it("a row the list knows further along reads as the list says (frames missed while reconnecting)", () => {
    expect(reconcileUpload(upload({}), doc("d1", { status: "indexed", progress: 100, chunks: 3 })).phase).toBe("indexed");
    expect(reconcileUpload(upload({}), doc("d1", { status: "indexing", progress: 70 })).percent).toBe(70);
    expect(reconcileUpload(upload({ percent: 80 }), doc("d1", { status: "indexing", progress: 70 })).percent).toBe(80);
    expect(reconcileUpload(upload({}), doc("d1", { status: "failed", error: "No text." }))).toMatchObject({ phase: "failed", error: "No text." });
    expect(reconcileUpload(upload({}), doc("other", { status: "indexed" })).phase).toBe("indexing");
  });

  it("says sizes and refuses searches people can fix", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(150 * 1024 + 100)).toBe("150 KB");
    expect(formatBytes(10 * 1024 * 1024)).toBe("10 MB");
    expect(checkSearchQuery("   ")).toBe("Type what you are looking for.");
    expect(checkSearchQuery("x".repeat(2001))).toContain("at most 2,000");
    expect(checkSearchQuery("rotate keys")).toBeUndefined();
  });

  it("splits a document's text into headings and blocks and marks the cited range wherever it falls", () => {
    const text = "# Guide\n\nIntro line.\n\n## Keys\nRotate weekly.\nKeep two.\n";
    const cited = { start: text.indexOf("line."), end: text.indexOf("Rotate") + "Rotate".length };
    const blocks = textBlocks(text, cited);
    expect(blocks.map((b) => `${b.kind}${b.level || ""}:${b.pieces.map((p) => (p.cited ? `[${p.text}]` : p.text)).join("")}`)).toEqual([
      "heading1:Guide",
      "text:Intro [line.]",
      "heading2:[Keys]",
      "text:[Rotate] weekly.\nKeep two.",
    ]);
    // Every shown character is where its offsets say.
    for (const b of blocks) expect(text.slice(b.start, b.start + b.pieces.map((p) => p.text).join("").length)).toBe(b.pieces.map((p) => p.text).join(""));
    expect(textBlocks("#hashtag, not a heading")[0]!.kind).toBe("text");
  });
});
