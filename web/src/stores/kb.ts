import type { MutationOptions, QueryClient, QueryFunctionContext } from "@tanstack/solid-query";
import {
  KB_MAX_FILE_BYTES,
  KB_MAX_QUERY_CHARS,
  KbDocumentStatus,
  kbProgressPercent,
  type KbDocument,
  type KbDocumentDetail,
  type KbMimeType,
  type KbSearchMode,
  type KbSearchResponse,
} from "../../../worker/contract/kb";
import { ApiError, errorMessage, type ApiClient } from "../lib/api";
import type { SnapshotReady } from "./integrations";

/** Cache keys: one per resource the server has, the searches run, and the uploads of this tab (which only this tab and frames fill). */
export const kbKeys = {
  documents: ["kb-documents"] as const,
  document: (id: string) => ["kb-document", id] as const,
  searches: ["kb-search"] as const,
  search: (query: string, mode: KbSearchMode) => ["kb-search", mode, query] as const,
  uploads: ["kb-uploads"] as const,
};

/** What the file picker offers; a dropped file is checked against the same list. */
export const KB_ACCEPT = ".txt,.md,.markdown,.html,.htm,.json,.pdf";
const ACCEPTED_EXTENSIONS = KB_ACCEPT.split(",");
/** Files sent at once; the rest wait for a free slot. */
export const KB_UPLOAD_CONCURRENCY = 3;

/** All documents, newest first (as the server orders them). */
export function kbDocumentsQuery(client: ApiClient, snapshotReady: SnapshotReady) {
  return {
    queryKey: kbKeys.documents,
    reconcile: "id",
    queryFn: async ({ signal }: QueryFunctionContext) => {
      await snapshotReady();
      const { documents } = await client.get<{ documents: KbDocument[] }>("/api/kb/documents", { signal });
      return documents;
    },
  };
}

/** One document with its extracted text and where each of its chunks sits in it. */
export function kbDocumentQuery(client: ApiClient, snapshotReady: SnapshotReady, id: string) {
  return {
    queryKey: kbKeys.document(id),
    queryFn: async ({ signal }: QueryFunctionContext) => {
      await snapshotReady();
      return client.get<KbDocumentDetail>(`/api/kb/documents/${encodeURIComponent(id)}`, { signal });
    },
  };
}

export interface KbSearchParams {
  query: string;
  mode: KbSearchMode;
}

/** How many passages a search asks for. */
export const KB_SEARCH_TOP_K = 10;

/** A search, cached per query and mode: going back to an earlier search shows its results at once. */
export function kbSearchQuery(client: ApiClient, params: KbSearchParams) {
  return {
    queryKey: kbKeys.search(params.query, params.mode),
    queryFn: ({ signal }: QueryFunctionContext) =>
      client.post<KbSearchResponse>("/api/kb/search", { query: params.query, mode: params.mode, topK: KB_SEARCH_TOP_K }, { signal }),
    staleTime: 30_000,
  };
}

/** Why a query cannot be sent, in words; undefined when it can. */
export function checkSearchQuery(query: string): string | undefined {
  if (query.trim() === "") return "Type what you are looking for.";
  if (query.length > KB_MAX_QUERY_CHARS) return `The search is ${query.length.toLocaleString("en-US")} characters long; it can be at most ${KB_MAX_QUERY_CHARS.toLocaleString("en-US")}.`;
  return undefined;
}

/**
 * Deletes a document: it leaves the list at once (and comes back if the
 * server refuses); its cached detail, its upload row and every cached
 * search (which may cite it) are dropped once the server confirms.
 */
export function deleteKbDocumentMutation(
  client: ApiClient,
  queryClient: QueryClient,
): MutationOptions<void, Error, { id: string }, { previous: KbDocument[] | undefined }> {
  return {
    mutationKey: ["kb-delete"],
    mutationFn: ({ id }) => client.delete<void>(`/api/kb/documents/${encodeURIComponent(id)}`),
    onMutate: async ({ id }) => {
      await queryClient.cancelQueries({ queryKey: kbKeys.documents });
      const previous = queryClient.getQueryData<KbDocument[]>(kbKeys.documents);
      queryClient.setQueryData<KbDocument[]>(kbKeys.documents, (docs) => docs?.filter((d) => d.id !== id));
      return { previous };
    },
    onError: (_error, _vars, context) => {
      if (context?.previous) queryClient.setQueryData<KbDocument[]>(kbKeys.documents, context.previous);
    },
    onSuccess: (_data, { id }) => {
      queryClient.removeQueries({ queryKey: kbKeys.document(id), exact: true });
      queryClient.removeQueries({ queryKey: kbKeys.searches });
      queryClient.setQueryData<KbUploads>(kbKeys.uploads, (u) => u && { ...u, items: u.items.filter((i) => i.documentId !== id) });
    },
    onSettled: () => void queryClient.invalidateQueries({ queryKey: kbKeys.documents }),
  };
}

// ---------- uploads ----------

export type KbUploadPhase = "uploading" | "indexing" | "indexed" | "failed";

/** One file on its way into the knowledge base, as this tab sees it. */
export interface KbUpload {
  /** Unique on this page: two files of the same name are two rows. */
  key: string;
  name: string;
  bytes: number;
  uploadedBytes: number;
  phase: KbUploadPhase;
  /** Of the bytes while uploading, of the indexing after. */
  percent: number;
  /** Why it failed, in words; null otherwise. */
  error: string | null;
  /** The document the server made of it, once it has answered. */
  documentId: string | null;
  /** False while the file waits for a free upload slot. */
  started: boolean;
}

interface KbProgress {
  status: KbDocumentStatus;
  percent: number | null;
  error: string | null;
}

export interface KbUploads {
  items: KbUpload[];
  /**
   * Indexing can start (and even end) before the upload's own answer reaches
   * the page: frames of documents no upload knows yet wait here, latest per
   * document, while some upload still waits for its answer.
   */
  early: Record<string, KbProgress>;
}

const NO_UPLOADS: KbUploads = { items: [], early: {} };

/** The upload rows, read from the cache (the uploader and frames write them; nothing fetches them). */
export function kbUploadsQuery(queryClient: QueryClient) {
  return {
    queryKey: kbKeys.uploads,
    // Keyed reconciliation keeps each row (and its progress bar) while its percent changes.
    reconcile: "key",
    queryFn: () => queryClient.getQueryData<KbUploads>(kbKeys.uploads) ?? NO_UPLOADS,
    enabled: false,
    staleTime: Infinity,
    gcTime: Infinity,
  };
}

const phaseOf = (status: KbDocumentStatus): KbUploadPhase => (status === "indexed" ? "indexed" : status === "failed" ? "failed" : "indexing");

function withProgress(upload: KbUpload, p: KbProgress): KbUpload {
  const phase = phaseOf(p.status);
  const percent = phase === "indexed" ? 100 : p.status === "pending" ? 0 : (p.percent ?? upload.percent);
  return { ...upload, phase, percent: phase === "failed" ? upload.percent : percent, error: phase === "failed" ? (p.error ?? "Indexing failed.") : null };
}

const awaitingAnswer = (items: KbUpload[]) => items.some((i) => i.phase === "uploading");

function applyProgress(uploads: KbUploads, documentId: string, p: KbProgress): KbUploads {
  if (uploads.items.some((i) => i.documentId === documentId)) {
    return { ...uploads, items: uploads.items.map((i) => (i.documentId === documentId ? withProgress(i, p) : i)) };
  }
  if (!awaitingAnswer(uploads.items)) return uploads;
  return { ...uploads, early: { ...uploads.early, [documentId]: p } };
}

/** A `status` frame of the event stream (`statusEvent` in worker/contract/events.ts). */
export interface KbStatusFrame {
  kind: "status";
  jobId: string;
  scope: string;
  status: string;
  message: string;
}

function patchDocument(doc: KbDocument, p: KbProgress): KbDocument {
  const progress = p.status === "indexed" ? 100 : p.status === "pending" ? 0 : (p.percent ?? doc.progress);
  return { ...doc, status: p.status, progress, error: p.status === "failed" ? p.error : null };
}

/**
 * A `status` frame of the knowledge base (`jobId` = document id): the
 * upload row of that document moves on, the document's row in the list and
 * its open detail take the new status and percent at once, and both refetch
 * when the status itself changed or indexing ended (the chunk count and the
 * text come only from the server). A percent alone refetches nothing.
 */
export async function invalidateForKbFrame(queryClient: QueryClient, frame: KbStatusFrame): Promise<void> {
  if (frame.scope !== "kb") return;
  const status = KbDocumentStatus.safeParse(frame.status);
  if (!status.success) return;
  const id = frame.jobId;
  const p: KbProgress = {
    status: status.data,
    percent: kbProgressPercent(frame.message),
    error: status.data === "failed" ? frame.message.trim() || "Indexing failed." : null,
  };
  queryClient.setQueryData<KbUploads>(kbKeys.uploads, (u) => u && applyProgress(u, id, p));

  let listed = false;
  let moved = false;
  queryClient.setQueryData<KbDocument[]>(kbKeys.documents, (docs) =>
    docs?.map((d) => {
      if (d.id !== id) return d;
      listed = true;
      moved = d.status !== p.status;
      return patchDocument(d, p);
    }),
  );
  let detailMoved = false;
  queryClient.setQueryData<KbDocumentDetail>(kbKeys.document(id), (detail) => {
    if (!detail) return detail;
    detailMoved = detail.document.status !== p.status;
    return { ...detail, document: patchDocument(detail.document, p) };
  });

  const ended = p.status === "indexed" || p.status === "failed";
  await Promise.all([
    !listed || moved || ended ? queryClient.invalidateQueries({ queryKey: kbKeys.documents }) : undefined,
    detailMoved || ended ? queryClient.invalidateQueries({ queryKey: kbKeys.document(id), exact: true }) : undefined,
    // Searches run before this document was indexed could not have found it.
    p.status === "indexed" ? queryClient.invalidateQueries({ queryKey: kbKeys.searches }) : undefined,
  ]);
}

const extensionOf = (name: string) => {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(dot).toLowerCase();
};

/** Why a file is refused before it is sent, in words; undefined when it may go. (The server checks again.) */
export function checkFile(file: { name: string; size: number }): string | undefined {
  if (file.size === 0) return `"${file.name}" is empty: there is nothing in it to index.`;
  if (file.size > KB_MAX_FILE_BYTES) return `"${file.name}" is ${formatBytes(file.size)}, more than the ${formatBytes(KB_MAX_FILE_BYTES)} a file can be.`;
  if (!ACCEPTED_EXTENSIONS.includes(extensionOf(file.name))) {
    return `"${file.name}" is not a kind of file the knowledge base reads. Upload text (.txt), Markdown (.md), HTML, JSON or PDF files.`;
  }
  return undefined;
}

/** The words for what can go wrong with a document, its upload or a search (the server's own words otherwise, e.g. for unsupported_type). */
export function describeKbError(error: unknown): string {
  if (error instanceof ApiError) {
    switch (error.code) {
      case "payload_too_large":
        return `The file is larger than ${formatBytes(KB_MAX_FILE_BYTES)}, the most the knowledge base takes.`;
      case "empty_document":
        return "The file has no text in it to index.";
    }
    if (error.status === 404) return "This document does not exist, or it belongs to another account.";
  }
  return errorMessage(error);
}

type Uploads = KbUploads;

/**
 * Sends files to `POST /api/kb/documents`, at most `KB_UPLOAD_CONCURRENCY`
 * at a time, and keeps one row per file in the cache (`kbKeys.uploads`):
 * bytes sent while uploading, then the indexing percent the frames bring
 * (see `invalidateForKbFrame`). One per query client, so the rows and the
 * uploads in flight outlive the page that started them; clearing the cache
 * (signing out) cancels what is still being sent.
 */
export function kbUploader(client: ApiClient, queryClient: QueryClient): KbUploader {
  let uploader = uploaders.get(queryClient);
  if (!uploader) {
    uploader = createKbUploader(client, queryClient);
    uploaders.set(queryClient, uploader);
  }
  return uploader;
}

export interface KbUploader {
  /** Adds a row per file; files that cannot be sent fail at once with the reason, the others queue. */
  add(files: Iterable<File>): void;
  /** Removes the rows of indexed and failed uploads. */
  clearFinished(): void;
  /** Resolves when every upload that has started has its answer from the server. */
  idle(): Promise<void>;
}

const uploaders = new WeakMap<QueryClient, KbUploader>();
let uploadSerial = 0;

function createKbUploader(client: ApiClient, queryClient: QueryClient): KbUploader {
  const waiting: { key: string; file: File }[] = [];
  const inFlight = new Map<string, AbortController>();
  const settled = new Set<() => void>();

  queryClient.setQueryDefaults(kbKeys.uploads, { gcTime: Infinity, staleTime: Infinity });
  queryClient.getQueryCache().subscribe((event) => {
    if (event.type !== "removed" || event.query.queryKey[0] !== kbKeys.uploads[0]) return;
    waiting.length = 0;
    for (const controller of inFlight.values()) controller.abort();
  });

  const update = (change: (u: Uploads) => Uploads) => queryClient.setQueryData<Uploads>(kbKeys.uploads, (u) => change(u ?? NO_UPLOADS));
  const updateItem = (key: string, change: (item: KbUpload) => KbUpload) =>
    update((u) => ({ ...u, items: u.items.map((i) => (i.key === key ? change(i) : i)) }));

  function accepted(key: string, doc: KbDocument) {
    update((u) => {
      const early = u.early[doc.id];
      const items = u.items.map((i) => {
        if (i.key !== key) return i;
        // Frames are newer than the answer's snapshot of the document: the latest one seen wins.
        return withProgress({ ...i, uploadedBytes: i.bytes, documentId: doc.id }, early ?? { status: doc.status, percent: doc.progress, error: doc.error });
      });
      const rest = { ...u.early };
      delete rest[doc.id];
      return { items, early: awaitingAnswer(items) ? rest : {} };
    });
    queryClient.setQueryData<KbDocument[]>(kbKeys.documents, (docs) => (docs && !docs.some((d) => d.id === doc.id) ? [doc, ...docs] : docs));
    void queryClient.invalidateQueries({ queryKey: kbKeys.documents });
  }

  async function send(key: string, file: File) {
    const controller = new AbortController();
    inFlight.set(key, controller);
    updateItem(key, (i) => ({ ...i, started: true }));
    const form = new FormData();
    form.append("file", file, file.name);
    try {
      const { document } = await client.upload<{ document: KbDocument }>("/api/kb/documents", form, {
        signal: controller.signal,
        onProgress: (sent, total) => {
          const share = total > 0 ? Math.min(1, sent / total) : 0;
          updateItem(key, (i) => (i.phase === "uploading" ? { ...i, uploadedBytes: Math.round(share * i.bytes), percent: Math.floor(share * 100) } : i));
        },
      });
      accepted(key, document);
    } catch (error) {
      const cancelled = error instanceof DOMException && error.name === "AbortError";
      // Cancelled because the rows were dropped (sign-out): there is no row left to tell.
      if (cancelled && queryClient.getQueryData(kbKeys.uploads) === undefined) return;
      updateItem(key, (i) => ({ ...i, phase: "failed", error: cancelled ? "The upload was cancelled." : describeKbError(error) }));
      update((u) => (awaitingAnswer(u.items) ? u : { ...u, early: {} }));
    } finally {
      inFlight.delete(key);
      pump();
    }
  }

  function pump() {
    while (inFlight.size < KB_UPLOAD_CONCURRENCY && waiting.length > 0) {
      const next = waiting.shift()!;
      void send(next.key, next.file);
    }
    if (inFlight.size === 0 && waiting.length === 0) {
      for (const resolve of settled) resolve();
      settled.clear();
    }
  }

  return {
    add(files) {
      const rows: KbUpload[] = [];
      for (const file of files) {
        const key = `upload-${++uploadSerial}`;
        const refused = checkFile(file);
        rows.push({
          key,
          name: file.name,
          bytes: file.size,
          uploadedBytes: 0,
          phase: refused ? "failed" : "uploading",
          percent: 0,
          error: refused ?? null,
          documentId: null,
          started: false,
        });
        if (!refused) waiting.push({ key, file });
      }
      if (rows.length === 0) return;
      // Newest batch on top, each batch in the order its files were chosen.
      update((u) => ({ ...u, items: [...rows, ...u.items] }));
      pump();
    },
    clearFinished() {
      update((u) => ({ ...u, items: u.items.filter((i) => i.phase === "uploading" || i.phase === "indexing") }));
    },
    idle() {
      if (inFlight.size === 0 && waiting.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => settled.add(resolve));
    },
  };
}

const RANK: Record<KbUploadPhase, number> = { uploading: 0, indexing: 1, indexed: 2, failed: 2 };

/**
 * The row as it should read: the upload's own state, unless the document
 * list already knows it further along (frames missed while the socket was
 * reconnecting, or a list fetched after the last frame).
 */
export function reconcileUpload(upload: KbUpload, doc: KbDocument | undefined): KbUpload {
  if (!doc || upload.documentId !== doc.id) return upload;
  const fromList = withProgress(upload, { status: doc.status, percent: doc.progress, error: doc.error });
  if (RANK[fromList.phase] > RANK[upload.phase]) return fromList;
  if (fromList.phase === "indexing" && upload.phase === "indexing" && fromList.percent > upload.percent) return fromList;
  return upload;
}

/** "Uploading 45%", "Indexing 60%", "Indexed · 12 chunks", or why it failed. */
export function uploadLabel(upload: KbUpload, doc?: KbDocument): string {
  switch (upload.phase) {
    case "uploading":
      return upload.started ? `Uploading ${upload.percent}%` : "Waiting to upload";
    case "indexing":
      return `Indexing ${upload.percent}%`;
    case "indexed":
      return doc && doc.status === "indexed" ? `Indexed · ${chunkCount(doc.chunks)}` : "Indexed";
    case "failed":
      return upload.error ?? "Failed.";
  }
}

export const chunkCount = (n: number) => `${n.toLocaleString("en-US")} ${n === 1 ? "chunk" : "chunks"}`;

/** Sizes as people read them: 512 B, 1.5 KB, 3.2 MB (powers of 1,024, as the 10 MB limit is). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value < 100 && !Number.isInteger(value) ? 1 : 0;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

const MIME_LABELS: Record<KbMimeType, string> = {
  "text/plain": "Text",
  "text/markdown": "Markdown",
  "text/html": "HTML",
  "application/json": "JSON",
  "application/pdf": "PDF",
};

export const mimeLabel = (mime: KbMimeType) => MIME_LABELS[mime] ?? mime;

/** A score with three decimals: RRF scores are small (≈0.016–0.033), and two would make them all look alike. */
export const formatScore = (score: number) => score.toFixed(3);
