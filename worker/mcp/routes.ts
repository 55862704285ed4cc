import { authorizationErrorRedirect } from "@cloudflare/workers-oauth-provider";
import { Hono } from "hono";
import { audit, requestFrom } from "../audit/audit";
import { requireUser } from "../auth/middleware";
import { McpDecision, type McpConsent } from "../contract/mcp";
import { database } from "../db/client";
import { listIntegrationRows } from "../db/integrations";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";
import { jsonBody } from "../http/validate";
import { PROVIDER_IDS } from "../integrations/providers";
import { listMcpGrants, oauthHelpers, readConsent, takeConsent } from "./consent";
import type { McpProps } from "./handler";
import { MCP_PATH, MCP_SCOPE } from "./provider";

/**
 * The signed-in person's side of MCP: the consent page's request and
 * answer, and the grants they have given (with last use), revocable.
 */
export const mcp = new Hono<AppBindings>()
  .use("*", requireUser)
  .get("/consent/:handle", async (c) => {
    const pending = await readConsent(c.env, c.req.param("handle"));
    const rows = await listIntegrationRows(database(c.env), c.get("userId"));
    const status = new Map(rows.map((r) => [r.provider, r.status]));
    const body: McpConsent = {
      client: { id: pending.request.clientId, name: pending.clientName, uri: pending.clientUri, redirectHost: new URL(pending.request.redirectUri).host },
      scopes: pending.request.scope.length ? pending.request.scope : [MCP_SCOPE],
      providers: PROVIDER_IDS.map((provider) => ({ provider, status: status.get(provider) ?? "disconnected" })),
      expiresAt: new Date(pending.expiresAt).toISOString(),
    };
    return c.json(body);
  })
  .post("/consent/:handle", jsonBody(McpDecision), async (c) => {
    const pending = await takeConsent(c.env, c.req.param("handle"));
    if (c.req.valid("json").decision === "deny") {
      return c.json({ redirectTo: authorizationErrorRedirect(pending.request, "access_denied", "The person declined.") });
    }
    const props: McpProps = { userId: c.get("userId") };
    const { redirectTo } = await oauthHelpers(c.env).completeAuthorization({
      request: pending.request,
      userId: c.get("userId"),
      metadata: { clientName: pending.clientName, approvedAt: new Date().toISOString() },
      scope: [MCP_SCOPE],
      props,
    });
    await audit(c.env, { action: "mcp.grant_approved", actor: { type: "user", id: c.get("userId") }, subjectUserId: c.get("userId"), from: requestFrom(c), detail: { clientId: pending.request.clientId, clientName: pending.clientName } });
    return c.json({ redirectTo });
  })
  .get("/grants", async (c) => {
    oauthHelpers(c.env); // 503 mcp_unavailable where the authorization server is not mounted
    const grants = await listMcpGrants(c.env, c.get("userId"));
    return c.json({ mcpUrl: `${new URL(c.get("config").publicUrl).origin}${MCP_PATH}`, grants });
  })
  .delete("/grants/:id", async (c) => {
    const userId = c.get("userId");
    const helpers = oauthHelpers(c.env);
    const { items } = await helpers.listUserGrants(userId);
    const grant = items.find((g) => g.id === c.req.param("id"));
    if (!grant) throw new AppError(404, "grant_not_found", "No such connected app.");
    await helpers.revokeGrant(grant.id, userId);
    await audit(c.env, { action: "mcp.grant_revoked", actor: { type: "user", id: userId }, subjectUserId: userId, from: requestFrom(c), detail: { clientId: grant.clientId, clientName: typeof grant.metadata?.clientName === "string" ? grant.metadata.clientName : grant.clientId } });
    return c.body(null, 204);
  });
