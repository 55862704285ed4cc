import OpenAI from "openai";
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { AppError } from "../errors";
import { asFunctionTools, fromFunctionName, isToolName, toFunctionName } from "../tools/names";
import type { ChatModel, ModelMessage, ModelRequest, ModelResponse, ModelToolCall } from "./model";

/**
 * The OpenAI-compatible chat-completions model (OpenAI itself, or any server
 * speaking its API at OPENAI_BASE_URL), through the `openai` SDK. It uses the
 * plain `create` call: the SDK's `.stream()` helper throws "invalid choice
 * index" on servers that leave out `choices[].index`, and the turn loop
 * publishes progress per step, not per token.
 *
 * Every tool name crosses the API boundary through ../tools/names.ts (the
 * API forbids the dots of `gmail.search_messages`). Failures are thrown as
 * `AppError`s with a stable `model_*` code; none carries the API key or the
 * API's own text about it.
 */

export interface OpenAIModelOptions {
  apiKey: string;
  baseUrl?: string | undefined;
  model: string;
  /** The deadline of one `complete` call, retries included (default 60 s). */
  timeoutMs?: number;
  /** Retries the SDK makes on 408/409/429/5xx and connection failures, honouring Retry-After (default 2). */
  maxRetries?: number;
  /** The deadline signal; injected by tests so a timeout happens when they say, not after a wall-clock wait. */
  deadline?: (ms: number) => AbortSignal;
  fetch?: typeof fetch;
}

export const DEFAULT_MODEL_TIMEOUT_MS = 60_000;

/** The name the API knows a tool call by: a registry name mapped, anything else (a name the model made up) as the API sent it. */
function wireName(name: string): string {
  return isToolName(name) ? toFunctionName(name) : name;
}

export function toApiMessages(messages: ModelMessage[]): ChatCompletionMessageParam[] {
  return messages.map((m): ChatCompletionMessageParam => {
    switch (m.role) {
      case "system":
      case "user":
        return { role: m.role, content: m.content };
      case "assistant":
        return m.toolCalls?.length
          ? {
              role: "assistant",
              content: m.content,
              tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: wireName(c.name), arguments: c.arguments } })),
            }
          : { role: "assistant", content: m.content ?? "" };
      case "tool":
        return { role: "tool", tool_call_id: m.toolCallId, content: m.content };
    }
  });
}

const FINISH: Record<string, ModelResponse["finishReason"]> = {
  stop: "stop",
  tool_calls: "tool_calls",
  function_call: "tool_calls",
  length: "length",
  content_filter: "error",
};

export function fromApiResponse(res: ChatCompletion): ModelResponse {
  const choice = res.choices?.[0];
  if (!choice?.message) throw new AppError(502, "model_bad_response", "The model API answered without a message.");
  const toolCalls: ModelToolCall[] = [];
  for (const call of choice.message.tool_calls ?? []) {
    if (call.type !== "function") continue;
    toolCalls.push({ id: call.id, name: fromFunctionName(call.function.name) ?? call.function.name, arguments: call.function.arguments ?? "" });
  }
  // Some compatible servers say `stop` while calling tools; the calls are what the loop must act on.
  const finishReason = toolCalls.length > 0 ? "tool_calls" : (FINISH[choice.finish_reason ?? "stop"] ?? "stop");
  return {
    content: choice.message.content ?? "",
    toolCalls,
    usage: { promptTokens: res.usage?.prompt_tokens ?? 0, completionTokens: res.usage?.completion_tokens ?? 0 },
    finishReason,
  };
}

export class OpenAIChatModel implements ChatModel {
  readonly id: string;
  readonly label: string;
  readonly offline = false;
  readonly #client: OpenAI;
  readonly #apiKey: string;
  readonly #timeoutMs: number;
  readonly #deadline: (ms: number) => AbortSignal;

  constructor(options: OpenAIModelOptions) {
    this.id = options.model;
    this.label = options.model;
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_MODEL_TIMEOUT_MS;
    this.#deadline = options.deadline ?? ((ms) => AbortSignal.timeout(ms));
    this.#client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseUrl,
      maxRetries: options.maxRetries ?? 2,
      timeout: this.#timeoutMs,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  async complete(request: ModelRequest): Promise<ModelResponse> {
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: this.id,
      messages: toApiMessages(request.messages),
      // The API refuses an empty `tools` array: a turn with nothing to call sends none.
      ...(request.tools.length > 0 ? { tools: asFunctionTools(request.tools) } : {}),
    };
    const deadline = this.#deadline(this.#timeoutMs);
    const signal = request.signal ? AbortSignal.any([deadline, request.signal]) : deadline;
    let res: ChatCompletion;
    try {
      res = await this.#client.chat.completions.create(body, { signal });
    } catch (e) {
      throw this.#failure(e, deadline, request.signal);
    }
    return fromApiResponse(res);
  }

  #failure(e: unknown, deadline: AbortSignal, callerSignal: AbortSignal | undefined): AppError {
    if (e instanceof AppError) return e;
    if (e instanceof OpenAI.APIUserAbortError || deadline.aborted || callerSignal?.aborted) {
      if (callerSignal?.aborted && !deadline.aborted) return new AppError(503, "model_aborted", "The model call was cancelled before it answered.");
      return new AppError(502, "model_timeout", `The model API did not answer within ${Math.round(this.#timeoutMs / 1000)} s.`);
    }
    if (e instanceof OpenAI.APIConnectionTimeoutError) return new AppError(502, "model_timeout", `The model API did not answer within ${Math.round(this.#timeoutMs / 1000)} s.`);
    if (e instanceof OpenAI.APIConnectionError) return new AppError(502, "model_unreachable", "The model API could not be reached.");
    if (e instanceof OpenAI.APIError) {
      const status = e.status ?? 0;
      const providerCode = e.code ?? e.type ?? undefined;
      const extra = { providerStatus: status, ...(providerCode ? { providerCode } : {}) };
      // The API's text for a bad key quotes part of the key: never passed on.
      if (status === 401 || status === 403) return new AppError(502, "model_unauthorized", "The model API refused the configured OPENAI_API_KEY.", extra);
      if (status === 429) {
        const retryAfter = Number(e.headers?.get("retry-after"));
        return new AppError(503, "model_rate_limited", "The model API is rate limiting this key; try again shortly.", {
          ...extra,
          ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
        });
      }
      if (status >= 500) return new AppError(502, "model_unavailable", `The model API failed (${status}).`, extra);
      return new AppError(502, "model_rejected", `The model API refused the request: ${this.#scrub(apiMessage(e))}`, {
        ...extra,
        ...(e.param ? { param: e.param } : {}),
      });
    }
    return new AppError(502, "model_error", `The model call failed: ${this.#scrub(e instanceof Error ? e.message : String(e))}`);
  }

  #scrub(text: string): string {
    return text.split(this.#apiKey).join("[key]").replace(/\bsk-[A-Za-z0-9_*-]{4,}/g, "[key]").slice(0, 500);
  }
}

function apiMessage(e: InstanceType<typeof OpenAI.APIError>): string {
  const inner = e.error as { message?: unknown } | undefined;
  return typeof inner?.message === "string" ? inner.message : e.message;
}
