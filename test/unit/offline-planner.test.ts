import { describe, expect, it } from "vitest";
import type { Tool } from "../../worker/contract/integrations";
import type { ModelMessage, ModelRequest } from "../../worker/agent/model";
import { link, md, OFFLINE_EXAMPLES, OfflinePlanner, parseRequest, plan } from "../../worker/agent/offline-planner";
import { toolMenu } from "../../worker/tools/meta";
import { describeTool, toolRegistry } from "../../worker/tools/registry";

/** Tuesday 1 December 2026, 20:30 UTC. */
const NOW = Date.parse("2026-12-01T20:30:00Z");
const clock = { now: NOW };

const kbTool: Tool = { name: "kb.search", provider: "kb", description: "Search the user's notes.", parameters: { type: "object", properties: { query: { type: "string" } } } };
const everyTool: Tool[] = [...toolRegistry.list().map(describeTool), kbTool];
const without = (...prefixes: string[]) => everyTool.filter((t) => !prefixes.some((p) => t.name.startsWith(p)));
const user = (content: string): ModelMessage => ({ role: "user", content });

function firstCall(text: string, tools = everyTool) {
  const res = plan({ messages: [user(text)], tools }, clock);
  expect(res.finishReason).toBe("tool_calls");
  expect(res.toolCalls).toHaveLength(1);
  const call = res.toolCalls[0]!;
  return { name: call.name, args: JSON.parse(call.arguments) as Record<string, unknown>, id: call.id };
}

/** The conversation after the planner's call and the loop's answer to it. */
function withResult(text: string, result: unknown, tools = everyTool): ModelRequest {
  const res = plan({ messages: [user(text)], tools }, clock);
  const call = res.toolCalls[0]!;
  return {
    messages: [user(text), { role: "assistant", content: null, toolCalls: res.toolCalls }, { role: "tool", toolCallId: call.id, name: call.name, content: JSON.stringify(result) }],
    tools,
  };
}

describe("offline planner: each example request becomes the right tool call", () => {
  it("“search my email for invoice” → gmail.search_messages {query: invoice}", () => {
    expect(firstCall("search my email for invoice")).toMatchObject({ name: "gmail.search_messages", args: { query: "invoice" } });
    expect(firstCall("Find emails about the Q3 report.").args.query).toBe("the Q3 report");
    expect(firstCall("emails from ana@example.com").args.query).toBe("from:ana@example.com");
    expect(firstCall("search my email for meeting notes from ana")).toMatchObject({ name: "gmail.search_messages", args: { query: "meeting notes from ana" } });
  });

  it("“what's on my calendar tomorrow” → calendar.list_events over tomorrow, from the injected clock", () => {
    expect(firstCall("what's on my calendar tomorrow")).toMatchObject({
      name: "calendar.list_events",
      args: { timeMin: "2026-12-02T00:00:00Z", timeMax: "2026-12-03T00:00:00Z" },
    });
    expect(firstCall("any meetings today?").args).toMatchObject({ timeMin: "2026-12-01T00:00:00Z", timeMax: "2026-12-02T00:00:00Z" });
    // Friday of this week; next week starts on Monday 7 December.
    expect(firstCall("what's on my calendar on friday").args).toMatchObject({ timeMin: "2026-12-04T00:00:00Z", timeMax: "2026-12-05T00:00:00Z" });
    expect(firstCall("my schedule next week").args).toMatchObject({ timeMin: "2026-12-07T00:00:00Z", timeMax: "2026-12-14T00:00:00Z" });
  });

  it("days are the person's days when an offset is given", () => {
    const res = plan({ messages: [user("what's on my calendar tomorrow")], tools: everyTool }, { now: NOW, utcOffsetMinutes: 240 });
    // 20:30 UTC is already 00:30 on Wednesday at UTC+4, so tomorrow is Thursday.
    expect(JSON.parse(res.toolCalls[0]!.arguments)).toMatchObject({ timeMin: "2026-12-03T00:00:00+04:00", timeMax: "2026-12-04T00:00:00+04:00" });
  });

  it("“post hello to #general” → slack.post_message (the tool resolves #names itself)", () => {
    expect(firstCall("post hello to #general")).toMatchObject({ name: "slack.post_message", args: { channel: "#general", text: "hello" } });
    expect(firstCall('post "lunch is here!" to #random').args).toMatchObject({ channel: "#random", text: "lunch is here!" });
    expect(firstCall("post to #general: standup in 5").args).toMatchObject({ channel: "#general", text: "standup in 5" });
  });

  it("“create an issue in owner/repo titled …” → github.create_issue", () => {
    expect(firstCall("create an issue in octo/hello titled Fix the login page")).toMatchObject({ name: "github.create_issue", args: { repo: "octo/hello", title: "Fix the login page" } });
    expect(firstCall('open an issue on octo/hello: "Crash on save"').args).toMatchObject({ repo: "octo/hello", title: "Crash on save" });
  });

  it("“list my repos” → github.list_repos; issues and Slack reads too", () => {
    expect(firstCall("list my repos").name).toBe("github.list_repos");
    expect(firstCall("show my repositories").name).toBe("github.list_repos");
    expect(firstCall("list issues in octo/hello")).toMatchObject({ name: "github.list_issues", args: { repo: "octo/hello" } });
    expect(firstCall("read #general")).toMatchObject({ name: "slack.read_channel", args: { channel: "#general" } });
    expect(firstCall("list slack channels").name).toBe("slack.list_channels");
  });

  it("“search my notes for …” → kb.search when offered, else says there is nothing indexed to search yet", () => {
    expect(firstCall("search my notes for onboarding")).toMatchObject({ name: "kb.search", args: { query: "onboarding" } });
    const res = plan({ messages: [user("search my notes for onboarding")], tools: without("kb.") }, clock);
    expect(res).toMatchObject({ finishReason: "stop", toolCalls: [] });
    expect(res.content).toBe("Your knowledge base has no indexed documents yet, so there is nothing to search. Upload some on the [Knowledge page](/knowledge), then ask again.");
  });

  it("every example in the help text is one the planner understands", () => {
    for (const example of OFFLINE_EXAMPLES) expect(parseRequest(example, clock), example).toBeDefined();
  });
});

describe("offline planner: what it cannot do, it says plainly", () => {
  it.each([
    ["search my email for invoice", "gmail.", "Gmail"],
    ["what's on my calendar tomorrow", "calendar.", "Google Calendar"],
    ["post hello to #general", "slack.", "Slack"],
    ["list my repos", "github.", "GitHub"],
  ])("“%s” without its integration names the one to connect", (text, prefix, name) => {
    const res = plan({ messages: [user(text)], tools: without(prefix) }, clock);
    expect(res.toolCalls).toEqual([]);
    expect(res.content).toContain(`${name} isn't connected. Connect ${name} on the [Integrations page](/integrations)`);
  });

  it("anything else gets the list of what it can do, marking what needs connecting", () => {
    const res = plan({ messages: [user("write me a poem about autumn")], tools: without("slack.") }, clock);
    expect(res).toMatchObject({ finishReason: "stop", toolCalls: [] });
    expect(res.content).toContain("I'm the offline planner");
    for (const example of OFFLINE_EXAMPLES) expect(res.content).toContain(example);
    expect(res.content).toContain("“post hello to #general” (connect Slack first)");
    expect(res.content).not.toContain("“list my repos” (connect");
  });
});

describe("offline planner: composing the answer from tool results", () => {
  it("lists the messages found with their Gmail links", () => {
    const req = withResult("search my email for invoice", {
      ok: true,
      result: {
        items: [
          { id: "m1", from: "Billing <billing@acme.test>", subject: "Invoice #1042", date: "2026-11-28T09:00:00.000Z", snippet: "Your invoice is attached", source: { url: "https://mail.google.com/mail/u/0/#all/m1", label: "Invoice #1042" } },
          { id: "m2", from: "Ana", subject: "Re: invoice", date: "2026-11-30T10:00:00.000Z", snippet: "Paid, thanks", source: { url: "https://mail.google.com/mail/u/0/#all/m2", label: "Re: invoice" } },
        ],
        more: { count: 3, cursor: "next" },
      },
    });
    const res = plan(req, clock);
    expect(res.finishReason).toBe("stop");
    expect(res.content).toContain("Found 2 messages matching “invoice” in your Gmail:");
    expect(res.content).toContain("1. [Invoice \\#1042](https://mail.google.com/mail/u/0/#all/m1) — Billing \\<billing@acme.test\\>, Sat 28 Nov");
    expect(res.content).toContain("2. [Re: invoice](https://mail.google.com/mail/u/0/#all/m2) — Ana, Mon 30 Nov");
    expect(res.content).toContain("…and 3 more.");
  });

  it("says so when nothing matched", () => {
    expect(plan(withResult("search my email for invoice", { ok: true, result: { items: [], more: null } }), clock).content).toBe("No messages in your Gmail match “invoice”.");
  });

  it("tomorrow's events, with times and event links", () => {
    const req = withResult("what's on my calendar tomorrow", {
      items: [{ id: "e1", summary: "Standup", start: "2026-12-02T09:00:00Z", end: "2026-12-02T09:15:00Z", location: "Room 4", source: { url: "https://calendar.google.com/event?eid=e1", label: "Standup" } }],
      more: null,
    });
    const content = plan(req, clock).content;
    expect(content).toContain("1 event on your calendar tomorrow (Wed 2 Dec) (times in UTC):");
    expect(content).toContain("- **Wed 2 Dec 09:00–09:15** [Standup](https://calendar.google.com/event?eid=e1) · Room 4");
  });

  it("a post, an issue and a repo list each cite their links", () => {
    expect(plan(withResult("post hello to #general", { channel: { id: "C1", name: "general" }, ts: "1.2", source: { url: "https://t.slack.com/archives/C1/p12", label: "#general" } }), clock).content).toBe(
      "Posted to [\\#general](https://t.slack.com/archives/C1/p12): “hello”",
    );
    expect(plan(withResult("create an issue in octo/hello titled Fix it", { number: 7, title: "Fix it", state: "open", source: { url: "https://github.com/octo/hello/issues/7", label: "octo/hello#7" } }), clock).content).toBe(
      "Opened [octo/hello\\#7](https://github.com/octo/hello/issues/7): **Fix it**",
    );
    const repos = plan(withResult("list my repos", { items: [{ fullName: "octo/hello", private: true, description: "Hi", source: { url: "https://github.com/octo/hello", label: "octo/hello" } }], more: null }), clock).content;
    expect(repos).toContain("- [octo/hello](https://github.com/octo/hello) (private) — Hi");
  });

  it("notes found by kb.search, with their sources", () => {
    const content = plan(withResult("search my notes for onboarding", { items: [{ title: "Onboarding", snippet: "Day one checklist", source: { url: "https://notes.test/1", label: "Onboarding.md" } }], more: null }), clock).content;
    expect(content).toContain("Found 1 note matching “onboarding”:");
    expect(content).toContain("- [Onboarding.md](https://notes.test/1) — Day one checklist");
  });

  it("tool errors in words: reconnect, unknown outcome, rate limit, plain refusal", () => {
    const fail = (text: string, error: Record<string, unknown>) => plan(withResult(text, { ok: false, error }), clock).content;
    expect(fail("search my email for invoice", { code: "integration_expired", message: "Gmail access has expired.", status: 409, provider: "gmail", reconnect: "gmail" })).toBe(
      "Gmail needs to be reconnected before I can use it: Gmail access has expired. Reconnect Gmail on the [Integrations page](/integrations), then ask again.",
    );
    expect(fail("list my repos", { code: "tool_unavailable", message: "github.list_repos cannot run: GitHub is expired. Ask the person to reconnect GitHub.", status: 409, provider: "github", reconnect: "github" })).toBe(
      "GitHub needs to be reconnected before I can use it. Reconnect GitHub on the [Integrations page](/integrations), then ask again.",
    );
    expect(fail("post hello to #general", { code: "provider_unavailable", message: "Slack failed (502).", status: 502, provider: "slack", outcomeUnknown: true })).toContain("unclear whether it went through");
    expect(fail("list my repos", { code: "provider_rate_limited", message: "GitHub is rate limiting.", status: 503, provider: "github", retryAfterSeconds: 30 })).toContain("Try again in about 30 seconds.");
    expect(fail("post hello to #nope", { code: "provider_not_found", message: "Slack has no channel named #nope that this workspace can see.", status: 404, provider: "slack", providerCode: "channel_not_found" })).toBe(
      "Slack could not do it: Slack has no channel named \\#nope that this workspace can see.",
    );
  });

  it("provider text cannot turn into links or markup; only http(s) sources become links", () => {
    expect(md("[click](javascript:alert(1)) <img>")).toBe("\\[click\\](javascript:alert(1)) \\<img\\>");
    expect(link({ url: "javascript:alert(1)", label: "x" })).toBe("x");
    expect(link({ url: "//evil.test/p", label: "x" })).toBe("x");
    expect(link({ url: "/\\evil.test", label: "x" })).toBe("x");
    expect(link({ url: "/knowledge/d1?chunk=d1%3A0", label: "Guide" })).toBe("[Guide](/knowledge/d1?chunk=d1%3A0)");
    expect(link({ url: "https://a.test/p (1)", label: "a" })).toBe("[a](https://a.test/p%20%281%29)");
  });
});

describe("offline planner: meta tools mode", () => {
  const everyProvider = { tools: toolRegistry.list().filter((t) => t.source.integration), unavailable: [] };
  const metaTools = toolMenu(everyProvider, 4).tools;

  it("searches for the tool, calls it through tools_call, then answers", () => {
    const messages: ModelMessage[] = [user("list my repos")];
    const first = plan({ messages, tools: metaTools }, clock);
    expect(first.toolCalls[0]).toMatchObject({ name: "tools_search" });
    expect(JSON.parse(first.toolCalls[0]!.arguments)).toEqual({ query: "github list repos", limit: 10 });
    messages.push({ role: "assistant", content: null, toolCalls: first.toolCalls });
    messages.push({ role: "tool", toolCallId: first.toolCalls[0]!.id, name: "tools_search", content: JSON.stringify({ matches: [{ name: "github.list_repos" }, { name: "github.list_issues" }] }) });

    const second = plan({ messages, tools: metaTools }, clock);
    expect(second.toolCalls[0]!.name).toBe("tools_call");
    expect(second.toolCalls[0]!.id).not.toBe(first.toolCalls[0]!.id);
    expect(JSON.parse(second.toolCalls[0]!.arguments)).toEqual({ name: "github.list_repos", arguments: { limit: 20 } });
    messages.push({ role: "assistant", content: null, toolCalls: second.toolCalls });
    messages.push({ role: "tool", toolCallId: second.toolCalls[0]!.id, name: "tools_call", content: JSON.stringify({ items: [{ fullName: "octo/hello", private: false, source: { url: "https://github.com/octo/hello", label: "octo/hello" } }], more: null }) });

    const third = plan({ messages, tools: metaTools }, clock);
    expect(third.finishReason).toBe("stop");
    expect(third.content).toContain("- [octo/hello](https://github.com/octo/hello)");
  });

  it("a tool the search does not find means its integration is not connected", () => {
    const messages: ModelMessage[] = [user("search my email for invoice")];
    const first = plan({ messages, tools: metaTools }, clock);
    messages.push({ role: "assistant", content: null, toolCalls: first.toolCalls });
    messages.push({ role: "tool", toolCallId: first.toolCalls[0]!.id, name: "tools_search", content: JSON.stringify({ matches: [], available: ["github.list_repos"] }) });
    expect(plan({ messages, tools: metaTools }, clock).content).toContain("Gmail isn't connected. Connect Gmail");
  });
});

describe("OfflinePlanner", () => {
  it("is labelled, offline, free, and deterministic for the same conversation and clock", async () => {
    const model = new OfflinePlanner({ now: () => NOW });
    expect(model).toMatchObject({ id: "offline-planner", label: "Offline planner", offline: true });
    const req = { messages: [user("what's on my calendar tomorrow")], tools: everyTool };
    const a = await model.complete(req);
    expect(a.usage).toEqual({ promptTokens: 0, completionTokens: 0 });
    expect(await model.complete(req)).toEqual(a);
  });

  it("a new turn starts afresh: calls of an earlier turn are not taken for this one's", async () => {
    const model = new OfflinePlanner({ now: () => NOW });
    const earlier = withResult("list my repos", { items: [], more: null });
    const res = await model.complete({ messages: [...earlier.messages, { role: "assistant", content: "none" }, user("list my repos")], tools: everyTool });
    expect(res.toolCalls[0]).toMatchObject({ name: "github.list_repos", id: "planner_5_1" });
  });
});
