import { Hono } from "hono";
import { audit, requestFrom } from "../audit/audit";
import { MyAuditQuery } from "../contract/audit";
import { listAudit } from "../db/audit";
import { listIntegrationRows } from "../db/integrations";
import { disconnectAllIntegrations } from "../integrations/disconnect";
import { revokeAllMcpGrants } from "../mcp/consent";
import { closeUserSockets } from "../realtime/publish";
import { DeleteAccountBody } from "../contract/auth";
import { findUserById, raiseSessionVersion, revokeAllFamiliesOf } from "../db/accounts";
import { database } from "../db/client";
import { AppError } from "../errors";
import type { AppBindings } from "../http/types";
import { jsonBody, queryParams } from "../http/validate";
import { ACCOUNT_DELETE_PER_USER, deleteAccount } from "./account-deletion";
import { buildAccountExport } from "./account-export";
import { confirmedUsers } from "./confirmed-users";
import { invalidToken, requireAccessToken, requireUser, sessionStillValid } from "./middleware";
import { verifyPassword } from "./password";
import { enforceRateLimits } from "./rate-limit";
import { clearRefreshCookie, publicUser } from "./session";

/** A valid token for a deleted account: answer like a bad token so the client signs out. */
function accountGone(userId: string): AppError {
  confirmedUsers.forget(userId);
  return invalidToken();
}

/**
 * `/api/me`: the signed-in user's own account. `GET /api/me` reads the user's row anyway, and that read is its check
 * of the token (`requireAccessToken`); the others check it as every authenticated route does (`requireUser`).
 */
export const me = new Hono<AppBindings>()
  .get("/", requireAccessToken, async (c) => {
    const user = await findUserById(database(c.env), c.get("userId"));
    if (!user || !sessionStillValid(c.get("tokenSessionVersion"), user.sessionVersion)) throw accountGone(c.get("userId"));
    return c.json({ user: publicUser(user) });
  })

  .use("*", requireUser)

  .get("/export", async (c) => {
    const data = await buildAccountExport(c.env, c.get("userId"));
    if (!data) throw accountGone(c.get("userId"));
    await audit(c.env, { action: "account.exported", actor: { type: "user", id: c.get("userId") }, subjectUserId: c.get("userId"), from: requestFrom(c) });
    return c.body(JSON.stringify(data, null, 2), 200, {
      "content-type": "application/json; charset=utf-8",
      "content-disposition": `attachment; filename="taskpilot-export-${data.exportedAt.slice(0, 10)}.json"`,
      "cache-control": "no-store",
    });
  })

  /** The person's own security log, newest first. */
  .get("/audit", queryParams(MyAuditQuery), async (c) => {
    const q = c.req.valid("query");
    return c.json(await listAudit(database(c.env), { subjectUserId: c.get("userId"), before: q.before, limit: q.limit }));
  })

  /**
   * "This wasn't me": every login of the account ends (refresh tokens
   * revoked, the session version raised so access tokens already issued are
   * refused, sockets closed), every integration is disconnected and revoked
   * at its provider, and every MCP client loses its grant.
   */
  .post("/end-everything", async (c) => {
    const userId = c.get("userId");
    const db = database(c.env);
    // First, so a stolen access token stops working before anything else is done.
    const version = await raiseSessionVersion(db, userId);
    if (version === undefined) throw accountGone(userId);
    confirmedUsers.confirm(userId, version);
    const endedLogins = await revokeAllFamiliesOf(db, userId, "ended_by_user");
    const before = (await listIntegrationRows(db, userId)).filter((r) => r.status !== "disconnected").length;
    await disconnectAllIntegrations(c.env, c.get("config"), userId);
    const mcpGrants = await revokeAllMcpGrants(c.env, userId);
    await closeUserSockets(c.env, userId).catch(() => 0);
    await audit(c.env, { action: "auth.sessions_ended", actor: { type: "user", id: userId }, subjectUserId: userId, from: requestFrom(c), detail: { endedLogins, integrations: before, mcpGrants } });
    clearRefreshCookie(c);
    return c.json({ endedLogins, integrationsDisconnected: before, mcpGrantsRevoked: mcpGrants });
  })

  .delete("/", jsonBody(DeleteAccountBody), async (c) => {
    const userId = c.get("userId");
    const db = database(c.env);
    await enforceRateLimits(db, [[ACCOUNT_DELETE_PER_USER, userId]]);
    const user = await findUserById(db, userId);
    if (!user) throw accountGone(userId);
    const stored = { hash: user.passwordHash, salt: user.passwordSalt, iterations: user.passwordIterations };
    if (!(await verifyPassword(c.req.valid("json").password, stored))) {
      throw new AppError(401, "invalid_credentials", "The password is not right, so the account was not deleted.");
    }
    await deleteAccount(c.env, c.get("config"), userId, c.get("requestId"));
    clearRefreshCookie(c);
    return c.body(null, 204);
  });
