import type { MutationOptions, QueryClient, QueryFunctionContext } from "@tanstack/solid-query";
import type { PublicUser } from "../../../worker/contract/auth";
import type { WebhookDelivery } from "../../../worker/contract/webhooks";
import type { ApiClient } from "../lib/api";

export const webhookKeys = {
  me: ["me"] as const,
  deliveries: ["webhook-deliveries"] as const,
};

/** The account as the server has it now: its role may have changed since sign-in (`npm run admin:grant`). */
export function meQuery(client: ApiClient) {
  return {
    queryKey: webhookKeys.me,
    queryFn: async ({ signal }: QueryFunctionContext) => (await client.get<{ user: PublicUser }>("/api/me", { signal })).user,
  };
}

/** Recent deliveries, newest first; refreshed every few seconds while shown, since processing happens on a queue. */
export function deliveriesQuery(client: ApiClient) {
  return {
    queryKey: webhookKeys.deliveries,
    queryFn: async ({ signal }: QueryFunctionContext) => (await client.get<{ deliveries: WebhookDelivery[] }>("/api/admin/webhooks/deliveries?limit=50", { signal })).deliveries,
    refetchInterval: 5000,
  };
}

export function replayMutation(client: ApiClient, queryClient: QueryClient): MutationOptions<{ delivery: WebhookDelivery }, Error, string> {
  return {
    mutationKey: ["webhook-replay"],
    mutationFn: (id) => client.post(`/api/admin/webhooks/deliveries/${encodeURIComponent(id)}/replay`),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: webhookKeys.deliveries }),
  };
}
