import type { Tool } from "../contract/integrations";
import type { ProviderId } from "./providers";

/**
 * What the agent is told about each tool: a description and JSON Schema
 * parameters. The tools themselves run in worker/tools; this is only the
 * menu, keyed by the tool names of the provider file.
 */
const str = (description: string) => ({ type: "string", description });

export const TOOL_CATALOG: Record<string, Omit<Tool, "name" | "provider">> = {
  "gmail.search": {
    description: "Search the user's Gmail messages with a Gmail query such as 'invoice newer_than:30d'.",
    parameters: { type: "object", properties: { query: str("Gmail search query"), maxResults: { type: "integer", minimum: 1, maximum: 50 } }, required: ["query"] },
  },
  "gmail.send": {
    description: "Send an email from the user's Gmail account.",
    parameters: { type: "object", properties: { to: str("Recipient address"), subject: str("Subject line"), body: str("Plain-text body") }, required: ["to", "subject", "body"] },
  },
  "calendar.list_events": {
    description: "List events on the user's primary Google Calendar between two times.",
    parameters: { type: "object", properties: { timeMin: str("ISO 8601 start"), timeMax: str("ISO 8601 end"), query: str("Free-text filter") } },
  },
  "calendar.create_event": {
    description: "Create an event on the user's primary Google Calendar.",
    parameters: { type: "object", properties: { summary: str("Title"), start: str("ISO 8601 start"), end: str("ISO 8601 end"), description: str("Details") }, required: ["summary", "start", "end"] },
  },
  "slack.list_channels": {
    description: "List the Slack channels the connected workspace can see.",
    parameters: { type: "object", properties: { limit: { type: "integer", minimum: 1, maximum: 200 } } },
  },
  "slack.post_message": {
    description: "Post a message to a Slack channel.",
    parameters: { type: "object", properties: { channel: str("Channel id or name"), text: str("Message text") }, required: ["channel", "text"] },
  },
  "github.list_repos": {
    description: "List the GitHub repositories the user can access.",
    parameters: { type: "object", properties: { visibility: { type: "string", enum: ["all", "public", "private"] } } },
  },
  "github.create_issue": {
    description: "Open an issue in a GitHub repository.",
    parameters: { type: "object", properties: { repo: str("owner/name"), title: str("Issue title"), body: str("Issue body") }, required: ["repo", "title"] },
  },
};

export function toolsOf(provider: ProviderId, names: string[]): Tool[] {
  return names.map((name) => {
    const entry = TOOL_CATALOG[name];
    if (!entry) throw new Error(`tool ${name} has no catalog entry`);
    return { name, provider, ...entry };
  });
}
