import { z } from "zod";
import { AppError } from "../errors";
import { slackCall } from "./clients/slack";
import { defineTool, type ToolContext, type ToolSource } from "./define";
import type { Connection } from "./http";
import { clip, itemList, pageParams, type SourceLink } from "./results";

/**
 * Slack tools. Channel names are resolved to ids first (the history API
 * takes only ids). Links are Slack's permalink form,
 * `{workspace}/archives/{channel}/p{ts without the dot}`, built from the
 * workspace URL `auth.test` reports — one call per tool run instead of one
 * `chat.getPermalink` per message.
 */

interface Channel {
  id: string;
  name: string;
  is_archived?: boolean;
  is_member?: boolean;
  num_members?: number;
  topic?: { value?: string };
  purpose?: { value?: string };
}
interface Message {
  ts: string;
  user?: string;
  bot_id?: string;
  text?: string;
  thread_ts?: string;
  reply_count?: number;
}

const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

async function workspaceUrl(conn: Connection): Promise<string> {
  const me = await slackCall<{ url?: string }>(conn, "auth.test", {}, { write: false });
  return (me.url ?? "https://slack.com/").replace(/\/?$/, "/");
}

export function permalink(workspace: string, channel: string, ts: string, label: string): SourceLink {
  return { url: `${workspace}archives/${channel}/p${ts.replace(".", "")}`, label };
}

async function resolveChannel(conn: Connection, channel: string): Promise<{ id: string; name: string }> {
  const name = channel.replace(/^#/, "");
  if (CHANNEL_ID.test(name)) return { id: name, name };
  let cursor: string | undefined;
  // Workspaces list channels 200 at a time; ten pages is 2,000 channels, past which the model should pass an id.
  for (let page = 0; page < 10; page += 1) {
    const res = await slackCall<{ channels: Channel[]; response_metadata?: { next_cursor?: string } }>(
      conn,
      "conversations.list",
      { limit: 200, cursor, exclude_archived: true, types: "public_channel" },
      { write: false },
    );
    const hit = res.channels.find((c) => c.name === name);
    if (hit) return { id: hit.id, name: hit.name };
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) break;
  }
  throw new AppError(404, "provider_not_found", `Slack has no channel named #${name} that this workspace can see.`, {
    provider: "slack",
    providerCode: "channel_not_found",
  });
}

const channelParam = z.string().min(1).max(100).describe("Channel id or #name");

const listChannels = defineTool({
  name: "slack.list_channels",
  description: "List the public Slack channels of the connected workspace.",
  parameters: z.object({ ...pageParams }),
  async run(args, ctx: ToolContext) {
    const conn = ctx.connection("slack");
    const [page, workspace] = await Promise.all([
      slackCall<{ channels: Channel[]; response_metadata?: { next_cursor?: string } }>(
        conn,
        "conversations.list",
        { limit: args.limit, cursor: args.cursor, exclude_archived: true, types: "public_channel" },
        { write: false },
      ),
      workspaceUrl(conn),
    ]);
    const items = page.channels.map((c) => ({
      id: c.id,
      name: c.name,
      ...(c.topic?.value ? { topic: clip(c.topic.value, 200).text } : {}),
      ...(c.purpose?.value ? { purpose: clip(c.purpose.value, 200).text } : {}),
      ...(typeof c.num_members === "number" ? { members: c.num_members } : {}),
      source: { url: `${workspace}archives/${c.id}`, label: `#${c.name}` },
    }));
    return itemList(items, args.limit, { cursor: page.response_metadata?.next_cursor });
  },
});

const readChannel = defineTool({
  name: "slack.read_channel",
  description: "Read the latest messages of a Slack channel, newest first.",
  parameters: z.object({ channel: channelParam, ...pageParams }),
  async run(args, ctx) {
    const conn = ctx.connection("slack");
    const [channel, workspace] = await Promise.all([resolveChannel(conn, args.channel), workspaceUrl(conn)]);
    const page = await slackCall<{ messages: Message[]; has_more?: boolean; response_metadata?: { next_cursor?: string } }>(
      conn,
      "conversations.history",
      { channel: channel.id, limit: args.limit, cursor: args.cursor },
      { write: false },
    );
    const items = page.messages.map((m) => {
      const text = clip(m.text ?? "");
      return {
        ts: m.ts,
        at: new Date(Number(m.ts) * 1000).toISOString(),
        user: m.user ?? m.bot_id ?? "",
        text: text.text,
        ...(text.omittedChars ? { textOmittedChars: text.omittedChars } : {}),
        ...(m.reply_count ? { replies: m.reply_count } : {}),
        source: permalink(workspace, channel.id, m.ts, `#${channel.name}`),
      };
    });
    return { channel, ...itemList(items, args.limit, { cursor: page.response_metadata?.next_cursor }) };
  },
});

const postMessage = defineTool({
  name: "slack.post_message",
  description: "Post a message to a Slack channel. Only when the user asked to post it.",
  parameters: z.object({ channel: channelParam, text: z.string().min(1).max(4_000).describe("Message text (Slack mrkdwn)") }),
  async run(args, ctx) {
    const conn = ctx.connection("slack");
    const [channel, workspace] = await Promise.all([resolveChannel(conn, args.channel), workspaceUrl(conn)]);
    const posted = await slackCall<{ channel: string; ts: string }>(conn, "chat.postMessage", { channel: channel.id, text: args.text }, { write: true });
    return { channel: { id: posted.channel, name: channel.name }, ts: posted.ts, source: permalink(workspace, posted.channel, posted.ts, `#${channel.name}`) };
  },
});

export const slackTools: ToolSource = {
  id: "slack",
  integration: "slack",
  tools: [listChannels, readChannel, postMessage],
};
