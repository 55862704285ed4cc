import { ToggleGroup } from "@kobalte/core/toggle-group";
import { A } from "@solidjs/router";
import { createQuery } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import { Spinner } from "../../components/Spinner";
import { QueryView } from "../../components/QueryView";
import { api } from "../../lib/api";
import { useEvents } from "../../stores/events";
import { dayLabel, formatUsd, sessionsListQuery, type SessionGrouping } from "../../stores/sessions";
import { templatesQuery } from "../../stores/templates";

const GROUPING_KEY = "taskpilot:sessions-grouping";

/** Every conversation of this account, grouped by the day of its last activity or by the template it started from, with New chat on top. */
export function SessionsSidebar(props: { currentId: string | undefined; creating: boolean; onNew: () => void }) {
  const events = useEvents();
  const [grouping, setGrouping] = createSignal<SessionGrouping>(localStorage.getItem(GROUPING_KEY) === "template" ? "template" : "day");
  const list = createQuery(() => sessionsListQuery(api, events.snapshotReady, grouping()));
  const templates = createQuery(() => ({ ...templatesQuery(api, events.snapshotReady, "all"), enabled: grouping() === "template" }));
  const now = new Date();
  const label = (key: string) => {
    if (grouping() === "day") return dayLabel(key, now);
    if (key === "none") return "No template";
    // Until the titles arrive (or if they cannot), the group is still a template's.
    if (!templates.data) return "Template";
    return templates.data.find((t) => t.id === key)?.title ?? "A template no longer available";
  };
  const choose = (value: string | null) => {
    if (value !== "day" && value !== "template") return;
    setGrouping(value);
    localStorage.setItem(GROUPING_KEY, value);
  };
  return (
    <nav class="chat-sessions" aria-label="Conversations">
      <button class="button button--primary button--block" type="button" onClick={() => props.onNew()} disabled={props.creating}>
        <Show when={props.creating}>
          <Spinner />
        </Show>
        New chat
      </button>
      <ToggleGroup class="segmented" value={grouping()} onChange={choose} aria-label="Group conversations">
        <ToggleGroup.Item class="segmented__item" value="day">
          By day
        </ToggleGroup.Item>
        <ToggleGroup.Item class="segmented__item" value="template">
          By template
        </ToggleGroup.Item>
      </ToggleGroup>
      <QueryView
        query={list}
        errorLead="The conversations could not be loaded: "
        loading="Loading conversations…"
      >
        {(groups) => (
          <Show when={groups().some((g) => g.sessions.length > 0)} fallback={<p class="muted">No conversations yet.</p>}>
            <For each={groups()}>
              {(group) => (
                <section class="chat-sessions__group" aria-label={label(group.key)}>
                  <h2 class="chat-sessions__day">{label(group.key)}</h2>
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
