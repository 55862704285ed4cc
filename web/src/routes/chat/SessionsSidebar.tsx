import { A } from "@solidjs/router";
import { createQuery } from "@tanstack/solid-query";
import { For, Show } from "solid-js";
import { Spinner } from "../../components/Spinner";
import { QueryView } from "../../components/QueryView";
import { api } from "../../lib/api";
import { useEvents } from "../../stores/events";
import { dayLabel, formatUsd, sessionsListQuery } from "../../stores/sessions";

/** Every conversation of this account, grouped by the day it was started, with New chat on top. */
export function SessionsSidebar(props: { currentId: string | undefined; creating: boolean; onNew: () => void }) {
  const events = useEvents();
  const list = createQuery(() => sessionsListQuery(api, events.snapshotReady));
  const now = new Date();
  return (
    <nav class="chat-sessions" aria-label="Conversations">
      <button class="button button--primary button--block" type="button" onClick={() => props.onNew()} disabled={props.creating}>
        <Show when={props.creating}>
          <Spinner />
        </Show>
        New chat
      </button>
      <QueryView
        query={list}
        errorLead="The conversations could not be loaded: "
        loading={
          <p class="muted" role="status">
            <Spinner /> Loading conversations…
          </p>
        }
      >
        {(groups) => (
          <Show when={groups().some((g) => g.sessions.length > 0)} fallback={<p class="muted">No conversations yet.</p>}>
            <For each={groups()}>
              {(group) => (
                <section class="chat-sessions__group" aria-label={dayLabel(group.key, now)}>
                  <h2 class="chat-sessions__day">{dayLabel(group.key, now)}</h2>
                  <ul>
                    <For each={group.sessions}>
                      {(s) => (
                        <li>
                          <A
                            href={`/chat/${encodeURIComponent(s.id)}`}
                            class="chat-sessions__link"
                            aria-current={s.id === props.currentId ? "page" : undefined}
                            data-session-id={s.id}
                          >
                            <span class="chat-sessions__title">{s.title}</span>
                            <span class="chat-sessions__meta">
                              <Show when={s.status !== "active"}>
                                <span class={`session-status session-status--${s.status}`}>{s.status}</span>
                              </Show>
                              {formatUsd(s.usage.costUsd)}
                            </span>
                          </A>
                        </li>
                      )}
                    </For>
                  </ul>
                </section>
              )}
            </For>
          </Show>
        )}
      </QueryView>
    </nav>
  );
}
