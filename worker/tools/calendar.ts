import { z } from "zod";
import { googleRequest } from "./clients/google";
import { defineTool, type ToolSource } from "./define";
import { clip, itemList, pageParams } from "./results";

/** Google Calendar tools on the user's primary calendar. Results carry the event's `htmlLink`. */

interface EventTime {
  dateTime?: string;
  date?: string;
  timeZone?: string;
}
interface CalendarEvent {
  id: string;
  status?: string;
  summary?: string;
  description?: string;
  location?: string;
  htmlLink?: string;
  start?: EventTime;
  end?: EventTime;
  attendees?: Array<{ email?: string }>;
}

const EVENTS = "/calendar/v3/calendars/primary/events";
const DAY_MS = 86_400_000;

const when = (t: EventTime | undefined) => t?.dateTime ?? t?.date ?? "";

function view(e: CalendarEvent) {
  const summary = e.summary ?? "(No title)";
  return {
    id: e.id,
    summary,
    start: when(e.start),
    end: when(e.end),
    ...(e.location ? { location: e.location } : {}),
    ...(e.description ? { description: clip(e.description, 500).text } : {}),
    ...(e.attendees?.length ? { attendees: e.attendees.map((a) => a.email).filter(Boolean).slice(0, 20) } : {}),
    ...(e.htmlLink ? { source: { url: e.htmlLink, label: summary } } : {}),
  };
}

const instant = z.iso.datetime({ offset: true });

const listEvents = defineTool({
  name: "calendar.list_events",
  description: "List events on the user's primary Google Calendar, soonest first. Defaults to the next 7 days.",
  parameters: z.object({
    timeMin: instant.optional().describe("ISO 8601 start with offset; default now"),
    timeMax: instant.optional().describe("ISO 8601 end; default 7 days after start"),
    query: z.string().max(200).optional().describe("Free-text filter"),
    ...pageParams,
  }),
  async run(args, ctx) {
    const from = args.timeMin ? Date.parse(args.timeMin) : ctx.runtime.now();
    const to = args.timeMax ? Date.parse(args.timeMax) : from + 7 * DAY_MS;
    const page = await googleRequest<{ items?: CalendarEvent[]; nextPageToken?: string }>(ctx.connection("calendar"), {
      path: EVENTS,
      query: {
        timeMin: new Date(from).toISOString(),
        timeMax: new Date(to).toISOString(),
        q: args.query,
        singleEvents: true,
        orderBy: "startTime",
        maxResults: args.limit,
        pageToken: args.cursor,
      },
    });
    const items = (page.items ?? []).filter((e) => e.status !== "cancelled");
    return itemList(items.map(view), args.limit, { cursor: page.nextPageToken });
  },
});

const createEvent = defineTool({
  name: "calendar.create_event",
  description: "Create an event on the user's primary Google Calendar. Only when the user asked for it.",
  parameters: z
    .object({
      summary: z.string().min(1).max(500).describe("Title"),
      start: instant.describe("ISO 8601 start with offset"),
      end: instant.describe("ISO 8601 end with offset"),
      description: z.string().max(5_000).optional(),
      location: z.string().max(500).optional(),
      attendees: z.array(z.email()).max(50).optional().describe("Guest addresses"),
    })
    .refine((e) => Date.parse(e.end) > Date.parse(e.start), { message: "end must be after start", path: ["end"] }),
  async run(args, ctx) {
    const created = await googleRequest<CalendarEvent>(ctx.connection("calendar"), {
      method: "POST",
      path: EVENTS,
      json: {
        summary: args.summary,
        start: { dateTime: args.start },
        end: { dateTime: args.end },
        ...(args.description ? { description: args.description } : {}),
        ...(args.location ? { location: args.location } : {}),
        ...(args.attendees ? { attendees: args.attendees.map((email) => ({ email })) } : {}),
      },
    });
    return view(created);
  },
});

export const calendarTools: ToolSource = {
  id: "calendar",
  integration: "calendar",
  tools: [listEvents, createEvent],
};
