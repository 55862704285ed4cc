import { z } from "zod";

/** A stored webhook delivery as the admin routes and the Settings view show it. */
export const WebhookDeliveryStatus = z.enum(["received", "processed", "failed"]);

export const WebhookDelivery = z.object({
  id: z.string(),
  provider: z.enum(["github", "slack"]),
  /** The provider's id: `X-GitHub-Delivery`, Slack `event_id` (or `sha256:` of the body when there is none). */
  deliveryId: z.string(),
  eventType: z.string(),
  action: z.string().nullable(),
  status: WebhookDeliveryStatus,
  attempts: z.number().int(),
  /** Times the provider sent it again after the first; none of them was processed. */
  duplicates: z.number().int(),
  replays: z.number().int(),
  lastError: z.string().nullable(),
  /** What processing did, in a line. */
  outcome: z.string().nullable(),
  receivedAt: z.string(),
  processedAt: z.string().nullable(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const WebhookDeliveryList = z.object({ deliveries: z.array(WebhookDelivery) });
export const WebhookDeliveryResponse = z.object({ delivery: WebhookDelivery });
