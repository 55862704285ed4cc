import type { MutationOptions, QueryClient, QueryFunctionContext } from "@tanstack/solid-query";
import type { z } from "zod";
import { SessionDetail as SessionDetailSchema, Step, type Message, type Session, type SessionStatus, type Step as StepT, type Usage } from "../../../worker/contract/agent";
import type { Tool } from "../../../worker/contract/integrations";
import type { ApiClient } from "../lib/api";
import type { SnapshotReady } from "./integrations";

export interface SessionGroup {
  key: string;
  sessions: Session[];
}
/** `GET /api/sessions/{id}`, as worker/contract/agent.ts defines it. */
export type SessionDetail = z.infer<typeof SessionDetailSchema>;
export interface TurnResult {
  message: Message;
  reply: Message;
  steps: StepT[];
  usage: Usage;
}

/**
 * A step as it arrives on the socket. A `step` frame carries only the tool
 * (`agent`), one line and its order; the full step (arguments, sources,
 * duration) comes with the reply, or with a `chat` frame whose metadata holds it.
 */
export interface LiveStep {
  order: number;
  tool: string;
  summary: string;
  step?: StepT;
}

/** The turn in flight for one session, as its frames arrive; it is dropped once the stored messages hold that turn. */
export interface LiveTurn {
  /** How many messages the session had when the turn began: stored messages past this count belong to it. */
  baseCount: number;
  /** The person's message, shown until the server's copy arrives. */
  pending?: string;
  steps: LiveStep[];
  reply: string;
}

/** Cache keys, one per resource the server has (and one for the turn in flight, which only frames fill). */
export const sessionKeys = {
  all: ["sessions"] as const,
  /** Every grouping of the sidebar's list (invalidating this prefix refreshes both). */
  list: ["sessions", "list"] as const,
  listBy: (groupBy: SessionGrouping) => ["sessions", "list", groupBy] as const,
  detail: (id: string) => ["sessions", "detail", id] as const,
  live: (id: string) => ["sessions", "live", id] as const,
  tools: ["tools"] as const,
};

export type SessionGrouping = "day" | "template";

/** The sessions sidebar, grouped by day or by the template a session started from (newest first, as the server orders them). */
export function sessionsListQuery(client: ApiClient, snapshotReady: SnapshotReady, groupBy: SessionGrouping = "day") {
  return {
    queryKey: sessionKeys.listBy(groupBy),
    reconcile: "key",
    queryFn: async ({ signal }: QueryFunctionContext) => {
      await snapshotReady();
      const { groups } = await client.get<{ groups: SessionGroup[] }>(`/api/sessions?groupBy=${groupBy}`, { signal });
      return groups;
    },
  };
}

/** One conversation with its messages (each with its steps and usage) and checkpoints. */
export function sessionDetailQuery(client: ApiClient, queryClient: QueryClient, snapshotReady: SnapshotReady, id: string) {
  return {
    queryKey: sessionKeys.detail(id),
    queryFn: async ({ signal }: QueryFunctionContext): Promise<SessionDetail> => {
      await snapshotReady();
      const detail = await client.get<SessionDetail>(`/api/sessions/${encodeURIComponent(id)}`, { signal });
      settleLiveTurn(queryClient, id, detail);
      return detail;
    },
  };
}

/** The tools the agent may call right now: the same list its next turn gets. */
export function toolsQuery(client: ApiClient, snapshotReady: SnapshotReady) {
  return {
    queryKey: sessionKeys.tools,
    queryFn: async ({ signal }: QueryFunctionContext) => {
      await snapshotReady();
      const { tools } = await client.get<{ tools: Tool[] }>("/api/tools", { signal });
      return tools;
    },
  };
}

/** Drops the live overlay once the stored conversation holds the turn's reply. */
function settleLiveTurn(queryClient: QueryClient, id: string, detail: SessionDetail) {
  const live = queryClient.getQueryData<LiveTurn | null>(sessionKeys.live(id));
  if (live && detail.messages.slice(live.baseCount).some((m) => m.role === "assistant")) {
    clearLive(queryClient, id);
  }
}

/**
 * Cleared to null rather than removed: the page's observer of this key keeps
 * the cache entry it subscribed to, and would not see a turn put into a new one.
 */
function clearLive(queryClient: QueryClient, id: string) {
  queryClient.setQueryData<LiveTurn | null>(sessionKeys.live(id), null);
}

function updateLive(queryClient: QueryClient, id: string, change: (turn: LiveTurn) => LiveTurn) {
  const baseCount = queryClient.getQueryData<SessionDetail>(sessionKeys.detail(id))?.messages.length ?? 0;
  queryClient.setQueryData<LiveTurn | null>(sessionKeys.live(id), (turn) => change(turn ?? { baseCount, steps: [], reply: "" }));
}

function putStep(steps: LiveStep[], next: LiveStep): LiveStep[] {
  const rest = steps.filter((s) => s.order !== next.order);
  return [...rest, next].sort((a, b) => a.order - b.order);
}

/** The frames of the event stream this store reads (see worker/contract/events.ts). */
export type SessionFrame =
  | { kind: "step"; jobId: string; scope: string; agent: string; message: string; order: number }
  | { kind: "chat"; jobId: string; scope: string; role: string; sender: string; content: string; metadata: Record<string, unknown> }
  | { kind: "status"; jobId: string; scope: string; status: string; message: string };

/**
 * A pushed frame of a session's turn, whichever tab sent the message: the
 * step or the reply goes into that session's live turn at once, and the
 * stored conversation and the sidebar are marked stale (what is on screen
 * refetches now, the rest when it is next shown). Frames of other scopes
 * (specs, the knowledge base) are not about sessions.
 */
export async function invalidateForSessionFrame(queryClient: QueryClient, frame: SessionFrame): Promise<void> {
  if (frame.scope !== "session") return;
  const id = frame.jobId;
  if (frame.kind === "step") {
    updateLive(queryClient, id, (t) => ({ ...t, steps: putStep(t.steps, { order: frame.order, tool: frame.agent, summary: frame.message }) }));
  } else if (frame.kind === "chat") {
    const step = Step.safeParse(frame.metadata.step);
    if (step.success) {
      const s = step.data;
      updateLive(queryClient, id, (t) => ({ ...t, steps: putStep(t.steps, { order: s.order, tool: s.tool ?? s.kind, summary: s.summary, step: s }) }));
    } else if (frame.role === "assistant") {
      // A frame marked as a delta adds to the reply so far; any other carries the reply whole.
      const delta = frame.metadata.delta === true;
      updateLive(queryClient, id, (t) => ({ ...t, reply: delta ? t.reply + frame.content : frame.content }));
    }
  }
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: sessionKeys.detail(id) }),
    frame.kind === "step" ? undefined : queryClient.invalidateQueries({ queryKey: sessionKeys.list }),
  ]);
}

/** A new conversation: it is put into the cache (so its page opens without a spinner) and the sidebar refetches. */
export function createSessionMutation(client: ApiClient, queryClient: QueryClient): MutationOptions<Session, Error, { title?: string }> {
  return {
    mutationKey: ["session-create"],
    mutationFn: async (body) => (await client.post<{ session: Session }>("/api/sessions", body)).session,
    onSuccess: (session) => {
      queryClient.setQueryData<SessionDetail>(sessionKeys.detail(session.id), { session, messages: [], checkpoints: [], draft: null });
      void queryClient.invalidateQueries({ queryKey: sessionKeys.list });
    },
  };
}

export interface SendVariables {
  sessionId: string;
  content: string;
}

const addUsage = (a: Usage, b: Usage): Usage => ({
  promptTokens: a.promptTokens + b.promptTokens,
  completionTokens: a.completionTokens + b.completionTokens,
  costUsd: a.costUsd + b.costUsd,
});

/**
 * Sends one message; the server answers when the turn ends. Meanwhile the
 * person's message shows at once and the steps fill in from frames; the
 * answer then goes into the stored conversation (with the session's new
 * total) and the live turn is dropped.
 */
export function sendMessageMutation(client: ApiClient, queryClient: QueryClient): MutationOptions<TurnResult, Error, SendVariables> {
  return {
    mutationKey: ["session-send"],
    mutationFn: ({ sessionId, content }) => client.post<TurnResult>(`/api/sessions/${encodeURIComponent(sessionId)}/messages`, { content }),
    onMutate: ({ sessionId, content }) => {
      const baseCount = queryClient.getQueryData<SessionDetail>(sessionKeys.detail(sessionId))?.messages.length ?? 0;
      queryClient.setQueryData<LiveTurn>(sessionKeys.live(sessionId), { baseCount, pending: content, steps: [], reply: "" });
    },
    onSuccess: (turn, { sessionId }) => {
      queryClient.setQueryData<SessionDetail>(sessionKeys.detail(sessionId), (detail) => {
        if (!detail) return detail;
        const known = new Set(detail.messages.map((m) => m.id));
        const reply = turn.reply.steps.length > 0 || turn.steps.length === 0 ? turn.reply : { ...turn.reply, steps: turn.steps };
        const added = [turn.message, reply].filter((m) => !known.has(m.id));
        const usage = added.some((m) => m.id === reply.id) ? addUsage(detail.session.usage, turn.usage) : detail.session.usage;
        return { ...detail, session: { ...detail.session, usage }, messages: [...detail.messages, ...added] };
      });
    },
    onSettled: (_turn, _error, { sessionId }) => {
      clearLive(queryClient, sessionId);
      void queryClient.invalidateQueries({ queryKey: sessionKeys.detail(sessionId) });
      void queryClient.invalidateQueries({ queryKey: sessionKeys.list });
    },
  };
}

/** Title or status (resume after a reconnect is `{status: "active"}`); the server's answer goes into the cache. */
export function patchSessionMutation(client: ApiClient, queryClient: QueryClient): MutationOptions<Session, Error, { sessionId: string; title?: string; status?: SessionStatus }> {
  return {
    mutationKey: ["session-patch"],
    mutationFn: async ({ sessionId, ...body }) => (await client.patch<{ session: Session }>(`/api/sessions/${encodeURIComponent(sessionId)}`, body)).session,
    onSuccess: (session) => {
      queryClient.setQueryData<SessionDetail>(sessionKeys.detail(session.id), (d) => (d ? { ...d, session } : d));
      void queryClient.invalidateQueries({ queryKey: sessionKeys.detail(session.id) });
      void queryClient.invalidateQueries({ queryKey: sessionKeys.list });
    },
  };
}

/** Goes back to a checkpoint: the conversation refetches and shows exactly the messages it held. */
export function restoreCheckpointMutation(client: ApiClient, queryClient: QueryClient): MutationOptions<Session, Error, { sessionId: string; checkpointId: string }> {
  return {
    mutationKey: ["session-restore"],
    mutationFn: async ({ sessionId, checkpointId }) =>
      (await client.post<{ session: Session }>(`/api/sessions/${encodeURIComponent(sessionId)}/restore`, { checkpointId })).session,
    onSuccess: (session) => {
      void queryClient.invalidateQueries({ queryKey: sessionKeys.detail(session.id) });
      void queryClient.invalidateQueries({ queryKey: sessionKeys.list });
    },
  };
}

/** An `integration` frame: a provider came or went, so the tools the agent has changed. */
export async function invalidateToolsForFrame(queryClient: QueryClient): Promise<void> {
  await queryClient.invalidateQueries({ queryKey: sessionKeys.tools });
}

/** What a reconnect must still do once the person is back from the Integrations page (kept per tab). */
const RESUME_KEY = "taskpilot:resume-session";

export interface PendingResume {
  sessionId: string;
  provider?: string;
}

export interface ResumeStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function rememberResume(storage: ResumeStorage, resume: PendingResume): void {
  storage.setItem(RESUME_KEY, JSON.stringify(resume));
}

/** The conversation waiting for a reconnect, if any, without forgetting it. */
export function peekResume(storage: ResumeStorage): PendingResume | undefined {
  try {
    const parsed = JSON.parse(storage.getItem(RESUME_KEY) ?? "null") as PendingResume | null;
    return parsed && typeof parsed.sessionId === "string" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The pending resume of this session, if the person left it to reconnect (and forgets it). */
export function takeResume(storage: ResumeStorage, sessionId: string): PendingResume | undefined {
  const raw = storage.getItem(RESUME_KEY);
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as PendingResume;
    if (parsed.sessionId !== sessionId) return undefined;
    storage.removeItem(RESUME_KEY);
    return parsed;
  } catch {
    storage.removeItem(RESUME_KEY);
    return undefined;
  }
}

/**
 * What blocks the conversation, newest turn first: a step that needs a
 * reconnect, or a note that tools were withdrawn. Only the latest assistant
 * message (or the turn in flight) counts: an old pause that was resumed is history.
 */
export function blockingStep(messages: Message[], live?: LiveTurn | null): StepT | undefined {
  const liveSteps = (live?.steps ?? []).flatMap((s) => (s.step ? [s.step] : []));
  const last = [...messages].reverse().find((m) => m.role === "assistant");
  const steps = liveSteps.length > 0 ? liveSteps : (last?.steps ?? []);
  return [...steps].reverse().find((s) => s.kind === "reconnect_required" || (s.kind === "note" && /withdrawn/i.test(s.summary)));
}

/** A turn's cost for people: cents, or tenths of a cent for the small amounts one turn usually costs. */
export function formatUsd(value: number): string {
  if (value === 0) return "$0.00";
  if (value < 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toFixed(2)}`;
}

export function formatTokens(usage: Usage): string {
  const total = usage.promptTokens + usage.completionTokens;
  return `${total.toLocaleString("en-US")} tokens (${usage.promptTokens.toLocaleString("en-US")} in, ${usage.completionTokens.toLocaleString("en-US")} out)`;
}

/** "Today", "Yesterday" or the date, for a group key `YYYY-MM-DD` (the server groups by UTC day, so the labels do too). */
export function dayLabel(key: string, now: Date): string {
  const today = now.toISOString().slice(0, 10);
  if (key === today) return "Today";
  if (key === new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10)) return "Yesterday";
  const parsed = /^\d{4}-\d{2}-\d{2}$/.test(key) ? new Date(`${key}T12:00:00Z`) : null;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed.toLocaleDateString(undefined, { dateStyle: "medium", timeZone: "UTC" }) : key;
}

/** The words for the errors a person can cause from the chat page. */
export function describeSessionError(error: unknown): string {
  const code = (error as { code?: string } | null)?.code;
  const status = (error as { status?: number } | null)?.status;
  if (code === "turn_in_progress") return "The agent is still working on the previous message. Wait for its answer, then send again.";
  if (code === "invalid_transition") return "This conversation cannot do that in its current state (an archived conversation takes no new messages).";
  if (status === 404) return "This conversation does not exist, or it belongs to another account.";
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
