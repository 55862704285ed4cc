import { createEffect, createSignal, on, Show } from "solid-js";
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

/**
 * Connection state and the latest event, in the top bar. Only changes of the
 * connection state are spoken (politely): an activity line read out on every
 * event would talk over whatever the person is doing. Going live at page
 * load is not news either; going live again after trouble is.
 */
export function ConnectionIndicator() {
  const events = useEvents();
  const [announcement, setAnnouncement] = createSignal("");
  let troubleSeen = false;
  createEffect(
    on(
      events.state,
      (state) => {
        if (state === "connected" && !troubleSeen) return;
        troubleSeen = true;
        setAnnouncement(`Realtime: ${LABELS[state]} ${HINTS[state]}`);
      },
      { defer: true },
    ),
  );
  return (
    <div class="realtime">
      <Show when={events.latest()}>
        {(frame) => (
          <p class="realtime__activity" data-testid="realtime-activity" title={frame().timestamp}>
            {describeEvent(frame())}
          </p>
        )}
      </Show>
      <span class="realtime__state" data-state={events.state()} title={HINTS[events.state()]} aria-label={`Realtime: ${LABELS[events.state()]}`}>
        <span class="realtime__dot" aria-hidden="true" />
        {LABELS[events.state()]}
      </span>
      <span class="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid="realtime-announcer">
        {announcement()}
      </span>
    </div>
  );
}
