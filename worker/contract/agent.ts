import { z } from "zod";
import { SourceLink, ToolError } from "./tools";

/**
 * Agent sessions as the API and the web app see them (the `Agent sessions`
 * routes). The AgentSession Durable Object is the single writer; D1 holds a
 * mirror for listing.
 */

/** `active → paused → active`, `active → completed | failed`, any → `archived` (worker/agent/status.ts). */
export const SessionStatus = z.enum(["active", "paused", "completed", "failed", "archived"]);
export type SessionStatus = z.infer<typeof SessionStatus>;

export const Usage = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
});
export type Usage = z.infer<typeof Usage>;

export const Session = z.object({
  id: z.string(),
  title: z.string(),
  status: SessionStatus,
  templateId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastCheckpointId: z.string().nullable(),
  usage: Usage,
});
export type Session = z.infer<typeof Session>;

/** One tool call of a turn, as shown in the conversation. */
export const Step = z.object({
  id: z.string(),
  order: z.number().int(),
  kind: z.enum(["tool", "note", "reconnect_required"]),
  /** `gmail.search_messages`; absent for notes. */
  tool: z.string().optional(),
  arguments: z.record(z.string(), z.unknown()).optional(),
  status: z.enum(["running", "ok", "error"]),
  /** One line a person reads: "Found 2 messages", "Gmail refused: …", "Slack tools withdrawn: disconnected". */
  summary: z.string(),
  sources: z.array(SourceLink).default([]),
  error: ToolError.optional(),
  durationMs: z.number().optional(),
  /** reconnect_required: which integration, and where to connect it. */
  provider: z.string().optional(),
  connectUrl: z.string().optional(),
});
export type Step = z.infer<typeof Step>;

export const MessageRole = z.enum(["user", "assistant", "system"]);
export const Message = z.object({
  id: z.string(),
  sessionId: z.string(),
  role: MessageRole,
  content: z.string(),
  steps: z.array(Step).default([]),
  usage: Usage.nullable(),
  /** `{model, offline: true, label: "Offline planner"}` on assistant messages. */
  metadata: z.record(z.string(), z.unknown()).default({}),
  createdAt: z.string(),
});
export type Message = z.infer<typeof Message>;

export const Checkpoint = z.object({
  id: z.string(),
  sessionId: z.string(),
  /** How many messages the checkpoint holds: restoring it gives back exactly those. */
  messageCount: z.number().int(),
  status: SessionStatus,
  reason: z.string(),
  createdAt: z.string(),
});
export type Checkpoint = z.infer<typeof Checkpoint>;

export const MAX_MESSAGE_BYTES = 32 * 1024;

export const CreateSessionBody = z.object({ title: z.string().trim().min(1).max(200).optional() }).strict();
export const PatchSessionBody = z
  .object({ title: z.string().trim().min(1).max(200).optional(), status: SessionStatus.optional() })
  .strict()
  .refine((b) => b.title !== undefined || b.status !== undefined, { message: "send title or status" });
export const SendMessageBody = z
  .object({
    content: z
      .string()
      .trim()
      .min(1, "a message cannot be empty")
      .refine((s) => new TextEncoder().encode(s).byteLength <= MAX_MESSAGE_BYTES, "a message is at most 32 KB"),
  })
  .strict();
export const RestoreBody = z.object({ checkpointId: z.string().min(1).max(100) }).strict();
export const ListSessionsQuery = z.object({ groupBy: z.enum(["day", "template"]).default("day") });

export const SessionResponse = z.object({ session: Session });
/**
 * A session started from a template whose first turn did not run at once
 * (a variable or an integration was missing): the prompt waits in the
 * composer with what is missing listed, until the first message is sent.
 */
export const SessionDraft = z.object({
  templateId: z.string(),
  prompt: z.string(),
  missingVariables: z.array(z.string()),
  missingIntegrations: z.array(z.string()),
  reasons: z.array(z.string()),
});
export type SessionDraft = z.infer<typeof SessionDraft>;

export const SessionDetail = z.object({ session: Session, messages: z.array(Message), checkpoints: z.array(Checkpoint), draft: SessionDraft.nullable() });
export const SessionGroups = z.object({ groups: z.array(z.object({ key: z.string(), sessions: z.array(Session) })) });
export const TurnResponse = z.object({ message: Message, reply: Message, steps: z.array(Step), usage: Usage });
