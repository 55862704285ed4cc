import { Hono, type Context } from "hono";
import { base64url, decodeBase64 } from "../../crypto";
import { database } from "../../db/client";
import { getRecord, insertRecord, listRecords } from "../../db/sandbox";
import { randomId } from "../crypto";
import { googleSubject } from "../identity";
import { CALENDAR_EVENT, GMAIL_MESSAGE, type CalendarEvent, type GmailMessage } from "../seed";
import type { SandboxApiBindings } from "../types";
import { insufficientScope, invalidArgument, notFound } from "./failures";
import { matchesGmailQuery } from "./gmail-search";

/** Fake Gmail, Calendar and userinfo under `/sandbox/google`, shaped like googleapis.com where TaskPilot reads them. */

const GMAIL_READ = ["https://www.googleapis.com/auth/gmail.readonly", "https://www.googleapis.com/auth/gmail.modify"];
const GMAIL_SEND = ["https://www.googleapis.com/auth/gmail.send", "https://www.googleapis.com/auth/gmail.modify"];
const CALENDAR_READ = ["https://www.googleapis.com/auth/calendar.readonly", "https://www.googleapis.com/auth/calendar.events"];
const CALENDAR_WRITE = ["https://www.googleapis.com/auth/calendar.events"];

function granted(c: Context<SandboxApiBindings>, anyOf: string[]) {
  return c.get("scopes").some((s) => anyOf.includes(s));
}

/** Gmail's `raw` is base64url of the RFC 5322 message; anything that is not, or is not UTF-8, is refused. */
function decodeRaw(text: string): string | undefined {
  const bytes = decodeBase64(text);
  if (!bytes) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

function renderMessage(m: GmailMessage, format: string) {
  const headers = [
    { name: "From", value: m.from },
    { name: "To", value: m.to },
    { name: "Subject", value: m.subject },
    { name: "Date", value: new Date(m.date).toUTCString() },
  ];
  const base = {
    id: m.id,
    threadId: m.threadId,
    labelIds: m.labelIds,
    snippet: m.body.replace(/\s+/g, " ").slice(0, 120),
    internalDate: String(new Date(m.date).getTime()),
    sizeEstimate: m.body.length + 200,
    historyId: "1",
  };
  if (format === "minimal") return base;
  const body = format === "metadata" ? { size: m.body.length } : { size: m.body.length, data: base64url(new TextEncoder().encode(m.body)) };
  return { ...base, payload: { partId: "", mimeType: "text/plain", filename: "", headers, body } };
}

/** RFC 2822 message → headers and body (enough for what TaskPilot sends: To, Subject, plain text). */
function parseRaw(raw: string): { to: string; subject: string; body: string } | undefined {
  const text = decodeRaw(raw);
  if (!text) return undefined;
  const split = text.search(/\r?\n\r?\n/);
  if (split < 0) return undefined;
  const head = text.slice(0, split).replace(/\r?\n[ \t]+/g, " ");
  const header = (name: string) => head.match(new RegExp(`^${name}:\\s*(.*)$`, "im"))?.[1]?.trim() ?? "";
  const to = header("To");
  if (!to) return undefined;
  return { to, subject: header("Subject"), body: text.slice(split).replace(/^\r?\n\r?\n/, "") };
}

export const googleApi = new Hono<SandboxApiBindings>()
  .get("/oauth2/v3/userinfo", async (c) => {
    const a = c.get("account");
    return c.json({ sub: await googleSubject(a), email: a.email, email_verified: true, name: a.name, given_name: a.name, picture: null });
  })
  .get("/gmail/v1/users/me/profile", async (c) => {
    if (!granted(c, [...GMAIL_READ, ...GMAIL_SEND])) return insufficientScope(c, "google", GMAIL_READ, c.get("scopes"));
    const a = c.get("account");
    const all = await listRecords<GmailMessage>(database(c.env), a.id, GMAIL_MESSAGE);
    return c.json({ emailAddress: a.email, messagesTotal: all.length, threadsTotal: all.length, historyId: String(all.length + 1) });
  })
  .get("/gmail/v1/users/me/messages", async (c) => {
    if (!granted(c, GMAIL_READ)) return insufficientScope(c, "google", GMAIL_READ, c.get("scopes"));
    const q = c.req.query("q") ?? "";
    const max = Number(c.req.query("maxResults") ?? 100);
    if (!Number.isInteger(max) || max < 1 || max > 500) return invalidArgument(c, "Invalid value for maxResults.");
    const offset = Number(c.req.query("pageToken") ?? 0);
    if (!Number.isInteger(offset) || offset < 0) return invalidArgument(c, "Invalid pageToken.");
    const all = (await listRecords<GmailMessage>(database(c.env), c.get("account").id, GMAIL_MESSAGE))
      .map((r) => r.data)
      .filter((m) => matchesGmailQuery(m, q))
      .sort((a, b) => b.date.localeCompare(a.date));
    const page = all.slice(offset, offset + max);
    // Like Gmail: no `messages` key at all when nothing matches.
    return c.json({
      ...(page.length > 0 ? { messages: page.map((m) => ({ id: m.id, threadId: m.threadId })) } : {}),
      ...(offset + max < all.length ? { nextPageToken: String(offset + max) } : {}),
      resultSizeEstimate: all.length,
    });
  })
  .post("/gmail/v1/users/me/messages/send", async (c) => {
    if (!granted(c, GMAIL_SEND)) return insufficientScope(c, "google", GMAIL_SEND, c.get("scopes"));
    const body = await c.req.json<{ raw?: unknown }>().catch(() => undefined);
    if (!body || typeof body.raw !== "string") return invalidArgument(c, "'raw' RFC822 payload message string or uploading message via /upload/* URL required");
    const parsed = parseRaw(body.raw);
    if (!parsed) return invalidArgument(c, "Invalid To header");
    const id = randomId(8);
    const a = c.get("account");
    const message: GmailMessage = { id, threadId: id, labelIds: ["SENT"], from: a.email, to: parsed.to, subject: parsed.subject, date: new Date().toISOString(), body: parsed.body };
    await insertRecord(database(c.env), a.id, GMAIL_MESSAGE, id, message);
    return c.json({ id, threadId: id, labelIds: ["SENT"] });
  })
  .get("/gmail/v1/users/me/messages/:id", async (c) => {
    if (!granted(c, GMAIL_READ)) return insufficientScope(c, "google", GMAIL_READ, c.get("scopes"));
    const rec = await getRecord<GmailMessage>(database(c.env), c.get("account").id, GMAIL_MESSAGE, c.req.param("id"));
    if (!rec) return notFound(c, "google");
    return c.json(renderMessage(rec.data, c.req.query("format") ?? "full"));
  })
  .get("/calendar/v3/calendars/primary/events", async (c) => {
    if (!granted(c, CALENDAR_READ)) return insufficientScope(c, "google", CALENDAR_READ, c.get("scopes"));
    const { timeMin, timeMax, q } = c.req.query();
    for (const [name, v] of [["timeMin", timeMin], ["timeMax", timeMax]] as const) {
      if (v !== undefined && Number.isNaN(Date.parse(v))) return invalidArgument(c, `Bad Request: invalid ${name}`);
    }
    const max = Number(c.req.query("maxResults") ?? 250);
    if (!Number.isInteger(max) || max < 1 || max > 2500) return invalidArgument(c, "Invalid value for maxResults.");
    const items = (await listRecords<CalendarEvent>(database(c.env), c.get("account").id, CALENDAR_EVENT))
      .map((r) => r.data)
      .filter((e) => !timeMin || Date.parse(e.end.dateTime) > Date.parse(timeMin))
      .filter((e) => !timeMax || Date.parse(e.start.dateTime) < Date.parse(timeMax))
      .filter((e) => !q || `${e.summary} ${e.description ?? ""} ${e.location ?? ""}`.toLowerCase().includes(q.toLowerCase()))
      .sort((a, b) => a.start.dateTime.localeCompare(b.start.dateTime))
      .slice(0, max);
    return c.json({ kind: "calendar#events", summary: c.get("account").email, timeZone: "UTC", items: items.map(renderEvent) });
  })
  .post("/calendar/v3/calendars/primary/events", async (c) => {
    if (!granted(c, CALENDAR_WRITE)) return insufficientScope(c, "google", CALENDAR_WRITE, c.get("scopes"));
    const body = await c.req.json<Partial<CalendarEvent>>().catch(() => undefined);
    if (!body || typeof body !== "object") return invalidArgument(c, "Parse Error");
    const start = body.start?.dateTime;
    const end = body.end?.dateTime;
    if (!start || Number.isNaN(Date.parse(start))) return invalidArgument(c, "Missing start time.");
    if (!end || Number.isNaN(Date.parse(end))) return invalidArgument(c, "Missing end time.");
    if (Date.parse(end) < Date.parse(start)) return invalidArgument(c, "The specified time range is empty.");
    const now = new Date().toISOString();
    const event: CalendarEvent = {
      id: randomId(13),
      status: "confirmed",
      summary: typeof body.summary === "string" ? body.summary.slice(0, 1024) : "(No title)",
      ...(typeof body.description === "string" ? { description: body.description.slice(0, 8192) } : {}),
      ...(typeof body.location === "string" ? { location: body.location.slice(0, 1024) } : {}),
      start: { dateTime: new Date(start).toISOString(), timeZone: body.start?.timeZone ?? "UTC" },
      end: { dateTime: new Date(end).toISOString(), timeZone: body.end?.timeZone ?? "UTC" },
      attendees: Array.isArray(body.attendees) ? body.attendees.filter((x) => typeof x?.email === "string").slice(0, 50) : [],
      created: now,
      updated: now,
    };
    await insertRecord(database(c.env), c.get("account").id, CALENDAR_EVENT, event.id, event);
    return c.json(renderEvent(event));
  })
  .all("*", (c) => notFound(c, "google"));

function renderEvent(e: CalendarEvent) {
  return { kind: "calendar#event", ...e, htmlLink: `https://calendar.sandbox.test/event?eid=${e.id}` };
}
