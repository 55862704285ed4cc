import { A } from "@solidjs/router";
import { createQuery } from "@tanstack/solid-query";
import { For, Show } from "solid-js";
import { QueryView } from "../../components/QueryView";
import { api } from "../../lib/api";
import { useEvents } from "../../stores/events";
import { toolsQuery } from "../../stores/sessions";

/** The tools the agent may call on its next turn; an `integration` frame refreshes them as providers come and go. */
export function ToolsPanel() {
  const events = useEvents();
  const tools = createQuery(() => toolsQuery(api, events.snapshotReady));
  return (
    <aside class="chat-tools" aria-labelledby="chat-tools-heading">
      <h2 id="chat-tools-heading">Tools available now</h2>
      <QueryView
        query={tools}
        loading="Loading tools…"
      >
        {(list) => (
          <Show when={list().length > 0} fallback={<p class="muted">No tools yet: the agent can only talk until you connect an integration.</p>}>
            <ul class="chat-tools__list" data-testid="tools-list">
              <For each={list()}>
                {(tool) => (
                  <li title={tool.description}>
                    <code>{tool.name}</code>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        )}
      </QueryView>
      <A href="/integrations" class="chat-tools__more">
        Connect more in Integrations
      </A>
    </aside>
  );
}
