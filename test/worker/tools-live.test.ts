import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { getConfig } from "../../worker/config";
import { decryptToken } from "../../worker/integrations/crypto";
import { callTool } from "../../worker/tools/call";
import { defineTool } from "../../worker/tools/define";
import { liveToolContext, toolsForUser } from "../../worker/tools/live";
import { TOOLS_CALL, TOOLS_SEARCH, toolMenu } from "../../worker/tools/meta";
import { toolRegistry } from "../../worker/tools/registry";
import { ORIGIN } from "./auth-helpers";
import { api, newUser, scriptOAuth, storedRow } from "./integrations-helpers";
import { uniqueSandboxEmail } from "./sandbox-helpers";
import { connectThroughSandbox, recordingRuntime, resultOf, routedToSandbox, sandboxApp, sandboxEnv, sandboxUser, simulate, toolEnv } from "./tools-helpers";

/**
 * The tool list follows the integrations' live status: a tool is offered
 * (to the agent, and in GET /api/tools) only while its integration is
 * `active` — from the moment it connects until it is disconnected or
 * expires.
 */

interface ListedTool {
  name: string;
  provider: string;
  description: string;
  parameters: { type: string; properties: Record<string, unknown> };
}

async function listed(token: string): Promise<ListedTool[]> {
  const res = await api(token, "GET", "/api/tools");
  expect(res.status).toBe(200);
  return ((await res.json()) as { tools: ListedTool[] }).tools;
}

describe("tools follow live integration status", () => {
  it("appear once Gmail is connected through the sandbox, work, and are gone after disconnect", async () => {
    const { userId, token } = await newUser();
    expect(await listed(token)).toEqual([]);
    expect((await toolsForUser(env, userId)).tools).toEqual([]);

    await connectThroughSandbox(token, "gmail", uniqueSandboxEmail("live"));
    const tools = await listed(token);
    expect(tools.map((t) => t.name)).toEqual(["gmail.search_messages", "gmail.get_message", "gmail.send_email"]);
    expect(tools[0]).toMatchObject({ provider: "gmail", parameters: { type: "object", properties: { query: { type: "string" } }, required: ["query"] } });
    const set = await toolsForUser(env, userId);
    expect(set.tools.map((t) => t.name)).toEqual(tools.map((t) => t.name));
    expect(set.unavailable.map((u) => u.provider)).toEqual(["calendar", "slack", "github"]);

    // The same connection serves the tool: the token the callback stored is the sandbox's.
    const found = resultOf(await callTool(set, "gmail.search_messages", { query: "invoice" }, liveToolContext(sandboxEnv, userId, recordingRuntime())));
    expect(found.items).toHaveLength(2);

    // Disconnect runs in the integration's flight, whose config is the test pool's (revocation goes to the
    // test OAuth server, proven in integrations-disconnect); what matters here is that the tools leave with it.
    const disconnected = await routedToSandbox(() => sandboxApp("/api/integrations/gmail/disconnect", { method: "POST", headers: { authorization: `Bearer ${token}` } }));
    expect(disconnected.status).toBe(200);
    expect(await listed(token)).toEqual([]);
    const after = await toolsForUser(env, userId);
    expect(after.tools).toEqual([]);
    expect(after.unavailable).toContainEqual({ provider: "gmail", status: "disconnected" });
    const withdrawn = await callTool(after, "gmail.search_messages", { query: "invoice" }, liveToolContext(sandboxEnv, userId, recordingRuntime()));
    expect(withdrawn).toMatchObject({ ok: false, error: { code: "tool_unavailable", status: 409, provider: "gmail", reconnect: "gmail" } });
    if (!withdrawn.ok) expect(withdrawn.error.message).toBe("gmail.search_messages cannot run: Gmail is not connected. Ask the person to reconnect Gmail.");
  });

  it("are withdrawn when the integration expires mid-use, while the others stay", async () => {
    const { userId, token } = await newUser();
    const email = uniqueSandboxEmail("expire");
    await connectThroughSandbox(token, "calendar", email);
    await connectThroughSandbox(token, "slack", email);
    expect((await listed(token)).map((t) => t.name)).toEqual([
      "calendar.list_events",
      "calendar.create_event",
      "slack.list_channels",
      "slack.read_channel",
      "slack.post_message",
    ]);

    // Google revokes the grant: the next call gets 401, the refresh gets invalid_grant.
    const row = (await storedRow(userId, "calendar"))!;
    const keys = getConfig(env).encryptionKeys!;
    await scriptOAuth(await decryptToken(keys, row.id, "refresh_token_enc", row.refreshTokenEnc!), { status: 400, body: { error: "invalid_grant" } });
    await simulate("google", await decryptToken(keys, row.id, "access_token_enc", row.accessTokenEnc!), "unauthorized", 1);
    const set = await toolsForUser(env, userId);
    const outcome = await callTool(set, "calendar.list_events", {}, liveToolContext(sandboxEnv, userId, recordingRuntime()));
    expect(outcome).toMatchObject({ ok: false, error: { code: "integration_expired", reconnect: "calendar" } });

    expect((await listed(token)).map((t) => t.provider)).toEqual(["slack", "slack", "slack"]);
    const next = await toolsForUser(env, userId);
    expect(next.unavailable).toContainEqual({ provider: "calendar", status: "expired" });
    expect(await callTool(next, "calendar.list_events", {}, liveToolContext(sandboxEnv, userId, recordingRuntime()))).toMatchObject({
      ok: false,
      error: { code: "tool_unavailable", reconnect: "calendar", message: "calendar.list_events cannot run: Google Calendar is expired. Ask the person to reconnect Google Calendar." },
    });
  });

  it("GET /api/tools needs a signed-in user", async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/tools`);
    expect(res.status).toBe(401);
  });
});

describe("other features register into the registry unchanged", () => {
  it("a fake feature's tool appears for the users it is available to, runs with their context, and leaves when unregistered", async () => {
    const alice = await newUser();
    const bob = await newUser();
    const seen: string[] = [];
    const unregister = toolRegistry.register({
      id: "weather",
      available: (_env, userId) => userId === alice.userId,
      tools: [
        defineTool({
          name: "weather.forecast",
          description: "Tomorrow's forecast for a city.",
          parameters: z.object({ city: z.string().min(1) }),
          async run(args, ctx) {
            seen.push(`${ctx.userId}:${args.city}:${ctx.env ? "env" : "no env"}`);
            return { city: args.city, forecast: "sunny", source: { url: "https://weather.example/berlin", label: "Forecast" } };
          },
        }),
      ],
    });
    try {
      const tools = await listed(alice.token);
      expect(tools).toEqual([
        { name: "weather.forecast", provider: "weather", description: "Tomorrow's forecast for a city.", parameters: { type: "object", properties: { city: { type: "string", minLength: 1 } }, required: ["city"] } },
      ]);
      expect(await listed(bob.token)).toEqual([]);

      const set = await toolsForUser(env, alice.userId);
      const outcome = await callTool(set, "weather.forecast", '{"city":"Berlin"}', liveToolContext(env, alice.userId, recordingRuntime()));
      expect(outcome).toMatchObject({ ok: true, tool: "weather.forecast", result: { city: "Berlin", forecast: "sunny" } });
      expect(seen).toEqual([`${alice.userId}:Berlin:env`]);
      const bad = await callTool(set, "weather.forecast", { city: "" }, liveToolContext(env, alice.userId, recordingRuntime()));
      expect(bad).toMatchObject({ ok: false, error: { code: "invalid_arguments", fields: [{ path: "city" }] } });
    } finally {
      unregister();
    }
    expect(await listed(alice.token)).toEqual([]);
  });

  it("a feature that fails to say whether it is available is left out of the turn; the other tools stay", async () => {
    const u = await sandboxUser(["github"]);
    const unregister = toolRegistry.register({
      id: "broken",
      available: async () => {
        throw new Error("index unreachable");
      },
      tools: [defineTool({ name: "broken.search", description: "Never offered.", parameters: z.object({}), run: async () => ({}) })],
    });
    try {
      expect((await listed(u.token)).map((t) => t.name)).toEqual(["github.list_repos", "github.list_issues", "github.create_issue"]);
    } finally {
      unregister();
    }
  });
});

describe("meta tools past the threshold", () => {
  const lowThreshold = { ...toolEnv, AGENT_META_TOOLS_THRESHOLD: "4" };

  it("the threshold comes from config, default 16; a malformed value is a named problem", () => {
    expect(getConfig(env).agentMetaToolsThreshold).toBe(16);
    expect(getConfig(lowThreshold).agentMetaToolsThreshold).toBe(4);
    const bad = getConfig({ ...env, AGENT_META_TOOLS_THRESHOLD: "lots" });
    expect(bad.agentMetaToolsThreshold).toBe(16);
    expect(bad.problems).toContainEqual({ variable: "AGENT_META_TOOLS_THRESHOLD", message: "must be a whole number of tools from 1 to 1000" });
  });

  it("with more tools than the threshold, the model gets tools_search and tools_call, which find and run the real tools", async () => {
    const u = await sandboxUser(["gmail", "github"]);
    const set = await toolsForUser(lowThreshold, u.userId);
    expect(set.tools).toHaveLength(6);
    expect(toolMenu(set, getConfig(toolEnv).agentMetaToolsThreshold).mode).toBe("direct");

    const menu = toolMenu(set, getConfig(lowThreshold).agentMetaToolsThreshold);
    expect(menu.mode).toBe("meta");
    expect(menu.tools.map((t) => t.name)).toEqual([TOOLS_SEARCH, TOOLS_CALL]);
    expect(menu.tools[0]!.description).toContain("6 available (gmail, github)");
    const ctx = liveToolContext(lowThreshold, u.userId, recordingRuntime());

    const search = await menu.call(TOOLS_SEARCH, { query: "search email" }, ctx);
    const matches = resultOf(search).matches as Array<{ name: string; parameters: object }>;
    expect(matches[0]).toMatchObject({ name: "gmail.search_messages", parameters: { type: "object", required: ["query"] } });

    const issues = resultOf(await menu.call(TOOLS_SEARCH, '{"query":"open an issue on github"}', ctx)).matches as Array<{ name: string }>;
    expect(issues[0]!.name).toBe("github.create_issue");

    const none = resultOf(await menu.call(TOOLS_SEARCH, { query: "zebra" }, ctx));
    expect(none).toEqual({ matches: [], available: set.tools.map((t) => t.name) });

    const called = await menu.call(TOOLS_CALL, { name: "gmail.search_messages", arguments: { query: "invoice" } }, ctx);
    expect(called).toMatchObject({ ok: true, tool: "gmail.search_messages" });
    expect(resultOf(called).items).toHaveLength(2);

    expect(await menu.call(TOOLS_CALL, { name: "gmail.search_messages", arguments: { limit: 3 } }, ctx)).toMatchObject({
      ok: false,
      tool: "gmail.search_messages",
      error: { code: "invalid_arguments", fields: [{ path: "query" }] },
    });
    expect(await menu.call(TOOLS_CALL, { name: "slack.post_message", arguments: { channel: "general", text: "hi" } }, ctx)).toMatchObject({
      ok: false,
      error: { code: "tool_unavailable", reconnect: "slack" },
    });
    expect(await menu.call(TOOLS_CALL, { arguments: {} }, ctx)).toMatchObject({ ok: false, tool: TOOLS_CALL, error: { code: "invalid_arguments", fields: [{ path: "name" }] } });
  });
});
