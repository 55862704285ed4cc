import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../worker/config";
import { decryptToken } from "../../worker/integrations/crypto";
import { toolsForUser } from "../../worker/tools/live";
import { eventTypes, scriptOAuth, storedRow, upstreamCount } from "./integrations-helpers";
import { connect as sandboxGrant } from "./sandbox-helpers";
import { recordingRuntime, resultOf, runTool, sandboxUser, simulate, TOOL_SCOPES, toolEnv } from "./tools-helpers";

/**
 * The call policy against the sandbox's provider-shaped failures
 * (worker/sandbox/README.md, "Simulated failures"): 429 with Retry-After,
 * 500, 401. Sleep, clock and jitter are injected (random = 0.5, so the
 * backoff for attempt n is exactly 0.5 · 250 · 2^(n-1) ms).
 *
 * A 401 makes the integration refresh through the user's hub, which uses
 * this worker pool's provider config: its token endpoint is the test OAuth
 * server, scripted here to hand back a second sandbox token of the same
 * account — what Google would do.
 */

async function scriptRefreshToNewSandboxToken(refreshToken: string, group: "google" | "slack" | "github", email: string) {
  const next = await sandboxGrant(group, email, TOOL_SCOPES[group]);
  await scriptOAuth(refreshToken, {
    status: 200,
    body: { access_token: next.access_token, token_type: "Bearer", expires_in: 300, refresh_token: next.refresh_token },
  });
  return next;
}

describe("429 with Retry-After", () => {
  it.each([
    ["gmail", "google", "gmail.search_messages", { query: "invoice" }],
    ["slack", "slack", "slack.list_channels", {}],
    ["github", "github", "github.list_repos", {}],
  ] as const)("%s: the injected sleep gets exactly the asked delay, then the call succeeds", async (provider, group, tool, args) => {
    const u = await sandboxUser([provider]);
    await simulate(group, u.grants[provider].access_token, "rate_limit", 1, 7);
    const runtime = recordingRuntime();
    const outcome = await runTool(u.userId, tool, args, runtime);
    expect(outcome.ok).toBe(true);
    if (provider === "slack") {
      // Slack tools ask auth.test (for permalinks) alongside the method itself; the sandbox's per-account
      // failure counter is not atomic, so either or both of the two parallel requests may draw the 429.
      expect(runtime.sleeps.length).toBeGreaterThanOrEqual(1);
      expect(new Set(runtime.sleeps)).toEqual(new Set([7_000]));
    } else expect(runtime.sleeps).toEqual([7_000]);
  });

  it("a Retry-After past the policy's longest wait is answered at once as provider_rate_limited", async () => {
    const u = await sandboxUser(["gmail"]);
    await simulate("google", u.grants.gmail.access_token, "rate_limit", 1, 600);
    const runtime = recordingRuntime();
    const outcome = await runTool(u.userId, "gmail.search_messages", { query: "invoice" }, runtime);
    expect(outcome).toMatchObject({ ok: false, error: { code: "provider_rate_limited", status: 503, retryAfterSeconds: 600, providerCode: "RESOURCE_EXHAUSTED" } });
    expect(runtime.sleeps).toEqual([]);
  });
});

describe("500", () => {
  it("is retried with exponential backoff and full jitter, then succeeds", async () => {
    const u = await sandboxUser(["github"]);
    await simulate("github", u.grants.github.access_token, "server_error", 2);
    const runtime = recordingRuntime();
    const outcome = await runTool(u.userId, "github.list_repos", {}, runtime);
    // The seeded account's two repositories and the read-only one it can see.
    expect(resultOf(outcome).items).toHaveLength(3);
    expect(runtime.sleeps).toEqual([125, 250]);
    expect(runtime.requests).toEqual(Array(3).fill("GET /sandbox/github/api/user/repos"));
  });

  it("past the last attempt is a clean 502 with the provider's code", async () => {
    const u = await sandboxUser(["gmail"]);
    await simulate("google", u.grants.gmail.access_token, "server_error", 3);
    const runtime = recordingRuntime();
    const outcome = await runTool(u.userId, "gmail.search_messages", { query: "invoice" }, runtime);
    expect(outcome).toMatchObject({ ok: false, error: { code: "provider_unavailable", status: 502, provider: "gmail", providerCode: "INTERNAL" } });
    expect(runtime.sleeps).toEqual([125, 250]);
    expect(runtime.requests).toHaveLength(3);
  });

  it("on a write is not repeated (it may have happened), and the outcome says so", async () => {
    const u = await sandboxUser(["gmail"]);
    await simulate("google", u.grants.gmail.access_token, "server_error", 1);
    const runtime = recordingRuntime();
    const outcome = await runTool(u.userId, "gmail.send_email", { to: ["bob@example.com"], subject: "Only once", body: "b" }, runtime);
    expect(outcome).toMatchObject({ ok: false, error: { code: "provider_unavailable", status: 502, outcomeUnknown: true } });
    if (!outcome.ok) expect(outcome.error.message).toContain("may or may not have been made");
    expect(runtime.requests).toEqual(["POST /sandbox/google/gmail/v1/users/me/messages/send"]);
    expect(runtime.sleeps).toEqual([]);
  });
});

describe("401", () => {
  it("one refresh and one retry, and the call succeeds with the new token", async () => {
    const u = await sandboxUser(["gmail"]);
    const grant = u.grants.gmail;
    const next = await scriptRefreshToNewSandboxToken(grant.refresh_token, "google", grant.email);
    await simulate("google", grant.access_token, "unauthorized", 1);
    const runtime = recordingRuntime();
    const outcome = await runTool(u.userId, "gmail.get_message", { id: "x" }, runtime);
    // The retry reached Gmail with the new token and got Gmail's own answer for an unknown id.
    expect(outcome).toMatchObject({ ok: false, error: { code: "provider_not_found" } });
    expect(runtime.requests).toHaveLength(2);
    expect(await upstreamCount(grant.refresh_token)).toBe(1);
    expect((await eventTypes(u.token, "gmail")).filter((t) => t === "refreshed")).toHaveLength(1);
    const row = (await storedRow(u.userId, "gmail"))!;
    expect(await decryptToken(getConfig(env).encryptionKeys!, row.id, "access_token_enc", row.accessTokenEnc!)).toBe(next.access_token);
    expect(runtime.sleeps).toEqual([]);
  });

  it.each([
    ["slack", "slack", "slack.list_channels"],
    ["github", "github", "github.list_repos"],
  ] as const)("%s too (Slack's 200 ok:false token_expired, GitHub's 401 Bad credentials)", async (provider, group, tool) => {
    const u = await sandboxUser([provider]);
    const grant = u.grants[provider];
    await scriptRefreshToNewSandboxToken(grant.refresh_token, group, grant.email);
    await simulate(group, grant.access_token, "unauthorized", 1);
    expect((await runTool(u.userId, tool, {})).ok).toBe(true);
    expect(await upstreamCount(grant.refresh_token)).toBe(1);
  });

  it("a second 401 after the refresh is a clean error naming the integration to reconnect; still one refresh", async () => {
    const u = await sandboxUser(["gmail"]);
    const grant = u.grants.gmail;
    await scriptRefreshToNewSandboxToken(grant.refresh_token, "google", grant.email);
    await simulate("google", grant.access_token, "unauthorized", 2);
    const runtime = recordingRuntime();
    const outcome = await runTool(u.userId, "gmail.search_messages", { query: "invoice" }, runtime);
    expect(outcome).toMatchObject({ ok: false, error: { code: "provider_unauthorized", status: 409, provider: "gmail", providerCode: "UNAUTHENTICATED", reconnect: "gmail" } });
    expect(runtime.requests).toHaveLength(2);
    expect(await upstreamCount(grant.refresh_token)).toBe(1);
    const error = JSON.stringify(outcome);
    expect(error).not.toContain(grant.access_token);
  });

  it("a refresh the provider refuses (invalid_grant) expires the integration: the call says reconnect, the tools are withdrawn", async () => {
    const u = await sandboxUser(["gmail", "calendar"]);
    const grant = u.grants.gmail;
    await scriptOAuth(grant.refresh_token, { status: 400, body: { error: "invalid_grant", error_description: "Token has been expired or revoked." } });
    await simulate("google", grant.access_token, "unauthorized", 1);
    const outcome = await runTool(u.userId, "gmail.search_messages", { query: "invoice" });
    expect(outcome).toMatchObject({ ok: false, error: { code: "integration_expired", status: 409, provider: "gmail", reconnect: "gmail" } });
    const set = await toolsForUser(toolEnv, u.userId);
    expect(set.tools.map((t) => t.name)).toEqual(["calendar.list_events", "calendar.create_event"]);
    expect(set.unavailable).toContainEqual({ provider: "gmail", status: "expired" });
  });
});

describe("malformed arguments", () => {
  it.each([
    ["a missing required field", "gmail.search_messages", {}, [{ path: "query" }]],
    ["a wrong type", "gmail.search_messages", { query: "x", limit: "ten" }, [{ path: "limit" }]],
    ["over the item cap", "github.list_repos", { limit: 21 }, [{ path: "limit" }]],
    ["arguments that are not JSON", "gmail.search_messages", "{query: invoice", [{ path: "(arguments)", message: "not valid JSON" }]],
    ["arguments that are not an object", "gmail.search_messages", [1, 2], [{ path: "(arguments)" }]],
    ["an address that is not one", "gmail.send_email", { to: ["not-an-address"], subject: "s", body: "b" }, [{ path: "to.0" }]],
    ["a subject that would add headers (Bcc injection)", "gmail.send_email", { to: ["a@example.com"], subject: "Hi\r\nBcc: thief@evil.example", body: "b" }, [{ path: "subject", message: "subject must be a single line" }]],
    ["a repository that is not owner/name", "github.create_issue", { repo: "../../etc", title: "t" }, [{ path: "repo", message: "expected owner/name" }]],
  ])("%s → invalid_arguments the model can read, and no provider request", async (_what, tool, args, fields) => {
    const u = await sandboxUser(["gmail", "github"]);
    const runtime = recordingRuntime();
    const outcome = await runTool(u.userId, tool, args, runtime);
    expect(outcome).toMatchObject({ ok: false, tool, error: { code: "invalid_arguments", status: 400, fields } });
    if (!outcome.ok) expect(outcome.error.message).toContain(`Invalid arguments for ${tool}:`);
    expect(runtime.requests).toEqual([]);
  });

  it("an unknown tool name is an outcome listing what is available, not a throw", async () => {
    const u = await sandboxUser(["github"]);
    const outcome = await runTool(u.userId, "github.delete_everything", {});
    expect(outcome).toMatchObject({ ok: false, error: { code: "unknown_tool", status: 404 } });
    if (!outcome.ok) expect(outcome.error.message).toContain("github.list_repos, github.list_issues, github.create_issue");
  });
});
