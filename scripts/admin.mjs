#!/usr/bin/env node
// `npm run admin -- <command> [args] [--remote] [--json]`: the operator's commands (docs/admin-cli.md).
// Commands that need the worker's code go through its /api/admin routes, locally and with --remote alike
// (scripts/lib/admin-client.mjs); grant-admin and keys:rotate work on D1 through `wrangler d1`.
// Exit codes: 0 done, 1 the operation failed (the server said no), 2 usage error.
import { writeFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { connectAdmin, exitCodeOf, ProblemError, UsageError } from "./lib/admin-client.mjs";
import { normalEmail, setAdminRole } from "./lib/admin-grant.mjs";
import { parseD1Args } from "./lib/d1-cli.mjs";
import { rotateKeys } from "./lib/keys-rotate.mjs";

const GLOBAL_OPTIONS = {
  help: { type: "boolean", short: "h", default: false },
  json: { type: "boolean", default: false },
  remote: { type: "boolean", default: false },
  "persist-to": { type: "string" },
};

const HTTP_FLAGS = "[--remote] [--json] [--persist-to <dir>]";
const D1_FLAGS = "[--remote] [--env <name>] [--persist-to <dir>]";

/** Each command: its usage line, what it does, its own options, how many arguments, and what it runs. */
const COMMANDS = {
  integrations: {
    usage: `integrations <email> ${HTTP_FLAGS}`,
    summary: "an account's integrations: status, account, expiry, last error and recent failures",
    args: ["email"],
    run: async (api, [email], values) => {
      const data = await api.request("GET", `/api/admin/users/${encodeURIComponent(email)}/integrations`);
      if (values.json) return print(data);
      console.log(`${data.user.email} (${data.user.id}, ${data.user.role})`);
      table(
        ["PROVIDER", "STATUS", "ACCOUNT", "EXPIRES", "LAST ERROR"],
        data.integrations.map((i) => [i.provider, i.status, i.account?.label ?? "-", i.expiresAt ?? "-", i.lastError ? `${i.lastError.code}: ${i.lastError.message} (${i.lastError.at})` : "-"]),
      );
      const failures = data.integrations.flatMap((i) => i.recentErrors.map((e) => [i.provider, e.createdAt, e.type, describeDetail(e.detail)]));
      if (failures.length) {
        console.log("\nRecent failures, newest first:");
        table(["PROVIDER", "AT", "EVENT", "DETAIL"], failures);
      }
    },
  },
  refresh: {
    usage: `refresh <email> <provider> ${HTTP_FLAGS}`,
    summary: "refresh an integration's token now (gmail, calendar, slack, github)",
    args: ["email", "provider"],
    run: async (api, [email, provider], values) => {
      const data = await api.request("POST", `/api/admin/users/${encodeURIComponent(email)}/integrations/${encodeURIComponent(provider)}/refresh`);
      if (values.json) return print(data);
      console.log(`Refreshed ${data.integration.name} for ${data.user.email}: ${data.integration.status}${data.integration.expiresAt ? `, expires ${data.integration.expiresAt}` : ""}.`);
    },
  },
  revoke: {
    usage: `revoke <email> <provider> ${HTTP_FLAGS}`,
    summary: "disconnect an integration: revoke the grant at the provider and delete the tokens",
    args: ["email", "provider"],
    run: async (api, [email, provider], values) => {
      const data = await api.request("POST", `/api/admin/users/${encodeURIComponent(email)}/integrations/${encodeURIComponent(provider)}/revoke`);
      if (values.json) return print(data);
      console.log(`Disconnected ${data.integration.name} for ${data.user.email}; its tokens are deleted and the grant was revoked at the provider (a refused revoke is in \`integrations\`' history).`);
    },
  },
  "webhooks:replay": {
    usage: `webhooks:replay <delivery id> ${HTTP_FLAGS}`,
    summary: "queue a stored webhook delivery again (our id or the provider's)",
    args: ["delivery id"],
    run: async (api, [id], values) => {
      const data = await api.request("POST", `/api/admin/webhooks/deliveries/${encodeURIComponent(id)}/replay`);
      if (values.json) return print(data);
      const d = data.delivery;
      console.log(`Queued ${d.provider} ${d.eventType} ${d.deliveryId} again (replay ${d.replays}).`);
    },
  },
  "keys:rotate": {
    usage: `keys:rotate ${D1_FLAGS}`,
    summary: "re-seal every stored token under the first key of TOKEN_ENCRYPTION_KEYS (through wrangler d1)",
    args: [],
    d1: {},
    run: async (values) => rotateKeys(values),
  },
  "user:export": {
    usage: `user:export <email> [--out <file>] ${HTTP_FLAGS}`,
    summary: "everything an account holds, as JSON (stdout, or --out <file>)",
    args: ["email"],
    options: { out: { type: "string" } },
    run: async (api, [email], values) => {
      const data = await api.request("GET", `/api/admin/users/${encodeURIComponent(email)}/export`);
      const text = `${JSON.stringify(data, null, 2)}\n`;
      if (values.out) {
        writeFileSync(values.out, text, { mode: 0o600 });
        console.error(`Wrote ${data.user.email}'s export to ${values.out}.`);
      } else process.stdout.write(text);
    },
  },
  "user:delete": {
    usage: `user:delete <email> [--yes] ${HTTP_FLAGS}`,
    summary: "delete an account and everything it holds (asks to type the email, or --yes)",
    args: ["email"],
    options: { yes: { type: "boolean", default: false } },
    run: async (api, [email], values) => {
      if (!values.yes) await confirmByTyping(email);
      const data = await api.request("DELETE", `/api/admin/users/${encodeURIComponent(email)}`);
      if (values.json) return print(data);
      console.log(`Deleted the account ${data.deleted.email} (${data.deleted.id}).`);
    },
  },
  "grant-admin": {
    usage: `grant-admin <email> [--revoke] ${D1_FLAGS}`,
    summary: "give an account the admin role (--revoke takes it back; through wrangler d1)",
    args: ["email"],
    d1: { revoke: { type: "boolean", default: false } },
    run: async (values, [given]) => {
      const email = normalEmail(given);
      if (!email) throw new UsageError(`"${given}" is not an email address.`);
      const account = await setAdminRole(values, email, { revoke: values.revoke });
      if (!account) throw new ProblemError(404, { code: "user_not_found", detail: `No account has the email ${email}.` });
      if (values.json) return print(account);
      console.log(`${email} is now ${account.role === "admin" ? "an admin" : "a regular user"}.`);
      return 0;
    },
  },
  dlq: {
    usage: `dlq <queue> [--requeue <id> | --all] [--include-requeued] ${HTTP_FLAGS}`,
    summary: "list a queue's dead letters; --requeue <id> or --all sends them back onto the queue once",
    args: ["queue"],
    options: { requeue: { type: "string" }, all: { type: "boolean", default: false }, "include-requeued": { type: "boolean", default: false } },
    run: async (api, [queue], values) => {
      const base = `/api/admin/queues/${encodeURIComponent(queue)}/dead-letters`;
      if (values.requeue !== undefined || values.all) {
        if (values.requeue !== undefined && values.all) throw new UsageError("Give either --requeue <id> or --all, not both.");
        const data = await api.request("POST", values.all ? `${base}/requeue` : `${base}/${encodeURIComponent(values.requeue)}/requeue`);
        if (values.json) return print(data);
        if (data.requeued.length) console.log(`Requeued ${data.requeued.length} message(s) onto ${data.queue}: ${data.requeued.join(", ")}.`);
        for (const a of data.alreadyRequeued) console.log(`${a.id} was already requeued at ${a.requeuedAt}; nothing sent again.`);
        if (!data.requeued.length && !data.alreadyRequeued.length) console.log(`No dead letters of ${data.queue} wait for a requeue.`);
        return;
      }
      const data = await api.request("GET", `${base}${values["include-requeued"] ? "?all=true" : ""}`);
      if (values.json) return print(data);
      if (!data.deadLetters.length) return console.log(`No dead letters${values["include-requeued"] ? "" : " waiting"} for ${data.queue}.`);
      table(
        ["ID", "FIRST SEEN", "LAST SEEN", "ATTEMPTS", "REQUEUED", "BODY"],
        data.deadLetters.map((d) => [d.id, d.firstSeenAt, d.lastSeenAt, String(d.attempts), d.requeuedAt ?? "-", clip(JSON.stringify(d.body), 80)]),
      );
    },
  },
  audit: {
    usage: `audit <email | user id> [--limit N] ${HTTP_FLAGS}`,
    summary: "an account's security log, newest first (the read is itself recorded)",
    args: ["email or user id"],
    options: { limit: { type: "string", default: "50" } },
    run: async (api, [who], values) => {
      const limit = Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UsageError("--limit must be a whole number from 1 to 500.");
      const data = await api.request("GET", `/api/admin/audit?user=${encodeURIComponent(who)}&limit=${limit}`);
      if (values.json) return print(data);
      if (!data.entries.length) return console.log(`No audit entries for ${who}.`);
      table(
        ["AT", "ACTION", "RESULT", "ACTOR", "IP", "DETAIL"],
        data.entries.map((e) => [e.at, e.action, e.result + (e.code ? ` (${e.code})` : ""), e.actor.id ? `${e.actor.type}:${e.actor.id}` : e.actor.type, e.ip ?? "-", describeDetail(e.detail)]),
      );
    },
  },
};

function print(data) {
  process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
}

const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

function describeDetail(detail) {
  const entries = Object.entries(detail ?? {});
  return entries.length ? clip(entries.map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" "), 100) : "-";
}

/** Columns padded to their widest cell. */
function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => (i === row.length - 1 ? String(cell) : String(cell).padEnd(widths[i]))).join("  "));
}

async function confirmByTyping(email) {
  if (!process.stdin.isTTY) throw new UsageError("user:delete deletes the account for good: pass --yes to confirm when not at a terminal.");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const typed = await rl.question(`This deletes ${email} and everything it holds, for good. Type the email to confirm: `);
  rl.close();
  if (typed.trim().toLowerCase() !== email.trim().toLowerCase()) throw new UsageError("The email did not match; nothing was deleted.");
}

function usage() {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    "usage: npm run admin -- <command> [args] [--remote] [--json]",
    "",
    "commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "  --remote   the deployed worker: TASKPILOT_URL (https) with ADMIN_TOKEN, or TASKPILOT_EMAIL/TASKPILOT_PASSWORD of an admin",
    "             (grant-admin, keys:rotate: the remote D1 through wrangler, with --env production)",
    "  --json     the server's answer as JSON, for scripts",
    "  locally:   the app at TASKPILOT_URL (default http://127.0.0.1:8787), or one started for the command on the local",
    "             state (--persist-to <dir> for another); ADMIN_TOKEN from the environment or .dev.vars",
    "",
    "Run `npm run admin -- <command> --help` for a command's details. Exit codes: 0 done, 1 failed, 2 usage error.",
  ].join("\n");
}

function commandHelp(name) {
  const c = COMMANDS[name];
  return `usage: npm run admin -- ${c.usage}\n\n${c.summary[0].toUpperCase()}${c.summary.slice(1)}.\nSee docs/admin-cli.md for examples.`;
}

export async function main(argv) {
  // The first word that is neither a flag nor the value of one (`--persist-to <dir>`, `--out <file>`, …).
  const takesValue = new Set(["--persist-to", "--out", "--requeue", "--limit", "--env", "--database", "--config"]);
  const commandIndex = argv.findIndex((a, i) => !a.startsWith("-") && !(i > 0 && takesValue.has(argv[i - 1])));
  const name = commandIndex === -1 ? undefined : argv[commandIndex];
  const rest = commandIndex === -1 ? argv : [...argv.slice(0, commandIndex), ...argv.slice(commandIndex + 1)];
  if (name === undefined || name === "help") {
    const topic = name === "help" ? rest.find((a) => !a.startsWith("-")) : undefined;
    if (topic && COMMANDS[topic]) {
      console.log(commandHelp(topic));
      return 0;
    }
    const asked = name === "help" || rest.includes("--help") || rest.includes("-h");
    (asked ? console.log : console.error)(usage());
    return asked ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`Unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(", ")}.\nRun \`npm run admin -- --help\` for what each does.`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(commandHelp(name));
    return 0;
  }

  let values;
  let positionals;
  try {
    // `--requeue` with no id, or followed by `--all`, means every pending one.
    const args = rest.flatMap((a, i) => (a === "--requeue" && (rest[i + 1] === undefined || rest[i + 1].startsWith("-")) ? ["--all"] : [a]));
    ({ values, positionals } = command.d1
      ? parseD1Args({ ...command.d1, json: GLOBAL_OPTIONS.json, help: GLOBAL_OPTIONS.help }, { allowPositionals: true, args })
      : parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true }));
  } catch (e) {
    console.error(`${e.message}\n${commandHelp(name)}`);
    return 2;
  }
  if (positionals.length !== command.args.length) {
    const missing = command.args.slice(positionals.length);
    console.error(`${missing.length ? `Missing ${missing.map((a) => `<${a}>`).join(" ")}` : `Unexpected argument "${positionals[command.args.length]}"`}.\n${commandHelp(name)}`);
    return 2;
  }

  if (values.remote && values["persist-to"]) {
    console.error("--remote cannot be combined with --persist-to (a local state directory).");
    return 2;
  }

  if (command.d1) {
    try {
      return (await command.run(values, positionals)) ?? 0;
    } catch (e) {
      console.error(`${name} failed: ${e.message}`);
      return exitCodeOf(e);
    }
  }

  let api;
  try {
    api = await connectAdmin({ remote: values.remote, persistTo: values["persist-to"] });
    await command.run(api, positionals, values);
    return 0;
  } catch (e) {
    console.error(`${name} failed: ${e.message}`);
    return exitCodeOf(e);
  } finally {
    await api?.close();
  }
}

process.exitCode = await main(process.argv.slice(2).filter((a, i) => !(i === 0 && a === "--")));
