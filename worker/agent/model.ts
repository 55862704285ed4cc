import type { Tool } from "../contract/integrations";

/**
 * The one interface the turn loop talks to (worker/agent/session.ts). Two
 * implementations, chosen from config in one place (`chatModelFor`): an
 * OpenAI-compatible chat-completions client, and the offline planner used
 * when no OPENAI_API_KEY is set. Tool names here are the registry's dotted
 * names (`gmail.search_messages`); an implementation that talks to an API
 * forbidding dots maps them (worker/tools/names.ts).
 */

export interface ModelToolCall {
  /** Unique within the response; the tool message answering it carries the same id. */
  id: string;
  name: string;
  /** The raw JSON text the model produced (may be malformed: the loop validates it). */
  arguments: string;
}

export type ModelMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string | null; toolCalls?: ModelToolCall[] }
  | { role: "tool"; toolCallId: string; name: string; content: string };

export interface ModelRequest {
  messages: ModelMessage[];
  tools: Tool[];
  signal?: AbortSignal;
}

export interface ModelResponse {
  /** Text for the person; may be empty when the model only calls tools. */
  content: string;
  toolCalls: ModelToolCall[];
  usage: { promptTokens: number; completionTokens: number };
  /** `stop` when this is the final answer of the turn. */
  finishReason: "stop" | "tool_calls" | "length" | "error";
}

export interface ChatModel {
  /** The model id used for pricing (`gpt-4o-mini`, `offline-planner`). */
  readonly id: string;
  /** What the UI shows next to a reply ("Offline planner", "gpt-4o-mini"). */
  readonly label: string;
  readonly offline: boolean;
  complete(request: ModelRequest): Promise<ModelResponse>;
}
