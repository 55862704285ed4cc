import { z } from "zod";

/**
 * The security audit log as the API and the web app see it: one closed list
 * of actions, who did them (actor), to whose account (subject), with what
 * result, from where. Never a password, token, code or secret.
 */
export const AUDIT_ACTIONS = [
  "auth.register",
  "auth.login_succeeded",
  "auth.login_failed",
  "auth.logout",
  "auth.refresh_reuse_detected",
  "auth.rate_limited",
  "auth.sessions_ended",
  "account.exported",
  "account.deleted",
  "integration.connected",
  "integration.disconnected",
  "integration.revoked_by_provider",
  "integration.refresh_failed",
  "mcp.client_registered",
  "mcp.grant_approved",
  "mcp.grant_revoked",
  "admin.denied",
  "admin.role_granted",
  "admin.role_revoked",
  "admin.deliveries_listed",
  "admin.audit_read",
  "admin.integrations_read",
  "admin.integration_refreshed",
  "admin.integration_revoked",
  "admin.account_exported",
  "admin.dead_letters_listed",
  "admin.dead_letters_requeued",
  "keys.rotated",
  "webhook.replayed",
] as const;
export const AuditAction = z.enum(AUDIT_ACTIONS);
export type AuditAction = z.infer<typeof AuditAction>;

/** `operator`: the ADMIN_TOKEN bearer (`npm run admin`), with the name it gave, if any. */
export const ActorType = z.enum(["user", "admin", "mcp_client", "anonymous", "system", "cli", "operator"]);
export type ActorType = z.infer<typeof ActorType>;

export const AuditEntry = z.object({
  id: z.string(),
  at: z.string(),
  actor: z.object({ type: ActorType, id: z.string().nullable() }),
  subjectUserId: z.string().nullable(),
  action: AuditAction,
  result: z.enum(["success", "failure"]),
  /** Why it failed, as a stable code (`invalid_credentials`, `rate_limited`…). */
  code: z.string().nullable(),
  /** The address, truncated (IPv4 /24, IPv6 /64) unless the subject acted themselves. */
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string().nullable(),
  /** A few plain facts: the provider, the client's name, the delivery id. */
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditPage = z.object({
  entries: z.array(AuditEntry),
  /** Pass as `before` for the next (older) page; null at the end. */
  nextBefore: z.string().nullable(),
});

export const MyAuditQuery = z
  .object({
    before: z.coerce.number().int().positive().optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

export const AdminAuditQuery = z
  .object({
    user: z.string().max(320).optional(),
    action: AuditAction.optional(),
    since: z.iso.datetime().optional(),
    before: z.coerce.number().int().positive().optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

export const EndEverythingResult = z.object({ endedLogins: z.number().int(), integrationsDisconnected: z.number().int(), mcpGrantsRevoked: z.number().int() });
