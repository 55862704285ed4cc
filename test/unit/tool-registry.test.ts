import { describe, expect, it } from "vitest";
import { z } from "zod";
import { PROVIDER_IDS, providerSpec } from "../../worker/integrations/providers";
import { defineTool, type ToolSource } from "../../worker/tools/define";
import { messageText, rawMessage } from "../../worker/tools/gmail";
import { searchTools } from "../../worker/tools/meta";
import { describeTool, ToolRegistry, toolRegistry } from "../../worker/tools/registry";
import { clip, itemList, MAX_ITEMS } from "../../worker/tools/results";

const tool = (name: string) => defineTool({ name, description: "d", parameters: z.object({}), run: async () => ({}) });

describe("the registry", () => {
  it("holds exactly the eleven integration tools, in the order providers.ts lists them for the Integrations page", () => {
    expect(toolRegistry.list().map((t) => t.name)).toEqual(PROVIDER_IDS.flatMap((p) => providerSpec(p).tools));
    expect(toolRegistry.list()).toHaveLength(11);
    for (const t of toolRegistry.list()) {
      const d = describeTool(t);
      expect(d.provider).toBe(t.name.split(".")[0]);
      expect(d.description.length).toBeGreaterThan(20);
      expect(d.parameters).toMatchObject({ type: "object" });
    }
  });

  it.each([
    ["a name outside its source's prefix", { id: "kb", tools: [tool("notes.search")] }, /must be named "kb.\{action\}"/],
    ["a malformed name", { id: "kb", tools: [tool("kb.Search")] }, /must be named/],
    ["an integration's id without the integration", { id: "gmail", tools: [tool("gmail.extra")] }, /is an integration/],
    ["an integration whose tools providers.ts does not list", { id: "github", integration: "github", tools: [tool("github.list_repos")] }, /differ from its registered tools/],
  ] as Array<[string, ToolSource, RegExp]>)("refuses %s", (_what, source, message) => {
    expect(() => new ToolRegistry().register(source)).toThrow(message);
  });

  it("refuses a name registered twice, and unregistering frees it", () => {
    const registry = new ToolRegistry();
    const off = registry.register({ id: "kb", tools: [tool("kb.search")] });
    expect(() => registry.register({ id: "kb", tools: [tool("kb.search")] })).toThrow(/registered twice/);
    off();
    expect(registry.get("kb.search")).toBeUndefined();
    expect(() => registry.register({ id: "kb", tools: [tool("kb.search")] })).not.toThrow();
  });
});

describe("tools_search ranking", () => {
  const all = toolRegistry.list();
  it.each([
    ["search my email", "gmail.search_messages"],
    ["send an email", "gmail.send_email"],
    ["what is on my calendar", "calendar.list_events"],
    ["post to a slack channel", "slack.post_message"],
    ["create a github issue", "github.create_issue"],
    ["list repositories", "github.list_repos"],
  ])("%s → %s first", (query, expected) => {
    expect(searchTools(all, query, 5)[0]?.name).toBe(expected);
  });

  it("finds nothing for words no tool has, and honours the limit", () => {
    expect(searchTools(all, "zebra unicorn", 5)).toEqual([]);
    expect(searchTools(all, "list", 2)).toHaveLength(2);
  });
});

describe("result caps", () => {
  it("clips at code points and says how much was left", () => {
    expect(clip("abc", 5)).toEqual({ text: "abc" });
    expect(clip("😀😀😀", 2)).toEqual({ text: "😀😀", omittedChars: 1 });
  });

  it.each([
    ["everything fits", 3, {}, 3, null],
    ["the provider gave more than asked, no cursor", 2, {}, 2, { count: 1, cursor: null }],
    ["a cursor, no count", 3, { cursor: "p2" }, 3, { count: null, cursor: "p2" }],
    ["a total (Gmail's estimate)", 3, { cursor: "p2", total: 10 }, 3, { count: 7, cursor: "p2" }],
    ["never past MAX_ITEMS", 50, {}, 3, null],
  ])("%s", (_what, limit, next, shown, more) => {
    const list = itemList(["a", "b", "c"], limit, next);
    expect(list.items).toHaveLength(shown);
    expect(list.more).toEqual(more);
  });

  it("MAX_ITEMS is 20", () => {
    expect(itemList(Array.from({ length: 30 }, (_, i) => i), 100).items).toHaveLength(MAX_ITEMS);
    expect(MAX_ITEMS).toBe(20);
  });
});

describe("Gmail message encoding", () => {
  const decode = (raw: string) => new TextDecoder().decode(Uint8Array.from(atob(raw.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)));

  it("builds RFC 5322 with CRLF lines, an RFC 2047 subject when not ASCII, and a UTF-8 body", () => {
    const text = decode(rawMessage({ to: ["a@example.com", "b@example.com"], cc: ["c@example.com"], subject: "Grüße — Q3", body: "line 1\nline 2 ü" }));
    const [head, body] = text.split("\r\n\r\n");
    expect(head!.split("\r\n")).toEqual([
      "To: a@example.com, b@example.com",
      "Cc: c@example.com",
      `Subject: =?UTF-8?B?${btoa(String.fromCharCode(...new TextEncoder().encode("Grüße — Q3")))}?=`,
      "MIME-Version: 1.0",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: 8bit",
    ]);
    expect(body).toBe("line 1\r\nline 2 ü");
  });

  it("reads the text/plain part of a multipart message, else the HTML part's text", () => {
    const b64 = (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_");
    expect(messageText({ mimeType: "multipart/alternative", parts: [{ mimeType: "text/html", body: { data: b64("<p>html</p>") } }, { mimeType: "text/plain", body: { data: b64("plain") } }] })).toBe("plain");
    expect(messageText({ mimeType: "multipart/mixed", parts: [{ mimeType: "text/html", body: { data: b64("<style>x{}</style><p>Hi&nbsp;there</p>") } }] })).toBe("Hi there");
  });
});
