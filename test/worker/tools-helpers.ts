import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { expect, vi } from "vitest";
import worker from "../../worker/index";
import type { ProviderId } from "../../worker/integrations/providers";
import type { ToolOutcome } from "../../worker/contract/tools";
import { callTool } from "../../worker/tools/call";
import { DEFAULT_RETRY_POLICY, type ToolRuntime } from "../../worker/tools/http";
import { liveToolContext, toolsForUser } from "../../worker/tools/live";
import { ORIGIN } from "./auth-helpers";
import { newUser, seedIntegration } from "./integrations-helpers";
import { connect as sandboxGrant, decide, requestIdOf, SCOPES, type Group } from "./sandbox-helpers";

/**
 * Tools against the sandbox providers, the real ones of this worker
 * (worker/sandbox): the provider clients' fetch is routed to the worker
 * itself, so every request goes through the sandbox's routes, token checks,
 * seeded data and simulated failures. The worker project points each
 * provider's OAuth endpoints at the test OAuth server, so the API base is
 * set to the sandbox here (`*_API_URL`), as an operator would.
 */

export const GROUP: Record<ProviderId, Group> = { gmail: "google", calendar: "google", slack: "slack", github: "github" };

/** Every scope the tools need (Slack's history read included). */
export const TOOL_SCOPES: Record<Group, string> = { ...SCOPES, slack: "channels:read channels:history chat:write" };

/** Config in which the API base of every provider is the sandbox's. */
export const toolEnv = {
  ...env,
  GOOGLE_API_URL: `${ORIGIN}/sandbox/google`,
  SLACK_API_URL: `${ORIGIN}/sandbox/slack/api`,
  GITHUB_API_URL: `${ORIGIN}/sandbox/github/api`,
};

/** Config in which every provider is the sandbox (no client ids): how `npm start` runs, reached at ORIGIN. */
export const sandboxEnv = {
  ...env,
  PUBLIC_URL: ORIGIN,
  ...Object.fromEntries(["GOOGLE", "SLACK", "GITHUB"].flatMap((p) => ["CLIENT_ID", "CLIENT_SECRET", "AUTHORIZE_URL", "TOKEN_URL", "REVOKE_URL", "API_URL"].map((k) => [`${p}_${k}`, ""]))),
};

/** Sends a request to this worker (the sandbox lives there); `SELF` carries the test config, in which the sandbox is on. */
export const toWorker = (request: Request) => SELF.fetch(request);

export interface RecordingRuntime extends ToolRuntime {
  sleeps: number[];
  requests: string[];
}

/** The production policy with the outside world injected: recorded sleeps, a fixed clock and draw, fetch routed to the sandbox. */
export function recordingRuntime(now = Date.now()): RecordingRuntime {
  const sleeps: number[] = [];
  const requests: string[] = [];
  return {
    sleeps,
    requests,
    policy: DEFAULT_RETRY_POLICY,
    now: () => now,
    random: () => 0.5,
    sleep: async (ms) => void sleeps.push(ms),
    timeout: (ms) => AbortSignal.timeout(ms),
    fetch: (req) => {
      const url = new URL(req.url);
      requests.push(`${req.method} ${url.pathname}`);
      return toWorker(req);
    },
  };
}

export interface SandboxGrant {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  email: string;
}

/** A TaskPilot user whose integrations hold real sandbox grants (one sandbox account per group). */
export async function sandboxUser(providers: ProviderId[]) {
  const user = await newUser();
  const grants = {} as Record<ProviderId, SandboxGrant>;
  const emails = {} as Partial<Record<Group, string>>;
  for (const provider of providers) {
    const group = GROUP[provider];
    const grant = await sandboxGrant(group, emails[group], TOOL_SCOPES[group]);
    emails[group] = grant.email;
    grants[provider] = grant;
    await seedIntegration(user.userId, provider, {
      accessToken: grant.access_token,
      refreshToken: grant.refresh_token,
      expiresAt: new Date(Date.now() + grant.expires_in * 1000),
    });
  }
  return { ...user, grants, emails };
}

/** Runs one tool for a user exactly as the agent will: the live tool set, the live context. */
export async function runTool(userId: string, name: string, args: unknown, runtime: ToolRuntime = recordingRuntime()): Promise<ToolOutcome> {
  const set = await toolsForUser(toolEnv, userId);
  return callTool(set, name, args, liveToolContext(toolEnv, userId, runtime));
}

export function resultOf<T = Record<string, any>>(outcome: ToolOutcome): T {
  if (!outcome.ok) throw new Error(`${outcome.tool} failed: ${JSON.stringify(outcome.error)}`);
  return outcome.result as T;
}

/** Makes the sandbox fail the account's next calls as a provider would (worker/sandbox/README.md, "Simulated failures"). */
export async function simulate(group: Group, accessToken: string, failure: "rate_limit" | "server_error" | "unauthorized", times = 1, retryAfter = 2) {
  const res = await SELF.fetch(`${ORIGIN}/sandbox/${group}/simulate`, {
    method: "POST",
    headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
    body: JSON.stringify({ failure, times, retryAfter }),
  });
  expect(res.status).toBe(202);
}

/**
 * Runs `fn` with the global fetch sending requests for the sandbox to this
 * same worker: the server-side calls the app makes itself (the OAuth code
 * exchange, userinfo, revoke) go out through the global fetch, and the
 * sandbox's host exists nowhere else.
 */
export async function routedToSandbox<T>(fn: () => Promise<T>): Promise<T> {
  const original = globalThis.fetch;
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const request = new Request(input, init);
    return request.url.startsWith(`${ORIGIN}/sandbox/`) ? toWorker(request) : original(request);
  });
  try {
    return await fn();
  } finally {
    spy.mockRestore();
  }
}

/** A request to the app configured as `npm start` runs it (every provider the sandbox); cookies it sets are kept in `cookies`. */
export async function sandboxApp(path: string, init: RequestInit = {}, cookies: string[] = []): Promise<Response> {
  const headers = new Headers(init.headers);
  if (cookies.length) headers.set("cookie", cookies.join("; "));
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${ORIGIN}${path}`, { ...init, headers, redirect: "manual" }), sandboxEnv, ctx);
  await waitOnExecutionContext(ctx);
  // A browser would send back whatever the app set (a binding of the round trip to this browser, if there is one).
  const set = (res.headers as unknown as { getSetCookie(): string[] }).getSetCookie();
  for (const c of set) cookies.push(c.split(";")[0]!);
  return res;
}

/** Connects an integration the way a person does with `npm start`: Connect → the sandbox's consent page → Allow → TaskPilot's callback. */
export async function connectThroughSandbox(accessToken: string, provider: ProviderId, email: string): Promise<void> {
  const cookies: string[] = [];
  await routedToSandbox(async () => {
    const start = await sandboxApp(
      `/api/integrations/${provider}/auth`,
      { method: "POST", headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" }, body: "{}" },
      cookies,
    );
    expect(start.status).toBe(200);
    const authorizationUrl = new URL(((await start.json()) as { authorizationUrl: string }).authorizationUrl);
    expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(`${ORIGIN}/sandbox/${GROUP[provider]}/oauth/authorize`);
    authorizationUrl.searchParams.set("login_hint", email);
    const page = await SELF.fetch(authorizationUrl, { redirect: "manual" });
    expect(page.status).toBe(200);
    const allowed = await decide(GROUP[provider], requestIdOf(await page.text()), "allow", email);
    expect(allowed.status).toBe(302);
    const back = new URL(allowed.headers.get("location")!);
    const done = await sandboxApp(back.pathname + back.search, {}, cookies);
    expect(done.status).toBe(302);
    expect(new URL(done.headers.get("location")!, ORIGIN).searchParams.get("connected")).toBe(provider);
  });
}
