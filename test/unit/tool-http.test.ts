import { describe, expect, it } from "vitest";
import { AppError } from "../../worker/errors";
import type { ProviderId } from "../../worker/integrations/providers";
import { googleRequest } from "../../worker/tools/clients/google";
import { githubClient } from "../../worker/tools/clients/github";
import { slackCall } from "../../worker/tools/clients/slack";
import { backoffMs, DEFAULT_RETRY_POLICY, requestedDelayMs, type Connection, type ToolRuntime } from "../../worker/tools/http";

/**
 * The provider call policy with every outside thing injected: a scripted
 * fetch, a clock that only moves when told, a sleep that records, a fixed
 * random draw. Each case is exact; none waits on a real timer.
 */

const NOW = Date.UTC(2026, 4, 1, 12, 0, 0);

type Answer = Response | Error | ((req: Request) => Response | Promise<Response>);

function harness(answers: Answer[], provider: ProviderId = "gmail") {
  const requests: Request[] = [];
  const sleeps: number[] = [];
  const refreshedFrom: string[] = [];
  const timeouts: number[] = [];
  let token = "tok-1";
  let timeoutSignal: () => AbortSignal = () => new AbortController().signal;
  const runtime: ToolRuntime = {
    policy: DEFAULT_RETRY_POLICY,
    now: () => NOW,
    random: () => 0.5,
    sleep: async (ms) => void sleeps.push(ms),
    timeout: (ms) => (timeouts.push(ms), timeoutSignal()),
    fetch: async (req) => {
      requests.push(req);
      if (req.signal.aborted) throw req.signal.reason;
      const next = answers.shift();
      if (!next) throw new Error("no scripted answer left");
      if (next instanceof Error) throw next;
      return typeof next === "function" ? next(req) : next;
    },
  };
  const conn: Connection = {
    provider,
    apiUrl: "https://api.example.test",
    runtime,
    credentials: {
      accessToken: async () => token,
      afterUnauthorized: async (rejected) => {
        refreshedFrom.push(rejected);
        token = `tok-${refreshedFrom.length + 1}`;
        return token;
      },
    },
  };
  return { conn, requests, sleeps, refreshedFrom, timeouts, abortEveryCall: () => (timeoutSignal = () => AbortSignal.abort(new DOMException("timed out", "TimeoutError"))) };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const googleError = (status: number, code: string, message = "went wrong", headers: Record<string, string> = {}) =>
  json(status, { error: { code: status, message, status: code } }, headers);

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("expected an AppError");
}

describe("requestedDelayMs (RFC 9110 §10.2.3 Retry-After, GitHub's x-ratelimit-reset)", () => {
  it.each([
    ["delay-seconds", { "retry-after": "7" }, 429, 7_000],
    ["zero seconds", { "retry-after": "0" }, 503, 0],
    ["an HTTP-date 5 s ahead", { "retry-after": new Date(NOW + 5_000).toUTCString() }, 429, 5_000],
    ["an HTTP-date in the past", { "retry-after": new Date(NOW - 60_000).toUTCString() }, 429, 0],
    ["GitHub's reset epoch on a 429", { "x-ratelimit-reset": String(NOW / 1000 + 42) }, 429, 42_000],
    ["GitHub's reset on a 403 with nothing left", { "x-ratelimit-reset": String(NOW / 1000 + 3), "x-ratelimit-remaining": "0" }, 403, 3_000],
    ["Retry-After before the reset header", { "retry-after": "2", "x-ratelimit-reset": String(NOW / 1000 + 99) }, 429, 2_000],
    ["a reset on a 403 with requests left (not a rate limit)", { "x-ratelimit-reset": String(NOW / 1000 + 3), "x-ratelimit-remaining": "10" }, 403, undefined],
    ["nothing said", {}, 429, undefined],
    ["garbage", { "retry-after": "soon" }, 429, undefined],
  ])("%s", (_what, headers, status, expected) => {
    expect(requestedDelayMs(new Headers(headers), status, NOW)).toBe(expected);
  });
});

describe("backoffMs (full jitter)", () => {
  it.each([
    [1, 0.5, 125],
    [2, 0.5, 250],
    [3, 0.5, 500],
    [3, 0, 0],
    [10, 0.999, 3_996],
  ])("attempt %i with draw %f → %i ms", (attempt, random, expected) => {
    expect(backoffMs(DEFAULT_RETRY_POLICY, attempt, random)).toBe(expected);
  });
});

describe("provider calls", () => {
  it("waits exactly what Retry-After asks on a 429, then succeeds", async () => {
    const h = harness([googleError(429, "RESOURCE_EXHAUSTED", "Quota exceeded", { "retry-after": "7" }), json(200, { ok: 1 })]);
    expect(await googleRequest(h.conn, { path: "/x" })).toEqual({ ok: 1 });
    expect(h.sleeps).toEqual([7_000]);
    expect(h.requests).toHaveLength(2);
  });

  it("retries a 5xx with exponential backoff and full jitter, then succeeds", async () => {
    const h = harness([googleError(500, "INTERNAL"), googleError(503, "UNAVAILABLE"), json(200, { ok: 1 })]);
    expect(await googleRequest(h.conn, { path: "/x" })).toEqual({ ok: 1 });
    expect(h.sleeps).toEqual([125, 250]);
  });

  it("gives up after the last attempt with a clean 502 that keeps Google's code", async () => {
    const h = harness([googleError(500, "INTERNAL"), googleError(500, "INTERNAL"), googleError(500, "INTERNAL", "Internal error encountered.")]);
    const e = await failure(googleRequest(h.conn, { path: "/x" }));
    expect({ status: e.status, code: e.code, providerCode: e.extra.providerCode }).toEqual({ status: 502, code: "provider_unavailable", providerCode: "INTERNAL" });
    expect(e.detail).toContain("Internal error encountered.");
    expect(h.sleeps).toEqual([125, 250]);
    expect(h.requests).toHaveLength(3);
  });

  it("does not wait longer than the policy allows: a long Retry-After is answered at once", async () => {
    const h = harness([json(429, { error: { status: "RESOURCE_EXHAUSTED", message: "Quota" } }, { "retry-after": "3600" })]);
    const e = await failure(googleRequest(h.conn, { path: "/x" }));
    expect(e).toMatchObject({ status: 503, code: "provider_rate_limited", extra: { retryAfterSeconds: 3600, headers: { "retry-after": "3600" } } });
    expect(h.sleeps).toEqual([]);
  });

  it("retries a dropped connection on a read", async () => {
    const h = harness([new TypeError("network connection lost"), json(200, { ok: 1 })]);
    expect(await googleRequest(h.conn, { path: "/x" })).toEqual({ ok: 1 });
    expect(h.sleeps).toEqual([125]);
  });

  it("aborts each attempt at the policy's timeout and reports provider_timeout", async () => {
    const h = harness([]);
    h.abortEveryCall();
    const e = await failure(googleRequest(h.conn, { path: "/x" }));
    expect(e).toMatchObject({ status: 502, code: "provider_timeout" });
    expect(h.timeouts).toEqual([15_000, 15_000, 15_000]);
    expect(h.requests).toHaveLength(3);
  });

  it("never repeats a write that may have happened (5xx, dropped connection), and says the outcome is unknown", async () => {
    const a = harness([googleError(500, "INTERNAL")]);
    const e = await failure(googleRequest(a.conn, { method: "POST", path: "/send", json: {} }));
    expect(e).toMatchObject({ status: 502, code: "provider_unavailable", extra: { outcomeUnknown: true } });
    expect(a.requests).toHaveLength(1);

    const b = harness([new TypeError("network connection lost")]);
    const f = await failure(googleRequest(b.conn, { method: "POST", path: "/send", json: {} }));
    expect(f).toMatchObject({ status: 502, code: "provider_unreachable", extra: { outcomeUnknown: true } });
    expect(b.requests).toHaveLength(1);
  });

  it.each([
    ["a 403 with nothing left (GitHub's primary limit)", { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW / 1000 + 2) }, [2_000]],
    ["a 403 with Retry-After (GitHub's secondary limit)", { "retry-after": "3" }, [3_000]],
  ])("treats %s as a rate limit, even on a write", async (_what, headers, sleeps) => {
    const h = harness([json(403, { message: "rate limited" }, headers), json(201, { id: 1 })], "github");
    expect(await googleRequest(h.conn, { method: "POST", path: "/x", json: {} })).toEqual({ id: 1 });
    expect(h.sleeps).toEqual(sleeps);
  });

  it("a plain 403 is a refusal: not retried, provider_forbidden", async () => {
    const h = harness([googleError(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.")]);
    expect(await failure(googleRequest(h.conn, { path: "/x" }))).toMatchObject({ status: 403, code: "provider_forbidden", extra: { providerCode: "PERMISSION_DENIED" } });
    expect(h.requests).toHaveLength(1);
  });

  it("does repeat a write the provider refused with a 429", async () => {
    const h = harness([json(429, {}, { "retry-after": "1" }), json(200, { id: "m1" })]);
    expect(await googleRequest(h.conn, { method: "POST", path: "/send", json: {} })).toEqual({ id: "m1" });
    expect(h.sleeps).toEqual([1_000]);
  });

  it("on a 401 refreshes once and retries once with the new token", async () => {
    const h = harness([googleError(401, "UNAUTHENTICATED"), json(200, { ok: 1 })]);
    expect(await googleRequest(h.conn, { path: "/x" })).toEqual({ ok: 1 });
    expect(h.refreshedFrom).toEqual(["tok-1"]);
    expect(h.requests.map((r) => r.headers.get("authorization"))).toEqual(["Bearer tok-1", "Bearer tok-2"]);
    expect(h.sleeps).toEqual([]);
  });

  it("a second 401 is a clean error, after exactly one refresh", async () => {
    const h = harness([googleError(401, "UNAUTHENTICATED"), googleError(401, "UNAUTHENTICATED")]);
    const e = await failure(googleRequest(h.conn, { path: "/x" }));
    expect(e).toMatchObject({ status: 409, code: "provider_unauthorized", extra: { provider: "gmail", providerCode: "UNAUTHENTICATED" } });
    expect(h.refreshedFrom).toHaveLength(1);
    expect(h.requests).toHaveLength(2);
  });

  it("never puts the token in a message, even when the provider echoes it", async () => {
    const h = harness([googleError(400, "INVALID_ARGUMENT", "bad request with token tok-1 in it")]);
    const e = await failure(googleRequest(h.conn, { path: "/x" }));
    expect(e.code).toBe("provider_rejected");
    expect(e.detail).not.toContain("tok-1");
    expect(JSON.stringify(e.extra)).not.toContain("tok-1");
  });

  it("Slack: a 200 with ok:false token_expired takes the refresh path; other codes map to their status", async () => {
    const h = harness([json(200, { ok: false, error: "token_expired" }), json(200, { ok: true, channels: [] })], "slack");
    expect(await slackCall(h.conn, "conversations.list", {}, { write: false })).toEqual({ ok: true, channels: [] });
    expect(h.refreshedFrom).toEqual(["tok-1"]);

    const g = harness([json(200, { ok: false, error: "channel_not_found" })], "slack");
    expect(await failure(slackCall(g.conn, "conversations.history", { channel: "C1" }, { write: false }))).toMatchObject({
      status: 404,
      code: "provider_not_found",
      extra: { provider: "slack", providerCode: "channel_not_found" },
    });
  });

  it("GitHub through Octokit: the same policy runs under it, and a 422 keeps GitHub's field code", async () => {
    const h = harness(
      [
        json(429, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(NOW / 1000 + 4) }),
        json(422, { message: "Validation Failed", errors: [{ resource: "Issue", field: "title", code: "missing_field" }] }),
      ],
      "github",
    );
    const gh = githubClient(h.conn);
    const e = await failure(gh.call(true, (o) => o.rest.issues.create({ owner: "o", repo: "r", title: "t" })));
    expect(e).toMatchObject({ status: 400, code: "provider_rejected", extra: { provider: "github", providerCode: "missing_field" } });
    expect(e.detail).toContain("Validation Failed (title missing_field)");
    expect(h.sleeps).toEqual([4_000]);
    expect(h.requests.map((r) => r.headers.get("authorization"))).toEqual(["Bearer tok-1", "Bearer tok-1"]);
  });

  it("GitHub: a timeout under Octokit surfaces as our provider_timeout, not Octokit's generic 500", async () => {
    const h = harness([], "github");
    h.abortEveryCall();
    const e = await failure(githubClient(h.conn).call(false, (o) => o.rest.repos.listForAuthenticatedUser()));
    expect(e).toMatchObject({ status: 502, code: "provider_timeout", extra: { provider: "github" } });
  });
});
