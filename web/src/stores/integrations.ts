import { createSignal } from "solid-js";
import type { Integration, IntegrationEvent, ProviderName } from "../../../worker/contract/integrations";
import { api as defaultClient, errorMessage, type ApiClient } from "../lib/api";

/** An `integration` frame from the event stream (`integrationEvent` in worker/contract/events.ts). */
export interface IntegrationFrame {
  kind: "integration";
  provider: string;
  status: string;
  event: string;
}

export type Busy = "connecting" | "disconnecting" | undefined;

const PROVIDER_ORDER: ProviderName[] = ["gmail", "calendar", "slack", "github"];

/**
 * The integrations as the UI sees them: the four cards, what each is busy
 * doing, and each one's event history for the debug panel. Server state is
 * the source of truth; an `integration` event only says "this one changed",
 * so the store refetches that card (and its history, when it is shown).
 */
export function createIntegrationsStore(client: ApiClient = defaultClient) {
  const [integrations, setIntegrations] = createSignal<Integration[]>([]);
  const [loaded, setLoaded] = createSignal(false);
  const [loadError, setLoadError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal<Partial<Record<ProviderName, Busy>>>({});
  const [actionError, setActionError] = createSignal<Partial<Record<ProviderName, string>>>({});
  const [events, setEvents] = createSignal<Partial<Record<ProviderName, IntegrationEvent[]>>>({});
  const watchedHistories = new Set<ProviderName>();

  const setFor = <T,>(setter: (fn: (prev: Partial<Record<ProviderName, T>>) => Partial<Record<ProviderName, T>>) => unknown, p: ProviderName, v: T | undefined) =>
    setter((prev) => ({ ...prev, [p]: v }));

  function upsert(next: Integration) {
    setIntegrations((list) => {
      const rest = list.filter((i) => i.provider !== next.provider);
      return [...rest, next].sort((a, b) => PROVIDER_ORDER.indexOf(a.provider) - PROVIDER_ORDER.indexOf(b.provider));
    });
  }

  async function load() {
    try {
      const { integrations: list } = await client.get<{ integrations: Integration[] }>("/api/integrations");
      setIntegrations([...list].sort((a, b) => PROVIDER_ORDER.indexOf(a.provider) - PROVIDER_ORDER.indexOf(b.provider)));
      setLoadError(null);
    } catch (e) {
      setLoadError(errorMessage(e));
    } finally {
      setLoaded(true);
    }
  }

  async function refreshOne(provider: ProviderName) {
    upsert(await client.get<Integration>(`/api/integrations/${provider}/status`));
    if (watchedHistories.has(provider)) await loadEvents(provider);
  }

  /** Starts OAuth: the server keeps state and verifier; the browser goes to the provider's consent page. */
  async function connect(provider: ProviderName, navigate: (url: string) => void = (url) => window.location.assign(url)) {
    setFor(setBusy, provider, "connecting");
    setFor(setActionError, provider, undefined);
    try {
      const { authorizationUrl } = await client.post<{ authorizationUrl: string }>(`/api/integrations/${provider}/auth`, { returnTo: "/integrations" });
      navigate(authorizationUrl);
    } catch (e) {
      setFor(setActionError, provider, errorMessage(e));
      setFor(setBusy, provider, undefined);
    }
  }

  async function disconnect(provider: ProviderName) {
    setFor(setBusy, provider, "disconnecting");
    setFor(setActionError, provider, undefined);
    try {
      upsert(await client.post<Integration>(`/api/integrations/${provider}/disconnect`));
      if (watchedHistories.has(provider)) await loadEvents(provider);
    } catch (e) {
      setFor(setActionError, provider, errorMessage(e));
    } finally {
      setFor(setBusy, provider, undefined);
    }
  }

  async function loadEvents(provider: ProviderName) {
    watchedHistories.add(provider);
    try {
      const { events: list } = await client.get<{ events: IntegrationEvent[] }>(`/api/integrations/${provider}/events`);
      setFor(setEvents, provider, list);
    } catch (e) {
      setFor(setActionError, provider, errorMessage(e));
    }
  }

  function unwatchEvents(provider: ProviderName) {
    watchedHistories.delete(provider);
  }

  /** A pushed `integration` event: refetch that card, whichever tab caused the change. */
  function applyEvent(frame: IntegrationFrame) {
    const provider = PROVIDER_ORDER.find((p) => p === frame.provider);
    if (provider) void refreshOne(provider).catch(() => load());
  }

  return {
    integrations,
    loaded,
    loadError,
    busy: (p: ProviderName) => busy()[p],
    actionError: (p: ProviderName) => actionError()[p],
    events: (p: ProviderName) => events()[p],
    load,
    connect,
    disconnect,
    loadEvents,
    unwatchEvents,
    applyEvent,
  };
}

export type IntegrationsStore = ReturnType<typeof createIntegrationsStore>;
