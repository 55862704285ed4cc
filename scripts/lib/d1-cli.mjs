// What the scripts that work on the D1 database through `wrangler d1 …` share (keys:rotate, db:export,
// db:import): the same flags (--remote, --local, --env, --persist-to, --database, --config), the same
// target arguments, and one way to run wrangler (offline for the local database).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { OFFLINE_ENV, PROJECT_ROOT } from "./dev-server.mjs";

const WRANGLER = join(PROJECT_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

export const D1_OPTIONS = {
  remote: { type: "boolean", default: false },
  local: { type: "boolean", default: false },
  env: { type: "string" },
  "persist-to": { type: "string" },
  database: { type: "string", default: "DB" },
  config: { type: "string", default: join(PROJECT_ROOT, "wrangler.toml") },
};

/** Parses the shared flags plus a script's own (from `args`, default the command line); refuses --remote mixed with local-only flags. */
export function parseD1Args(extra = {}, { allowPositionals = false, args } = {}) {
  const parsed = parseArgs({ options: { ...D1_OPTIONS, ...extra }, allowPositionals, ...(args ? { args } : {}) });
  if (parsed.values.remote && (parsed.values.local || parsed.values["persist-to"])) {
    console.error("--remote cannot be combined with --local or --persist-to.");
    process.exit(2);
  }
  return parsed;
}

/** The arguments that point a `wrangler d1` command at the chosen database. */
export function d1Target(values) {
  return [
    ...(values.remote ? ["--remote"] : ["--local", ...(values["persist-to"] ? ["--persist-to", values["persist-to"]] : [])]),
    ...(values.env ? ["--env", values.env] : []),
    "--config",
    values.config,
  ];
}

/** Runs wrangler once with `args` and resolves with its stdout; rejects with its output when it fails. */
function runWrangler(args, { remote }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: PROJECT_ROOT,
      env: remote ? process.env : { ...process.env, ...OFFLINE_ENV, CI: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`wrangler ${args.slice(0, 2).join(" ")} exited with ${code}\n${stderr || stdout}`))));
  });
}

/** Whether a failure's output says the local SQLite file was locked by another process. */
const isBusy = (output) => /SQLITE_BUSY|database is locked/.test(String(output));
const sleepFor = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `run` again while it fails because the local database is locked, waiting 0.2, 0.4, 0.8, 1.6 and 3.2 s
 * between tries, and gives up with the last error after `attempts` tries. A running `npm start` holds the same
 * SQLite file, and a write of its own at the moment wrangler opens the file makes that open fail with
 * SQLITE_BUSY before any statement ran; any other failure is thrown at once.
 */
export async function retryWhileBusy(run, { attempts = 6, sleep = sleepFor, onRetry = () => undefined } = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !isBusy(error?.message ?? error)) throw error;
      onRetry(attempt);
      await sleep(100 * 2 ** attempt);
    }
  }
}

/**
 * Runs wrangler with `args` and resolves with its stdout; rejects with its output when it fails. On the local
 * database a lock held by a running `npm start` is waited out (retryWhileBusy); the remote one is never retried.
 */
export function wrangler(args, { remote = false } = {}) {
  if (remote) return runWrangler(args, { remote });
  return retryWhileBusy(() => runWrangler(args, { remote }), {
    onRetry: () => console.error("The local database is busy (is `npm start` running?); trying again…"),
  });
}

/** One SQL command through `wrangler d1 execute --json`; returns the rows of each statement. */
export async function d1Query(values, sql) {
  const out = await wrangler(["d1", "execute", values.database, "--json", "--yes", "--command", sql, ...d1Target(values)], { remote: values.remote });
  return JSON.parse(out.slice(out.indexOf("["))).map((r) => r.results ?? []);
}

const sqlString = (v) => (v === null || v === undefined ? "NULL" : `'${String(v).replace(/'/g, "''")}'`);

/**
 * The audit row a command-line action writes (worker/audit/audit.ts's shape:
 * actor `cli`, no address), as SQL to run in the same `wrangler d1 execute`.
 */
export function auditSql({ action, subjectUserId = null, result = "success", code = null, detail = {} }) {
  const actor = process.env.USER || process.env.LOGNAME || "cli";
  return `INSERT INTO audit_log (at, actor_type, actor_id, subject_user_id, action, result, code, detail) VALUES (${Date.now()}, 'cli', ${sqlString(actor)}, ${sqlString(subjectUserId)}, ${sqlString(action)}, ${sqlString(result)}, ${sqlString(code)}, ${sqlString(JSON.stringify(detail))})`;
}
