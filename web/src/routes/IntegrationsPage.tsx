import { useSearchParams } from "@solidjs/router";
import { createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { PageHeader } from "../components/EmptyState";
import { Spinner } from "../components/Spinner";
import { useEvents } from "../stores/events";
import { createIntegrationsStore } from "../stores/integrations";
import { describeError, providerName } from "./integrations/messages";
import { ProviderCard } from "./integrations/ProviderCard";
import { ReturnToast, type ReturnNotice } from "./integrations/ReturnToast";
import "./integrations/integrations.css";

export function IntegrationsPage() {
  const store = createIntegrationsStore();
  const events = useEvents();
  const [params, setParams] = useSearchParams<{ connected?: string; error?: string; provider?: string }>();
  const [notice, setNotice] = createSignal<ReturnNotice | null>(null);

  onMount(() => {
    // Back from the consent page: say what happened once, then drop it from the URL so a reload does not repeat it.
    if (params.connected) setNotice({ kind: "success", text: `${providerName(params.connected)} is connected.` });
    else if (params.error) setNotice({ kind: "error", text: describeError(params.error, params.provider ?? "the provider") });
    if (params.connected || params.error || params.provider) {
      setParams({ connected: undefined, error: undefined, provider: undefined }, { replace: true });
    }
    void store.load();
    // Any tab, the cron or a provider 401 changes an integration: its event updates the card here.
    const offEvent = events.on("integration", (frame) => store.applyEvent(frame));
    // After a gap in the stream (or the window coming back) events may have been missed: refetch everything.
    const offResync = events.onResync(() => void store.load());
    onCleanup(() => {
      offEvent();
      offResync();
    });
  });

  return (
    <>
      <PageHeader title="Integrations" subtitle="The accounts your agents may act on. Connect one and its tools become available at once." />
      <ReturnToast notice={notice()} onDismiss={() => setNotice(null)} />
      <Show when={store.loadError()}>
        {(message) => (
          <p class="integration-card__error" role="alert">
            {message()}{" "}
            <button class="button" type="button" onClick={() => void store.load()}>
              Try again
            </button>
          </p>
        )}
      </Show>
      <Show
        when={store.loaded()}
        fallback={
          <p class="muted" role="status">
            <Spinner /> Loading integrations…
          </p>
        }
      >
        <div class="integration-grid">
          <For each={store.integrations()}>{(integration) => <ProviderCard integration={integration} store={store} />}</For>
        </div>
      </Show>
    </>
  );
}
