import { z } from "zod";
import { base64url, decodeBase64 } from "../crypto";
import { googleRequest } from "./clients/google";
import { defineTool, type ToolSource } from "./define";
import { clip, itemList, pageParams, type SourceLink } from "./results";

/** Gmail tools: search, read one message, send. Results carry the message's Gmail link. */

interface Header {
  name: string;
  value: string;
}
interface Part {
  mimeType?: string;
  headers?: Header[];
  body?: { data?: string; size?: number };
  parts?: Part[];
}
interface GmailMessage {
  id: string;
  threadId: string;
  labelIds?: string[];
  snippet?: string;
  internalDate?: string;
  payload?: Part;
}
interface GmailList {
  messages?: Array<{ id: string; threadId: string }>;
  nextPageToken?: string;
  resultSizeEstimate?: number;
}

const BASE = "/gmail/v1/users/me";
const SUMMARY_HEADERS = ["From", "To", "Subject", "Date"];

export function gmailLink(id: string, subject: string): SourceLink {
  return { url: `https://mail.google.com/mail/u/0/#all/${encodeURIComponent(id)}`, label: subject || "(no subject)" };
}

function header(m: GmailMessage, name: string): string {
  return m.payload?.headers?.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value ?? "";
}

function summary(m: GmailMessage) {
  const subject = header(m, "Subject");
  return {
    id: m.id,
    threadId: m.threadId,
    from: header(m, "From"),
    to: header(m, "To"),
    subject,
    date: m.internalDate ? new Date(Number(m.internalDate)).toISOString() : header(m, "Date"),
    snippet: clip(m.snippet ?? "", 200).text,
    source: gmailLink(m.id, subject),
  };
}

function decodeText(data: string | undefined): string {
  const bytes = data ? decodeBase64(data) : undefined;
  return bytes ? new TextDecoder().decode(bytes) : "";
}

/** The readable body of a (possibly multipart) message: its first text/plain part, else its first HTML part without tags. */
export function messageText(part: Part | undefined): string {
  if (!part) return "";
  const all: Part[] = [];
  const walk = (p: Part) => {
    all.push(p);
    for (const child of p.parts ?? []) walk(child);
  };
  walk(part);
  const plain = all.find((p) => p.mimeType === "text/plain" && p.body?.data);
  if (plain) return decodeText(plain.body?.data);
  const html = all.find((p) => p.mimeType === "text/html" && p.body?.data);
  if (html) {
    return decodeText(html.body?.data)
      .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
      .replace(/<[^>]+>/g, " ")
      .replace(/&nbsp;/g, " ")
      .replace(/\s+/g, " ")
      .trim();
  }
  return decodeText(part.body?.data);
}

/** A header value may not break the header block: a CR or LF in one would let a crafted subject add `Bcc:` lines. */
const headerSafe = (max: number, what: string) =>
  z
    .string()
    .max(max)
    .refine((s) => !/[\r\n]/.test(s), `${what} must be a single line`);

/** RFC 2047 encoded-word for a non-ASCII subject; plain ASCII goes as is. */
function encodeHeader(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${btoa(String.fromCharCode(...new TextEncoder().encode(value)))}?=`;
}

/** The RFC 5322 message Gmail's `messages.send` takes as base64url `raw`. */
export function rawMessage(m: { to: string[]; cc?: string[]; subject: string; body: string }): string {
  const lines = [
    `To: ${m.to.join(", ")}`,
    ...(m.cc?.length ? [`Cc: ${m.cc.join(", ")}`] : []),
    `Subject: ${encodeHeader(m.subject)}`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
  ];
  return base64url(new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n${m.body.replace(/\r?\n/g, "\r\n")}`));
}

const searchMessages = defineTool({
  name: "gmail.search_messages",
  description: "Search the user's Gmail with Gmail query syntax (e.g. 'invoice newer_than:30d', 'from:ana is:unread'). Returns sender, subject, date and snippet.",
  parameters: z.object({
    query: z.string().min(1).max(500).describe("Gmail search query"),
    ...pageParams,
  }),
  async run(args, ctx) {
    const conn = ctx.connection("gmail");
    const list = await googleRequest<GmailList>(conn, {
      path: `${BASE}/messages`,
      query: { q: args.query, maxResults: args.limit, pageToken: args.cursor },
    });
    const ids = (list.messages ?? []).slice(0, args.limit);
    const messages = await Promise.all(
      ids.map((m) =>
        googleRequest<GmailMessage>(conn, {
          path: `${BASE}/messages/${encodeURIComponent(m.id)}`,
          query: { format: "metadata", metadataHeaders: SUMMARY_HEADERS },
        }),
      ),
    );
    // Gmail's estimate counts every match; past the first page it no longer says how many are left.
    const total = args.cursor ? null : (list.resultSizeEstimate ?? null);
    return itemList(messages.map(summary), args.limit, { cursor: list.nextPageToken, total });
  },
});

const getMessage = defineTool({
  name: "gmail.get_message",
  description: "Read one Gmail message by id (from gmail.search_messages): headers and plain-text body.",
  parameters: z.object({ id: z.string().min(1).max(200).describe("Message id") }),
  async run(args, ctx) {
    const m = await googleRequest<GmailMessage>(ctx.connection("gmail"), {
      path: `${BASE}/messages/${encodeURIComponent(args.id)}`,
      query: { format: "full" },
    });
    const { snippet: _snippet, ...head } = summary(m);
    const body = clip(messageText(m.payload));
    return { ...head, labels: m.labelIds ?? [], body: body.text, ...(body.omittedChars ? { bodyOmittedChars: body.omittedChars } : {}) };
  },
});

const sendEmail = defineTool({
  name: "gmail.send_email",
  description: "Send a plain-text email from the user's Gmail. Only when the user asked to send it.",
  parameters: z.object({
    to: z.array(z.email()).min(1).max(20).describe("Recipient addresses"),
    cc: z.array(z.email()).max(20).optional(),
    subject: headerSafe(250, "subject").describe("Subject line"),
    body: z.string().max(50_000).describe("Plain-text body"),
  }),
  async run(args, ctx) {
    const sent = await googleRequest<{ id: string; threadId: string }>(ctx.connection("gmail"), {
      method: "POST",
      path: `${BASE}/messages/send`,
      json: { raw: rawMessage(args) },
    });
    return { id: sent.id, threadId: sent.threadId, to: args.to, subject: args.subject, source: gmailLink(sent.id, args.subject) };
  },
});

export const gmailTools: ToolSource = {
  id: "gmail",
  integration: "gmail",
  tools: [searchMessages, getMessage, sendEmail],
};
