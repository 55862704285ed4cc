import { Hono, type MiddlewareHandler } from "hono";
import { getConfig } from "../config";
import { database } from "../db/client";
import { purgeStaleSandboxRows } from "../db/sandbox";
import type { Env } from "../env";
import { AppError } from "../errors";
import { limitBody } from "../http/middleware";
import type { AppBindings } from "../http/types";
import { registerCronTask } from "../ops/cron";
import { jsonBody } from "../http/validate";
import { requireSandboxToken, scheduleSimulation, simulation } from "./api/auth";
import { githubApi } from "./api/github";
import { googleApi } from "./api/google";
import { slackApi } from "./api/slack";
import { SANDBOX_GROUPS, type SandboxGroup } from "./catalog";
import { checkSandboxClock } from "./clock";
import { githubWeb } from "./github-web";
import { errorPage } from "./oauth/consent-page";
import { authorizeRoutes } from "./oauth/authorize";
import { tokenRoutes } from "./oauth/token";
import type { SandboxApiBindings } from "./types";

export { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_PATHS, sandboxUrls, type SandboxGroup } from "./catalog";

/**
 * Local stand-ins for Google, Slack and GitHub: OAuth servers with a consent
 * page and fake APIs over seeded data. Only the development entry
 * (worker/dev/index.ts) imports this module, and even there it answers only
 * when config allows the sandbox (sandboxMount: SANDBOX_PROVIDERS=true on a
 * loopback PUBLIC_URL or with APP_ENV=development, never in production);
 * otherwise every /sandbox path is a plain 404, so nothing here is reachable.
 */
const sandboxOnly: MiddlewareHandler<AppBindings> = async (c, next) => {
  if (!c.get("config").sandboxProviders) {
    throw new AppError(404, "not_found", `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`);
  }
  await next();
};

const API_BASE: Record<SandboxGroup, string> = { google: "/google", slack: "/slack/api", github: "/github/api" };
const API: Record<SandboxGroup, Hono<SandboxApiBindings>> = { google: googleApi, slack: slackApi, github: githubApi };

export const sandbox = new Hono<AppBindings>().use("*", sandboxOnly, limitBody, checkSandboxClock);

for (const group of SANDBOX_GROUPS) {
  sandbox.route(`/${group}/oauth/authorize`, authorizeRoutes(group));
  sandbox.route(`/${group}/oauth`, tokenRoutes(group));
  // Test control: the next API calls of the token's account fail as asked (see api/auth.ts).
  sandbox.post(`/${group}/simulate`, requireSandboxToken(group), jsonBody(simulation), async (c) => {
    const sim = c.req.valid("json");
    await scheduleSimulation(c.env, group, c.get("account").id, sim);
    return c.json({ scheduled: sim }, 202);
  });
}

// A pull request's html_url: its page, with Merge and Close (github-web.ts).
sandbox.route("/github/web", githubWeb);
// Other links in fake GitHub answers (html_url) land here rather than on a JSON 401.
sandbox.get("/github/web/*", (c) =>
  c.html(errorPage("github", "Sandbox GitHub", `${new URL(c.req.url).pathname.replace("/sandbox/github/web/", "")} lives in the local GitHub sandbox; it has no web view.`)),
);

for (const group of SANDBOX_GROUPS) {
  sandbox.route(API_BASE[group], new Hono<SandboxApiBindings>().use("*", requireSandboxToken(group)).route("/", API[group]));
}

export async function purgeSandbox(env: Env, now: Date) {
  if (getConfig(env).sandboxProviders) await purgeStaleSandboxRows(database(env), now);
}

registerCronTask("purge_sandbox_grants", purgeSandbox);
