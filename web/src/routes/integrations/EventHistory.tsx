import { createQuery } from "@tanstack/solid-query";
import { createSignal, For, Show } from "solid-js";
import type { ProviderName } from "../../../../worker/contract/integrations";
import { QueryView } from "../../components/QueryView";
import { api } from "../../lib/api";
import { useEvents } from "../../stores/events";
import { integrationEventsQuery } from "../../stores/integrations";
import { describeEventDetail } from "./messages";

/** The collapsible debug view: every transition of this integration, newest first, with the provider's own codes. */
export function EventHistory(props: { provider: ProviderName }) {
  const events = useEvents();
  const [open, setOpen] = createSignal(false);
  // Fetched only while open; an event for this provider refetches it then, or marks it stale for the next opening.
  const history = createQuery(() => ({ ...integrationEventsQuery(api, events.snapshotReady, props.provider), enabled: open() }));

  return (
    <details class="event-history" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Debug: event history</summary>
      <QueryView
        query={history}
        errorLead="The history could not be loaded: "
        errorClass="event-history__error"
        loading={<p class="muted">{history.fetchStatus === "paused" ? "Waiting for the network…" : "Loading…"}</p>}
      >
        {(list) => (
          <Show when={list().length > 0} fallback={<p class="muted">No events yet.</p>}>
            <ol class="event-history__list">
              <For each={list()}>
                {(ev) => (
                  <li>
                    <time datetime={ev.createdAt}>{new Date(ev.createdAt).toLocaleString()}</time>
                    <span class="event-history__type">{ev.type}</span>
                    <span class={`status-badge status-badge--${ev.status}`}>{ev.status}</span>
                    <Show when={describeEventDetail(ev.detail)}>{(text) => <span class="event-history__detail">{text()}</span>}</Show>
                  </li>
                )}
              </For>
            </ol>
          </Show>
        )}
      </QueryView>
    </details>
  );
}
