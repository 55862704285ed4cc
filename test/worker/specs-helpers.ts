import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import type { Env } from "../../worker/env";
import worker from "../../worker/index";
import type { PrCreateMessage, SpecExecMessage } from "../../worker/specs/checkpoint";
import { consumePrCreate, consumeSpecExec } from "../../worker/specs/consumer";
import { runnerDeps, type RunnerDeps } from "../../worker/specs/runner";
import { githubLogin } from "../../worker/sandbox/identity";
import { ORIGIN } from "./sandbox-helpers";
import { routedToSandbox as routedOnce, sandboxUser, toolEnv } from "./tools-helpers";

/**
 * Specs against the sandbox GitHub, through the real routes, the real
 * consumers and runner, real D1 and the user's hub. The worker project's
 * GITHUB_API_URL is the test OAuth server, so these tests run the app with
 * the sandbox as GitHub's API (`toolEnv`) and with queue bindings that keep
 * what was sent, then hand each message to the consumer as a batch — so a
 * test decides when a phase runs, drops one, or delivers one twice.
 */

/**
 * `routedToSandbox`, shareable by calls that overlap (two deliveries at once,
 * a frozen runner while others run): the global fetch is routed while any of
 * them runs and restored when the last one ends.
 */
let routed = 0;
let release: (() => void) | undefined;
async function routedToSandbox<T>(fn: () => Promise<T>): Promise<T> {
  if (routed++ === 0) {
    let done!: () => void;
    const held = new Promise<void>((r) => (done = r));
    let entered!: () => void;
    const ready = new Promise<void>((r) => (entered = r));
    void routedOnce(async () => {
      entered();
      await held;
    });
    release = done;
    await ready;
  }
  try {
    return await fn();
  } finally {
    if (--routed === 0) release?.();
  }
}

export interface Sent {
  queue: "taskpilot-spec-exec" | "taskpilot-pr-create";
  body: SpecExecMessage | PrCreateMessage;
}

export function specTestEnv() {
  const sent: Sent[] = [];
  const queue = (name: Sent["queue"]) => ({
    send: async (body: unknown) => void sent.push({ queue: name, body: structuredClone(body) as Sent["body"] }),
    sendBatch: async (bodies: Iterable<{ body: unknown }>) => {
      for (const b of bodies) sent.push({ queue: name, body: structuredClone(b.body) as Sent["body"] });
    },
  });
  const testEnv = { ...toolEnv, SPEC_EXEC: queue("taskpilot-spec-exec"), PR_CREATE: queue("taskpilot-pr-create") } as unknown as Env;
  return { env: testEnv, sent };
}

export interface Delivered {
  acked: boolean;
  retried: boolean;
}

/** One message as the queue hands it to a consumer; what the consumer decided is in the result. */
export function batchOf(queue: string, body: unknown, attempts = 1): { batch: MessageBatch<unknown>; outcome: Delivered } {
  const outcome: Delivered = { acked: false, retried: false };
  const message = {
    id: crypto.randomUUID(),
    timestamp: new Date(),
    body,
    attempts,
    ack: () => void (outcome.acked = true),
    retry: () => void (outcome.retried = true),
  } as unknown as Message<unknown>;
  const batch = { queue, messages: [message], ackAll: () => void (outcome.acked = true), retryAll: () => void (outcome.retried = true) } as unknown as MessageBatch<unknown>;
  return { batch, outcome };
}

export async function deliver(env: Env, item: Sent, deps?: RunnerDeps, attempts = 1): Promise<Delivered> {
  const { batch, outcome } = batchOf(item.queue, item.body, attempts);
  await routedToSandbox(() => (item.queue === "taskpilot-spec-exec" ? consumeSpecExec(batch, env, deps ?? runnerDeps(env)) : consumePrCreate(batch, env)));
  return outcome;
}

/** Delivers everything sent, in order, until nothing is left (the queue running to the end). */
export async function drain(env: Env, sent: Sent[], deps?: RunnerDeps): Promise<Sent[]> {
  const delivered: Sent[] = [];
  while (sent.length) {
    const item = sent.shift()!;
    delivered.push(item);
    await deliver(env, item, deps);
  }
  return delivered;
}

/** A request to the app with the test env (sandbox GitHub, recording queues). */
export async function call(env: Env, token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const h: Record<string, string> = { authorization: `Bearer ${token}`, ...headers };
  if (body !== undefined) h["content-type"] = "application/json";
  return routedToSandbox(async () => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(`${ORIGIN}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) }), env, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  });
}

export async function json<T = any>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** GitHub login of a sandbox account, as the sandbox derives it. */
export const loginOf = (email: string) => githubLogin({ email });

/** A user with sandbox GitHub connected, a project on its demo repository and a planned spec. */
export async function plannedSpec(env: Env, prompt = "Add a health endpoint in src/health.ts.\nDocument it in docs/health.md.", title = "Health endpoint") {
  const user = await sandboxUser(["github"]);
  const login = loginOf(user.emails.github!);
  const { project } = await json(await call(env, user.token, "POST", "/api/projects", { name: "Demo", githubRepo: `${login}/taskpilot-demo` }), 201);
  const { spec } = await json(await call(env, user.token, "POST", "/api/specs", { projectId: project.id, prompt, title }), 201);
  const planned = await json(await call(env, user.token, "POST", `/api/specs/${spec.id}/plan`), 200);
  return { user, login, project, spec: planned.spec, repo: `${login}/taskpilot-demo` };
}

/** Reads the sandbox repository as the user's GitHub grant does. */
export async function sandboxGithub(accessToken: string, path: string): Promise<any> {
  const res = await routedToSandbox(() => fetch(`${ORIGIN}/sandbox/github/api${path}`, { headers: { authorization: `Bearer ${accessToken}`, accept: "application/vnd.github+json" } }));
  return json(res, 200);
}

/** The commits on `branch` back to (not including) `base`, newest first. */
export async function commitsSince(accessToken: string, repo: string, branch: string, base: string): Promise<Array<{ sha: string; message: string; parents: Array<{ sha: string }> }>> {
  const ref = await sandboxGithub(accessToken, `/repos/${repo}/git/ref/heads/${branch}`);
  const out = [];
  let sha: string | undefined = ref.object.sha;
  while (sha && sha !== base && out.length < 50) {
    const commit = await sandboxGithub(accessToken, `/repos/${repo}/git/commits/${sha}`);
    out.push(commit);
    sha = commit.parents[0]?.sha;
  }
  return out;
}
