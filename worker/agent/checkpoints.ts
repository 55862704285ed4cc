import type { Checkpoint, SessionStatus, Step, Usage } from "../contract/agent";
import type { SourceLink, ToolOutcome } from "../contract/tools";
import type { ModelMessage, ModelToolCall } from "./model";

/** At most this many model calls in one turn: a model that keeps calling tools is stopped, not billed forever. */
export const MAX_STEPS = 8;

/**
 * Tool outputs above this many bytes are kept under their own storage key
 * and referenced from the transcript: a checkpoint copies the transcript,
 * and a Durable Object value is limited (128 KiB per key, 2 MB per row),
 * so a few large results inlined into every checkpoint would not fit.
 */
export const INLINE_TOOL_BYTES = 4 * 1024;

export const ZERO_USAGE: Usage = { promptTokens: 0, completionTokens: 0, costUsd: 0 };

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    // Rounded to a millionth of a dollar, the unit the D1 mirror keeps, so both agree exactly.
    costUsd: Math.round((a.costUsd + b.costUsd) * 1_000_000) / 1_000_000,
  };
}

/** A tool result in the transcript: inline, or a reference to `blob:{ref}`. */
export type StoredToolContent = { content: string; ref?: undefined } | { ref: string; bytes: number; content?: undefined };
export type StoredToolMessage = { role: "tool"; toolCallId: string; name: string } & StoredToolContent;
export type StoredMessage = Exclude<ModelMessage, { role: "tool" }> | StoredToolMessage;

/** The turn in progress, as a checkpoint holds it: enough to go on from the last completed step. */
export interface TurnState {
  id: string;
  /** `running`: being worked on (or orphaned by a crash); `paused`: waiting for a reconnect. */
  status: "running" | "paused";
  userMessageId: string;
  transcript: StoredMessage[];
  steps: Step[];
  /** Model calls made so far this turn. */
  stepCount: number;
  usage: Usage;
  /** The tool calls of the current step, and the results of those that ran. */
  pending: { calls: ModelToolCall[]; done: Record<string, StoredToolContent> } | null;
}

export interface StoredCheckpoint {
  id: string;
  sessionId: string;
  seq: number;
  messageIds: string[];
  status: SessionStatus;
  usage: Usage;
  turn: TurnState | null;
  reason: string;
  createdAt: string;
}

export function checkpointView(cp: StoredCheckpoint): Checkpoint {
  return { id: cp.id, sessionId: cp.sessionId, messageCount: cp.messageIds.length, status: cp.status, reason: cp.reason, createdAt: cp.createdAt };
}

export async function storeToolContent(storage: DurableObjectStorage, newId: () => string, content: string): Promise<StoredToolContent> {
  const bytes = new TextEncoder().encode(content).byteLength;
  if (bytes <= INLINE_TOOL_BYTES) return { content };
  const ref = newId();
  await storage.put(`blob:${ref}`, content);
  return { ref, bytes };
}

export async function loadBlob(storage: DurableObjectStorage, ref: string): Promise<string | undefined> {
  return storage.get<string>(`blob:${ref}`);
}

/** One line a person reads, and the links to cite, from a tool outcome. */
export function summarizeOutcome(outcome: ToolOutcome): { summary: string; sources: SourceLink[] } {
  if (!outcome.ok) return { summary: outcome.error.message, sources: [] };
  const result = outcome.result as { items?: unknown[]; more?: { count?: number | null } | null; source?: unknown } | null;
  const sources: SourceLink[] = [];
  const addSource = (s: unknown) => {
    if (s && typeof s === "object" && typeof (s as SourceLink).url === "string" && typeof (s as SourceLink).label === "string") {
      sources.push({ url: (s as SourceLink).url, label: (s as SourceLink).label });
    }
  };
  if (result && typeof result === "object") {
    addSource(result.source);
    if (Array.isArray(result.items)) {
      for (const item of result.items) if (item && typeof item === "object") addSource((item as { source?: unknown }).source);
      const n = result.items.length;
      const more = result.more?.count ? ` (${result.more.count} more)` : result.more ? " (more available)" : "";
      return { summary: `${outcome.tool}: ${n} item${n === 1 ? "" : "s"}${more}`, sources };
    }
  }
  return { summary: `${outcome.tool}: done`, sources };
}
