import { describe, expect, it } from "vitest";
import { asFunctionTools, fromFunctionName, isToolName, toFunctionName } from "../../worker/tools/names";
import { toolRegistry } from "../../worker/tools/registry";

/** OpenAI function names must match ^[a-zA-Z0-9_-]{1,64}$ (no dots); the mapping is one file and reversible. */
const OPENAI_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

describe("tool name ↔ function name", () => {
  it.each([
    ["gmail.search_messages", "gmail__search_messages"],
    ["gmail.get_message", "gmail__get_message"],
    ["gmail.send_email", "gmail__send_email"],
    ["calendar.list_events", "calendar__list_events"],
    ["calendar.create_event", "calendar__create_event"],
    ["slack.list_channels", "slack__list_channels"],
    ["slack.read_channel", "slack__read_channel"],
    ["slack.post_message", "slack__post_message"],
    ["github.list_repos", "github__list_repos"],
    ["github.list_issues", "github__list_issues"],
    ["github.create_issue", "github__create_issue"],
    ["kb.search", "kb__search"],
    ["tools_search", "tools_search"],
    ["tools_call", "tools_call"],
  ])("%s ↔ %s", (name, fn) => {
    expect(toFunctionName(name)).toBe(fn);
    expect(fn).toMatch(OPENAI_NAME);
    expect(fromFunctionName(fn)).toBe(name);
  });

  it.each(["gmail.search", "a.b_c", "x"])("accepts %s", (name) => expect(isToolName(name)).toBe(true));

  it.each([
    ["a dot too many", "gmail.search.messages"],
    ["a double underscore inside a part (would map back wrongly)", "gmail.search__messages"],
    ["a leading underscore", "gmail._search"],
    ["a trailing underscore", "gmail.search_"],
    ["upper case", "Gmail.search"],
    ["a hyphen", "gmail.search-messages"],
    ["empty", ""],
    ["longer than a function name may be", `a.${"b".repeat(62)}`],
  ])("refuses %s", (_why, name) => {
    expect(isToolName(name)).toBe(false);
    expect(() => toFunctionName(name)).toThrow();
  });

  it.each([
    ["three underscores", "gmail___search"],
    ["two separators", "a__b__c"],
    ["a dot", "gmail.search"],
    ["65 characters", `a__${"b".repeat(62)}`],
    ["an unregistered shape", "-x"],
  ])("maps no function name with %s back to a tool", (_why, fn) => {
    expect(fromFunctionName(fn)).toBeUndefined();
  });

  it("every registered tool has a valid, distinct function name", () => {
    const fns = asFunctionTools(toolRegistry.list().map((t) => ({ name: t.name, description: t.description, parameters: t.jsonSchema })));
    for (const f of fns) expect(f.function.name).toMatch(OPENAI_NAME);
    expect(new Set(fns.map((f) => f.function.name)).size).toBe(fns.length);
  });
});
