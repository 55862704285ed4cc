#!/usr/bin/env node
// `npm run admin:audit -- <email | user id> [--limit N] [--remote] [--env production] [--persist-to <dir>]`:
// an account's security log, newest first, from the local database by default or the deployed one with --remote
// (through `wrangler d1`). A deleted account is found by its id (its tombstone). Reading it is itself recorded.
import { auditSql, d1Query, parseD1Args } from "./lib/d1-cli.mjs";

const { values, positionals } = parseD1Args({ limit: { type: "string", default: "50" }, help: { type: "boolean", default: false } }, { allowPositionals: true });
if (values.help || positionals.length !== 1) {
  console.error("usage: npm run admin:audit -- <email | user id> [--limit N] [--remote] [--env <name>] [--persist-to <dir>]");
  process.exit(values.help ? 0 : 2);
}
const who = positionals[0].trim();
const limit = Number(values.limit);
if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
  console.error("--limit must be a whole number from 1 to 1000.");
  process.exit(2);
}
if (!/^[^\s'"]+$/.test(who)) {
  console.error(`"${who}" is neither an email address nor a user id.`);
  process.exit(2);
}
try {
  let userId = who;
  if (who.includes("@")) {
    const [rows] = await d1Query(values, `SELECT id FROM users WHERE email = '${who.toLowerCase()}'`);
    if (rows.length === 0) {
      console.error(`No account has the email ${who}.`);
      process.exit(1);
    }
    userId = rows[0].id;
  }
  const [entries] = await d1Query(values, `SELECT id, at, actor_type, actor_id, action, result, code, ip, user_agent, detail FROM audit_log WHERE subject_user_id = '${userId}' ORDER BY id DESC LIMIT ${limit}`);
  await d1Query(values, auditSql({ action: "admin.audit_read", subjectUserId: userId, detail: { count: entries.length } }));
  if (entries.length === 0) {
    console.log(`No audit entries for ${who}.`);
  } else {
    for (const e of entries) {
      const when = new Date(e.at).toISOString();
      const actor = e.actor_id ? `${e.actor_type}:${e.actor_id}` : e.actor_type;
      console.log([when, e.action, e.result + (e.code ? `(${e.code})` : ""), actor, e.ip ?? "-", e.detail === "{}" ? "" : e.detail].join("  ").trim());
    }
  }
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
