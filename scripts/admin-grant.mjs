#!/usr/bin/env node
// `npm run admin:grant -- <email> [--revoke] [--remote] [--env production] [--persist-to <dir>]`:
// gives a user the admin role (webhook deliveries and replay in Settings, the
// /api/admin routes), or takes it back with --revoke. Works on the local
// database by default, the deployed one with --remote, through `wrangler d1`.
// The same as `npm run admin -- grant-admin <email>` (scripts/lib/admin-grant.mjs).
import { normalEmail, setAdminRole } from "./lib/admin-grant.mjs";
import { parseD1Args } from "./lib/d1-cli.mjs";

const { values, positionals } = parseD1Args({ revoke: { type: "boolean", default: false }, help: { type: "boolean", default: false } }, { allowPositionals: true });
if (values.help || positionals.length !== 1) {
  console.error("usage: npm run admin:grant -- <email> [--revoke] [--remote] [--env <name>] [--persist-to <dir>]");
  process.exit(values.help ? 0 : 2);
}
const email = normalEmail(positionals[0]);
if (!email) {
  console.error(`"${positionals[0]}" is not an email address.`);
  process.exit(2);
}
try {
  const account = await setAdminRole(values, email, { revoke: values.revoke });
  if (!account) {
    console.error(`No account has the email ${email}.`);
    process.exit(1);
  }
  console.log(`${email} is now ${account.role === "admin" ? "an admin" : "a regular user"}.`);
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
