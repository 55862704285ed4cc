import type { Config } from "../config";
import { listDisconnectsSince, deleteUser } from "../db/account-data";
import { database } from "../db/client";
import type { Env } from "../env";
import { log } from "../http/log";
import { disconnectAllIntegrations } from "../integrations/disconnect";
import { purgeUserHub } from "../realtime/publish";
import { revokeAllMcpGrants } from "../mcp/consent";
import { audit, type AuditWho } from "../audit/audit";
import { eraseAuditOf } from "../db/audit";
import { listUserSessions } from "../db/agent";
import { agentSession } from "../agent/stub";
import { prepareKbPurge } from "../kb/documents";
import { confirmedUsers } from "./confirmed-users";
import type { RateLimit } from "./rate-limit";

/**
 * Password confirmations per account: whoever holds a stolen access token
 * could otherwise use this route to guess the password at full speed.
 */
export const ACCOUNT_DELETE_PER_USER: RateLimit = { name: "account_delete:user", limit: 5, windowMs: 15 * 60 * 1000 };

/**
 * Removes an account whose password was just confirmed. The order matters:
 * provider grants are revoked first, while the sealed tokens still exist to
 * revoke with (a failed revoke is logged, not a reason to keep the account);
 * then the user row goes, and its cascade takes every other row of the user
 * (tickets included) with it; the hub is purged last, closing the sockets and
 * forgetting its log. Purging before the row was gone would leave a window in
 * which a ticket or access token issued earlier could still open a socket
 * that nothing would ever close. `actor` is who asked: the person, or an
 * operator (`npm run admin -- user:delete`), as the tombstone records it.
 */
export async function deleteAccount(env: Env, cfg: Config, userId: string, requestId: string | undefined, actor: AuditWho = { type: "user", id: userId }): Promise<void> {
  const db = database(env);
  const started = new Date();
  await disconnectAllIntegrations(env, cfg, userId);
  await logFailedRevocations(env, userId, started, requestId);
  // Read before the cascade removes the mirror: the ids name the session objects whose storage holds the conversations.
  const sessionIds = (await listUserSessions(db, userId, Number.MAX_SAFE_INTEGER)).map((s) => s.id);
  const purgeKnowledge = await prepareKbPurge(env, userId);
  await deleteUser(db, userId);
  // The account's own security log goes with it (addresses, devices); a tombstone with no personal data stays.
  await eraseAuditOf(db, userId);
  await audit(env, { action: "account.deleted", actor, subjectUserId: userId, from: { requestId: requestId ?? null } });
  // Reads in this isolate stop trusting the account at once; other isolates' confirmations run out on their own.
  confirmedUsers.forget(userId);
  try {
    await purgeUserHub(env, userId);
  } catch (e) {
    // The account is gone and a retry would meet a dead token, so the request still succeeds; the log names the hub to purge.
    log("error", "account_deletion_hub_purge_failed", { requestId, userId, error: (e as Error).message });
  }
  for (const id of sessionIds) {
    try {
      await agentSession(env, id).purge();
    } catch (e) {
      log("error", "account_deletion_session_purge_failed", { requestId, userId, sessionId: id, error: (e as Error).message });
    }
  }
  try {
    await purgeKnowledge();
  } catch (e) {
    log("error", "account_deletion_kb_purge_failed", { requestId, userId, error: (e as Error).message });
  }
  try {
    // The MCP handler already refuses a token of a deleted account; this removes the grants themselves.
    await revokeAllMcpGrants(env, userId);
  } catch (e) {
    log("error", "account_deletion_mcp_revoke_failed", { requestId, userId, error: (e as Error).message });
  }
  log("info", "account_deleted", { requestId, userId });
}

/** The integration events that record a failed revoke die with the account; the log keeps the provider and the reason. */
async function logFailedRevocations(env: Env, userId: string, since: Date, requestId: string | undefined): Promise<void> {
  for (const row of await listDisconnectsSince(database(env), userId, since)) {
    const detail = JSON.parse(row.detail) as { revoked?: boolean; revokeError?: string };
    if (detail.revoked === true) continue;
    log("warn", "account_deletion_revoke_failed", { requestId, userId, provider: row.provider, revokeError: detail.revokeError ?? "unknown" });
  }
}
