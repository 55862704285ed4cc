#!/usr/bin/env node
// `npm run admin:grant -- <email> [--revoke] [--remote] [--env production] [--persist-to <dir>]`:
// gives a user the admin role (webhook deliveries and replay in Settings, the
// /api/admin routes), or takes it back with --revoke. Works on the local
// database by default, the deployed one with --remote, through `wrangler d1`.
// The role is read on every admin request, so the change holds at once.
import { auditSql, d1Query, parseD1Args } from "./lib/d1-cli.mjs";

const { values, positionals } = parseD1Args({ revoke: { type: "boolean", default: false }, help: { type: "boolean", default: false } }, { allowPositionals: true });
if (values.help || positionals.length !== 1) {
  console.error("usage: npm run admin:grant -- <email> [--revoke] [--remote] [--env <name>] [--persist-to <dir>]");
  process.exit(values.help ? 0 : 2);
}
const email = positionals[0].trim().toLowerCase();
if (!/^[^\s@']+@[^\s@']+$/.test(email)) {
  console.error(`"${positionals[0]}" is not an email address.`);
  process.exit(2);
}
const role = values.revoke ? "user" : "admin";
try {
  const [rows] = await d1Query(values, `UPDATE users SET role = '${role}' WHERE email = '${email}' RETURNING id, email, role`);
  if (rows.length === 0) {
    console.error(`No account has the email ${email}.`);
    process.exit(1);
  }
  await d1Query(values, auditSql({ action: values.revoke ? "admin.role_revoked" : "admin.role_granted", subjectUserId: rows[0].id, detail: { role } }));
  console.log(`${email} is now ${role === "admin" ? "an admin" : "a regular user"}.`);
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
