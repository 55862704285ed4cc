import type { MutationOptions, QueryClient, QueryFunctionContext } from "@tanstack/solid-query";
import type { Integration, IntegrationEvent, ProviderName } from "../../../worker/contract/integrations";
import type { ApiClient } from "../lib/api";

/** An `integration` frame from the event stream (`integrationEvent` in worker/contract/events.ts): it only says "this one changed". */
export interface IntegrationFrame {
  kind: "integration";
  provider: string;
}

const PROVIDER_ORDER: ProviderName[] = ["gmail", "calendar", "slack", "github"];

/** Cache keys, one per resource the server has. */
export const integrationKeys = {
  list: ["integrations"] as const,
  events: (provider: ProviderName) => ["integration-events", provider] as const,
};

/** Resolves when a REST read may start: after the event stream's resume point was taken (see EventsConnection). */
export type SnapshotReady = () => Promise<void>;

const byProvider = (list: Integration[]) =>
  [...list].sort((a, b) => PROVIDER_ORDER.indexOf(a.provider) - PROVIDER_ORDER.indexOf(b.provider));

/** The four cards, in a fixed order. */
export function integrationsQuery(client: ApiClient, snapshotReady: SnapshotReady) {
  return {
    queryKey: integrationKeys.list,
    // Keyed reconciliation keeps each card (and its open panels) across refetches.
    reconcile: "provider",
    queryFn: async ({ signal }: QueryFunctionContext) => {
      await snapshotReady();
      const { integrations } = await client.get<{ integrations: Integration[] }>("/api/integrations", { signal });
      return byProvider(integrations);
    },
  };
}

/** One provider's transitions for the debug panel, newest first. */
export function integrationEventsQuery(client: ApiClient, snapshotReady: SnapshotReady, provider: ProviderName) {
  return {
    queryKey: integrationKeys.events(provider),
    reconcile: "id",
    queryFn: async ({ signal }: QueryFunctionContext) => {
      await snapshotReady();
      const { events } = await client.get<{ events: IntegrationEvent[] }>(`/api/integrations/${provider}/events`, { signal });
      return events;
    },
  };
}

export function knownProvider(name: string): ProviderName | undefined {
  return PROVIDER_ORDER.find((p) => p === name);
}

/**
 * A pushed `integration` frame, whichever tab, cron run or provider 401
 * caused it: the list and that provider's history are stale. Only what is
 * on screen refetches now; the rest refetches when it is next shown.
 */
export async function invalidateForFrame(queryClient: QueryClient, frame: IntegrationFrame): Promise<void> {
  const provider = knownProvider(frame.provider);
  if (!provider) return;
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: integrationKeys.list }),
    queryClient.invalidateQueries({ queryKey: integrationKeys.events(provider) }),
  ]);
}

/** Starts OAuth: the server keeps state and verifier; the browser goes to the provider's consent page. */
export function connectMutation(
  client: ApiClient,
  provider: ProviderName,
  navigate: (url: string) => void = (url) => window.location.assign(url),
  /** The app path the provider's callback brings the person back to. */
  returnTo = "/integrations",
): MutationOptions<void, Error, void> {
  return {
    mutationKey: ["integration-connect", provider],
    mutationFn: async () => {
      const { authorizationUrl } = await client.post<{ authorizationUrl: string }>(`/api/integrations/${provider}/auth`, { returnTo });
      navigate(authorizationUrl);
    },
  };
}

/** Disconnects, puts the server's answer into the list at once and marks the history stale. */
export function disconnectMutation(client: ApiClient, queryClient: QueryClient, provider: ProviderName): MutationOptions<Integration, Error, void> {
  return {
    mutationKey: ["integration-disconnect", provider],
    mutationFn: () => client.post<Integration>(`/api/integrations/${provider}/disconnect`),
    onSuccess: (next) => {
      queryClient.setQueryData<Integration[]>(integrationKeys.list, (list) =>
        list ? byProvider([...list.filter((i) => i.provider !== next.provider), next]) : list,
      );
      void queryClient.invalidateQueries({ queryKey: integrationKeys.events(provider) });
    },
  };
}
