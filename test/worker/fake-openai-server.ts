import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

/**
 * Vitest globalSetup (Node side) for the worker project: a local
 * OpenAI-compatible `POST /v1/chat/completions` that the workerd tests drive
 * through the real `openai` SDK. Answers are scripted per API key (each test
 * uses its own key, so files running in parallel never share a script):
 * `POST /__script {key, responses: [...]}` queues them, `GET /__requests?key=`
 * gives back every request body received with the status it got, and
 * `/__arrived?key=&count=n` answers once n requests with that key arrived.
 *
 * Like the real API, it refuses a request before any script runs when:
 * a function name does not match `^[a-zA-Z0-9_-]{1,64}$`; a tool's
 * parameters are not a JSON Schema of `type: "object"`; `tools` is empty;
 * a `tool` message has no `tool_call_id`, or one no preceding assistant
 * message asked for; an assistant message's tool calls are not each answered
 * by a tool message before the next message. The messages and codes are the
 * API's own wording (400 `invalid_request_error`).
 */

export interface ScriptedToolCall {
  id?: string;
  /** The function name as the API sends it (`gmail__search_messages`). */
  name: string;
  /** A JSON text (sent as is, malformed if a test wants) or a value to serialise. */
  arguments: unknown;
}

export type ScriptedResponse =
  | {
      content?: string | null;
      toolCalls?: ScriptedToolCall[];
      usage?: { prompt_tokens: number; completion_tokens: number };
      finishReason?: string;
    }
  | { status: number; body: unknown; headers?: Record<string, string> }
  /** Never answers: the request stays open until the client gives up. */
  | { hold: true };

declare module "vitest" {
  export interface ProvidedContext {
    openaiServerUrl: string;
  }
}

const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

interface ApiError {
  message: string;
  param: string | null;
  code: string | null;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString()));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The checks the real chat-completions endpoint makes on a request, in the order it reports them. */
export function rejectionOf(body: unknown): ApiError | undefined {
  if (!isObject(body)) return { message: "We could not parse the JSON body of your request.", param: null, code: null };
  if (typeof body.model !== "string" || body.model === "") return { message: "you must provide a model parameter", param: null, code: null };
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    return { message: "[] is too short - 'messages'", param: "messages", code: "empty_array" };
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools) || body.tools.length === 0) return { message: "[] is too short - 'tools'", param: "tools", code: "empty_array" };
    for (const [i, tool] of body.tools.entries()) {
      const fn = isObject(tool) && isObject(tool.function) ? tool.function : undefined;
      if (!fn || tool.type !== "function") return { message: `Missing required parameter: 'tools[${i}].function'.`, param: `tools[${i}].function`, code: "missing_required_parameter" };
      if (typeof fn.name !== "string" || !FUNCTION_NAME.test(fn.name)) {
        return {
          message: `Invalid 'tools[${i}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
          param: `tools[${i}].function.name`,
          code: "invalid_value",
        };
      }
      if (fn.parameters !== undefined && (!isObject(fn.parameters) || fn.parameters.type !== "object")) {
        const got = isObject(fn.parameters) ? JSON.stringify(fn.parameters.type ?? null) : typeof fn.parameters;
        return {
          message: `Invalid schema for function '${fn.name}': schema must be a JSON Schema of 'type: "object"', got 'type: ${got}'.`,
          param: `tools[${i}].function.parameters`,
          code: "invalid_function_parameters",
        };
      }
    }
  }
  /** Tool call ids the latest assistant message asked for and no tool message has answered yet. */
  let open: { index: number; ids: Set<string> } | undefined;
  for (const [i, m] of messages.entries()) {
    if (!isObject(m) || typeof m.role !== "string") return { message: `Missing required parameter: 'messages[${i}].role'.`, param: `messages[${i}].role`, code: "missing_required_parameter" };
    if (m.role === "tool") {
      if (typeof m.tool_call_id !== "string" || m.tool_call_id === "") {
        return { message: `Missing required parameter: 'messages[${i}].tool_call_id'.`, param: `messages[${i}].tool_call_id`, code: "missing_required_parameter" };
      }
      if (!open || !open.ids.has(m.tool_call_id)) {
        return {
          message: "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          param: `messages.[${i}].role`,
          code: null,
        };
      }
      open.ids.delete(m.tool_call_id);
      continue;
    }
    if (open && open.ids.size > 0) return unanswered(open);
    open = undefined;
    if (m.role === "assistant" && Array.isArray(m.tool_calls) && m.tool_calls.length > 0) {
      const ids = new Set<string>();
      for (const [j, call] of m.tool_calls.entries()) {
        if (!isObject(call) || typeof call.id !== "string") return { message: `Missing required parameter: 'messages[${i}].tool_calls[${j}].id'.`, param: `messages[${i}].tool_calls[${j}].id`, code: "missing_required_parameter" };
        ids.add(call.id);
      }
      open = { index: i, ids };
    } else if (!["system", "developer", "user", "assistant"].includes(m.role)) {
      return { message: `Invalid value: '${m.role}'. Supported values are: 'system', 'assistant', 'user', 'tool', 'developer'.`, param: `messages[${i}].role`, code: "invalid_value" };
    }
  }
  if (open && open.ids.size > 0) return unanswered(open);
  return undefined;
}

function unanswered(open: { index: number; ids: Set<string> }): ApiError {
  return {
    message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open.ids].join(", ")}`,
    param: `messages.[${open.index}].role`,
    code: null,
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const scripts = new Map<string, ScriptedResponse[]>();
  const received = new Map<string, Array<{ status: number; body: unknown }>>();
  const arrivals = new Map<string, Array<{ count: number; notify: () => void }>>();
  let serial = 0;

  const record = (key: string, status: number, body: unknown) => {
    const list = [...(received.get(key) ?? []), { status, body }];
    received.set(key, list);
    const waiting = arrivals.get(key) ?? [];
    for (const w of waiting) if (w.count <= list.length) w.notify();
    arrivals.set(key, waiting.filter((w) => w.count > list.length));
  };

  /**
   * `POST /v1/embeddings`: refuses what the API refuses (no input, an empty
   * string, more than 2,048 inputs), plays a scripted status answer if one is
   * queued, else answers a deterministic vector per input (`dimensions`, or
   * 1,536), listed in reverse order so clients must sort by `index`.
   */
  const embeddings = (req: IncomingMessage, res: ServerResponse, text: string) => {
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (!key) return send(res, 401, { error: { message: "You didn't provide an API key.", type: "invalid_request_error", param: null, code: null } });
    const body = JSON.parse(text) as { input?: unknown; model?: string; dimensions?: number };
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    if (inputs.length === 0 || inputs.length > 2048 || inputs.some((i) => typeof i !== "string" || i === "")) {
      record(key, 400, body);
      return send(res, 400, { error: { message: "'$.input' is invalid. Please check the API reference.", type: "invalid_request_error", param: null, code: null } });
    }
    const next = scripts.get(key)?.shift();
    if (next && "status" in next) {
      record(key, next.status, body);
      return send(res, next.status, next.body, next.headers);
    }
    record(key, 200, body);
    const dims = body.dimensions ?? 1536;
    const vector = (s: string) => Array.from({ length: dims }, (_, d) => Math.sin((s.length + 1) * (d + 1) + s.charCodeAt(d % s.length)));
    const data = (inputs as string[]).map((s, index) => ({ object: "embedding", index, embedding: vector(s) })).reverse();
    return send(res, 200, { object: "list", data, model: body.model, usage: { prompt_tokens: inputs.length, total_tokens: inputs.length } });
  };

  const server = createServer((req, res) => {
    void (async () => {
      const text = await readBody(req);
      const url = new URL(req.url ?? "/", "http://fake");
      if (url.pathname === "/__script" && req.method === "POST") {
        const { key, responses } = JSON.parse(text) as { key: string; responses: ScriptedResponse[] };
        scripts.set(key, [...responses]);
        received.delete(key);
        return send(res, 204, "");
      }
      if (url.pathname === "/__requests") return send(res, 200, { requests: received.get(url.searchParams.get("key") ?? "") ?? [] });
      if (url.pathname === "/__arrived") {
        const key = url.searchParams.get("key") ?? "";
        const count = Number(url.searchParams.get("count") ?? "1");
        if ((received.get(key)?.length ?? 0) < count) await new Promise<void>((notify) => arrivals.set(key, [...(arrivals.get(key) ?? []), { count, notify }]));
        return send(res, 200, { count: received.get(key)?.length ?? 0 });
      }
      if (url.pathname === "/v1/embeddings" && req.method === "POST") return embeddings(req, res, text);
      if (url.pathname !== "/v1/chat/completions" || req.method !== "POST") {
        return send(res, 404, { error: { message: `Invalid URL (${req.method} ${url.pathname})`, type: "invalid_request_error", param: null, code: null } });
      }

      const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      if (!key) return send(res, 401, { error: { message: "You didn't provide an API key.", type: "invalid_request_error", param: null, code: null } });
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      const rejection = rejectionOf(body);
      if (rejection) {
        record(key, 400, body);
        return send(res, 400, { error: { ...rejection, type: "invalid_request_error" } });
      }

      const next = scripts.get(key)?.shift() ?? { content: "(no scripted response)" };
      if ("hold" in next) {
        record(key, 0, body);
        return; // left open: the client's timeout or abort ends it
      }
      if ("status" in next) {
        record(key, next.status, body);
        return send(res, next.status, next.body, next.headers);
      }
      record(key, 200, body);
      serial += 1;
      const toolCalls = (next.toolCalls ?? []).map((c, i) => ({
        id: c.id ?? `call_${serial}_${i}`,
        type: "function",
        function: { name: c.name, arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments) },
      }));
      const usage = next.usage ?? { prompt_tokens: 10, completion_tokens: 5 };
      return send(res, 200, {
        id: `chatcmpl-fake-${serial}`,
        object: "chat.completion",
        created: 1_764_000_000,
        model: (body as { model: string }).model,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: next.content ?? null, refusal: null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
            logprobs: null,
            finish_reason: next.finishReason ?? (toolCalls.length ? "tool_calls" : "stop"),
          },
        ],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      });
    })().catch((e: unknown) => send(res, 500, { error: { message: `fake server failure: ${String(e)}`, type: "server_error", param: null, code: null } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  project.provide("openaiServerUrl", `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
