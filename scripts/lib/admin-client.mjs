// How `npm run admin` reaches the worker's /api/admin routes, locally and with --remote, through one code path:
// the target (TASKPILOT_URL; locally, an app started for the command when none answers), the credentials
// (the operator's ADMIN_TOKEN, or an admin's TASKPILOT_EMAIL / TASKPILOT_PASSWORD) and the requests, whose
// problem+json answers become ProblemErrors with the server's stable code.
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { addDevVar, applyMigrations, buildWeb, ensureDevVars, findFreePort, newAdminToken, PROJECT_ROOT, readDevVars, startDevServer } from "./dev-server.mjs";

export const DEFAULT_URL = "http://127.0.0.1:8787";

/** A mistake in how the command was called (exit 2). */
export class UsageError extends Error {}

/** The server said no (exit 1, or 2 for a `USAGE_CODES` answer): the status, the stable code and the detail. */
export class ProblemError extends Error {
  constructor(status, problem) {
    super(`${problem?.detail ?? `HTTP ${status}`} (${status} ${problem?.code ?? "error"})`);
    this.status = status;
    this.code = problem?.code ?? "error";
    this.problem = problem ?? {};
  }
}

/** Server codes that mean the command named something that cannot exist: a usage error, not a failed operation. */
export const USAGE_CODES = new Set(["unknown_queue", "unknown_provider", "invalid_request"]);

export function exitCodeOf(error) {
  if (error instanceof UsageError) return 2;
  if (error instanceof ProblemError && USAGE_CODES.has(error.code)) return 2;
  return 1;
}

function operatorName() {
  try {
    return process.env.USER || process.env.LOGNAME || userInfo().username || "cli";
  } catch {
    return "cli";
  }
}

/**
 * The credentials, in this order: ADMIN_TOKEN from the environment; an admin's TASKPILOT_EMAIL and
 * TASKPILOT_PASSWORD; locally, ADMIN_TOKEN from .dev.vars (added there, with a note, when an older file lacks it).
 */
function credentials({ remote, note }) {
  const env = process.env;
  if (env.ADMIN_TOKEN) return { token: env.ADMIN_TOKEN, source: "ADMIN_TOKEN" };
  if (env.TASKPILOT_EMAIL && env.TASKPILOT_PASSWORD) return { login: { email: env.TASKPILOT_EMAIL, password: env.TASKPILOT_PASSWORD }, source: "TASKPILOT_EMAIL" };
  if (remote) {
    throw new UsageError("--remote needs ADMIN_TOKEN (the deployed worker's secret: wrangler secret put ADMIN_TOKEN) or TASKPILOT_EMAIL and TASKPILOT_PASSWORD of an admin.");
  }
  const file = join(PROJECT_ROOT, ".dev.vars");
  if (ensureDevVars(file).created) note("Created .dev.vars with fresh random secrets (as npm start does).");
  const token = readDevVars(file).ADMIN_TOKEN;
  if (token) return { token, source: ".dev.vars" };
  const added = newAdminToken();
  addDevVar("ADMIN_TOKEN", added, file);
  note("Added ADMIN_TOKEN to .dev.vars (the file predates the admin CLI). An `npm start` already running must be restarted to accept it.");
  return { token: added, source: ".dev.vars" };
}

/**
 * Whether something listens at `url`. Only a refused connection counts as nothing: an app that is slow to
 * answer (a loaded machine) is still the app, and starting a second one on the same state would be wrong.
 */
async function answers(url) {
  try {
    const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(15_000) });
    await res.body?.cancel();
    return true;
  } catch (e) {
    const code = e?.cause?.code ?? e?.code;
    return !["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"].includes(code);
  }
}

function targetUrl(remote) {
  const raw = process.env.TASKPILOT_URL;
  if (remote) {
    if (!raw) throw new UsageError("--remote needs TASKPILOT_URL, the deployed worker's https:// address.");
    let url;
    try {
      url = new URL(raw);
    } catch {
      throw new UsageError(`TASKPILOT_URL "${raw}" is not a URL.`);
    }
    if (url.protocol !== "https:") throw new UsageError(`--remote needs an https:// TASKPILOT_URL, not ${url.protocol}//: the token must not travel in clear.`);
    return url.origin;
  }
  return (raw || DEFAULT_URL).replace(/\/+$/, "");
}

/**
 * Connects to the worker: `remote` → TASKPILOT_URL (https); otherwise the local app at TASKPILOT_URL
 * (default http://127.0.0.1:8787) when it answers, else an app started for this command on the local
 * state (`persistTo`, default the one `npm start` uses), stopped by `close()`.
 * `note` receives progress lines meant for people (stderr).
 */
export async function connectAdmin({ remote = false, persistTo, note = (line) => console.error(line) } = {}) {
  let url = targetUrl(remote);
  const creds = credentials({ remote, note });
  let server;
  if (!(await answers(url))) {
    if (remote) throw new ProblemError(0, { code: "unreachable", detail: `Nothing answers at ${url}.` });
    note(`› No app answers at ${url}; starting one on the local state for this command…`);
    if (!existsSync(join(PROJECT_ROOT, "dist", "web", "index.html"))) await buildWeb({ quiet: true });
    await applyMigrations({ persistTo, quiet: true });
    server = await startDevServer({ port: await findFreePort(), persistTo, quiet: true, vars: creds.token ? { ADMIN_TOKEN: creds.token } : {} });
    url = server.url;
    note(`› Started at ${url}; it stops when this command ends.`);
  }
  const stopOnSignal = () => {
    void (server?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  if (server) process.once("SIGINT", stopOnSignal).once("SIGTERM", stopOnSignal);

  async function send(method, path, { token, body } = {}) {
    let res;
    try {
      res = await fetch(`${url}${path}`, {
        method,
        headers: {
          accept: "application/json",
          "x-taskpilot-operator": operatorName(),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ProblemError(0, { code: "unreachable", detail: `${url} did not answer: ${e.cause?.code ?? e.message}` });
    }
    const text = await res.text();
    let data;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (!res.ok) throw new ProblemError(res.status, data ?? { code: "error", detail: text.slice(0, 200) || res.statusText });
    return data;
  }

  let bearer = creds.token;
  async function request(method, path, options = {}) {
    if (!bearer) bearer = (await send("POST", "/api/auth/login", { body: creds.login })).accessToken;
    try {
      return await send(method, path, { ...options, token: bearer });
    } catch (e) {
      if (e instanceof ProblemError && e.status === 401 && creds.source !== "TASKPILOT_EMAIL") {
        const hint = remote
          ? "Is it the worker's secret (`wrangler secret put ADMIN_TOKEN`, at least 32 characters)?"
          : creds.source === ".dev.vars"
            ? "If it was just added to .dev.vars, restart `npm start`."
            : "Is it the value the app was started with (.dev.vars)?";
        e.message += `\nThe app at ${url} did not accept the ADMIN_TOKEN from ${creds.source === "ADMIN_TOKEN" ? "the environment" : creds.source}. ${hint}`;
      } else if (e instanceof ProblemError && e.code === "admin_only") {
        e.message += `\n${creds.login?.email ?? "This account"} is not an admin: npm run admin -- grant-admin <email>.`;
      }
      throw e;
    }
  }

  return {
    url,
    started: Boolean(server),
    request,
    async close() {
      process.off("SIGINT", stopOnSignal).off("SIGTERM", stopOnSignal);
      await server?.stop();
    },
  };
}
