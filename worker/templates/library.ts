import type { Template } from "../contract/templates";

/**
 * The built-in library: public, owned by no one, the same in every
 * deployment, and each one runnable with the offline planner (its body is
 * the one request the planner understands; what a language model would do
 * next is in its steps). Together they use every provider and every kind of
 * variable but `date`.
 */

const SHIPPED = "2026-12-01T00:00:00.000Z";

type Entry = Omit<Template, "visibility" | "ownerId" | "createdAt" | "updatedAt" | "version"> & { version?: number };

const ENTRIES: Entry[] = [
  {
    id: "builtin-gmail-unread-from",
    title: "Summarise unread email from a sender",
    description: "Finds the unread messages one person sent you and sums them up, with a link to each.",
    body: "Summarise unread email from {{sender}}",
    variables: [{ name: "sender", type: "email", required: true, help: "The address whose messages to summarise." }],
    requiredIntegrations: ["gmail"],
    optionalIntegrations: [],
    steps: ["Search Gmail for unread messages from {{sender}}.", "Summarise each in one line, newest first, citing its link."],
  },
  {
    id: "builtin-calendar-to-slack",
    title: "Post today's calendar to a Slack channel",
    description: "Reads today's events and posts a short agenda where your team will see it.",
    body: "Read my calendar for today and write a short agenda for {{channel}}",
    variables: [{ name: "channel", type: "string", required: true, help: "A Slack channel, like #team." }],
    requiredIntegrations: ["calendar", "slack"],
    optionalIntegrations: [],
    steps: ["Read today's events from the calendar.", "Post a short agenda to {{channel}} in Slack: one line per event, with its time."],
  },
  {
    id: "builtin-slack-catch-up",
    title: "Catch up on a Slack channel",
    description: "Reads the latest messages of a channel and tells you what happened.",
    body: "Read {{channel}} and summarise the last {{count}} messages",
    variables: [
      { name: "channel", type: "string", required: true, help: "A Slack channel, like #general." },
      { name: "count", type: "number", required: false, default: "10", help: "How many messages to read." },
    ],
    requiredIntegrations: ["slack"],
    optionalIntegrations: [],
    steps: [],
  },
  {
    id: "builtin-github-issues-from-notes",
    title: "Open a GitHub issue for each action item in a document",
    description: "Finds the action items in one of your documents and files each as an issue.",
    body: "Search my notes for the action items in {{document}}",
    variables: [
      { name: "document", type: "string", required: true, help: "The document's title or topic, as it appears in your knowledge base." },
      { name: "repo", type: "repo", required: true, help: "Where to open the issues, as owner/name." },
    ],
    requiredIntegrations: ["github"],
    optionalIntegrations: [],
    steps: [
      "Search the knowledge base for the action items in {{document}}.",
      "Open an issue in {{repo}} for each action item, titled with the item, citing the passage it came from.",
    ],
  },
  {
    id: "builtin-github-open-issues",
    title: "List the open issues of a repository",
    description: "Shows what is open in a repository, with links.",
    body: "List the open issues in {{repo}}",
    variables: [{ name: "repo", type: "repo", required: true, help: "The repository, as owner/name." }],
    requiredIntegrations: ["github"],
    optionalIntegrations: [],
    steps: [],
  },
  {
    id: "builtin-calendar-day",
    title: "What's on my calendar",
    description: "Your events for a day or the week ahead.",
    body: "What's on my calendar {{day}}",
    variables: [{ name: "day", type: "enum", required: true, default: "today", options: ["today", "tomorrow", "next week"], help: "Which day to look at." }],
    requiredIntegrations: ["calendar"],
    optionalIntegrations: ["slack"],
    steps: ["List the events with their times.", "If Slack is connected, offer to post the list to a channel."],
  },
];

export const BUILTIN_TEMPLATES: readonly Template[] = ENTRIES.map((e) => ({
  ...e,
  version: e.version ?? 1,
  visibility: "public",
  ownerId: null,
  createdAt: SHIPPED,
  updatedAt: SHIPPED,
}));

export const BUILTIN_PREFIX = "builtin-";

export function builtinTemplate(id: string): Template | undefined {
  return BUILTIN_TEMPLATES.find((t) => t.id === id);
}
