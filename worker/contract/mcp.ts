import { z } from "zod";

/** The MCP consent page and the grants list ("Use with other apps") as the web app sees them. */

export const McpConsent = z.object({
  client: z.object({
    id: z.string(),
    name: z.string(),
    /** The client's own site, when it gave one at registration. */
    uri: z.string().nullable(),
    /** Where the person is sent back to: the host the authorization code goes to. */
    redirectHost: z.string(),
  }),
  scopes: z.array(z.string()),
  /** The integrations whose tools the client would get right now, and the knowledge base. */
  providers: z.array(z.object({ provider: z.string(), status: z.string() })),
  expiresAt: z.string(),
});
export type McpConsent = z.infer<typeof McpConsent>;

export const McpDecision = z.object({ decision: z.enum(["approve", "deny"]) }).strict();
export const McpDecisionResult = z.object({ redirectTo: z.string() });

export const McpGrant = z.object({
  id: z.string(),
  clientId: z.string(),
  clientName: z.string(),
  scopes: z.array(z.string()),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  calls: z.number().int(),
});
export type McpGrant = z.infer<typeof McpGrant>;

export const McpGrantList = z.object({
  /** The URL to give an MCP client. */
  mcpUrl: z.string(),
  grants: z.array(McpGrant),
});
export type McpGrantList = z.infer<typeof McpGrantList>;
