import type { QueryClient } from "@tanstack/solid-query";
import type { EventsStore } from "./events";
import { invalidateForFrame } from "./integrations";
import { invalidateForKbFrame } from "./kb";
import { invalidateTemplatePreviews } from "./templates";
import { invalidateForSessionFrame, invalidateToolsForFrame } from "./sessions";
import { invalidateForSpecFrame } from "./specs";

/**
 * Which cached server state each pushed event makes stale: the one place
 * where the event stream meets the query cache. A `resume_gap` means events
 * were missed, so everything is.
 */
export function invalidateOnEvents(queryClient: QueryClient, events: Pick<EventsStore, "on" | "onResync">): () => void {
  const offs = [
    events.on("integration", (frame) =>
      void Promise.all([invalidateForFrame(queryClient, frame), invalidateToolsForFrame(queryClient), invalidateTemplatePreviews(queryClient)]),
    ),
    events.on("step", (frame) => void invalidateForSessionFrame(queryClient, frame)),
    events.on("chat", (frame) => void invalidateForSessionFrame(queryClient, frame)),
    events.on("status", (frame) => void invalidateForSessionFrame(queryClient, frame)),
    events.on("status", (frame) => void invalidateForKbFrame(queryClient, frame)),
    ...(["spec", "app", "step", "status", "chat", "error"] as const).map((kind) => events.on(kind, (frame) => void invalidateForSpecFrame(queryClient, frame))),
    events.onResync(() => void queryClient.invalidateQueries()),
  ];
  return () => {
    for (const off of offs) off();
  };
}
