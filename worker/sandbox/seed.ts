import type { Database } from "../db/client";
import { insertRecord, type SandboxAccount } from "../db/sandbox";
import { randomId } from "./crypto";
import { ISSUE, seedRepo } from "./api/github-store";
import { githubLogin, SANDBOX_ORG, slackUserId } from "./identity";

/** The fake data every new sandbox account starts with; dates are relative to its creation. */

export const GMAIL_MESSAGE = "gmail.message";
export const CALENDAR_EVENT = "calendar.event";
export const SLACK_CHANNEL = "slack.channel";
export const SLACK_MESSAGE = "slack.message";

export interface GmailMessage {
  id: string;
  threadId: string;
  labelIds: string[];
  from: string;
  to: string;
  subject: string;
  date: string;
  body: string;
}

export interface CalendarEvent {
  id: string;
  status: "confirmed" | "cancelled";
  summary: string;
  description?: string;
  location?: string;
  start: { dateTime: string; timeZone?: string };
  end: { dateTime: string; timeZone?: string };
  attendees?: Array<{ email: string; responseStatus?: string }>;
  created: string;
  updated: string;
}

export interface SlackChannel {
  id: string;
  name: string;
  topic: string;
  purpose: string;
  created: number;
  num_members: number;
}

export interface SlackMessage {
  ts: string;
  channel: string;
  user: string;
  text: string;
}

const INBOX: Array<Omit<GmailMessage, "id" | "threadId" | "to" | "date"> & { hoursAgo: number }> = [
  {
    hoursAgo: 2,
    labelIds: ["INBOX", "UNREAD", "CATEGORY_UPDATES"],
    from: "Acme Billing <billing@acme.example>",
    subject: "Invoice INV-2041 for October is ready",
    body: "Hello,\n\nYour invoice INV-2041 for October (USD 1,280.00) is attached and due on the 15th.\nPay online from your billing dashboard.\n\nThanks,\nAcme Billing",
  },
  {
    hoursAgo: 5,
    labelIds: ["INBOX", "IMPORTANT"],
    from: "Dana Lee <dana@partner.example>",
    subject: "Agenda for Thursday's planning session",
    body: "Hi!\n\nFor Thursday: 1) Q4 roadmap review, 2) hiring plan, 3) offsite logistics.\nCan you prepare the roadmap slides?\n\nDana",
  },
  {
    hoursAgo: 26,
    labelIds: ["INBOX", "CATEGORY_UPDATES"],
    from: "Cloud Hosting <no-reply@cloudhost.example>",
    subject: "Receipt for your payment (invoice #8812)",
    body: "We received your payment of USD 49.00 for invoice #8812. No action is needed.",
  },
  {
    hoursAgo: 50,
    labelIds: ["INBOX"],
    from: "Sam Ortiz <sam@friends.example>",
    subject: "Lunch next week?",
    body: "Are you free for lunch on Tuesday or Wednesday? The new ramen place opened.",
  },
  {
    hoursAgo: 75,
    labelIds: ["SENT"],
    from: "",
    subject: "Re: Contract renewal",
    body: "Thanks, the renewal terms look good to me. I will sign this week.",
  },
];

const EVENTS: Array<{ summary: string; inHours: number; hours: number; location?: string; description?: string }> = [
  { summary: "Planning session", inHours: 20, hours: 1, location: "Room 4B", description: "Q4 roadmap, hiring plan, offsite." },
  { summary: "1:1 with Dana", inHours: 44, hours: 0.5 },
  { summary: "Invoice review with finance", inHours: 68, hours: 1, description: "Go through open invoices before month end." },
];

const CHANNELS: Array<{ name: string; topic: string; purpose: string; members: number; messages: string[] }> = [
  { name: "general", topic: "Company-wide announcements", purpose: "Announcements and work-based matters", members: 42, messages: ["Welcome to the Sandbox Workspace!"] },
  { name: "random", topic: "Non-work banter", purpose: "Everything else", members: 37, messages: ["Who's up for coffee?"] },
  { name: "engineering", topic: "Deploys at 3pm", purpose: "Engineering discussions", members: 12, messages: ["The release branch is cut.", "CI is green again."] },
];

export async function seedAccount(db: Database, account: SandboxAccount, now: Date) {
  const at = (hours: number) => new Date(now.getTime() + hours * 3600_000).toISOString();
  for (const [i, m] of INBOX.entries()) {
    const id = randomId(8);
    const sent = m.labelIds.includes("SENT");
    const message: GmailMessage = {
      id,
      threadId: id,
      labelIds: m.labelIds,
      from: sent ? account.email : m.from,
      to: sent ? "legal@vendor.example" : account.email,
      subject: m.subject,
      date: at(-m.hoursAgo),
      body: m.body,
    };
    await insertRecord(db, account.id, GMAIL_MESSAGE, id, message, null, new Date(now.getTime() - (INBOX.length - i)));
  }
  for (const e of EVENTS) {
    const id = randomId(13);
    const event: CalendarEvent = {
      id,
      status: "confirmed",
      summary: e.summary,
      ...(e.description ? { description: e.description } : {}),
      ...(e.location ? { location: e.location } : {}),
      start: { dateTime: at(e.inHours), timeZone: "UTC" },
      end: { dateTime: at(e.inHours + e.hours), timeZone: "UTC" },
      attendees: [{ email: account.email, responseStatus: "accepted" }],
      created: now.toISOString(),
      updated: now.toISOString(),
    };
    await insertRecord(db, account.id, CALENDAR_EVENT, id, event);
  }
  for (const [i, ch] of CHANNELS.entries()) {
    const id = `C0${String(i + 1).padStart(2, "0")}${account.id.slice(4, 10).toUpperCase()}`;
    const channel: SlackChannel = { id, name: ch.name, topic: ch.topic, purpose: ch.purpose, created: Math.floor(now.getTime() / 1000) - 86400 * 90, num_members: ch.members };
    await insertRecord(db, account.id, SLACK_CHANNEL, id, channel);
    for (const [j, text] of ch.messages.entries()) {
      const ts = `${Math.floor(now.getTime() / 1000) - 3600 * (j + 1)}.00010${j}`;
      await insertRecord<SlackMessage>(db, account.id, SLACK_MESSAGE, `${id}:${ts}`, { ts, channel: id, user: slackUserId(account), text }, id);
    }
  }
  const owner = githubLogin(account);
  const author = { name: account.name, email: account.email, date: at(-24 * 30) };
  const demo = await seedRepo(
    db,
    account.id,
    { name: "taskpilot-demo", owner, description: "A demo repository for TaskPilot specs", private: false, default_branch: "main", created_at: at(-24 * 30) },
    { "README.md": "# taskpilot-demo\n\nA small demo project.\n", "src/index.ts": 'export const hello = () => "hello";\n' },
    author,
  );
  await seedRepo(
    db,
    account.id,
    { name: "notes", owner, description: "Personal notes", private: true, default_branch: "main", created_at: at(-24 * 60) },
    { "README.md": "# notes\n" },
    author,
  );
  // An organisation's repository the account can read but not push to (every write is a 403).
  await seedRepo(
    db,
    account.id,
    { name: "handbook", owner: SANDBOX_ORG.login, description: "The team handbook (read-only)", private: false, default_branch: "main", created_at: at(-24 * 90), readOnly: true },
    { "README.md": "# Handbook\n\nHow the sandbox organisation works. Read-only for its members.\n" },
    { name: "Sandbox Org", email: "handbook@sandbox-org.example", date: at(-24 * 90) },
  );
  await insertRecord(
    db,
    account.id,
    ISSUE,
    `${demo}#1`,
    { number: 1, title: "Add a greeting endpoint", body: "Expose hello() over HTTP.", state: "open", labels: ["enhancement"], created_at: at(-24 * 7) },
    demo,
  );
}
