import { Hono, type Context } from "hono";
import { database } from "../../db/client";
import { getRecord, insertRecord, listRecords } from "../../db/sandbox";
import { SLACK_TEAM, slackHandle, slackUserId } from "../identity";
import { SLACK_CHANNEL, SLACK_MESSAGE, type SlackChannel, type SlackMessage } from "../seed";
import type { SandboxApiBindings } from "../types";
import { insufficientScope } from "./failures";

/**
 * Fake Slack Web API under `/sandbox/slack/api/{method}`. Like Slack, every
 * answer is HTTP 200 with `ok: true|false` (only rate limits are 429), and
 * arguments arrive as query, form or JSON.
 */

async function args(c: Context<SandboxApiBindings>): Promise<Record<string, unknown>> {
  const query = c.req.query();
  if (c.req.method !== "POST") return query;
  const type = c.req.header("content-type") ?? "";
  if (/json/i.test(type)) return { ...query, ...((await c.req.json<Record<string, unknown>>().catch(() => ({}))) ?? {}) };
  if (/form/i.test(type)) return { ...query, ...(await c.req.parseBody()) };
  return query;
}

const needs = (c: Context<SandboxApiBindings>, scope: string) =>
  c.get("scopes").includes(scope) ? undefined : insufficientScope(c, "slack", [scope], c.get("scopes"));

function renderChannel(ch: SlackChannel) {
  return {
    id: ch.id,
    name: ch.name,
    is_channel: true,
    is_private: false,
    is_archived: false,
    is_member: true,
    created: ch.created,
    num_members: ch.num_members,
    topic: { value: ch.topic, creator: "", last_set: 0 },
    purpose: { value: ch.purpose, creator: "", last_set: 0 },
  };
}

export const slackApi = new Hono<SandboxApiBindings>()
  .on(["GET", "POST"], "/auth.test", (c) => {
    const a = c.get("account");
    return c.json({
      ok: true,
      url: `https://${SLACK_TEAM.domain}.slack.sandbox.test/`,
      team: SLACK_TEAM.name,
      user: slackHandle(a),
      team_id: SLACK_TEAM.id,
      user_id: slackUserId(a),
    });
  })
  .on(["GET", "POST"], "/conversations.list", async (c) => {
    const denied = needs(c, "channels:read");
    if (denied) return denied;
    const a = await args(c);
    const limit = Math.min(Math.max(Number(a.limit ?? 100) || 100, 1), 1000);
    const offset = Number(a.cursor ?? 0) || 0;
    const all = await listRecords<SlackChannel>(database(c.env), c.get("account").id, SLACK_CHANNEL);
    const page = all.slice(offset, offset + limit).map((r) => renderChannel(r.data));
    return c.json({ ok: true, channels: page, response_metadata: { next_cursor: offset + limit < all.length ? String(offset + limit) : "" } });
  })
  .on(["GET", "POST"], "/conversations.history", async (c) => {
    const denied = needs(c, "channels:history");
    if (denied) return denied;
    const channel = String((await args(c)).channel ?? "");
    const db = database(c.env);
    if (!(await getRecord(db, c.get("account").id, SLACK_CHANNEL, channel))) return c.json({ ok: false, error: "channel_not_found" });
    const messages = (await listRecords<SlackMessage>(db, c.get("account").id, SLACK_MESSAGE, channel)).map((r) => ({ type: "message", ...r.data }));
    return c.json({ ok: true, messages: messages.reverse(), has_more: false });
  })
  .post("/chat.postMessage", async (c) => {
    const denied = needs(c, "chat:write");
    if (denied) return denied;
    const a = await args(c);
    const target = String(a.channel ?? "").replace(/^#/, "");
    const text = typeof a.text === "string" ? a.text : "";
    if (!target) return c.json({ ok: false, error: "channel_not_found" });
    if (!text.trim()) return c.json({ ok: false, error: "no_text" });
    if (text.length > 40_000) return c.json({ ok: false, error: "msg_too_long" });
    const db = database(c.env);
    const account = c.get("account");
    const channels = await listRecords<SlackChannel>(db, account.id, SLACK_CHANNEL);
    const channel = channels.find((ch) => ch.key === target || ch.data.name === target)?.data;
    if (!channel) return c.json({ ok: false, error: "channel_not_found" });
    const now = Date.now();
    const ts = `${Math.floor(now / 1000)}.${String((now % 1000) * 1000 + Math.floor(Math.random() * 1000)).padStart(6, "0")}`;
    const message: SlackMessage = { ts, channel: channel.id, user: slackUserId(account), text };
    await insertRecord(db, account.id, SLACK_MESSAGE, `${channel.id}:${ts}`, message, channel.id);
    return c.json({ ok: true, channel: channel.id, ts, message: { type: "message", text, user: message.user, ts } });
  })
  .all("*", (c) => c.json({ ok: false, error: "unknown_method" }));
