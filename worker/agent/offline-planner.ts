import type { Tool } from "../contract/integrations";
import { isProviderId } from "../integrations/providers";
import { providerName } from "../tools/http";
import { TOOLS_CALL, TOOLS_SEARCH } from "../tools/meta";
import type { ChatModel, ModelMessage, ModelRequest, ModelResponse, ModelToolCall } from "./model";

/**
 * The model used when no OPENAI_API_KEY is set: deterministic, free, and
 * honest about being a handful of patterns rather than a language model.
 * From the person's last message it picks one tool call among the tools it
 * is offered (directly, or through `tools_search` + `tools_call` when the
 * menu is in meta mode); once the results are back it writes the answer
 * from them, citing each item's source link. When the tool it needs is not
 * offered it names the integration to connect; anything it does not
 * understand gets a plain list of what it can do.
 *
 * Stateless: every call re-reads the conversation, so a turn resumed from a
 * checkpoint continues where it stopped.
 */

export const OFFLINE_PLANNER_ID = "offline-planner";
export const OFFLINE_PLANNER_LABEL = "Offline planner";

/** The requests it understands, as shown in its help text (and measured by `npm run bench`). */
export const OFFLINE_EXAMPLES = [
  "search my email for invoice",
  "what's on my calendar tomorrow",
  "post hello to #general",
  "create an issue in owner/repo titled Fix the login page",
  "list my repos",
  "search my notes for onboarding",
] as const;

export interface OfflinePlannerOptions {
  /** The clock "today" and "tomorrow" are read from. */
  now?: () => number;
  /** The person's offset from UTC in minutes (default 0: days are UTC days, and answers say so). */
  utcOffsetMinutes?: number;
}

/** What the planner means to do for one request. */
export interface Intent {
  tool: string;
  args: Record<string, unknown>;
  /** "search your email": completes "I can't … yet". */
  what: string;
  /** For calendar ranges: "tomorrow (Wed 2 Dec)". */
  rangeLabel?: string;
}

const DAY_MS = 86_400_000;
const MAX_CALLS_PER_TURN = 6;
const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Trailing punctuation and surrounding quotes off a phrase the person typed. */
function phrase(text: string): string {
  return text
    .trim()
    .replace(/[\s.!?,;]+$/, "")
    .replace(/^["'“‘«](.*)["'”’»]$/s, "$1")
    .trim();
}

class Clock {
  constructor(
    readonly now: number,
    readonly offsetMinutes: number,
  ) {}
  /** Midnight (person's time) of the day `days` from today, as a UTC instant. */
  dayStart(days: number): number {
    const offset = this.offsetMinutes * 60_000;
    return Math.floor((this.now + offset) / DAY_MS) * DAY_MS - offset + days * DAY_MS;
  }
  /** ISO 8601 with the person's offset (`Z` at UTC), as calendar.list_events takes it. */
  iso(instant: number): string {
    if (this.offsetMinutes === 0) return new Date(instant).toISOString().replace(".000Z", "Z");
    const local = new Date(instant + this.offsetMinutes * 60_000).toISOString().slice(0, 19);
    const sign = this.offsetMinutes < 0 ? "-" : "+";
    const abs = Math.abs(this.offsetMinutes);
    return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  }
  local(instant: number): Date {
    return new Date(instant + this.offsetMinutes * 60_000);
  }
  dayLabel(instant: number): string {
    const d = this.local(instant);
    return `${WEEKDAYS[d.getUTCDay()]!.slice(0, 3).replace(/^./, (c) => c.toUpperCase())} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
  }
  time(instant: number): string {
    const d = this.local(instant);
    return `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
  }
  zone(): string {
    if (this.offsetMinutes === 0) return "UTC";
    const abs = Math.abs(this.offsetMinutes);
    return `UTC${this.offsetMinutes < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  }
}

function calendarIntent(text: string, clock: Clock): Intent {
  const lower = text.toLowerCase();
  let from: number;
  let to: number;
  let label: string;
  if (/\btomorrow\b/.test(lower)) {
    from = clock.dayStart(1);
    to = clock.dayStart(2);
    label = `tomorrow (${clock.dayLabel(from)})`;
  } else if (/\b(today|tonight)\b/.test(lower)) {
    from = clock.dayStart(0);
    to = clock.dayStart(1);
    label = `today (${clock.dayLabel(from)})`;
  } else if (/\bnext week\b/.test(lower)) {
    const weekday = clock.local(clock.now).getUTCDay();
    from = clock.dayStart(((8 - weekday) % 7) || 7);
    to = from + 7 * DAY_MS;
    label = `next week (from ${clock.dayLabel(from)})`;
  } else {
    const named = WEEKDAYS.findIndex((d) => new RegExp(`\\b${d}\\b`).test(lower));
    if (named >= 0) {
      const weekday = clock.local(clock.now).getUTCDay();
      from = clock.dayStart((named - weekday + 7) % 7);
      to = from + DAY_MS;
      label = `on ${clock.dayLabel(from)}`;
    } else {
      from = clock.now;
      to = clock.dayStart(8);
      label = "in the next 7 days";
    }
  }
  return { tool: "calendar.list_events", args: { timeMin: clock.iso(from), timeMax: clock.iso(to), limit: 20 }, what: "read your calendar", rangeLabel: label };
}

/** The one tool call a request asks for, or undefined when it is none of the requests the planner knows. */
export function parseRequest(text: string, clock: { now: number; utcOffsetMinutes?: number }): Intent | undefined {
  const c = new Clock(clock.now, clock.utcOffsetMinutes ?? 0);
  const t = text.trim().replace(/\s+/g, " ");
  let m: RegExpExecArray | null;

  m = /\b(?:create|open|file|make|add|raise)\s+(?:an?\s+|a new\s+|new\s+)?(?:github\s+)?issue\s+(?:in|on|for|at|to)\s+([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)\s*(?:,?\s*(?:titled|called|named|with (?:the )?title|saying)\s*|:\s*|\s+-\s+)(.+)$/i.exec(t);
  if (m) return { tool: "github.create_issue", args: { repo: m[1]!, title: phrase(m[2]!).slice(0, 256) }, what: "open GitHub issues" };

  m = /\b(?:post|send|say|write)\s+(?:to|in)\s+(#[A-Za-z0-9_.-]+)\s*[:,-]?\s+(.+)$/i.exec(t) ?? null;
  if (m) return { tool: "slack.post_message", args: { channel: m[1]!, text: phrase(m[2]!) }, what: "post to Slack" };
  m = /\b(?:post|send|say|write)\s+(.+?)\s+(?:to|in|on)\s+(#[A-Za-z0-9_.-]+)(?:\s+(?:on|in)\s+slack)?[\s.!]*$/i.exec(t);
  if (m) return { tool: "slack.post_message", args: { channel: m[2]!, text: phrase(m[1]!) }, what: "post to Slack" };

  m = /\b(?:read|catch me up on|what'?s (?:new|happening|going on) in|latest (?:messages )?(?:in|from|on)|messages (?:in|from))\s+(#[A-Za-z0-9_.-]+)/i.exec(t);
  if (m) return { tool: "slack.read_channel", args: { channel: m[1]!, limit: 10 }, what: "read Slack channels" };
  if (/\b(?:list|show|which|what)\b.*\bslack channels\b|\b(?:list|show)\b.*\bchannels\b/i.test(t)) {
    return { tool: "slack.list_channels", args: { limit: 20 }, what: "list your Slack channels" };
  }

  // The notes must be what is searched ("search my notes for …"), not a word in the query ("search my email for meeting notes").
  m = /\b(?:search|find|look (?:for|through|in|up)|check)\s+(?:in\s+|through\s+)?(?:(?:my|the|our)\s+)?(?:notes|knowledge base|kb|documents|docs)\b\s*(?:for|about|on|mentioning)?\s+(.+)$/i.exec(t);
  if (m) return { tool: "kb.search", args: { query: phrase(m[1]!).slice(0, 500) }, what: "search your notes" };

  m = /\b(?:search|find|look (?:for|through|in|up)|check)\b.*?\b(?:e-?mails?|mail(?:box)?|inbox|gmail)\b\s*(?:for|about|mentioning|containing|with)\s+(.+)$/i.exec(t);
  if (m) return { tool: "gmail.search_messages", args: { query: phrase(m[1]!).slice(0, 500), limit: 10 }, what: "search your email" };
  m = /\b(?:e-?mails?|messages|mail)\s+(from|about|mentioning)\s+(.+)$/i.exec(t);
  if (m) {
    const who = phrase(m[2]!).slice(0, 400);
    return { tool: "gmail.search_messages", args: { query: m[1]!.toLowerCase() === "from" ? `from:${who}` : who, limit: 10 }, what: "search your email" };
  }

  m = /\b(?:list|show|what are)\b.*?\bissues\b.*?\b(?:in|on|for|of)\s+([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)/i.exec(t);
  if (m) return { tool: "github.list_issues", args: { repo: m[1]!.replace(/[.]+$/, ""), limit: 10 }, what: "read GitHub issues" };
  if (/\b(?:list|show|what are|which are)\b.*\brepo(?:s|sitories)\b|^\s*(?:my )?repo(?:s|sitories)\??\s*$/i.test(t)) {
    return { tool: "github.list_repos", args: { limit: 20 }, what: "list your GitHub repositories" };
  }

  if (/\b(calendar|schedule|agenda|meetings?|events?)\b/i.test(t) || /\bwhat'?s on\b.*\b(today|tomorrow|week|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/i.test(t)) {
    return calendarIntent(t, c);
  }
  return undefined;
}

/** A tool's result or failure as the loop put it in a tool message: the outcome, `{error}`, or the bare result. */
type Read = { ok: true; result: unknown } | { ok: false; error: ToolFailure };
interface ToolFailure {
  code: string;
  message: string;
  provider?: string;
  reconnect?: string;
  outcomeUnknown?: boolean;
  retryAfterSeconds?: number;
}

const isRecord = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);

export function readToolContent(content: string): Read {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return { ok: true, result: content };
  }
  if (isRecord(value)) {
    if (value.ok === true && "result" in value) return { ok: true, result: value.result };
    const error = value.error;
    if (isRecord(error) && typeof error.code === "string") {
      return { ok: false, error: { ...error, code: error.code, message: typeof error.message === "string" ? error.message : error.code } as ToolFailure };
    }
  }
  return { ok: true, result: value };
}

/** Markdown-significant characters in text that came from a provider, escaped so a subject line cannot become a link or a heading. */
export function md(text: unknown): string {
  return String(text ?? "")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/([\\`*_[\]<>|#~])/g, "\\$1");
}

/** `[label](url)` for an http(s) source; just the label otherwise (a tool result is data, not a place to inject links from). */
export function link(source: unknown, fallback = "link"): string {
  if (!isRecord(source) || typeof source.url !== "string") return md(fallback);
  const label = md(typeof source.label === "string" && source.label.trim() ? source.label : fallback);
  // A provider's https link, or a path in this app (a knowledge-base citation); never `//host` or another scheme.
  if (!/^https?:\/\//i.test(source.url) && !/^\/(?![/\\])/.test(source.url)) return label;
  return `[${label}](${source.url.replace(/[()\s<>]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`)})`;
}

function clipText(text: unknown, max: number): string {
  const s = String(text ?? "").replace(/\s+/g, " ").trim();
  const chars = Array.from(s);
  return chars.length > max ? `${chars.slice(0, max).join("")}…` : s;
}

function integrationOf(tool: string, error?: ToolFailure): string | undefined {
  const id = error?.reconnect ?? error?.provider ?? tool.split(".")[0] ?? "";
  return isProviderId(id) ? providerName(id) : undefined;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function moreLine(result: Record<string, any>): string {
  const more = result.more;
  if (!isRecord(more)) return "";
  return typeof more.count === "number" && more.count > 0 ? `\n\n…and ${more.count} more.` : "\n\n…and more; ask for the next page.";
}

const items = (result: unknown): Array<Record<string, any>> => (isRecord(result) && Array.isArray(result.items) ? result.items.filter(isRecord) : []);

function shortDate(iso: unknown, clock: Clock): string {
  const t = typeof iso === "string" ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? clock.dayLabel(t) : "";
}

/** Readable markdown for one successful tool result. */
function describeResult(tool: string, args: Record<string, any>, result: unknown, clock: Clock, intent?: Intent): string {
  const r = isRecord(result) ? result : {};
  const list = items(result);
  switch (tool) {
    case "gmail.search_messages": {
      const q = md(args.query ?? "");
      if (list.length === 0) return `No messages in your Gmail match “${q}”.`;
      const lines = list.map((m, i) => {
        const when = shortDate(m.date, clock);
        const snippet = clipText(m.snippet, 160);
        return `${i + 1}. ${link(m.source, m.subject || "(no subject)")} — ${md(m.from || "unknown sender")}${when ? `, ${when}` : ""}${snippet ? `\n   ${md(snippet)}` : ""}`;
      });
      return `Found ${plural(list.length, "message")} matching “${q}” in your Gmail:\n\n${lines.join("\n")}${moreLine(r)}`;
    }
    case "gmail.get_message":
      return `${link(r.source, r.subject || "(no subject)")} — from ${md(r.from)}${r.date ? `, ${shortDate(r.date, clock)}` : ""}\n\n> ${md(clipText(r.body, 800))}`;
    case "gmail.send_email":
      return `Sent “${md(r.subject)}” to ${md((r.to ?? []).join(", "))}. ${link(r.source, "Open in Gmail")}`;
    case "calendar.list_events": {
      const range = intent?.tool === tool && intent.rangeLabel ? intent.rangeLabel : "in that range";
      if (list.length === 0) return `Nothing on your calendar ${range}.`;
      const lines = list.map((e) => {
        const start = Date.parse(e.start);
        const end = Date.parse(e.end);
        const allDay = typeof e.start === "string" && /^\d{4}-\d{2}-\d{2}$/.test(e.start);
        const when = allDay ? `${shortDate(e.start, clock)}, all day` : Number.isFinite(start) ? `${clock.dayLabel(start)} ${clock.time(start)}${Number.isFinite(end) ? `–${clock.time(end)}` : ""}` : "time not set";
        return `- **${when}** ${link(e.source, e.summary || "(No title)")}${e.location ? ` · ${md(e.location)}` : ""}`;
      });
      return `${plural(list.length, "event")} on your calendar ${range} (times in ${clock.zone()}):\n\n${lines.join("\n")}${moreLine(r)}`;
    }
    case "calendar.create_event":
      return `Created ${link(r.source, r.summary)} (${md(r.start)} – ${md(r.end)}).`;
    case "slack.post_message": {
      const name = isRecord(r.channel) ? r.channel.name : args.channel;
      return `Posted to ${link(r.source, `#${String(name ?? "").replace(/^#/, "")}`)}: “${md(args.text ?? "")}”`;
    }
    case "slack.read_channel": {
      const name = isRecord(r.channel) ? `#${r.channel.name}` : String(args.channel ?? "");
      if (list.length === 0) return `No messages in ${md(name)} yet.`;
      const lines = list.map((m) => `- ${md(clipText(m.text, 300))} — ${md(m.user || "someone")}${m.at ? `, ${shortDate(m.at, clock)} ${clock.time(Date.parse(m.at))}` : ""} (${link(m.source, "open")})`);
      return `Latest in ${md(name)}:\n\n${lines.join("\n")}${moreLine(r)}`;
    }
    case "slack.list_channels": {
      if (list.length === 0) return "This Slack workspace has no public channels I can see.";
      const lines = list.map((ch) => `- ${link(ch.source, `#${ch.name}`)}${ch.topic || ch.purpose ? ` — ${md(clipText(ch.topic || ch.purpose, 120))}` : ""}${typeof ch.members === "number" ? ` (${plural(ch.members, "member")})` : ""}`);
      return `${plural(list.length, "channel")} in your Slack workspace:\n\n${lines.join("\n")}${moreLine(r)}`;
    }
    case "github.list_repos": {
      if (list.length === 0) return "You have no GitHub repositories I can see.";
      const lines = list.map((repo) => `- ${link(repo.source, repo.fullName)}${repo.private ? " (private)" : ""}${repo.description ? ` — ${md(clipText(repo.description, 140))}` : ""}`);
      return `Your GitHub repositories, most recently updated first:\n\n${lines.join("\n")}${moreLine(r)}`;
    }
    case "github.list_issues": {
      if (list.length === 0) return `No ${md(args.state ?? "open")} issues in ${md(args.repo)}.`;
      const lines = list.map((i) => `- ${link(i.source, `#${i.number}`)} ${md(i.title)}${i.author ? ` — ${md(i.author)}` : ""}`);
      return `Issues in ${md(args.repo)}:\n\n${lines.join("\n")}${moreLine(r)}`;
    }
    case "github.create_issue":
      return `Opened ${link(r.source, `${args.repo}#${r.number}`)}: **${md(r.title ?? args.title)}**`;
    default: {
      if (list.length > 0) {
        const lines = list.map((it) => {
          const label = it.source?.label ?? it.title ?? it.name ?? it.subject ?? it.id ?? "item";
          const text = it.snippet ?? it.text ?? it.summary ?? it.description;
          return `- ${link(it.source, label)}${text ? ` — ${md(clipText(text, 200))}` : ""}`;
        });
        return `${tool === "kb.search" ? `Found ${plural(list.length, "note")} matching “${md(args.query ?? "")}”` : `${md(tool)} returned ${plural(list.length, "item")}`}:\n\n${lines.join("\n")}${moreLine(r)}`;
      }
      if (Array.isArray(r.items)) return tool === "kb.search" ? `Nothing in your notes matches “${md(args.query ?? "")}”.` : `${md(tool)} found nothing.`;
      return `Done: ${md(tool)}.${r.source ? ` ${link(r.source)}` : ""}`;
    }
  }
}

/** A failed call, in words a person acts on. */
function describeError(tool: string, error: ToolFailure): string {
  const name = integrationOf(tool, error);
  const who = name ?? "The tool";
  if (error.reconnect || error.code === "tool_unavailable" || error.code === "not_connected" || error.code === "integration_expired") {
    // tool_unavailable's message speaks to a model ("Ask the person to reconnect…"); the person gets the plain version.
    const why = error.code === "tool_unavailable" ? "" : `: ${md(error.message)}`;
    return `${md(who)} needs to be reconnected before I can use it${why}${why ? "" : "."} Reconnect ${md(name ?? "it")} on the [Integrations page](/integrations), then ask again.`;
  }
  if (error.outcomeUnknown) {
    return `${md(who)} failed in a way that leaves it unclear whether it went through (${md(error.message)}). Check before asking again, so it is not done twice.`;
  }
  if (typeof error.retryAfterSeconds === "number") {
    return `${md(who)} is busy right now (${md(error.message)}). Try again in about ${Math.ceil(error.retryAfterSeconds)} seconds.`;
  }
  if (error.code === "invalid_arguments" || error.code === "unknown_tool") return `I could not run ${md(tool)}: ${md(error.message)}`;
  return `${md(who)} could not do it: ${md(error.message)}`;
}

function parseArgs(raw: string): Record<string, any> {
  try {
    const v = JSON.parse(raw);
    return isRecord(v) ? v : {};
  } catch {
    return {};
  }
}

interface TurnCall {
  call: ModelToolCall;
  /** The tool actually run: a `tools_call`'s target. */
  tool: string;
  args: Record<string, any>;
  read?: Read;
}

function turnOf(messages: ModelMessage[]): { user: string | undefined; userIndex: number; calls: TurnCall[] } {
  let userIndex = -1;
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    if (messages[i]!.role === "user") {
      userIndex = i;
      break;
    }
  }
  const calls: TurnCall[] = [];
  const byId = new Map<string, TurnCall>();
  for (const m of messages.slice(userIndex + 1)) {
    if (m.role === "assistant") {
      for (const call of m.toolCalls ?? []) {
        const args = parseArgs(call.arguments);
        const target = call.name === TOOLS_CALL && typeof args.name === "string" ? args.name : call.name;
        const entry: TurnCall = { call, tool: target, args: call.name === TOOLS_CALL && isRecord(args.arguments) ? args.arguments : args };
        calls.push(entry);
        byId.set(call.id, entry);
      }
    } else if (m.role === "tool") {
      const entry = byId.get(m.toolCallId);
      if (entry) entry.read = readToolContent(m.content);
    }
  }
  const last = userIndex >= 0 ? messages[userIndex] : undefined;
  return { user: last?.role === "user" ? last.content : undefined, userIndex, calls };
}

function capabilities(offered: Tool[], meta: boolean): string {
  const names = new Set(offered.map((t) => t.name));
  const line = (example: string, tool: string) => {
    const integration = integrationOf(tool);
    const ready = meta || names.has(tool);
    const note = ready ? "" : tool.startsWith("kb.") ? " (upload documents on the Knowledge page first)" : ` (connect ${integration} first)`;
    return `- “${example}”${note}`;
  };
  const tools = ["gmail.search_messages", "calendar.list_events", "slack.post_message", "github.create_issue", "github.list_repos", "kb.search"];
  return [
    `I'm the offline planner: no language model is configured here (an operator sets OPENAI_API_KEY for one), so I understand a few plain requests rather than anything you write. Try:`,
    "",
    ...OFFLINE_EXAMPLES.map((e, i) => line(e, tools[i]!)),
    "",
    "I can also list your Slack channels, read a channel (“read #general”), and list a repository's issues (“list issues in owner/repo”).",
  ].join("\n");
}

function notOffered(intent: Intent): string {
  if (intent.tool.startsWith("kb.")) return "Your knowledge base has no indexed documents yet, so there is nothing to search. Upload some on the [Knowledge page](/knowledge), then ask again.";
  const name = integrationOf(intent.tool) ?? "that integration";
  return `I can't ${intent.what} yet: ${name} isn't connected. Connect ${name} on the [Integrations page](/integrations), then ask again.`;
}

function toolCall(id: string, name: string, args: unknown): ModelResponse {
  return { content: "", toolCalls: [{ id, name, arguments: JSON.stringify(args) }], usage: { promptTokens: 0, completionTokens: 0 }, finishReason: "tool_calls" };
}

function answer(content: string): ModelResponse {
  return { content, toolCalls: [], usage: { promptTokens: 0, completionTokens: 0 }, finishReason: "stop" };
}

/** The next step of a turn: a tool call, or the answer. Pure: same conversation, same clock → same response. */
export function plan(request: Pick<ModelRequest, "messages" | "tools">, clock: { now: number; utcOffsetMinutes?: number }): ModelResponse {
  const c = new Clock(clock.now, clock.utcOffsetMinutes ?? 0);
  const { user, userIndex, calls } = turnOf(request.messages);
  const intent = user === undefined ? undefined : parseRequest(user, clock);
  const meta = request.tools.some((t) => t.name === TOOLS_CALL) && request.tools.some((t) => t.name === TOOLS_SEARCH);
  const offered = (name: string) => request.tools.some((t) => t.name === name);
  const nextId = () => `planner_${userIndex + 1}_${calls.length + 1}`;

  if (intent && calls.length < MAX_CALLS_PER_TURN) {
    const ran = calls.find((x) => x.tool === intent.tool && x.call.name !== TOOLS_SEARCH);
    if (!ran) {
      if (!meta) return offered(intent.tool) ? toolCall(nextId(), intent.tool, intent.args) : answer(notOffered(intent));
      const search = [...calls].reverse().find((x) => x.call.name === TOOLS_SEARCH && x.read);
      if (!search) return toolCall(nextId(), TOOLS_SEARCH, { query: intent.tool.replace(/[._]+/g, " "), limit: 10 });
      const found = search.read?.ok && isRecord(search.read.result) ? search.read.result : {};
      const matches: unknown[] = [...(Array.isArray(found.matches) ? found.matches : []), ...(Array.isArray(found.available) ? found.available : [])];
      const available = matches.some((m) => (isRecord(m) ? m.name : m) === intent.tool);
      return available ? toolCall(nextId(), TOOLS_CALL, { name: intent.tool, arguments: intent.args }) : answer(notOffered(intent));
    }
  }

  const answered = calls.filter((x) => x.read && x.call.name !== TOOLS_SEARCH);
  if (answered.length === 0) return answer(capabilities(request.tools, meta));
  const parts = answered.map((x) => (x.read!.ok ? describeResult(x.tool, x.args, x.read!.result, c, intent) : describeError(x.tool, x.read!.error)));
  return answer(parts.join("\n\n"));
}

export class OfflinePlanner implements ChatModel {
  readonly id = OFFLINE_PLANNER_ID;
  readonly label = OFFLINE_PLANNER_LABEL;
  readonly offline = true;
  readonly #now: () => number;
  readonly #offset: number;

  constructor(options: OfflinePlannerOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#offset = options.utcOffsetMinutes ?? 0;
  }

  async complete(request: ModelRequest): Promise<ModelResponse> {
    return plan(request, { now: this.#now(), utcOffsetMinutes: this.#offset });
  }
}
