import { For, Show } from "solid-js";
import type { ProviderName } from "../../../../worker/contract/integrations";
import type { IntegrationsStore } from "../../stores/integrations";
import { describeEventDetail } from "./messages";

/** The collapsible debug view: every transition of this integration, newest first, with the provider's own codes. */
export function EventHistory(props: { provider: ProviderName; store: IntegrationsStore }) {
  const onToggle = (e: Event) => {
    const open = (e.currentTarget as HTMLDetailsElement).open;
    if (open) void props.store.loadEvents(props.provider);
    else props.store.unwatchEvents(props.provider);
  };

  return (
    <details class="event-history" onToggle={onToggle}>
      <summary>Debug: event history</summary>
      <Show when={props.store.events(props.provider)} fallback={<p class="muted">Loading…</p>}>
        {(events) => (
          <Show when={events().length > 0} fallback={<p class="muted">No events yet.</p>}>
            <ol class="event-history__list">
              <For each={events()}>
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
      </Show>
    </details>
  );
}
