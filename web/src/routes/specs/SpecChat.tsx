import { createMutation, createQuery, useQueryClient } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import type { Spec, SpecMessage } from "../../../../worker/contract/specs";
import { ConfirmButton } from "../../components/ConfirmButton";
import { showNotice } from "../../components/Notice";
import { Spinner } from "../../components/Spinner";
import { api, errorMessage } from "../../lib/api";
import { renderMarkdown } from "../../lib/markdown";
import { useEvents } from "../../stores/events";
import { meQuery } from "../../stores/webhooks";
import { messagesQuery, specKeys } from "../../stores/specs";

/** The refinement chat while a spec is collecting: Enter sends, Shift+Enter is a new line; admins may delete a message. */
export function SpecChat(props: { spec: Spec }) {
  const events = useEvents();
  const queryClient = useQueryClient();
  const messages = createQuery(() => messagesQuery(api, events.snapshotReady, props.spec.id));
  const me = createQuery(() => meQuery(api));
  const [draft, setDraft] = createSignal("");
  /** The list's length when the message left: once the `chat` frames brought it in, the pending copy goes. */
  const [countAtSend, setCountAtSend] = createSignal(0);
  const pending = () => (send.isPending && (messages.data?.length ?? 0) <= countAtSend() ? send.variables : undefined);
  const send = createMutation(() => ({
    mutationFn: (content: string) => api.post<{ message: SpecMessage; reply: SpecMessage }>(`/api/specs/${encodeURIComponent(props.spec.id)}/messages`, { content }),
    // The message shows as pending in the list while the agent answers; a failure gives it back to the composer.
    onMutate: () => (setDraft(""), setCountAtSend(messages.data?.length ?? 0)),
    onError: (_e: Error, content: string) => setDraft((d) => d || content),
    onSuccess: (r: { message: SpecMessage; reply: SpecMessage }) =>
      queryClient.setQueryData<SpecMessage[]>(specKeys.messages(props.spec.id), (list = []) => [...list.filter((m) => m.id !== r.message.id && m.id !== r.reply.id), r.message, r.reply]),
    onSettled: () => queryClient.invalidateQueries({ queryKey: specKeys.messages(props.spec.id) }),
  }));
  const remove = createMutation(() => ({
    mutationFn: (id: string) => api.delete(`/api/specs/${encodeURIComponent(props.spec.id)}/messages/${encodeURIComponent(id)}`),
    onError: (e: Error) => showNotice({ kind: "error", text: `The message was not deleted: ${errorMessage(e)}` }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: specKeys.messages(props.spec.id) }),
  }));
  const submit = () => {
    const content = draft().trim();
    if (content && !send.isPending) send.mutate(content);
  };
  return (
    <section class="panel spec-chat" aria-label="Refine">
      <h2>Refine</h2>
      <p class="muted">Tell the agent what is missing or what matters; it keeps each point for the plan.</p>
      <Show when={messages.isError}>
        <p class="error-note" role="alert">
          The chat could not be loaded: {errorMessage(messages.error)}{" "}
          <button class="button" type="button" disabled={messages.isFetching} onClick={() => void messages.refetch()}>
            Retry
          </button>
        </p>
      </Show>
      <Show when={messages.isPending && !messages.isError}>
        <p class="muted" role="status">
          <Spinner /> Loading the conversation…
        </p>
      </Show>
      <Show when={messages.data?.length === 0 && !send.isPending}>
        <p class="muted">No messages yet. The plan is written from the prompt and everything said here.</p>
      </Show>
      <ol class="spec-chat__messages" aria-live="polite">
        <For each={messages.data ?? []}>
          {(m) => (
            <li class={`spec-chat__message spec-chat__message--${m.role}`} data-testid={`spec-message-${m.role}`}>
              <span class="spec-chat__who">{m.role === "user" ? "You" : props.spec.offline || m.content.includes("Offline planner") ? "Offline planner" : "Agent"}</span>
              <div class="chat-markdown" innerHTML={renderMarkdown(m.content)} />
              <Show when={me.data?.role === "admin"}>
                <ConfirmButton
                  action="Delete"
                  label="Delete this message"
                  title="Delete this message?"
                  class="button button--small"
                  disabled={remove.isPending}
                  busy={remove.isPending && remove.variables === m.id}
                  onConfirm={() => remove.mutate(m.id)}
                >
                  The message leaves the conversation and the plan no longer reads it. Only admins can do this.
                </ConfirmButton>
              </Show>
            </li>
          )}
        </For>
        <Show when={pending()}>
          {(content) => (
            <>
              <li class="spec-chat__message spec-chat__message--user spec-chat__message--pending">
                <span class="spec-chat__who">You</span>
                <div class="chat-markdown" innerHTML={renderMarkdown(content())} />
              </li>
              <li class="spec-chat__message spec-chat__message--assistant spec-chat__message--pending" role="status">
                <Spinner /> The agent is answering…
              </li>
            </>
          )}
        </Show>
      </ol>
      <form
        class="spec-chat__composer"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label class="visually-hidden" for="spec-chat-input">
          Message
        </label>
        <textarea
          id="spec-chat-input"
          rows={2}
          placeholder="It should also… (Enter sends, Shift+Enter for a new line)"
          value={draft()}
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              submit();
            }
          }}
        />
        <button class="button button--primary" type="submit" disabled={send.isPending || !draft().trim()}>
          <Show when={send.isPending}>
            <Spinner />
          </Show>
          Send
        </button>
      </form>
      <Show when={send.isError}>
        <p class="error-note" role="alert">
          Not sent: {errorMessage(send.error)}
        </p>
      </Show>
    </section>
  );
}
