import { DurableObject } from "cloudflare:workers";
import { getConfig } from "../config";
import type { Checkpoint, Message, Session, SessionDraft, SessionStatus, Step, Usage } from "../contract/agent";
import type { ToolOutcome } from "../contract/tools";
import { database } from "../db/client";
import { mirrorSession } from "../db/agent";
import type { Env } from "../env";
import { AppError } from "../errors";
import { log } from "../http/log";
import { isProviderId } from "../integrations/providers";
import { flushMetrics, metrics } from "../metrics/record";
import { publish } from "../realtime/publish";
import { providerName, type ToolRuntime } from "../tools/http";
import { liveToolContext, toolsForUser } from "../tools/live";
import { toolMenu } from "../tools/meta";
import {
  addUsage,
  checkpointView,
  loadBlob,
  MAX_STEPS,
  storeToolContent,
  summarizeOutcome,
  ZERO_USAGE,
  type StoredCheckpoint,
  type StoredToolMessage,
  type TurnState,
} from "./checkpoints";
import type { ChatModel, ModelMessage, ModelToolCall } from "./model";
import { chatModelFor } from "./models";
import { costOf } from "./pricing";
import { nextSessionStatus } from "./status";

/** Where a person reconnects an integration (the web app's Integrations page). */
export const CONNECT_URL = "/integrations";

/** A turn that has not written a checkpoint for this long is taken for dead and recovered by the alarm. */
const WATCHDOG_MS = 2 * 60 * 1000;

const SYSTEM_PROMPT =
  "You are TaskPilot's assistant. Use the tools offered to act on the person's connected integrations; " +
  "cite the source links tools return. If a tool you need is not offered, say which integration to connect at /integrations.";

/** What crosses the RPC boundary: an AppError does not survive it, so failures travel as data and the route rethrows them. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; status: number; code: string; detail: string };

export interface TurnResult {
  message: Message;
  reply: Message;
  steps: Step[];
  usage: Usage;
}

export interface SessionDetailValue {
  session: Session;
  messages: Message[];
  checkpoints: Checkpoint[];
  draft: SessionDraft | null;
}

/** A session started from a template (worker/templates): its system prompt, and either the first message to run now or the draft to show. */
export interface TemplateStart {
  templateId: string;
  title: string;
  instructions: string;
  prompt: string;
  /** null: run `prompt` as the first turn at once. */
  draft: SessionDraft | null;
}

interface State {
  session: Session;
  userId: string;
  messageIds: string[];
  /** The integrations whose tools the model was offered at its last step: what a withdrawal is measured against. */
  offered: string[];
  turn: TurnState | null;
  checkpointSeq: number;
  /** A template's system prompt, added to the agent's own for every turn of the session. */
  instructions?: string;
  /** A template's first message waiting for the person (see SessionDraft). */
  draft?: SessionDraft | null;
}

/** Time, ids, the model and the tool runtime; tests replace them through `runInDurableObject`. */
export interface SessionDeps {
  now: () => number;
  id: () => string;
  chatModel: (env: Env) => ChatModel;
  runtime: () => ToolRuntime | undefined;
  /** The environment tools and the model are configured from (tests point provider API bases at the sandbox). */
  env?: Env;
}

export const systemSessionDeps: SessionDeps = {
  now: () => Date.now(),
  id: () => crypto.randomUUID(),
  chatModel: (env) => chatModelFor(getConfig(env)),
  runtime: () => undefined,
};

const fail = (e: AppError): { ok: false; status: number; code: string; detail: string } => ({ ok: false, status: e.status, code: e.code, detail: e.detail });

/**
 * One per agent session (named by the session id): the single writer of
 * its turns. State lives in this object's storage under a few keys —
 * `state` (the session, its message ids, the turn in progress), `msg:{id}`,
 * `cp:{seq}` (checkpoints), `blob:{id}` (tool outputs too large to inline) —
 * and every change is mirrored into D1 for listing.
 *
 * A turn in memory is `this.active`. A turn stored as `running` with no
 * `this.active` belonged to an instance that was evicted or crashed; the
 * next request (or the watchdog alarm) resumes it from its last checkpoint
 * rather than leaving it running forever.
 */
export class AgentSession extends DurableObject<Env> {
  deps: SessionDeps = systemSessionDeps;
  private active: Promise<TurnResult> | null = null;
  private purged = false;

  private get runEnv(): Env {
    return this.deps.env ?? this.env;
  }

  async ping(): Promise<"pong"> {
    return "pong";
  }

  async create(userId: string, sessionId: string, title: string | undefined): Promise<Outcome<Session>> {
    if (await this.ctx.storage.get<State>("state")) return fail(new AppError(409, "session_exists", "This session already exists."));
    const state = this.newState(userId, sessionId, title ?? "New chat", null);
    await this.checkpoint(state, "created");
    await this.mirror(state);
    return { ok: true, value: state.session };
  }

  /**
   * A session started from a template. With no draft its first turn is
   * under way when this returns — the person's message stored, the turn
   * running in this object — so the chat it opens shows the turn live;
   * with a draft it waits for the person to send the first message.
   */
  async startFromTemplate(userId: string, sessionId: string, start: TemplateStart): Promise<Outcome<Session>> {
    if (await this.ctx.storage.get<State>("state")) return fail(new AppError(409, "session_exists", "This session already exists."));
    const state = this.newState(userId, sessionId, start.title, start.templateId);
    state.instructions = start.instructions;
    state.draft = start.draft;
    await this.checkpoint(state, `started from template ${start.templateId}`);
    await this.mirror(state);
    if (start.draft) return { ok: true, value: state.session };
    await this.beginTurn(state, start.prompt);
    this.runExclusive(state).catch((e) => log("error", "agent_first_turn_failed", { sessionId, error: e instanceof Error ? e.message : String(e) }));
    return { ok: true, value: state.session };
  }

  private newState(userId: string, sessionId: string, title: string, templateId: string | null): State {
    const now = new Date(this.deps.now()).toISOString();
    return {
      session: {
        id: sessionId,
        title,
        status: "active",
        templateId,
        createdAt: now,
        updatedAt: now,
        lastCheckpointId: null,
        usage: { ...ZERO_USAGE },
      },
      userId,
      messageIds: [],
      offered: [],
      turn: null,
      checkpointSeq: 0,
    };
  }

  async detail(userId: string): Promise<Outcome<SessionDetailValue>> {
    const state = await this.owned(userId);
    if (!state) return fail(notFound());
    await this.recover();
    const now = (await this.ctx.storage.get<State>("state"))!;
    return {
      ok: true,
      value: { session: now.session, messages: await this.messagesOf(now.messageIds), checkpoints: await this.checkpoints(), draft: now.draft ?? null },
    };
  }

  async patch(userId: string, body: { title?: string; status?: SessionStatus }): Promise<Outcome<Session>> {
    if (!(await this.owned(userId))) return fail(notFound());
    try {
      await this.recover();
      if (this.active) throw turnInProgress();
      const state = (await this.ctx.storage.get<State>("state"))!;
      const from = state.session.status;
      if (body.status !== undefined) nextSessionStatus(from, body.status);
      if (body.title !== undefined) state.session.title = body.title;
      const resume = from === "paused" && body.status === "active" && state.turn?.status === "paused";
      if (body.status !== undefined) state.session.status = body.status;
      if (body.status === "archived" && state.turn) state.turn = null;
      state.session.updatedAt = new Date(this.deps.now()).toISOString();
      await this.checkpoint(state, body.status ? `status ${body.status}` : "renamed");
      await this.mirror(state);
      if (resume) await this.runExclusive(state);
      const after = (await this.ctx.storage.get<State>("state"))!;
      return { ok: true, value: after.session };
    } catch (e) {
      if (e instanceof AppError) return fail(e);
      throw e;
    }
  }

  async send(userId: string, content: string): Promise<Outcome<TurnResult>> {
    if (!(await this.owned(userId))) return fail(notFound());
    try {
      await this.recover();
      if (this.active) throw turnInProgress();
      let state = (await this.ctx.storage.get<State>("state"))!;
      const status = state.session.status;
      if (status === "archived") throw new AppError(409, "session_archived", "This session is archived; start a new one.");
      if (status === "completed" || status === "failed") throw new AppError(409, "session_closed", `This session is ${status}; start a new one.`);
      if (status === "paused" && state.turn?.status === "paused") {
        // A message after a reconnect first finishes the turn that waited for it, then is answered in its own turn.
        state.session.status = "active";
        await this.checkpoint(state, "resumed by a message");
        await this.runExclusive(state);
        state = (await this.ctx.storage.get<State>("state"))!;
        if (state.session.status !== "active") throw new AppError(409, "session_paused", "The session is still waiting for an integration to be reconnected.");
      } else if (status === "paused") {
        state.session.status = "active";
      }
      await this.beginTurn(state, content);
      return { ok: true, value: await this.runExclusive(state) };
    } catch (e) {
      if (e instanceof AppError) return fail(e);
      throw e;
    }
  }

  /** Stores the person's message and the turn it opens (one checkpoint), and tells every tab. */
  private async beginTurn(state: State, content: string): Promise<void> {
    const message: Message = {
      id: this.deps.id(),
      sessionId: state.session.id,
      role: "user",
      content,
      steps: [],
      usage: null,
      metadata: {},
      createdAt: new Date(this.deps.now()).toISOString(),
    };
    const history = await this.history(state.messageIds);
    state.messageIds.push(message.id);
    state.turn = {
      id: this.deps.id(),
      status: "running",
      userMessageId: message.id,
      transcript: [...history, { role: "user", content }],
      steps: [],
      stepCount: 0,
      usage: { ...ZERO_USAGE },
      pending: null,
    };
    if (state.session.title === "New chat") state.session.title = content.slice(0, 80);
    state.draft = null;
    await this.ctx.storage.put(`msg:${message.id}`, message);
    await this.checkpoint(state, "message received");
    await this.mirror(state);
    await this.frame(state, { kind: "chat", role: "user", sender: "you", content, metadata: { messageId: message.id } });
  }

  async restore(userId: string, checkpointId: string): Promise<Outcome<Session>> {
    if (!(await this.owned(userId))) return fail(notFound());
    try {
      await this.recover();
      if (this.active) throw turnInProgress();
      const state = (await this.ctx.storage.get<State>("state"))!;
      if (state.session.status === "archived") throw new AppError(409, "session_archived", "This session is archived.");
      const all = await this.ctx.storage.list<StoredCheckpoint>({ prefix: "cp:" });
      const cp = [...all.values()].find((c) => c.id === checkpointId);
      if (!cp) throw new AppError(404, "checkpoint_not_found", "This session has no such checkpoint.");
      state.messageIds = [...cp.messageIds];
      // A turn waiting at the checkpoint is not brought back half-done: restoring gives back its messages, not a paused turn.
      state.turn = null;
      if (state.session.status === "paused") state.session.status = "active";
      state.session.updatedAt = new Date(this.deps.now()).toISOString();
      await this.checkpoint(state, `restored ${checkpointId}`);
      await this.mirror(state);
      return { ok: true, value: state.session };
    } catch (e) {
      if (e instanceof AppError) return fail(e);
      throw e;
    }
  }

  /** Account deletion: the conversation's storage goes with the account, and a turn still running stops writing. */
  async purge(): Promise<void> {
    this.purged = true;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  /** The watchdog: a turn that stopped writing checkpoints because its instance died is resumed here. */
  override async alarm(): Promise<void> {
    if (this.active) {
      await this.ctx.storage.setAlarm(this.deps.now() + WATCHDOG_MS);
      return;
    }
    await this.recover();
  }

  // ------------------------------------------------------------------ turn

  private async recover(): Promise<void> {
    if (this.active) return;
    const state = await this.ctx.storage.get<State>("state");
    if (!state?.turn || state.turn.status !== "running") return;
    log("warn", "agent_turn_recovered", { sessionId: state.session.id, steps: state.turn.stepCount });
    state.turn.steps.push(this.note(state.turn, "Resumed after an interruption, from the last checkpoint.", "ok"));
    await this.runExclusive(state).catch(() => undefined);
  }

  private runExclusive(state: State): Promise<TurnResult> {
    const run = this.runTurn(state).finally(() => {
      this.active = null;
      this.ctx.waitUntil(flushMetrics(this.runEnv)); // the turn's counts, sent once it ends
    });
    this.active = run;
    return run;
  }

  private async runTurn(state: State): Promise<TurnResult> {
    const env = this.runEnv;
    const turn = state.turn!;
    turn.status = "running";
    await this.ctx.storage.setAlarm(this.deps.now() + WATCHDOG_MS);
    const model = this.deps.chatModel(env);
    const ctx = liveToolContext(env, state.userId, this.deps.runtime());
    const threshold = getConfig(env).agentMetaToolsThreshold;

    while (true) {
      const set = await toolsForUser(env, state.userId);
      const menu = toolMenu(set, threshold);

      if (turn.pending) {
        const paused = await this.runCalls(state, menu.call, ctx);
        if (paused) return paused;
        await this.checkpoint(state, `step ${turn.stepCount}`);
        continue;
      }
      if (turn.stepCount >= MAX_STEPS) {
        return this.finish(state, model, `I stopped after ${MAX_STEPS} steps without a final answer. Ask again, more narrowly, to go on.`);
      }

      // Integrations that were offered at the last step and are not active now: tell the model why their tools are gone.
      const now: string[] = [...new Set(set.tools.flatMap((t) => (t.source.integration ? [t.source.integration] : [])))];
      for (const provider of state.offered.filter((p) => !now.includes(p))) {
        const status = set.unavailable.find((u) => u.provider === (provider as string))?.status ?? "disconnected";
        const name = isProviderId(provider) ? providerName(provider) : provider;
        const text = `${name} tools withdrawn: ${name} is ${status}. Ask the person to reconnect ${name} at ${CONNECT_URL} instead of calling its tools.`;
        turn.transcript.push({ role: "system", content: text });
        const step = this.note(turn, text, "error");
        step.provider = provider;
        step.connectUrl = CONNECT_URL;
        turn.steps.push(step);
        await this.stepFrame(state, step);
      }
      state.offered = now;

      let response;
      try {
        response = await model.complete({ messages: await this.modelMessages(state), tools: menu.tools });
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        const step = this.note(turn, `The model provider failed: ${why}`, "error");
        turn.steps.push(step);
        await this.stepFrame(state, step);
        return this.finish(state, model, `I could not finish this: the model provider failed (${why}). Nothing was lost; send the message again to retry.`, { error: true });
      }
      turn.stepCount += 1;
      const cost = costOf(model.id, response.usage);
      turn.usage = addUsage(turn.usage, { ...response.usage, costUsd: cost.costUsd });
      metrics(env)
        .inc("taskpilot_agent_steps_total", { model: model.id })
        .inc("taskpilot_agent_tokens_total", { model: model.id, direction: "in" }, response.usage.promptTokens)
        .inc("taskpilot_agent_tokens_total", { model: model.id, direction: "out" }, response.usage.completionTokens)
        .inc("taskpilot_agent_cost_usd_total", { model: model.id }, cost.costUsd);

      if (response.toolCalls.length === 0) {
        return this.finish(state, model, response.content || "(no answer)");
      }
      turn.transcript.push({ role: "assistant", content: response.content || null, toolCalls: response.toolCalls });
      turn.pending = { calls: response.toolCalls, done: {}, inFlight: null };
      const paused = await this.runCalls(state, menu.call, ctx);
      if (paused) return paused;
      await this.checkpoint(state, `step ${turn.stepCount}`);
    }
  }

  /**
   * Runs the step's tool calls that have no result yet. A call that only a
   * reconnect can fix pauses the session with the calls still pending, so
   * resuming retries exactly them (the ones that succeeded keep their results).
   */
  private async runCalls(
    state: State,
    call: (name: string, args: unknown, ctx: ReturnType<typeof liveToolContext>) => Promise<ToolOutcome>,
    ctx: ReturnType<typeof liveToolContext>,
  ): Promise<TurnResult | null> {
    const turn = state.turn!;
    const pending = turn.pending!;
    for (const tc of pending.calls) {
      if (pending.done[tc.id]) continue;
      let outcome: ToolOutcome;
      if (pending.inFlight === tc.id) {
        // The instance died during this call. Running it again could send an email or post a message twice, so the model
        // is told the outcome is unknown and decides (a read can simply be asked again).
        outcome = {
          ok: false,
          tool: tc.name,
          durationMs: 0,
          error: { code: "call_interrupted", message: `${tc.name} was interrupted; it may or may not have taken effect. Check before trying it again.`, status: 503, outcomeUnknown: true },
        };
      } else {
        pending.inFlight = tc.id;
        // Not a checkpoint: the step is not done, but a crash from here on must know which call was running.
        await this.ctx.storage.put("state", state);
        outcome = await call(tc.name, tc.arguments, ctx);
      }
      pending.inFlight = null;
      const step = this.toolStep(turn, tc, outcome);
      turn.steps.push(step);
      await this.stepFrame(state, step);
      if (!outcome.ok && outcome.error.reconnect) {
        return this.pause(state, outcome.error.reconnect);
      }
      const content = JSON.stringify(outcome.ok ? outcome.result : { error: outcome.error });
      pending.done[tc.id] = await storeToolContent(this.ctx.storage, this.deps.id, content);
      await this.ctx.storage.put("state", state);
    }
    for (const tc of pending.calls) {
      const stored = pending.done[tc.id]!;
      turn.transcript.push({ role: "tool", toolCallId: tc.id, name: tc.name, ...stored });
    }
    turn.pending = null;
    return null;
  }

  private async pause(state: State, provider: string): Promise<TurnResult> {
    const turn = state.turn!;
    metrics(this.runEnv).inc("taskpilot_agent_turns_total", { outcome: "paused" });
    const name = isProviderId(provider) ? providerName(provider) : provider;
    const step: Step = {
      id: this.deps.id(),
      order: turn.steps.length,
      kind: "reconnect_required",
      status: "error",
      summary: `${name} needs to be reconnected before this can go on.`,
      sources: [],
      provider,
      connectUrl: CONNECT_URL,
    };
    turn.steps.push(step);
    await this.stepFrame(state, step);
    const reply = this.replyOf(state, `I need ${name} reconnected to go on. Reconnect it at ${CONNECT_URL}, then resume this conversation.`, turn, {
      paused: true,
      provider,
    });
    state.session.usage = addUsage(state.session.usage, turn.usage);
    state.messageIds.push(reply.id);
    const result: TurnResult = { message: (await this.ctx.storage.get<Message>(`msg:${turn.userMessageId}`))!, reply, steps: turn.steps, usage: turn.usage };
    // The waiting turn keeps its transcript and pending calls; what was already reported is not reported again on resume.
    turn.status = "paused";
    turn.steps = [];
    turn.usage = { ...ZERO_USAGE };
    state.session.status = nextSessionStatus(state.session.status, "paused");
    state.session.updatedAt = reply.createdAt;
    await this.ctx.storage.put(`msg:${reply.id}`, reply);
    await this.checkpoint(state, `paused: reconnect ${provider}`);
    await this.ctx.storage.deleteAlarm();
    await this.mirror(state);
    await this.frame(state, { kind: "chat", role: "assistant", sender: "TaskPilot", content: reply.content, metadata: { messageId: reply.id, paused: true, provider } });
    return result;
  }

  private async finish(state: State, model: ChatModel, content: string, extra: Record<string, unknown> = {}): Promise<TurnResult> {
    const turn = state.turn!;
    metrics(this.runEnv).inc("taskpilot_agent_turns_total", { outcome: extra.error ? "error" : "completed" });
    const reply = this.replyOf(state, content, turn, { model: model.id, label: model.label, offline: model.offline, ...extra });
    state.session.usage = addUsage(state.session.usage, turn.usage);
    state.session.updatedAt = reply.createdAt;
    state.messageIds.push(reply.id);
    const message = (await this.ctx.storage.get<Message>(`msg:${turn.userMessageId}`))!;
    const result: TurnResult = { message, reply, steps: turn.steps, usage: turn.usage };
    state.turn = null;
    await this.ctx.storage.put(`msg:${reply.id}`, reply);
    await this.checkpoint(state, "turn ended");
    await this.ctx.storage.deleteAlarm();
    await this.mirror(state);
    await this.frame(state, { kind: "chat", role: "assistant", sender: model.label, content, metadata: { messageId: reply.id, usage: reply.usage, model: model.id, offline: model.offline } });
    return result;
  }

  private replyOf(state: State, content: string, turn: TurnState, metadata: Record<string, unknown>): Message {
    return {
      id: this.deps.id(),
      sessionId: state.session.id,
      role: "assistant",
      content,
      steps: turn.steps,
      usage: turn.usage,
      metadata,
      createdAt: new Date(this.deps.now()).toISOString(),
    };
  }

  private note(turn: TurnState, summary: string, status: "ok" | "error"): Step {
    return { id: this.deps.id(), order: turn.steps.length, kind: "note", status, summary, sources: [] };
  }

  private toolStep(turn: TurnState, tc: ModelToolCall, outcome: ToolOutcome): Step {
    let args: Record<string, unknown> | undefined;
    try {
      const parsed = JSON.parse(tc.arguments);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) args = parsed;
    } catch {
      args = undefined;
    }
    const { summary, sources } = summarizeOutcome(outcome);
    return {
      id: this.deps.id(),
      order: turn.steps.length,
      kind: "tool",
      tool: tc.name.slice(0, 64),
      ...(args ? { arguments: args } : {}),
      status: outcome.ok ? "ok" : "error",
      summary,
      sources,
      ...(outcome.ok ? {} : { error: outcome.error }),
      durationMs: outcome.durationMs,
    };
  }

  private async modelMessages(state: State): Promise<ModelMessage[]> {
    const turn = state.turn!;
    const out: ModelMessage[] = [{ role: "system", content: state.instructions ? `${SYSTEM_PROMPT}\n\n${state.instructions}` : SYSTEM_PROMPT }];
    for (const m of turn.transcript) {
      if (m.role === "tool") out.push({ role: "tool", toolCallId: m.toolCallId, name: m.name, content: await this.toolContent(m) });
      else out.push(m);
    }
    return out;
  }

  private async toolContent(m: StoredToolMessage): Promise<string> {
    if (m.content !== undefined) return m.content;
    return (await loadBlob(this.ctx.storage, m.ref!)) ?? JSON.stringify({ error: "the stored result is gone" });
  }

  /** Earlier turns as the model sees them: what was said, not the tool traffic (bounded). */
  private async history(ids: string[]): Promise<TurnState["transcript"]> {
    const messages = await this.messagesOf(ids.slice(-20));
    const out: TurnState["transcript"] = [];
    for (const m of messages) {
      if (m.role === "user") out.push({ role: "user", content: m.content });
      else if (m.role === "assistant") out.push({ role: "assistant", content: m.content });
    }
    return out;
  }

  // ------------------------------------------------------------------ storage

  private async owned(userId: string): Promise<State | undefined> {
    const state = await this.ctx.storage.get<State>("state");
    return state && state.userId === userId ? state : undefined;
  }

  private async messagesOf(ids: string[]): Promise<Message[]> {
    if (ids.length === 0) return [];
    const out: Message[] = [];
    // get() takes at most 128 keys at a time.
    for (let i = 0; i < ids.length; i += 128) {
      const batch = ids.slice(i, i + 128);
      const got = await this.ctx.storage.get<Message>(batch.map((id) => `msg:${id}`));
      for (const id of batch) {
        const m = got.get(`msg:${id}`);
        if (m) out.push(m);
      }
    }
    return out;
  }

  private async checkpoints(): Promise<Checkpoint[]> {
    const all = await this.ctx.storage.list<StoredCheckpoint>({ prefix: "cp:" });
    return [...all.values()].map(checkpointView);
  }

  /** The state and its checkpoint in one atomic write: a crash leaves either both or neither. */
  private async checkpoint(state: State, reason: string): Promise<void> {
    if (this.purged) throw new Error("the session was deleted with its account");
    state.checkpointSeq += 1;
    const cp: StoredCheckpoint = {
      id: this.deps.id(),
      sessionId: state.session.id,
      seq: state.checkpointSeq,
      messageIds: [...state.messageIds],
      status: state.session.status,
      usage: state.session.usage,
      turn: state.turn ? structuredClone(state.turn) : null,
      reason,
      createdAt: new Date(this.deps.now()).toISOString(),
    };
    state.session.lastCheckpointId = cp.id;
    await this.ctx.storage.put({ state, [`cp:${String(cp.seq).padStart(8, "0")}`]: cp });
    if (state.turn?.status === "running") await this.ctx.storage.setAlarm(this.deps.now() + WATCHDOG_MS);
  }

  private async mirror(state: State): Promise<void> {
    await mirrorSession(database(this.env), state.userId, state.session, await this.messagesOf(state.messageIds));
  }

  private async stepFrame(state: State, step: Step): Promise<void> {
    const agent = step.tool ?? step.kind;
    await this.frame(state, { kind: "step", agent, message: step.summary, order: step.order });
  }

  /** Frames are progress, not the record: a hub that cannot take one does not fail the turn. */
  private async frame(
    state: State,
    event: { kind: "step"; agent: string; message: string; order: number } | { kind: "chat"; role: string; sender: string; content: string; metadata: Record<string, unknown> },
  ): Promise<void> {
    try {
      await publish(this.env, state.userId, { ...event, jobId: state.session.id, scope: "session" });
    } catch (e) {
      log("warn", "agent_frame_failed", { sessionId: state.session.id, kind: event.kind, error: e instanceof Error ? e.message : String(e) });
    }
  }
}

function notFound(): AppError {
  return new AppError(404, "session_not_found", "No such session.");
}

function turnInProgress(): AppError {
  return new AppError(409, "turn_in_progress", "A turn is running in this session; wait for its answer before sending another message.");
}
