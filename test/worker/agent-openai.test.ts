import { env } from "cloudflare:test";
import OpenAI from "openai";
import { describe, expect, inject, it } from "vitest";
import { readConfig } from "../../worker/config";
import type { Tool } from "../../worker/contract/integrations";
import type { ModelMessage } from "../../worker/agent/model";
import { chatModelFor } from "../../worker/agent/models";
import { OfflinePlanner } from "../../worker/agent/offline-planner";
import { OpenAIChatModel } from "../../worker/agent/openai-model";
import { AppError } from "../../worker/errors";
import { toolMenu } from "../../worker/tools/meta";
import { describeTool, toolRegistry } from "../../worker/tools/registry";
import type { ScriptedResponse } from "./fake-openai-server";
import { recordingRuntime, resultOf, sandboxUser, toolEnv } from "./tools-helpers";
import { liveToolContext, toolsForUser } from "../../worker/tools/live";
import { costOf } from "../../worker/agent/pricing";
import { createSession, detail, inject as injectModel, sendMessage } from "./agent-helpers";

/**
 * The OpenAI-compatible model running the real `openai` SDK inside workerd
 * against the fake chat-completions server (test/worker/fake-openai-server.ts),
 * which refuses what the real API refuses. Each test has its own API key, the
 * key its script and recorded requests are filed under.
 */

const SERVER = inject("openaiServerUrl");
const gmailTools: Tool[] = toolRegistry.list().filter((t) => t.source.id === "gmail").map(describeTool);

let keys = 0;
const newKey = () => `sk-test-${Date.now().toString(36)}-${(keys += 1)}-${crypto.randomUUID().slice(0, 8)}`;

async function script(key: string, responses: ScriptedResponse[]) {
  const res = await fetch(`${SERVER}/__script`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key, responses }) });
  expect(res.status).toBe(204);
}

async function requests(key: string): Promise<Array<{ status: number; body: any }>> {
  return ((await (await fetch(`${SERVER}/__requests?key=${encodeURIComponent(key)}`)).json()) as { requests: Array<{ status: number; body: any }> }).requests;
}

/** A model as `chatModelFor` builds it from the environment, OPENAI_BASE_URL pointing at the fake server. */
function modelFor(key: string, overrides: Parameters<typeof chatModelFor>[1] = { openai: { maxRetries: 0 } }) {
  const cfg = readConfig({ ...env, OPENAI_API_KEY: key, OPENAI_BASE_URL: `${SERVER}/v1`, OPENAI_MODEL: "gpt-4o-mini" });
  return chatModelFor(cfg, overrides);
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

const user = (content: string): ModelMessage => ({ role: "user", content });

describe("chatModelFor", () => {
  it("picks the OpenAI-compatible model when OPENAI_API_KEY is set, the offline planner otherwise", () => {
    const online = modelFor(newKey());
    expect(online).toBeInstanceOf(OpenAIChatModel);
    expect(online).toMatchObject({ id: "gpt-4o-mini", label: "gpt-4o-mini", offline: false });
    const offline = chatModelFor(readConfig({ ...env, OPENAI_API_KEY: "" }));
    expect(offline).toBeInstanceOf(OfflinePlanner);
    expect(offline).toMatchObject({ id: "offline-planner", label: "Offline planner", offline: true });
  });
});

describe("OpenAI-compatible model against the fake server", () => {
  it("sends the tools under API function names and maps the tool call back to the registry name; usage is read", async () => {
    const key = newKey();
    await script(key, [{ toolCalls: [{ id: "call_a", name: "gmail__search_messages", arguments: { query: "invoice" } }], usage: { prompt_tokens: 812, completion_tokens: 23 } }]);
    const res = await modelFor(key).complete({ messages: [{ role: "system", content: "Be brief." }, user("search my email for invoice")], tools: gmailTools });
    expect(res).toEqual({
      content: "",
      toolCalls: [{ id: "call_a", name: "gmail.search_messages", arguments: '{"query":"invoice"}' }],
      usage: { promptTokens: 812, completionTokens: 23 },
      finishReason: "tool_calls",
    });
    const [sent] = await requests(key);
    expect(sent!.status).toBe(200);
    expect(sent!.body.model).toBe("gpt-4o-mini");
    expect(sent!.body.tools.map((t: any) => t.function.name)).toEqual(["gmail__search_messages", "gmail__get_message", "gmail__send_email"]);
    for (const t of sent!.body.tools) expect(t.function.parameters.type).toBe("object");
    expect(sent!.body.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "search my email for invoice" },
    ]);
  });

  it("returns every parallel tool call of one response, and the answered calls go back under their ids", async () => {
    const key = newKey();
    await script(key, [
      {
        toolCalls: [
          { id: "call_1", name: "gmail__search_messages", arguments: { query: "invoice" } },
          { id: "call_2", name: "gmail__get_message", arguments: { id: "m1" } },
        ],
      },
      { content: "Two invoices found.", usage: { prompt_tokens: 900, completion_tokens: 12 } },
    ]);
    const model = modelFor(key);
    const messages: ModelMessage[] = [user("invoices?")];
    const first = await model.complete({ messages, tools: gmailTools });
    expect(first.toolCalls.map((c) => [c.id, c.name])).toEqual([
      ["call_1", "gmail.search_messages"],
      ["call_2", "gmail.get_message"],
    ]);
    messages.push({ role: "assistant", content: null, toolCalls: first.toolCalls });
    for (const c of first.toolCalls) messages.push({ role: "tool", toolCallId: c.id, name: c.name, content: `{"ok":true,"for":"${c.id}"}` });
    const second = await model.complete({ messages, tools: gmailTools });
    expect(second).toMatchObject({ content: "Two invoices found.", toolCalls: [], finishReason: "stop", usage: { promptTokens: 900, completionTokens: 12 } });
    const sent = (await requests(key))[1]!;
    expect(sent.status).toBe(200);
    expect(sent.body.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "gmail__search_messages", arguments: '{"query":"invoice"}' } },
          { id: "call_2", type: "function", function: { name: "gmail__get_message", arguments: '{"id":"m1"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: '{"ok":true,"for":"call_1"}' },
      { role: "tool", tool_call_id: "call_2", content: '{"ok":true,"for":"call_2"}' },
    ]);
  });

  it("meta tools go out as they are, and a turn with no tools sends no tools array (which the API would refuse)", async () => {
    const key = newKey();
    await script(key, [{ toolCalls: [{ name: "tools_call", arguments: { name: "gmail.search_messages", arguments: { query: "x" } } }] }, { content: "hi" }]);
    const everyProvider = { tools: toolRegistry.list().filter((t) => t.source.integration), unavailable: [] };
    const model = modelFor(key);
    const res = await model.complete({ messages: [user("x")], tools: toolMenu(everyProvider, 4).tools });
    expect(res.toolCalls[0]!.name).toBe("tools_call");
    expect(await model.complete({ messages: [user("hello")], tools: [] })).toMatchObject({ content: "hi", finishReason: "stop" });
    const [meta, bare] = await requests(key);
    expect(meta!.body.tools.map((t: any) => t.function.name)).toEqual(["tools_search", "tools_call"]);
    expect(bare!.body).not.toHaveProperty("tools");
  });
});

describe("what the real API refuses is refused, and surfaces as a clean model_rejected", () => {
  it("dotted function names are refused by the server: the mapping is what keeps them out", async () => {
    const key = newKey();
    const raw = new OpenAI({ apiKey: key, baseURL: `${SERVER}/v1`, maxRetries: 0 });
    const e = await raw.chat.completions
      .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], tools: [{ type: "function", function: { name: "gmail.search_messages", parameters: { type: "object" } } }] })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(e).toBeInstanceOf(OpenAI.BadRequestError);
    expect((e as InstanceType<typeof OpenAI.BadRequestError>).message).toContain("Invalid 'tools[0].function.name': string does not match pattern");
    // Through the model, the same tool goes out as gmail__search_messages and is accepted.
    await modelFor(key).complete({ messages: [user("x")], tools: gmailTools.slice(0, 1) });
    expect((await requests(key)).map((r) => r.status)).toEqual([400, 200]);
  });

  it("a tool whose parameters are not an object schema", async () => {
    const key = newKey();
    const bad: Tool = { name: "gmail.search_messages", provider: "gmail", description: "x", parameters: { type: "string" } };
    const e = await failure(modelFor(key).complete({ messages: [user("x")], tools: [bad] }));
    expect(e).toMatchObject({ status: 502, code: "model_rejected", extra: { providerStatus: 400, providerCode: "invalid_function_parameters", param: "tools[0].function.parameters" } });
    expect(e.detail).toBe(`The model API refused the request: Invalid schema for function 'gmail__search_messages': schema must be a JSON Schema of 'type: "object"', got 'type: "string"'.`);
  });

  it("a tool message with no tool_call_id, or one no assistant message asked for", async () => {
    const key = newKey();
    const model = modelFor(key);
    const asked: ModelMessage = { role: "assistant", content: null, toolCalls: [{ id: "call_x", name: "gmail.search_messages", arguments: "{}" }] };
    const missing = await failure(model.complete({ messages: [user("x"), asked, { role: "tool", toolCallId: "", name: "gmail.search_messages", content: "{}" }], tools: gmailTools }));
    expect(missing).toMatchObject({ code: "model_rejected", extra: { providerCode: "missing_required_parameter", param: "messages[2].tool_call_id" } });
    const stray = await failure(model.complete({ messages: [user("x"), asked, { role: "tool", toolCallId: "call_other", name: "gmail.search_messages", content: "{}" }], tools: gmailTools }));
    expect(stray.detail).toContain("messages with role 'tool' must be a response to a preceeding message with 'tool_calls'");
  });

  it("an assistant tool call left unanswered before the next message", async () => {
    const key = newKey();
    const asked: ModelMessage = {
      role: "assistant",
      content: null,
      toolCalls: [
        { id: "call_1", name: "gmail.search_messages", arguments: "{}" },
        { id: "call_2", name: "gmail.get_message", arguments: "{}" },
      ],
    };
    const e = await failure(modelFor(key).complete({ messages: [user("x"), asked, { role: "tool", toolCallId: "call_1", name: "gmail.search_messages", content: "{}" }, user("and?")], tools: gmailTools }));
    expect(e.detail).toContain("must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: call_2");
    // The same when the conversation ends on the unanswered call.
    const last = await failure(modelFor(key).complete({ messages: [user("x"), asked], tools: gmailTools }));
    expect(last.detail).toContain("did not have response messages: call_1, call_2");
    expect((await requests(key)).map((r) => r.status)).toEqual([400, 400]);
  });
});

describe("model failures are AppErrors with stable codes and no key in them", () => {
  it("401: model_unauthorized, without the API's text (which quotes the key)", async () => {
    const key = newKey();
    await script(key, [{ status: 401, body: { error: { message: `Incorrect API key provided: ${key}. You can find your API key at …`, type: "invalid_request_error", code: "invalid_api_key" } } }]);
    const e = await failure(modelFor(key).complete({ messages: [user("x")], tools: [] }));
    expect(e).toMatchObject({ status: 502, code: "model_unauthorized", extra: { providerStatus: 401, providerCode: "invalid_api_key" } });
    expect(JSON.stringify({ detail: e.detail, extra: e.extra })).not.toContain(key);
  });

  it("a refusal that echoes the key has it scrubbed", async () => {
    const key = newKey();
    await script(key, [{ status: 400, body: { error: { message: `bad request for ${key}`, type: "invalid_request_error", code: null } } }]);
    const e = await failure(modelFor(key).complete({ messages: [user("x")], tools: [] }));
    expect(e.code).toBe("model_rejected");
    expect(e.detail).toBe("The model API refused the request: bad request for [key]");
  });

  it("429: model_rate_limited with the Retry-After it asked for; 5xx: model_unavailable", async () => {
    const key = newKey();
    await script(key, [
      { status: 429, body: { error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } }, headers: { "retry-after": "7" } },
      { status: 503, body: { error: { message: "overloaded", type: "server_error", code: null } } },
    ]);
    const model = modelFor(key);
    expect(await failure(model.complete({ messages: [user("x")], tools: [] }))).toMatchObject({ status: 503, code: "model_rate_limited", extra: { retryAfterSeconds: 7, providerCode: "rate_limit_exceeded" } });
    expect(await failure(model.complete({ messages: [user("x")], tools: [] }))).toMatchObject({ status: 502, code: "model_unavailable", extra: { providerStatus: 503 } });
  });

  it("an answer with no choices is model_bad_response", async () => {
    const key = newKey();
    await script(key, [{ status: 200, body: { id: "x", object: "chat.completion", created: 1, model: "gpt-4o-mini", choices: [] } }]);
    expect(await failure(modelFor(key).complete({ messages: [user("x")], tools: [] }))).toMatchObject({ code: "model_bad_response" });
  });

  it("the deadline (an injected signal) ends a call the server never answers: model_timeout; the caller's abort: model_aborted", async () => {
    const key = newKey();
    await script(key, [{ hold: true }, { hold: true }]);
    const deadline = new AbortController();
    const model = modelFor(key, { openai: { maxRetries: 0, timeoutMs: 30_000, deadline: () => deadline.signal } });
    const pending = failure(model.complete({ messages: [user("x")], tools: [] }));
    await fetch(`${SERVER}/__arrived?key=${encodeURIComponent(key)}&count=1`);
    deadline.abort();
    expect(await pending).toMatchObject({ status: 502, code: "model_timeout", detail: "The model API did not answer within 30 s." });

    const caller = new AbortController();
    const patient = modelFor(key, { openai: { maxRetries: 0, deadline: () => new AbortController().signal } });
    const cancelled = failure(patient.complete({ messages: [user("x")], tools: [], signal: caller.signal }));
    await fetch(`${SERVER}/__arrived?key=${encodeURIComponent(key)}&count=2`);
    caller.abort();
    expect(await cancelled).toMatchObject({ status: 503, code: "model_aborted" });
  });
});

describe("a turn with the fake model and a sandbox tool", () => {
  it("the model's Gmail call runs against the sandbox and its result goes back as the tool message", async () => {
    const { userId } = await sandboxUser(["gmail"]);
    const key = newKey();
    await script(key, [
      { toolCalls: [{ id: "call_g", name: "gmail__search_messages", arguments: { query: "invoice" } }], usage: { prompt_tokens: 700, completion_tokens: 20 } },
      { content: "You have two invoice emails.", usage: { prompt_tokens: 1_100, completion_tokens: 9 } },
    ]);
    const model = modelFor(key);
    const set = await toolsForUser(toolEnv, userId);
    const menu = toolMenu(set, 16);
    const messages: ModelMessage[] = [user("search my email for invoice")];
    const first = await model.complete({ messages, tools: menu.tools });
    const call = first.toolCalls[0]!;
    const outcome = await menu.call(call.name, call.arguments, liveToolContext(toolEnv, userId, recordingRuntime()));
    const found = resultOf<{ items: Array<{ subject: string; source: { url: string } }> }>(outcome);
    expect(found.items.map((m) => m.subject).sort()).toEqual(["Invoice INV-2041 for October is ready", "Receipt for your payment (invoice #8812)"]);
    messages.push({ role: "assistant", content: null, toolCalls: first.toolCalls }, { role: "tool", toolCallId: call.id, name: call.name, content: JSON.stringify(outcome) });
    const second = await model.complete({ messages, tools: menu.tools });
    expect(second).toMatchObject({ content: "You have two invoice emails.", finishReason: "stop", usage: { promptTokens: 1_100, completionTokens: 9 } });
    const sent = (await requests(key))[1]!;
    expect(sent.status).toBe(200);
    expect(JSON.parse(sent.body.messages[2].content).result.items[0].source.url).toMatch(/^https:\/\/mail\.google\.com\//);
  });
});

describe("a whole turn in an agent session with the OpenAI-compatible model", () => {
  it("runs the SDK against the fake server through the AgentSession: a sandbox Gmail step, checkpoints, and usage priced as gpt-4o-mini", async () => {
    const u = await sandboxUser(["gmail"]);
    const id = await createSession(u.token, "Invoices");
    const key = newKey();
    await script(key, [
      { toolCalls: [{ id: "call_g", name: "gmail__search_messages", arguments: { query: "invoice" } }], usage: { prompt_tokens: 700, completion_tokens: 20 } },
      { content: "You have **two** invoice emails.", usage: { prompt_tokens: 1_100, completion_tokens: 9 } },
    ]);
    await injectModel(id, modelFor(key));

    const res = await sendMessage(u.token, id, "search my email for invoice");
    expect(res.status).toBe(200);
    const turn = (await res.json()) as any;
    expect(turn.reply).toMatchObject({ role: "assistant", content: "You have **two** invoice emails.", metadata: { model: "gpt-4o-mini", offline: false } });
    expect(turn.steps).toHaveLength(1);
    expect(turn.steps[0]).toMatchObject({ kind: "tool", tool: "gmail.search_messages", arguments: { query: "invoice" }, status: "ok" });
    expect(turn.steps[0].sources[0].url).toMatch(/^https:\/\/mail\.google\.com\//);
    const expected = costOf("gpt-4o-mini", { promptTokens: 1_800, completionTokens: 29 });
    expect(turn.usage).toMatchObject({ promptTokens: 1_800, completionTokens: 29 });
    // Sessions keep cost in whole micro-dollars.
    expect(turn.usage.costUsd).toBeCloseTo(expected.costUsd, 6);
    expect(turn.usage.costUsd).toBeGreaterThan(0);

    // What the real API would have seen: mapped function names, and the tool result answering its call id.
    const sent = await requests(key);
    expect(sent.map((r) => r.status)).toEqual([200, 200]);
    expect(sent[0]!.body.tools.map((t: any) => t.function.name).sort()).toEqual(["gmail__get_message", "gmail__search_messages", "gmail__send_email"]);
    const toolMessage = sent[1]!.body.messages.find((m: any) => m.role === "tool");
    expect(toolMessage).toMatchObject({ tool_call_id: "call_g" });

    const d = await detail(u.token, id);
    expect(d.messages.map((m: any) => m.role)).toEqual(["user", "assistant"]);
    expect(d.checkpoints.map((c: any) => c.reason)).toEqual(["created", "message received", "step 1", "turn ended"]);
    expect(d.session.usage).toMatchObject({ promptTokens: 1_800, completionTokens: 29 });
  });
});
