import { A, useNavigate, useParams } from "@solidjs/router";
import { createMutation, createQuery, useQueryClient } from "@tanstack/solid-query";
import { createEffect, createSignal, For, on, Show } from "solid-js";
import { EmptyState, PageHeader } from "../components/EmptyState";
import { showNotice } from "../components/Notice";
import { Spinner } from "../components/Spinner";
import { api } from "../lib/api";
import { useEvents } from "../stores/events";
import { integrationsQuery } from "../stores/integrations";
import {
  blockingStep,
  createSessionMutation,
  describeSessionError,
  formatTokens,
  formatUsd,
  patchSessionMutation,
  restoreCheckpointMutation,
  rememberResume,
  sendMessageMutation,
  sessionDetailQuery,
  sessionKeys,
  peekResume,
  takeResume,
  type LiveTurn,
  type PendingResume,
} from "../stores/sessions";
import { CheckpointsMenu } from "./chat/CheckpointsMenu";
import { Composer } from "./chat/Composer";
import { Markdown, MessageView } from "./chat/MessageView";
import { ReconnectBanner } from "./chat/ReconnectBanner";
import { SessionsSidebar } from "./chat/SessionsSidebar";
import { LiveStepView } from "./chat/StepView";
import { ToolsPanel } from "./chat/ToolsPanel";

const titleFrom = (content: string) => {
  const line = content.split("\n")[0]!.trim();
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
};

/**
 * `/chat` and `/chat/:id`: the session id is the whole of the URL's state,
 * so the same address after a browser restart shows the same conversation.
 */
export function ChatPage() {
  const params = useParams<{ id?: string }>();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const events = useEvents();
  const id = () => params.id;

  const detail = createQuery(() => ({ ...sessionDetailQuery(api, queryClient, events.snapshotReady, id() ?? ""), enabled: id() !== undefined }));
  // The turn in flight: filled only by frames and the send mutation, never fetched.
  const live = createQuery(() => ({
    queryKey: sessionKeys.live(id() ?? ""),
    queryFn: () => queryClient.getQueryData<LiveTurn | null>(sessionKeys.live(id() ?? "")) ?? null,
    enabled: false,
    staleTime: Infinity,
  }));
  const create = createMutation(() => createSessionMutation(api, queryClient));
  const send = createMutation(() => sendMessageMutation(api, queryClient));
  const patch = createMutation(() => patchSessionMutation(api, queryClient));
  const restore = createMutation(() => restoreCheckpointMutation(api, queryClient));
  const [sendError, setSendError] = createSignal<string>();
  createEffect(on(id, () => setSendError(undefined), { defer: true }));
  // Each conversation has its own composer: moving to another one (or to a new chat) starts from an empty box or that
  // conversation's draft. Not when a first message creates the conversation: that is the same composer, mid-send.
  const [composerKey, setComposerKey] = createSignal(1);
  let shownId = id();
  createEffect(() => {
    const next = id();
    if (shownId !== undefined && next !== shownId) setComposerKey((k) => k + 1);
    shownId = next;
  });

  const session = () => detail.data?.session;
  const messages = () => detail.data?.messages ?? [];
  const turn = () => live.data ?? undefined;
  const running = () => send.isPending && send.variables?.sessionId === id();
  /** Live parts of the turn that the stored messages do not hold yet. */
  const stored = (role: "user" | "assistant") => {
    const t = turn();
    return t ? messages().slice(t.baseCount).some((m) => m.role === role) : false;
  };
  const paused = () => session()?.status === "paused";
  // A reconnect step of a turn that has since been resumed is history; a withdrawal note in the latest reply is not.
  const blocking = () => {
    const step = blockingStep(messages(), turn());
    return step?.kind === "reconnect_required" && !paused() && !turn() ? undefined : step;
  };
  const closedReason = () => {
    const status = session()?.status;
    if (status === "archived") return "This conversation is archived and takes no new messages.";
    return undefined;
  };

  const newChat = async () => {
    try {
      const s = await create.mutateAsync({});
      navigate(`/chat/${encodeURIComponent(s.id)}`);
    } catch (e) {
      showNotice({ kind: "error", text: `A new conversation could not be started: ${describeSessionError(e)}` });
    }
  };

  const onSend = async (content: string): Promise<boolean> => {
    setSendError(undefined);
    let sessionId = id();
    try {
      if (!sessionId) {
        const s = await create.mutateAsync({ title: titleFrom(content) });
        sessionId = s.id;
        navigate(`/chat/${encodeURIComponent(s.id)}`);
      }
      await send.mutateAsync({ sessionId, content });
      return true;
    } catch (e) {
      setSendError(describeSessionError(e));
      return false;
    }
  };

  const resume = async () => {
    const sessionId = id();
    if (!sessionId) return;
    try {
      await patch.mutateAsync({ sessionId, status: "active" });
      showNotice({ kind: "success", text: "The conversation has resumed.", testId: "resume-toast" });
    } catch (e) {
      showNotice({ kind: "error", text: `The conversation could not be resumed: ${describeSessionError(e)}` });
    }
  };

  const restoreTo = async (checkpointId: string) => {
    const sessionId = id();
    if (!sessionId) return;
    try {
      await restore.mutateAsync({ sessionId, checkpointId });
      showNotice({ kind: "success", text: "The conversation is back at that checkpoint.", testId: "restore-toast" });
    } catch (e) {
      showNotice({ kind: "error", text: `The checkpoint could not be restored: ${describeSessionError(e)}` });
    }
  };

  const reconnect = (provider?: string) => {
    const sessionId = id();
    if (sessionId) rememberResume(sessionStorage, { sessionId, provider });
    navigate("/integrations");
  };

  // Back from Integrations after a Reconnect: once that provider is active again and the session is still paused, resume it.
  const [pendingResume, setPendingResume] = createSignal<PendingResume>();
  createEffect(
    on(id, (sessionId) => {
      if (sessionId) return setPendingResume(takeResume(sessionStorage, sessionId));
      // Back on Chat without the conversation in the URL (the nav link): the paused one is where the person left off.
      const waiting = peekResume(sessionStorage);
      if (waiting) navigate(`/chat/${encodeURIComponent(waiting.sessionId)}`, { replace: true });
    }),
  );
  const integrations = createQuery(() => ({ ...integrationsQuery(api, events.snapshotReady), enabled: pendingResume() !== undefined }));
  createEffect(() => {
    const wanted = pendingResume();
    if (!wanted || !session() || patch.isPending) return;
    if (session()!.status !== "paused") return setPendingResume(undefined);
    const list = integrations.data;
    if (!list) return;
    const ready = wanted.provider ? list.some((i) => i.provider === wanted.provider && i.status === "active") : true;
    setPendingResume(undefined);
    if (ready) void resume();
  });

  // Newest content in view as steps and the reply arrive.
  let log: HTMLDivElement | undefined;
  createEffect(
    on([() => messages().length, () => turn()?.steps.length, () => turn()?.reply], () => {
      queueMicrotask(() => log?.lastElementChild?.scrollIntoView?.({ block: "end" }));
    }),
  );

  return (
    <>
      <PageHeader title="Chat" subtitle="Conversations with an agent that uses your connected tools." />
      <div class="chat">
        <SessionsSidebar currentId={id()} creating={create.isPending} onNew={() => void newChat()} />
        <section class="chat-main" aria-label="Conversation">
          <Show
            when={id()}
            fallback={
              <EmptyState icon="chat" title="Start a conversation">
                <p>
                  Ask the agent to search your email, check your calendar, post to Slack or file a GitHub issue. Each conversation keeps its
                  messages, tool steps, checkpoints and the cost of every turn, so you can close the browser and pick up where you left off.
                </p>
              </EmptyState>
            }
          >
            <Show when={detail.isError}>
              <div class="error-note" role="alert">
                <p>{describeSessionError(detail.error)}</p>
                <button class="button" type="button" disabled={detail.isFetching} onClick={() => void detail.refetch()}>
                  Retry
                </button>
              </div>
            </Show>
            <Show when={!detail.data && detail.isPending && !detail.isError}>
              <p class="muted" role="status">
                <Spinner /> Loading the conversation…
              </p>
            </Show>
            <Show when={session()}>
              {(s) => (
                <header class="chat-header">
                  <h2 data-testid="session-title">{s().title}</h2>
                  <p class="chat-header__total" data-testid="session-total">
                    <span class={`session-status session-status--${s().status}`}>{s().status}</span>
                    Total {formatUsd(s().usage.costUsd)} · {formatTokens(s().usage)}
                    <Show when={detail.data!.checkpoints.length > 0}>
                      <CheckpointsMenu checkpoints={detail.data!.checkpoints} disabled={running() || restore.isPending} onRestore={(cp) => void restoreTo(cp)} />
                    </Show>
                  </p>
                </header>
              )}
            </Show>
            <ReconnectBanner step={blocking()} paused={paused()} resuming={patch.isPending} onReconnect={reconnect} onResume={() => void resume()} />
            <Show when={detail.data}>
              <div class="chat-log" ref={log} role="log" aria-label="Transcript" aria-busy={running() ? "true" : "false"} data-testid="chat-log">
                <Show when={messages().length === 0 && !turn()}>
                  <p class="muted chat-log__empty">No messages yet. Say what you need below.</p>
                </Show>
                <For each={messages()}>{(m) => <MessageView message={m} />}</For>
                <Show when={turn()}>
                  {(t) => (
                    <>
                      <Show when={t().pending && !stored("user")}>
                        <article class="chat-message chat-message--user" data-testid="message-user">
                          <p class="chat-message__text">{t().pending}</p>
                        </article>
                      </Show>
                      <Show when={!stored("assistant")}>
                        <article class="chat-message chat-message--assistant chat-message--live" data-testid="message-live">
                          <Show when={t().steps.length > 0}>
                            <ol class="chat-steps" aria-label="Steps">
                              <For each={t().steps}>{(step) => <LiveStepView step={step} />}</For>
                            </ol>
                          </Show>
                          <Show when={t().reply} fallback={<p class="muted" role="status"><Spinner /> The agent is working…</p>}>
                            <Markdown source={t().reply} />
                          </Show>
                        </article>
                      </Show>
                    </>
                  )}
                </Show>
              </div>
            </Show>
          </Show>
          <Show when={sendError()}>
            {(text) => (
              <p class="error-note" role="alert" data-testid="send-error">
                {text()}
              </p>
            )}
          </Show>
          <Show when={messages().length === 0 ? detail.data?.draft : undefined}>
            {(draft) => (
              <div class="draft-note" role="note" data-testid="draft-note">
                <p>
                  This conversation starts from a template. Its prompt is ready below; it did not run yet because{" "}
                  {draft().reasons.length > 0 ? `${draft().reasons.join("; ")}.` : "something it needs is missing."}
                </p>
                <p>
                  <Show when={draft().missingIntegrations.length > 0}>
                    <A class="button button--small" href="/integrations">
                      Connect integrations
                    </A>{" "}
                  </Show>
                  <A class="button button--small" href={`/templates/${encodeURIComponent(draft().templateId)}`}>
                    Back to the template
                  </A>{" "}
                  <span class="muted">or edit the prompt and send it as it is.</span>
                </p>
              </div>
            )}
          </Show>
          <Show when={!id() || detail.data}>
            <Show when={composerKey()} keyed>
              {(_conversation: number) => (
                <Composer
                  busy={running() || create.isPending || patch.isPending}
                  disabledReason={closedReason()}
                  initial={messages().length === 0 && detail.data?.session.id === id() ? detail.data?.draft?.prompt : undefined}
                  onSend={onSend}
                />
              )}
            </Show>
          </Show>
        </section>
        <ToolsPanel />
      </div>
    </>
  );
}
