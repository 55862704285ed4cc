// Granting and revoking the admin role through `wrangler d1` (the local database, or the deployed one with
// --remote): what `npm run admin:grant` and `npm run admin -- grant-admin` share. The role is read on every
// admin request, so the change holds at once.
import { auditSql, d1Query } from "./d1-cli.mjs";

/** The email as stored (lower case), or undefined when it is not one (quotes are refused: it goes into SQL). */
export function normalEmail(text) {
  const email = String(text ?? "").trim().toLowerCase();
  return /^[^\s@'"]+@[^\s@'"]+$/.test(email) ? email : undefined;
}

/**
 * Sets the account's role to admin (or back to user with `revoke`) and writes the audit row (actor `cli`).
 * Answers the account, or undefined when no account has the email.
 */
export async function setAdminRole(values, email, { revoke = false } = {}) {
  const role = revoke ? "user" : "admin";
  const [rows] = await d1Query(values, `UPDATE users SET role = '${role}' WHERE email = '${email}' RETURNING id, email, role`);
  if (rows.length === 0) return undefined;
  await d1Query(values, auditSql({ action: revoke ? "admin.role_revoked" : "admin.role_granted", subjectUserId: rows[0].id, detail: { role } }));
  return rows[0];
}
