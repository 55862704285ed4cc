import { createContext, createSignal, useContext } from "solid-js";
import type { ServerFrame } from "../../../worker/contract/events";
import { kbProgressPercent } from "../../../worker/contract/kb";
import { api as defaultClient, type ApiClient } from "../lib/api";
import { EventsConnection, type EventsConnectionOptions } from "../lib/events";

/**
 * The app's one realtime connection as signals: connection state for the
 * indicator, the latest event for the activity line, typed subscriptions
 * (`on(kind, …)`, `onResync(…)`) that invalidate cached server state, and
 * `snapshotReady()`, which every REST read of that state awaits first.
 */
export function createEventsStore(client: ApiClient = defaultClient, options?: EventsConnectionOptions) {
  const connection = new EventsConnection(client, options);
  const [state, setState] = createSignal(connection.state);
  const [latest, setLatest] = createSignal<ServerFrame>();
  connection.onStateChange(setState);
  connection.onAny(setLatest);

  return {
    state,
    latest,
    lastEventId: () => connection.lastEventId,
    snapshotReady: () => connection.snapshotReady(),
    start: () => connection.start(),
    stop: () => connection.stop(),
    on: connection.on.bind(connection),
    onAny: connection.onAny.bind(connection),
    onResync: connection.onResync.bind(connection),
  };
}

export type EventsStore = ReturnType<typeof createEventsStore>;

export const EventsContext = createContext<EventsStore>();

export function useEvents(): EventsStore {
  const store = useContext(EventsContext);
  if (!store) throw new Error("useEvents() must be used inside <EventsContext.Provider> (the signed-in layout).");
  return store;
}

/** One line a person can read for any event. */
export function describeEvent(frame: ServerFrame): string {
  switch (frame.kind) {
    case "status":
      if (frame.scope === "kb") return describeKbStatus(frame.status, frame.message);
      return frame.message || `${frame.scope} ${frame.status}`;
    case "step":
      return `${frame.agent}: ${frame.message}`;
    case "chat":
      return `${frame.sender || frame.role}: ${frame.content.slice(0, 120)}`;
    case "app":
      return "A PRD is ready";
    case "error":
      return frame.message;
    case "integration":
      return `${frame.provider}: ${frame.event.replace(/_/g, " ")}`;
    case "spec":
      return `${frame.event.replace(/^spec\./, "").replace(/_/g, " ")}${frame.phase ? ` (${frame.phase})` : ""}`;
  }
}

/** A knowledge-base `status` frame in words: its message alone is only a percent. */
function describeKbStatus(status: string, message: string): string {
  const percent = kbProgressPercent(message);
  if (status === "failed") return `A document could not be indexed: ${message}`;
  if (status === "indexed") return "A document is indexed";
  if (status === "pending") return "A document is waiting to be indexed";
  return percent === null ? `Indexing a document` : `Indexing a document: ${percent}%`;
}
