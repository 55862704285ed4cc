import { Show } from "solid-js";
import type { ConnectionState } from "../lib/events";
import { describeEvent, useEvents } from "../stores/events";

const LABELS: Record<ConnectionState, string> = {
  connected: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

const HINTS: Record<ConnectionState, string> = {
  connected: "Changes appear here as they happen.",
  reconnecting: "Connection lost; retrying. Missed changes will be caught up.",
  offline: "No connection. Changes will be caught up when you are back online.",
};

/** Connection state and the latest event, in the top bar. Announced politely to screen readers. */
export function ConnectionIndicator() {
  const events = useEvents();
  return (
    <div class="realtime">
      <Show when={events.latest()}>
        {(frame) => (
          <p class="realtime__activity" role="status" aria-live="polite" title={frame().timestamp}>
            {describeEvent(frame())}
          </p>
        )}
      </Show>
      <span class="realtime__state" data-state={events.state()} title={HINTS[events.state()]} aria-label={`Realtime: ${LABELS[events.state()]}`}>
        <span class="realtime__dot" aria-hidden="true" />
        {LABELS[events.state()]}
      </span>
    </div>
  );
}
