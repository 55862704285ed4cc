import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { agentSession } from "../../worker/agent/routes";
import { TEMPLATE_START_PER_USER } from "../../worker/auth/rate-limit";
import { OfflinePlanner } from "../../worker/agent/offline-planner";
import type { PreviewResponse, Template } from "../../worker/contract/templates";
import { builtinTemplate } from "../../worker/templates/library";
import { startTemplate } from "../../worker/templates/start";
import { detail, inject } from "./agent-helpers";
import { problemOf } from "./auth-helpers";
import { api, newUser, seedIntegration } from "./integrations-helpers";
import { recordingRuntime, sandboxUser } from "./tools-helpers";

type User = { userId: string; token: string };

async function create(user: User, body: Record<string, unknown>): Promise<{ template: Template; warnings: unknown[] }> {
  const res = await api(user.token, "POST", "/api/templates", body);
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

async function list(user: User, scope?: string): Promise<string[]> {
  const res = await api(user.token, "GET", `/api/templates${scope ? `?scope=${scope}` : ""}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { templates: Template[] }).templates.map((t) => t.id);
}

async function preview(user: User, id: string, variables: Record<string, unknown>): Promise<PreviewResponse> {
  const res = await api(user.token, "POST", `/api/templates/${id}/preview`, { variables });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

const DIGEST = {
  title: "Digest from a sender",
  body: "Summarise email from {{sender}}",
  variables: [{ name: "sender", type: "email" }],
  requiredIntegrations: ["gmail"],
};

describe("templates: who sees what", () => {
  it("another user's private template is 404 by id, for every verb, and absent from every list", async () => {
    const owner = await newUser();
    const other = await newUser();
    const { template } = await create(owner, { ...DIGEST, visibility: "private" });
    expect(template).toMatchObject({ ownerId: owner.userId, version: 1, visibility: "private", variables: [{ name: "sender", type: "email", required: true }] });

    for (const [method, path, body] of [
      ["GET", "", undefined],
      ["PATCH", "", { title: "mine now" }],
      ["DELETE", "", undefined],
      ["POST", "/preview", { variables: {} }],
      ["POST", "/start", { variables: {} }],
    ] as const) {
      const res = await api(other.token, method, `/api/templates/${template.id}${path}`, body);
      expect([method, path, res.status, (await problemOf(res)).code]).toEqual([method, path, 404, "template_not_found"]);
    }
    for (const scope of [undefined, "all", "public", "mine"]) expect(await list(other, scope)).not.toContain(template.id);
    expect(await list(owner, "mine")).toEqual([template.id]);
    expect(await list(owner)).toContain(template.id);
    expect(await list(owner, "public")).not.toContain(template.id);
  });

  it("a public template is listed for everyone and usable, but only its owner changes it; built-ins are read-only", async () => {
    const owner = await newUser();
    const other = await newUser();
    const { template } = await create(owner, { ...DIGEST, visibility: "public" });
    expect(await list(other, "public")).toContain(template.id);
    expect(await list(other, "mine")).not.toContain(template.id);
    expect((await api(other.token, "GET", `/api/templates/${template.id}`)).status).toBe(200);
    expect((await preview(other, template.id, { sender: "ana@example.com" })).prompt).toBe("Summarise email from ana@example.com");

    const patch = await api(other.token, "PATCH", `/api/templates/${template.id}`, { title: "hijacked" });
    expect([patch.status, (await problemOf(patch)).code]).toEqual([403, "template_read_only"]);
    const del = await api(other.token, "DELETE", `/api/templates/${template.id}`);
    expect(del.status).toBe(403);
    const builtin = await api(owner.token, "PATCH", "/api/templates/builtin-gmail-unread-from", { title: "x" });
    expect([builtin.status, (await problemOf(builtin)).code]).toEqual([403, "template_read_only"]);

    const all = await list(other);
    expect(all).toEqual(expect.arrayContaining(["builtin-gmail-unread-from", "builtin-calendar-to-slack", "builtin-github-open-issues", template.id]));
  });

  it("an edit raises the version; an edit from a stale version is refused; delete removes it", async () => {
    const owner = await newUser();
    const { template } = await create(owner, DIGEST);
    const res = await api(owner.token, "PATCH", `/api/templates/${template.id}`, { body: "Summarise unread email from {{sender}}" });
    expect(res.status).toBe(200);
    const changed = (await res.json()) as { template: Template };
    expect(changed.template).toMatchObject({ version: 2, body: "Summarise unread email from {{sender}}" });
    expect((await api(owner.token, "DELETE", `/api/templates/${template.id}`)).status).toBe(204);
    expect((await api(owner.token, "GET", `/api/templates/${template.id}`)).status).toBe(404);
  });
});

describe("templates: bad input, by field and reason", () => {
  it.each([
    [{ title: "x", body: "Hello {{name" }, 400, "malformed_placeholder", { path: "body", line: 1, column: 7 }],
    [{ title: "x", body: "Hi {{who}}", variables: [{ name: "whom", type: "string" }] }, 400, "unknown_variable", { path: "body", offset: 3 }],
    [{ title: "x", body: "Hi", requiredIntegrations: ["jira"] }, 400, "invalid_request", { path: "requiredIntegrations.0" }],
    [{ title: "x", body: "{{d}}", variables: [{ name: "d", type: "date", default: "soon" }] }, 400, "invalid_request", { path: "variables.0.default" }],
    [{ title: "", body: "x" }, 400, "invalid_request", { path: "title" }],
  ])("%j → %i %s", async (body, status, code, error) => {
    const user = await newUser();
    const res = await api(user.token, "POST", "/api/templates", body);
    const p = await problemOf(res);
    expect([res.status, p.code]).toEqual([status, code]);
    expect(p.errors).toEqual([expect.objectContaining(error)]);
  });

  it("a wrong type, a value that tries to inject {{...}} and an unknown variable are refused on preview and start, and start creates nothing", async () => {
    const user = await newUser();
    for (const path of ["preview", "start"]) {
      const res = await api(user.token, "POST", `/api/templates/builtin-gmail-unread-from/${path}`, { variables: { sender: "{{sender}}@x.com", extra: "1" } });
      const p = await problemOf(res);
      expect([res.status, p.code]).toEqual([400, "invalid_variables"]);
      expect(p.errors).toEqual([
        { path: "variables.extra", message: "this template has no variable extra" },
        { path: "variables.sender", message: "a value cannot contain {{ or }}" },
      ]);
    }
    const res = await api(user.token, "POST", "/api/templates/builtin-slack-catch-up/preview", { variables: { channel: "#general", count: "lots" } });
    expect((await problemOf(res)).errors).toEqual([{ path: "variables.count", message: "expected a number, like 5 or 2.5" }]);
    const sessions = (await (await api(user.token, "GET", "/api/sessions?groupBy=template")).json()) as { groups: unknown[] };
    expect(sessions.groups).toEqual([]);
  });

  it("a declared variable nothing uses is saved with a warning", async () => {
    const user = await newUser();
    const { warnings } = await create(user, { title: "x", body: "Hi {{a}}", variables: [{ name: "a" }, { name: "b", required: false }] });
    expect(warnings).toEqual([expect.objectContaining({ code: "unused_variable", variable: "b" })]);
  });
});

describe("templates: preview against the live tool set", () => {
  it("is cached until an integration connects or disconnects, or the template changes", async () => {
    const user = await newUser();
    const { template } = await create(user, DIGEST);
    const values = { sender: "ana@example.com" };

    const cold = await preview(user, template.id, values);
    expect(cold).toMatchObject({ cached: false, confidence: "low", missingIntegrations: ["gmail"], tools: [], reasons: ["Gmail is not connected"] });
    expect((await preview(user, template.id, values)).cached).toBe(true);

    await seedIntegration(user.userId, "gmail", { accessToken: "at", expiresAt: new Date(Date.now() + 3_600_000) });
    const connected = await preview(user, template.id, values);
    expect(connected).toMatchObject({ cached: false, confidence: "high", missingIntegrations: [] });
    expect(connected.tools).toContain("gmail.search_messages");
    expect((await preview(user, template.id, values)).cached).toBe(true);

    const off = await api(user.token, "POST", "/api/integrations/gmail/disconnect");
    expect(off.status).toBe(200);
    expect(await preview(user, template.id, values)).toMatchObject({ cached: false, confidence: "low", missingIntegrations: ["gmail"] });

    await api(user.token, "PATCH", `/api/templates/${template.id}`, { description: "now with a description" });
    const edited = await preview(user, template.id, values);
    expect(edited.cached).toBe(false);
    expect(edited.system).toContain("now with a description");
  });
});

describe("templates: start", () => {
  it("low confidence opens a session linked to the template with the prompt as a draft and the missing pieces, and runs nothing", async () => {
    const user = await newUser();
    const res = await api(user.token, "POST", "/api/templates/builtin-gmail-unread-from/start", { variables: {} });
    expect(res.status).toBe(201);
    const started = (await res.json()) as { sessionId: string; autoExecuted: boolean };
    expect(started.autoExecuted).toBe(false);
    const d = await detail(user.token, started.sessionId);
    expect(d.session).toMatchObject({ templateId: "builtin-gmail-unread-from", title: "Summarise unread email from a sender", status: "active" });
    expect(d.messages).toEqual([]);
    expect(d.draft).toEqual({
      templateId: "builtin-gmail-unread-from",
      prompt: "Summarise unread email from {{sender}}",
      missingVariables: ["sender"],
      missingIntegrations: ["gmail"],
      reasons: ["sender has no value", "Gmail is not connected"],
    });

    // The person sends the first message themselves: the draft is gone.
    const sent = await api(user.token, "POST", `/api/sessions/${started.sessionId}/messages`, { content: "hello" });
    expect(sent.status).toBe(200);
    expect((await detail(user.token, started.sessionId)).draft).toBeNull();
  });

  it("starts are rate limited per user with Retry-After, and a refused start creates no session", async () => {
    const user = await newUser();
    // The window is already full (the same fixed window the route counts in).
    const windowStart = Math.floor(Date.now() / TEMPLATE_START_PER_USER.windowMs) * TEMPLATE_START_PER_USER.windowMs;
    await env.DB.prepare("INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, ?)")
      .bind(`${TEMPLATE_START_PER_USER.name}:${user.userId}`, windowStart, TEMPLATE_START_PER_USER.limit)
      .run();
    const res = await api(user.token, "POST", "/api/templates/builtin-gmail-unread-from/start", { variables: {} });
    expect([res.status, (await problemOf(res)).code]).toEqual([429, "rate_limited"]);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    const sessions = (await (await api(user.token, "GET", "/api/sessions")).json()) as { groups: unknown[] };
    expect(sessions.groups).toEqual([]);
  });

  it("high confidence runs the first turn at once: the session's first message is the prompt and its first step the template's tool", async () => {
    const user = await sandboxUser(["gmail"]);
    const sessionId = crypto.randomUUID();
    const planner = new OfflinePlanner();
    const requests: string[] = [];
    await inject(sessionId, {
      ...planner,
      id: planner.id,
      label: planner.label,
      offline: true,
      complete: (request) => {
        requests.push(request.messages[0]!.content ?? "");
        return planner.complete(request);
      },
    });
    const template = builtinTemplate("builtin-gmail-unread-from")!;
    const started = await startTemplate(env, user.userId, template, { sender: "ana@example.com" }, sessionId, agentSession(env, sessionId));
    expect(started).toEqual({ sessionId, autoExecuted: true });

    let d = await detail(user.token, sessionId);
    for (let i = 0; i < 50 && d.messages.length < 2; i += 1) d = await detail(user.token, sessionId);
    expect(d.messages.map((m: { role: string }) => m.role)).toEqual(["user", "assistant"]);
    expect(d.messages[0].content).toBe("Summarise unread email from ana@example.com");
    expect(d.messages[1].steps[0]).toMatchObject({ kind: "tool", tool: "gmail.search_messages", status: "ok", arguments: { query: "from:ana@example.com" } });
    expect(d.session.templateId).toBe("builtin-gmail-unread-from");
    expect(d.draft).toBeNull();
    // The template's system prompt rides with the agent's own.
    expect(requests[0]).toContain('This conversation starts from the template "Summarise unread email from a sender"');
    expect(requests[0]).toContain("Tools for this task: gmail.search_messages");

    const grouped = (await (await api(user.token, "GET", "/api/sessions?groupBy=template")).json()) as { groups: { key: string; sessions: { id: string }[] }[] };
    expect(grouped.groups).toEqual([{ key: "builtin-gmail-unread-from", sessions: [expect.objectContaining({ id: sessionId })] }]);
  });
});

describe("templates: legacy import and export", () => {
  it("imports the flat shape with its report, and the account export carries the user's templates", async () => {
    const user = await newUser();
    const res = await api(user.token, "POST", "/api/templates/import", { name: "Standup", prompt: "Post {channel} standup", params: ["channel"], integrations: "slack" });
    expect(res.status).toBe(201);
    const { template, report } = (await res.json()) as { template: Template; report: string[] };
    expect(template).toMatchObject({ title: "Standup", body: "Post {{channel}} standup", requiredIntegrations: ["slack"], visibility: "private", ownerId: user.userId });
    expect(report).toContain("Rewrote 1 {param} placeholder as {{param}}.");

    const bad = await api(user.token, "POST", "/api/templates/import", { name: "x", prompt: "y", integrations: "jira" });
    expect([bad.status, (await problemOf(bad)).code]).toEqual([400, "unknown_integration"]);

    const exported = (await (await api(user.token, "GET", "/api/me/export")).json()) as { templates: Template[] };
    expect(exported.templates.map((t) => t.id)).toEqual([template.id]);
  });
});
