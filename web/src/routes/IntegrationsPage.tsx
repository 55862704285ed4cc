import { A, useSearchParams } from "@solidjs/router";
import { createQuery } from "@tanstack/solid-query";
import { For, onMount, Show } from "solid-js";
import { PageHeader } from "../components/EmptyState";
import { showNotice } from "../components/Notice";
import { QueryView } from "../components/QueryView";
import { api } from "../lib/api";
import { useEvents } from "../stores/events";
import { integrationsQuery } from "../stores/integrations";
import { peekResume } from "../stores/sessions";
import { describeError, providerName } from "./integrations/messages";
import { ProviderCard } from "./integrations/ProviderCard";
import { McpSection } from "./mcp/McpSection";
import "./integrations/integrations.css";

export function IntegrationsPage() {
  const events = useEvents();
  // Any tab, the cron or a provider 401 changes an integration: its event invalidates this query (see server-state.ts).
  const list = createQuery(() => integrationsQuery(api, events.snapshotReady));
  const [params, setParams] = useSearchParams<{ connected?: string; error?: string; provider?: string }>();

  // Sent here by a conversation's Reconnect button: the way back, where the paused turn resumes.
  const waiting = typeof sessionStorage === "undefined" ? undefined : peekResume(sessionStorage);

  onMount(() => {
    // Back from the consent page: say what happened once, then drop it from the URL so a reload does not repeat it.
    if (params.connected) {
      showNotice({ kind: "success", text: `${providerName(params.connected)} is connected.`, testId: "integration-toast" });
    } else if (params.error) {
      showNotice({ kind: "error", text: describeError(params.error, params.provider ?? "the provider"), testId: "integration-toast" });
    }
    if (params.connected || params.error || params.provider) {
      setParams({ connected: undefined, error: undefined, provider: undefined }, { replace: true });
    }
  });

  return (
    <>
      <PageHeader title="Integrations" subtitle="The accounts your agents may act on. Connect one and its tools become available at once." />
      <Show when={waiting}>
        {(w) => (
          <p class="chat-return" role="note">
            A conversation is paused until {w().provider ? providerName(w().provider!) : "an integration"} is connected again.{" "}
            <A href={`/chat/${encodeURIComponent(w().sessionId)}`}>Back to the conversation</A>
          </p>
        )}
      </Show>
      <QueryView
        query={list}
        retryLabel="Try again"
        loading="Loading integrations…"
      >
        {(integrations) => (
          <div class="integration-grid">
            <For each={integrations()}>{(integration) => <ProviderCard integration={integration} />}</For>
          </div>
        )}
      </QueryView>
      <McpSection />
    </>
  );
}
