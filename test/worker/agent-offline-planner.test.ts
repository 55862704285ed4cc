import { describe, expect, it } from "vitest";
import type { ModelMessage } from "../../worker/agent/model";
import { OfflinePlanner } from "../../worker/agent/offline-planner";
import type { ToolOutcome } from "../../worker/contract/tools";
import type { ProviderId } from "../../worker/integrations/providers";
import { liveToolContext, toolsForUser } from "../../worker/tools/live";
import { toolMenu } from "../../worker/tools/meta";
import "../../worker/kb/routes";
import { addDocument, GUIDE, quietEnv, runIndexing } from "./kb-helpers";
import { recordingRuntime, resultOf, runTool, sandboxUser, simulate, toolEnv } from "./tools-helpers";

/**
 * The offline planner completing each example request against the sandbox
 * providers: the live tool list of the user, the tool menu (direct, or meta
 * past the threshold), every call through `menu.call` with the live context,
 * each outcome handed back as the tool message, until the planner answers.
 */

const EVERY: ProviderId[] = ["gmail", "calendar", "slack", "github"];
const MAX_STEPS = 8;

async function turn(userId: string, text: string, { threshold = 16, now = Date.now() } = {}) {
  const planner = new OfflinePlanner({ now: () => now });
  const menu = toolMenu(await toolsForUser(toolEnv, userId), threshold);
  const ctx = liveToolContext(toolEnv, userId, recordingRuntime());
  const messages: ModelMessage[] = [{ role: "user", content: text }];
  const outcomes: Array<{ call: string; args: unknown; outcome: ToolOutcome }> = [];
  for (let step = 0; step < MAX_STEPS; step += 1) {
    const res = await planner.complete({ messages, tools: menu.tools });
    expect(res.usage).toEqual({ promptTokens: 0, completionTokens: 0 });
    if (res.toolCalls.length === 0) {
      expect(res.finishReason).toBe("stop");
      return { answer: res.content, outcomes, mode: menu.mode };
    }
    messages.push({ role: "assistant", content: res.content || null, toolCalls: res.toolCalls });
    for (const call of res.toolCalls) {
      const outcome = await menu.call(call.name, call.arguments, ctx);
      outcomes.push({ call: call.name, args: JSON.parse(call.arguments), outcome });
      messages.push({ role: "tool", toolCallId: call.id, name: call.name, content: JSON.stringify(outcome) });
    }
  }
  throw new Error(`no answer after ${MAX_STEPS} steps`);
}

describe("offline planner against the sandbox: every example request completes", () => {
  it("“search my email for invoice”: both seeded invoices, each with its Gmail link", async () => {
    const u = await sandboxUser(EVERY);
    const { answer, outcomes } = await turn(u.userId, "search my email for invoice");
    expect(outcomes.map((o) => [o.call, o.outcome.ok])).toEqual([["gmail.search_messages", true]]);
    const items = resultOf<{ items: Array<{ id: string }> }>(outcomes[0]!.outcome).items;
    expect(answer).toContain("Found 2 messages matching “invoice” in your Gmail:");
    expect(answer).toContain("[Invoice INV-2041 for October is ready](https://mail.google.com/mail/u/0/#all/");
    expect(answer).toContain("[Receipt for your payment (invoice \\#8812)](https://mail.google.com/mail/u/0/#all/");
    for (const m of items) expect(answer).toContain(`#all/${m.id})`);
  });

  it("“what's on my calendar tomorrow”: tomorrow's range from the injected clock, the event that falls in it, with its link", async () => {
    const u = await sandboxUser(EVERY);
    const now = Date.now();
    const { answer, outcomes } = await turn(u.userId, "what's on my calendar tomorrow", { now });
    const tomorrow = Math.floor(now / 86_400_000) * 86_400_000 + 86_400_000;
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.args).toMatchObject({ timeMin: new Date(tomorrow).toISOString().replace(".000Z", "Z"), timeMax: new Date(tomorrow + 86_400_000).toISOString().replace(".000Z", "Z") });
    const events = resultOf<{ items: Array<{ summary: string; start: string; source: { url: string } }> }>(outcomes[0]!.outcome).items;
    // The sandbox seeds events 20, 44 and 68 hours ahead: exactly one of the first two falls on tomorrow (UTC).
    expect(events).toHaveLength(1);
    expect(Date.parse(events[0]!.start)).toBeGreaterThanOrEqual(tomorrow);
    expect(answer).toContain("1 event on your calendar tomorrow");
    expect(answer).toContain(`[${events[0]!.summary}](${events[0]!.source.url})`);
  });

  it("“post hello to #general”: posted, and the channel has it; the answer links the permalink", async () => {
    const u = await sandboxUser(EVERY);
    const { answer, outcomes } = await turn(u.userId, "post hello to #general");
    expect(outcomes.map((o) => o.call)).toEqual(["slack.post_message"]);
    const posted = resultOf<{ ts: string; source: { url: string } }>(outcomes[0]!.outcome);
    expect(answer).toBe(`Posted to [\\#general](${posted.source.url}): “hello”`);
    const read = resultOf<{ items: Array<{ ts: string; text: string }> }>(await runTool(u.userId, "slack.read_channel", { channel: "#general" }));
    expect(read.items.find((m) => m.ts === posted.ts)?.text).toBe("hello");
  });

  it("“list my repos”, then “create an issue in owner/repo titled …”: the issue exists, the answer links it", async () => {
    const u = await sandboxUser(EVERY);
    const repos = await turn(u.userId, "list my repos");
    const list = resultOf<{ items: Array<{ fullName: string; source: { url: string } }> }>(repos.outcomes[0]!.outcome).items;
    expect(list.map((r) => r.fullName.split("/")[1]).sort()).toEqual(["handbook", "notes", "taskpilot-demo"]);
    for (const r of list) expect(repos.answer).toContain(`[${r.fullName}](${r.source.url})`);

    const demo = list.find((r) => r.fullName.endsWith("/taskpilot-demo"))!.fullName;
    const created = await turn(u.userId, `create an issue in ${demo} titled Offline planner check`);
    expect(created.outcomes[0]).toMatchObject({ call: "github.create_issue", args: { repo: demo, title: "Offline planner check" } });
    const issue = resultOf<{ number: number; source: { url: string } }>(created.outcomes[0]!.outcome);
    expect(created.answer).toBe(`Opened [${demo}\\#${issue.number}](${issue.source.url}): **Offline planner check**`);
    const open = resultOf<{ items: Array<{ number: number; title: string }> }>(await runTool(u.userId, "github.list_issues", { repo: demo }));
    expect(open.items.find((i) => i.number === issue.number)?.title).toBe("Offline planner check");
  });

  it("“search my notes for …”: told to upload first while nothing is indexed; then the passages, each linked to its place", async () => {
    const u = await sandboxUser(EVERY);
    expect((await turn(u.userId, "search my notes for telescope")).answer).toBe(
      "Your knowledge base has no indexed documents yet, so there is nothing to search. Upload some on the [Knowledge page](/knowledge), then ask again.",
    );
    const q = quietEnv();
    const doc = await addDocument(q, { id: u.userId, token: "" }, "Field guide.md", GUIDE);
    expect(await runIndexing(q, { id: u.userId, token: "" }, doc)).toBe("indexed");

    const { answer, outcomes } = await turn(u.userId, "search my notes for refracting telescope");
    expect(outcomes.map((o) => o.call)).toEqual(["kb.search"]);
    expect(answer).toMatch(/^Found \d+ notes? matching “refracting telescope”:/);
    expect(answer).toContain(`[Field guide.md › Observatory](/knowledge/${doc.id}?chunk=${encodeURIComponent(`${doc.id}:`)}`);
    expect(answer).toContain("refracting telescope");
  });

  it("past the meta-tools threshold the same request goes through tools_search and tools_call", async () => {
    const u = await sandboxUser(EVERY);
    const { answer, outcomes, mode } = await turn(u.userId, "search my email for invoice", { threshold: 4 });
    expect(mode).toBe("meta");
    expect(outcomes.map((o) => [o.call, o.outcome.ok])).toEqual([
      ["tools_search", true],
      ["tools_call", true],
    ]);
    expect(outcomes[1]!.args).toEqual({ name: "gmail.search_messages", arguments: { query: "invoice", limit: 10 } });
    expect(answer).toContain("Found 2 messages matching “invoice” in your Gmail:");
  });
});

describe("offline planner against the sandbox: what it cannot do", () => {
  it("a request whose integration is not connected names the integration, directly and in meta mode", async () => {
    const u = await sandboxUser(["gmail"]);
    const direct = await turn(u.userId, "list my repos");
    expect(direct.outcomes).toEqual([]);
    expect(direct.answer).toBe("I can't list your GitHub repositories yet: GitHub isn't connected. Connect GitHub on the [Integrations page](/integrations), then ask again.");
    const meta = await turn(u.userId, "post hello to #general", { threshold: 1 });
    expect(meta.outcomes.map((o) => o.call)).toEqual(["tools_search"]);
    expect(meta.answer).toContain("Slack isn't connected. Connect Slack on the [Integrations page](/integrations)");
  });

  it("a provider failing mid-turn is told in words, and the turn still ends with an answer", async () => {
    const u = await sandboxUser(EVERY);
    await simulate("google", u.grants.gmail.access_token, "server_error", 3);
    const { answer, outcomes } = await turn(u.userId, "search my email for invoice");
    expect(outcomes[0]!.outcome).toMatchObject({ ok: false, error: { provider: "gmail" } });
    expect(answer).toMatch(/^Gmail could not do it: /);
  });

  it("a Slack channel that does not exist: the provider's refusal, in words", async () => {
    const u = await sandboxUser(EVERY);
    const { answer } = await turn(u.userId, "post hello to #no-such-channel");
    expect(answer).toBe("Slack could not do it: Slack has no channel named \\#no-such-channel that this workspace can see.");
  });
});
