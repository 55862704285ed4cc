import { countTokens } from "gpt-tokenizer";
import { countChatCompletionTokens } from "gpt-tokenizer/model/gpt-4o-mini";
import type { ModelMessage } from "../worker/agent/model";
import { OFFLINE_EXAMPLES, plan } from "../worker/agent/offline-planner";
import type { Tool } from "../worker/contract/integrations";
import type { ToolSet } from "../worker/tools/call";
import { toolMenu } from "../worker/tools/meta";
import { asFunctionTools } from "../worker/tools/names";
import { describeTool, toolRegistry } from "../worker/tools/registry";

/**
 * The agent's pure measurements for `npm run bench`, bundled for Node by
 * bench/agent.mjs: the tool-list payload in tokens (gpt-tokenizer,
 * o200k_base) with every provider connected, as the full list and as the
 * meta tools; and the offline planner's planning time per step over the
 * example requests it answers.
 */

export interface PayloadFigure {
  mode: "direct" | "meta";
  tools: number;
  /** Tokens of the JSON `tools` array as sent. */
  jsonTokens: number;
  /** Tokens as the model renders the function list (what OpenAI bills). */
  renderedTokens: number;
}

function payload(tools: Tool[], mode: "direct" | "meta"): PayloadFigure {
  const functions = asFunctionTools(tools);
  const rendered = countChatCompletionTokens!({
    messages: [],
    functions: functions.map((f) => f.function) as unknown as NonNullable<Parameters<NonNullable<typeof countChatCompletionTokens>>[0]["functions"]>,
  });
  return { mode, tools: tools.length, jsonTokens: countTokens(JSON.stringify(functions)), renderedTokens: rendered };
}

export function toolPayload(): { everyProvider: PayloadFigure; metaTools: PayloadFigure; budgetTokens: number } {
  const set: ToolSet = { tools: toolRegistry.list().filter((t) => t.source.integration), unavailable: [] };
  const direct = toolMenu(set, Number.MAX_SAFE_INTEGER);
  const meta = toolMenu(set, 1);
  return { everyProvider: payload(direct.tools, direct.mode), metaTools: payload(meta.tools, meta.mode), budgetTokens: 2_500 };
}

const NOW = Date.parse("2026-12-01T20:30:00Z");
const link = (url: string, label: string) => ({ url, label });

/** A typical result of each example's tool, to time the composing step on. */
const RESULTS: Record<string, unknown> = {
  "gmail.search_messages": {
    items: [
      { id: "m1", from: "Acme Billing <billing@acme.example>", subject: "Invoice INV-2041 for October is ready", date: "2026-11-28T09:00:00.000Z", snippet: "Your invoice INV-2041 is attached", source: link("https://mail.google.com/mail/u/0/#all/m1", "Invoice INV-2041") },
      { id: "m2", from: "Payments <pay@shop.example>", subject: "Receipt for your payment (invoice #8812)", date: "2026-11-30T10:00:00.000Z", snippet: "We received your payment", source: link("https://mail.google.com/mail/u/0/#all/m2", "Receipt") },
    ],
    more: null,
  },
  "calendar.list_events": {
    items: [{ id: "e1", summary: "Planning session", start: "2026-12-02T16:30:00Z", end: "2026-12-02T17:30:00Z", location: "Room 4B", source: link("https://calendar.google.com/event?eid=e1", "Planning session") }],
    more: null,
  },
  "slack.post_message": { channel: { id: "C01", name: "general" }, ts: "1764620000.000100", source: link("https://sandbox.slack.com/archives/C01/p1764620000000100", "#general") },
  "github.create_issue": { number: 2, title: "Fix the login page", state: "open", source: link("https://github.com/owner/repo/issues/2", "owner/repo#2") },
  "github.list_repos": {
    items: [
      { fullName: "octo/taskpilot-demo", private: false, defaultBranch: "main", description: "A demo repository", source: link("https://github.com/octo/taskpilot-demo", "octo/taskpilot-demo") },
      { fullName: "octo/notes", private: true, defaultBranch: "main", description: "Personal notes", source: link("https://github.com/octo/notes", "octo/notes") },
    ],
    more: null,
  },
  "kb.search": { items: [{ title: "Onboarding", snippet: "Day one checklist", source: link("https://notes.example/onboarding", "Onboarding.md") }], more: null },
};

const kbTool: Tool = { name: "kb.search", provider: "kb", description: "Search the user's notes.", parameters: { type: "object", properties: { query: { type: "string" } } } };

/**
 * Each example request's two planner steps — choosing the call, and writing
 * the answer from its result — timed `rounds` times each (after `warmup`),
 * in microseconds.
 */
export function plannerSteps(rounds: number, warmup: number): { samplesUs: number[]; requests: readonly string[] } {
  const tools = [...toolRegistry.list().map(describeTool), kbTool];
  const conversations = OFFLINE_EXAMPLES.flatMap((text) => {
    const first: ModelMessage[] = [{ role: "user", content: text }];
    const call = plan({ messages: first, tools }, { now: NOW }).toolCalls[0];
    if (!call) throw new Error(`the planner made no call for "${text}"`);
    const answered: ModelMessage[] = [
      ...first,
      { role: "assistant", content: null, toolCalls: [call] },
      { role: "tool", toolCallId: call.id, name: call.name, content: JSON.stringify({ ok: true, tool: call.name, result: RESULTS[call.name], durationMs: 1 }) },
    ];
    const final = plan({ messages: answered, tools }, { now: NOW });
    if (final.toolCalls.length > 0 || !final.content.includes("](")) throw new Error(`the planner's answer to "${text}" cites no source`);
    return [first, answered];
  });
  const samplesUs: number[] = [];
  for (let round = 0; round < warmup + rounds; round += 1) {
    for (const messages of conversations) {
      const started = performance.now();
      plan({ messages, tools }, { now: NOW });
      if (round >= warmup) samplesUs.push((performance.now() - started) * 1000);
    }
  }
  return { samplesUs, requests: OFFLINE_EXAMPLES };
}
