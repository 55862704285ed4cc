import { z } from "zod";
import { PublicUser } from "./auth";
import { Integration, IntegrationEvent } from "./integrations";

/**
 * The operator's routes (`/api/admin/*`, `npm run admin`): an account's
 * integrations with their recent failures, and the dead letters of each
 * queue. Nothing here carries a token.
 */

/** An account is named by its email, or by its id. */
export const AdminUserParam = z.string().trim().min(1, "name the account by email or id").max(320);

export const AdminIntegration = Integration.extend({
  /** The newest failures first (refresh_failed, error, expired), at most 5. */
  recentErrors: z.array(IntegrationEvent),
});

export const AdminIntegrations = z.object({
  user: PublicUser,
  integrations: z.array(AdminIntegration),
});
export type AdminIntegrations = z.infer<typeof AdminIntegrations>;

export const AdminIntegrationResponse = z.object({ user: PublicUser, integration: Integration });

export const AdminUserDeleted = z.object({ deleted: z.object({ id: z.string(), email: z.string() }) });

export const DeadLetter = z.object({
  /** The message id the dead-letter queue delivered it with. */
  id: z.string(),
  /** The original queue, where a requeue sends it. */
  queue: z.string(),
  body: z.unknown(),
  /** Deliveries from the dead-letter queue. */
  attempts: z.number().int(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  reason: z.string().nullable(),
  requeuedAt: z.string().nullable(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;

export const DeadLetterQuery = z
  .object({
    /** `true`: also the ones already requeued. */
    all: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

export const DeadLetterList = z.object({ queue: z.string(), deadLetters: z.array(DeadLetter) });

export const RequeueResult = z.object({
  queue: z.string(),
  /** Sent back onto the queue now. */
  requeued: z.array(z.string()),
  /** Requeued before: nothing was sent again. */
  alreadyRequeued: z.array(z.object({ id: z.string(), requeuedAt: z.string() })),
});
export type RequeueResult = z.infer<typeof RequeueResult>;
