import type { Context } from "hono";
import { CreateKbDocumentBody, KB_MAX_FILE_BYTES, KbMimeType, type KbDocument } from "../contract/kb";
import { hex } from "../crypto";
import { database } from "../db/client";
import { insertKbDocument, toKbDocument } from "../db/kb";
import type { Env } from "../env";
import { AppError } from "../errors";
import { log } from "../http/log";
import { metrics } from "../metrics/record";
import type { AppBindings } from "../http/types";
import { fieldErrors, invalidRequest } from "../http/validate";
import { enqueueIndexing } from "./queue";

/** What an upload brings, whichever way it came (multipart file or JSON). */
export interface Upload {
  title: string;
  mimeType: KbMimeType;
  bytes: Uint8Array;
}

const BY_EXTENSION: Record<string, KbMimeType> = {
  txt: "text/plain",
  text: "text/plain",
  md: "text/markdown",
  markdown: "text/markdown",
  html: "text/html",
  htm: "text/html",
  json: "application/json",
  pdf: "application/pdf",
};

/** Browsers send what the OS says; a few common spellings of the same types. */
const ALIASES: Record<string, KbMimeType> = { "text/x-markdown": "text/markdown", "application/xhtml+xml": "text/html", "text/json": "application/json" };

/**
 * The type a file is indexed as: its declared type when it is one we read,
 * else what its extension says. Whether the bytes agree is the extractor's
 * check (a PDF sent as text/plain ends `failed` with the reason).
 */
export function uploadMimeType(declared: string, fileName: string): KbMimeType | undefined {
  const type = declared.split(";")[0]!.trim().toLowerCase();
  const known = KbMimeType.safeParse(type);
  if (known.success) return known.data;
  if (ALIASES[type]) return ALIASES[type];
  if (type && type !== "application/octet-stream") return undefined;
  const ext = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  return ext ? BY_EXTENSION[ext] : undefined;
}

const UNSUPPORTED = "Upload text, Markdown, HTML, JSON or PDF files.";

function tooLarge(): AppError {
  return new AppError(413, "payload_too_large", `A document can be at most ${KB_MAX_FILE_BYTES / (1024 * 1024)} MB.`);
}

function emptyDocument(): AppError {
  return new AppError(400, "empty_document", "The file is empty: there is nothing to index.");
}

async function readMultipart(c: Context<AppBindings>): Promise<Upload> {
  let form: FormData;
  try {
    form = await c.req.raw.formData();
  } catch {
    throw invalidRequest([{ path: "(body)", message: "not a readable multipart/form-data body" }], "Send the file as multipart/form-data in a field named file.");
  }
  const file = form.get("file") as File | string | null;
  if (file === null || typeof file === "string") throw invalidRequest([{ path: "file", message: "a file is required" }], "Send the file in a multipart field named file.");
  if (file.size > KB_MAX_FILE_BYTES) throw tooLarge();
  if (file.size === 0) throw emptyDocument();
  const mimeType = uploadMimeType(file.type, file.name);
  if (!mimeType) throw new AppError(400, "unsupported_type", `${file.type || "This type of file"} cannot be indexed. ${UNSUPPORTED}`);
  const title = String(form.get("title") ?? "").trim() || file.name.trim() || "Untitled";
  if (title.length > 200) throw invalidRequest([{ path: "title", message: "at most 200 characters" }]);
  return { title, mimeType, bytes: new Uint8Array(await file.arrayBuffer()) };
}

async function readJson(c: Context<AppBindings>): Promise<Upload> {
  let value: unknown;
  try {
    value = await c.req.json();
  } catch {
    throw invalidRequest([{ path: "(body)", message: "malformed JSON" }], "The body is not valid JSON.");
  }
  const parsed = CreateKbDocumentBody.safeParse(value);
  if (!parsed.success) throw invalidRequest(fieldErrors(parsed.error));
  const { title, content, mimeType } = parsed.data;
  if (mimeType === "application/pdf") {
    throw invalidRequest([{ path: "mimeType", message: "a PDF is binary: upload it as a file" }], "Upload a PDF as a multipart file, not as JSON text.");
  }
  const bytes = new TextEncoder().encode(content);
  if (bytes.byteLength > KB_MAX_FILE_BYTES) throw tooLarge();
  if (!content.trim()) throw emptyDocument();
  return { title, mimeType, bytes };
}

/** Reads an upload from either body the route accepts; anything else is a 400 naming what to send. */
export function readUpload(c: Context<AppBindings>): Promise<Upload> {
  const type = c.req.header("content-type") ?? "";
  if (/^multipart\/form-data/i.test(type)) return readMultipart(c);
  if (/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(type)) return readJson(c);
  throw invalidRequest(
    [{ path: "(body)", message: "expected multipart/form-data or application/json" }],
    "Send a file as multipart/form-data (field file), or JSON {title, content, mimeType}.",
  );
}

export const originalKey = (userId: string, documentId: string) => `${userId}/${documentId}`;

/**
 * Stores the original in R2 and the document row as `pending`, then queues
 * its indexing. If the row cannot be written, the original is removed again,
 * so a failed upload leaves nothing behind. If only the queue refuses, the
 * document stays `pending` and the cron pass queues it again (kb/cron.ts).
 */
export async function storeUpload(env: Env, userId: string, upload: Upload, now: Date): Promise<KbDocument> {
  const id = crypto.randomUUID();
  const key = originalKey(userId, id);
  const contentHash = hex(await crypto.subtle.digest("SHA-256", upload.bytes));
  await env.KB_FILES.put(key, upload.bytes, { httpMetadata: { contentType: upload.mimeType }, customMetadata: { title: encodeURIComponent(upload.title) } });
  let row;
  try {
    row = await insertKbDocument(database(env), {
      id,
      userId,
      title: upload.title,
      mimeType: upload.mimeType,
      bytes: upload.bytes.byteLength,
      status: "pending",
      contentHash,
      createdAt: now,
      updatedAt: now,
    });
  } catch (e) {
    await env.KB_FILES.delete(key).catch(() => undefined);
    throw e;
  }
  metrics(env).inc("taskpilot_kb_documents_total", { status: "pending" });
  try {
    await enqueueIndexing(env, { documentId: id, userId });
  } catch (e) {
    log("error", "kb_enqueue_failed", { userId, documentId: id, error: (e as Error).message });
  }
  return toKbDocument(row);
}
