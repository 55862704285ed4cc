import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { costOf } from "../../worker/agent/pricing";
import { database } from "../../worker/db/client";
import { findIntegration, updateIntegration } from "../../worker/db/integrations";
import { agentMessages, agentSessions } from "../../worker/db/schema";
import { api, newUser, scriptOAuth, seedIntegration } from "./integrations-helpers";
import { connect as sandboxGrant } from "./sandbox-helpers";
import { answer, call, createSession, detail, framesOf, inject, scriptedModel, sendMessage } from "./agent-helpers";
import { recordingRuntime, sandboxUser, simulate, TOOL_SCOPES } from "./tools-helpers";

describe("agent sessions: a full turn", () => {
  it("runs model → sandbox Gmail tool → model, records steps, checkpoints, usage and cost, mirrors into D1 and publishes frames", async () => {
    const u = await sandboxUser(["gmail"]);
    const id = await createSession(u.token, "Invoices");
    const model = scriptedModel([
      call("c1", "gmail.search_messages", { query: "invoice" }),
      (req) => {
        const tool = req.messages.find((m) => m.role === "tool");
        expect(tool).toMatchObject({ role: "tool", toolCallId: "c1", name: "gmail.search_messages" });
        expect(JSON.parse((tool as { content: string }).content).items).toHaveLength(2);
        return answer("You have two invoices from Acme.")(req);
      },
    ]);
    await inject(id, model);

    const res = await sendMessage(u.token, id, "search my email for invoice");
    expect(res.status).toBe(200);
    const turn = (await res.json()) as any;
    expect(turn.message).toMatchObject({ role: "user", content: "search my email for invoice" });
    expect(turn.reply).toMatchObject({ role: "assistant", content: "You have two invoices from Acme.", metadata: { model: "gpt-4o-mini", offline: false } });
    expect(turn.steps).toHaveLength(1);
    expect(turn.steps[0]).toMatchObject({ kind: "tool", tool: "gmail.search_messages", arguments: { query: "invoice" }, status: "ok", summary: "gmail.search_messages: 2 items" });
    expect(turn.steps[0].sources).toHaveLength(2);
    expect(turn.steps[0].sources[0].url).toMatch(/^https:\/\/mail\.google\.com\//);
    const usage = { promptTokens: 300, completionTokens: 30 };
    const cost = costOf("gpt-4o-mini", { promptTokens: 100, completionTokens: 10 }).costUsd + costOf("gpt-4o-mini", { promptTokens: 200, completionTokens: 20 }).costUsd;
    expect(turn.usage.promptTokens).toBe(usage.promptTokens);
    expect(turn.usage.completionTokens).toBe(usage.completionTokens);
    expect(turn.usage.costUsd).toBeCloseTo(cost, 9);
    expect(turn.usage.costUsd).toBeGreaterThan(0);
    // The model was offered exactly the live Gmail tools.
    expect(model.requests[0]!.tools.map((t) => t.name).sort()).toEqual(["gmail.get_message", "gmail.search_messages", "gmail.send_email"]);

    const d = await detail(u.token, id);
    expect(d.session).toMatchObject({ status: "active", title: "Invoices", usage: { promptTokens: 300, completionTokens: 30 } });
    expect(d.messages.map((m: any) => m.role)).toEqual(["user", "assistant"]);
    expect(d.messages[1].steps[0].tool).toBe("gmail.search_messages");
    const reasons = d.checkpoints.map((c: any) => c.reason);
    expect(reasons).toEqual(["created", "message received", "step 1", "turn ended"]);
    expect(d.checkpoints.map((c: any) => c.messageCount)).toEqual([0, 1, 1, 2]);
    expect(d.session.lastCheckpointId).toBe(d.checkpoints[3].id);

    const db = database(env);
    const row = await db.select().from(agentSessions).where(eq(agentSessions.id, id)).get();
    expect(row).toMatchObject({ userId: u.userId, promptTokens: 300, completionTokens: 30, status: "active", lastCheckpointId: d.session.lastCheckpointId });
    const mirrored = await db.select().from(agentMessages).where(eq(agentMessages.sessionId, id)).all();
    expect(mirrored.map((m) => [m.seq, m.role])).toEqual([
      [0, "user"],
      [1, "assistant"],
    ]);

    const frames = await framesOf(u.token, id);
    expect(frames.every((f) => f.scope === "session")).toBe(true);
    expect(frames.map((f) => f.kind)).toEqual(["chat", "step", "chat"]);
    expect(frames[1]).toMatchObject({ kind: "step", agent: "gmail.search_messages", message: "gmail.search_messages: 2 items", order: 0 });
    expect(frames[2]).toMatchObject({ kind: "chat", role: "assistant", content: "You have two invoices from Acme." });
  });

  it("lists sessions grouped by day and by template, newest first, only the caller's", async () => {
    const a = await newUser();
    const b = await newUser();
    const first = await createSession(a.token, "First");
    const second = await createSession(a.token, "Second");
    await createSession(b.token, "Someone else's");
    const byDay = (await (await api(a.token, "GET", "/api/sessions?groupBy=day")).json()) as any;
    expect(byDay.groups).toHaveLength(1);
    expect(byDay.groups[0].key).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(byDay.groups[0].sessions.map((s: any) => s.id).sort()).toEqual([first, second].sort());
    const byTemplate = (await (await api(a.token, "GET", "/api/sessions?groupBy=template")).json()) as any;
    expect(byTemplate.groups).toEqual([{ key: "none", sessions: expect.any(Array) }]);
    expect((await api(a.token, "GET", "/api/sessions?groupBy=week")).status).toBe(400);
  });

  it("PATCH renames and moves status along the machine; a forbidden move is 409 invalid_transition", async () => {
    const u = await newUser();
    const id = await createSession(u.token);
    const renamed = await api(u.token, "PATCH", `/api/sessions/${id}`, { title: "Renamed" });
    expect(renamed.status).toBe(200);
    expect(((await renamed.json()) as any).session.title).toBe("Renamed");
    expect((await api(u.token, "PATCH", `/api/sessions/${id}`, { status: "completed" })).status).toBe(200);
    const back = await api(u.token, "PATCH", `/api/sessions/${id}`, { status: "active" });
    expect(back.status).toBe(409);
    expect(((await back.json()) as any).code).toBe("invalid_transition");
    expect((await detail(u.token, id)).session.status).toBe("completed");
    expect((await api(u.token, "PATCH", `/api/sessions/${id}`, { status: "archived" })).status).toBe(200);
    const out = await api(u.token, "PATCH", `/api/sessions/${id}`, { status: "active" });
    expect(out.status).toBe(409);
    expect((await api(u.token, "PATCH", `/api/sessions/${id}`, {})).status).toBe(400);
  });
});

describe("agent sessions: restore", () => {
  it("a restored checkpoint gives back exactly the earlier messages, in D1 too", async () => {
    const u = await newUser();
    const id = await createSession(u.token);
    await inject(id, scriptedModel([answer("one"), answer("two")]));
    expect((await sendMessage(u.token, id, "first")).status).toBe(200);
    const afterFirst = await detail(u.token, id);
    const cp = afterFirst.checkpoints.at(-1);
    expect(cp.messageCount).toBe(2);
    expect((await sendMessage(u.token, id, "second")).status).toBe(200);
    expect((await detail(u.token, id)).messages).toHaveLength(4);

    const res = await api(u.token, "POST", `/api/sessions/${id}/restore`, { checkpointId: cp.id });
    expect(res.status).toBe(200);
    const restored = await detail(u.token, id);
    expect(restored.messages).toEqual(afterFirst.messages);
    const mirrored = await database(env).select().from(agentMessages).where(eq(agentMessages.sessionId, id)).all();
    expect(mirrored.map((m) => m.id).sort()).toEqual(afterFirst.messages.map((m: any) => m.id).sort());

    const unknown = await api(u.token, "POST", `/api/sessions/${id}/restore`, { checkpointId: "nope" });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).code).toBe("checkpoint_not_found");
  });
});

describe("agent sessions: bad input", () => {
  it("empty and over-32 KB messages are 400; an archived session is 409; another user's session is 404 everywhere", async () => {
    const u = await newUser();
    const id = await createSession(u.token);
    for (const content of ["", "   ", "x".repeat(32 * 1024 + 1)]) {
      const res = await sendMessage(u.token, id, content);
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).code).toBe("invalid_request");
    }
    const exact = await api(u.token, "POST", `/api/sessions/${id}/messages`, { content: "x".repeat(32 * 1024), extra: 1 });
    expect(exact.status).toBe(400);

    const other = await newUser();
    for (const [method, path, body] of [
      ["GET", `/api/sessions/${id}`, undefined],
      ["PATCH", `/api/sessions/${id}`, { title: "mine now" }],
      ["POST", `/api/sessions/${id}/messages`, { content: "hi" }],
      ["POST", `/api/sessions/${id}/restore`, { checkpointId: "x" }],
      ["GET", `/api/sessions/${crypto.randomUUID()}`, undefined],
    ] as const) {
      const res = await api(other.token, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(((await res.json()) as any).code).toBe("session_not_found");
    }
    expect((await detail(u.token, id)).session.title).toBe("New chat");

    expect((await api(u.token, "PATCH", `/api/sessions/${id}`, { status: "archived" })).status).toBe(200);
    const archived = await sendMessage(u.token, id, "hello?");
    expect(archived.status).toBe(409);
    expect(((await archived.json()) as any).code).toBe("session_archived");
  });

  it("malformed arguments and an unknown tool name are recorded as step errors, told to the model, and the turn goes on", async () => {
    const u = await sandboxUser(["gmail"]);
    const id = await createSession(u.token);
    const model = scriptedModel([
      call("c1", "gmail.search_messages", "{not json"),
      call("c2", "gmail.delete_everything", {}),
      call("c3", "gmail.search_messages", { query: 42 }),
      (req) => {
        const told = req.messages.filter((m) => m.role === "tool").map((m) => JSON.parse((m as { content: string }).content).error.code);
        expect(told).toEqual(["invalid_arguments", "unknown_tool", "invalid_arguments"]);
        return answer("I could not search.")(req);
      },
    ]);
    await inject(id, model);
    const res = await sendMessage(u.token, id, "search");
    expect(res.status).toBe(200);
    const turn = (await res.json()) as any;
    expect(turn.steps.map((s: any) => [s.status, s.error?.code])).toEqual([
      ["error", "invalid_arguments"],
      ["error", "unknown_tool"],
      ["error", "invalid_arguments"],
    ]);
    expect(turn.steps[0].arguments).toBeUndefined();
    expect(turn.reply.content).toBe("I could not search.");
  });

  it("a model provider failure mid-turn shows the provider's error in words, ends the turn cleanly and keeps the checkpoint", async () => {
    const u = await sandboxUser(["gmail"]);
    const id = await createSession(u.token);
    await inject(
      id,
      scriptedModel([
        call("c1", "gmail.search_messages", { query: "invoice" }),
        () => {
          throw new Error("429 Rate limit reached for gpt-4o-mini");
        },
        answer("later works"),
      ]),
    );
    const res = await sendMessage(u.token, id, "search my email for invoice");
    expect(res.status).toBe(200);
    const turn = (await res.json()) as any;
    expect(turn.steps.map((s: any) => s.kind)).toEqual(["tool", "note"]);
    expect(turn.steps[1]).toMatchObject({ status: "error", summary: "The model provider failed: 429 Rate limit reached for gpt-4o-mini" });
    expect(turn.reply.metadata.error).toBe(true);
    expect(turn.reply.content).toContain("429 Rate limit reached");
    const d = await detail(u.token, id);
    expect(d.checkpoints.map((c: any) => c.reason)).toEqual(["created", "message received", "step 1", "turn ended"]);
    expect(d.session.status).toBe("active");
    expect((await sendMessage(u.token, id, "again")).status).toBe(200);
  });

  it("a tool's provider failing (5xx after the retries) is a step error in the provider's words; the model is told and the turn ends cleanly", async () => {
    const u = await sandboxUser(["gmail"]);
    const id = await createSession(u.token);
    await simulate("google", u.grants.gmail.access_token, "server_error", 3);
    const model = scriptedModel([
      call("c1", "gmail.search_messages", { query: "invoice" }),
      (req) => {
        const told = JSON.parse((req.messages.find((m) => m.role === "tool") as { content: string }).content);
        expect(told.error.status).toBeGreaterThanOrEqual(500);
        return answer("Gmail is having trouble; try again shortly.")(req);
      },
    ]);
    await inject(id, model);
    const turn = (await (await sendMessage(u.token, id, "search my email for invoice")).json()) as any;
    expect(turn.steps).toHaveLength(1);
    expect(turn.steps[0]).toMatchObject({ kind: "tool", status: "error", error: { provider: "gmail" } });
    expect(turn.steps[0].summary).toBe(turn.steps[0].error.message);
    expect(turn.steps[0].summary).toMatch(/Gmail/);
    expect(turn.reply.content).toBe("Gmail is having trouble; try again shortly.");
    const d = await detail(u.token, id);
    expect(d.session.status).toBe("active");
    expect(d.checkpoints.at(-1).reason).toBe("turn ended");
  });

  it("stops a turn after 8 model steps", async () => {
    const u = await sandboxUser(["gmail"]);
    const id = await createSession(u.token);
    await inject(id, scriptedModel(Array.from({ length: 9 }, (_, i) => call(`c${i}`, "gmail.search_messages", { query: "invoice" }))));
    const turn = (await (await sendMessage(u.token, id, "loop")).json()) as any;
    expect(turn.steps).toHaveLength(8);
    expect(turn.reply.content).toContain("I stopped after 8 steps");
  });
});

describe("agent sessions: integrations that change mid-session", () => {
  it("withdraws Gmail's tools at the next step with a system note, pauses on reconnect_required, and PATCH active after the reconnect resumes and retries the step", async () => {
    const u = await sandboxUser(["gmail", "calendar"]);
    const id = await createSession(u.token);
    const db = database(env);
    const row = (await findIntegration(db, u.userId, "gmail"))!;
    const model = scriptedModel([
      async (req) => {
        expect(req.tools.map((t) => t.name)).toContain("gmail.search_messages");
        // Gmail expires while the model is thinking: this step still offered it, the next one must not.
        await updateIntegration(db, row.id, { status: "expired" });
        return call("c1", "calendar.list_events", {})(req);
      },
      (req) => {
        expect(req.tools.map((t) => t.name).filter((n) => n.startsWith("gmail."))).toEqual([]);
        expect(req.tools.map((t) => t.name)).toContain("calendar.list_events");
        expect(req.messages.filter((m) => m.role === "system").map((m) => (m as { content: string }).content)).toContainEqual(
          "Gmail tools withdrawn: Gmail is expired. Ask the person to reconnect Gmail at /integrations instead of calling its tools.",
        );
        // A model that calls a withdrawn tool anyway is what a reconnect pause is for.
        return call("c2", "gmail.search_messages", { query: "invoice" })(req);
      },
      (req) => {
        const results = req.messages.filter((m) => m.role === "tool");
        expect(results.map((m) => (m as { toolCallId: string }).toolCallId)).toEqual(["c1", "c2"]);
        expect(JSON.parse((results[1] as { content: string }).content).items).toHaveLength(2);
        return answer("Found them after the reconnect.")(req);
      },
    ]);
    const runtime = recordingRuntime();
    await inject(id, model, runtime);

    const res = await sendMessage(u.token, id, "search my email for invoice");
    expect(res.status).toBe(200);
    const paused = (await res.json()) as any;
    expect(paused.steps.map((s: any) => s.kind)).toEqual(["tool", "note", "tool", "reconnect_required"]);
    expect(paused.steps[1]).toMatchObject({ provider: "gmail", connectUrl: "/integrations" });
    expect(paused.steps[2]).toMatchObject({ status: "error", error: { code: "tool_unavailable", reconnect: "gmail" } });
    expect(paused.steps[3]).toMatchObject({ kind: "reconnect_required", provider: "gmail", connectUrl: "/integrations" });
    expect(paused.reply.metadata).toMatchObject({ paused: true, provider: "gmail" });
    let d = await detail(u.token, id);
    expect(d.session.status).toBe("paused");
    expect(d.checkpoints.at(-1).reason).toBe("paused: reconnect gmail");

    // Still expired: sending is refused rather than looping on the same failure.
    const early = await sendMessage(u.token, id, "and now?");
    expect(early.status).toBe(409);
    expect(((await early.json()) as any).code).toBe("session_paused");

    // The person reconnects; resuming retries the failed call and finishes the turn.
    await updateIntegration(db, row.id, { status: "active" });
    const resumed = await api(u.token, "PATCH", `/api/sessions/${id}`, { status: "active" });
    expect(resumed.status).toBe(200);
    expect(((await resumed.json()) as any).session.status).toBe("active");
    d = await detail(u.token, id);
    const last = d.messages.at(-1);
    expect(last.content).toBe("Found them after the reconnect.");
    expect(last.steps.map((s: any) => [s.kind, s.tool, s.status])).toEqual([["tool", "gmail.search_messages", "ok"]]);
    expect(model.requests).toHaveLength(3);
  });
});

describe("agent sessions: a grant revoked mid-turn", () => {
  it("a tool call ending in integration_expired pauses with reconnect_required; after a real reconnect PATCH active retries the call", async () => {
    const u = await sandboxUser(["gmail"]);
    const id = await createSession(u.token);
    // Google revokes the grant: the next call gets 401, the refresh gets invalid_grant.
    await scriptOAuth(u.grants.gmail.refresh_token, { status: 400, body: { error: "invalid_grant" } });
    await simulate("google", u.grants.gmail.access_token, "unauthorized", 1);
    const model = scriptedModel([call("c1", "gmail.search_messages", { query: "invoice" }), answer("Two invoices, after the reconnect.")]);
    await inject(id, model);

    const paused = (await (await sendMessage(u.token, id, "search my email for invoice")).json()) as any;
    expect(paused.steps.map((s: any) => [s.kind, s.error?.code])).toEqual([
      ["tool", "integration_expired"],
      ["reconnect_required", undefined],
    ]);
    expect(paused.steps[1]).toMatchObject({ provider: "gmail", connectUrl: "/integrations" });
    expect((await detail(u.token, id)).session.status).toBe("paused");
    expect(model.requests).toHaveLength(1);

    const grant = await sandboxGrant("google", u.emails.google, TOOL_SCOPES.google);
    await seedIntegration(u.userId, "gmail", { accessToken: grant.access_token, refreshToken: grant.refresh_token, expiresAt: new Date(Date.now() + grant.expires_in * 1000) });
    const resumed = await api(u.token, "PATCH", `/api/sessions/${id}`, { status: "active" });
    expect(resumed.status).toBe(200);
    const d = await detail(u.token, id);
    expect(d.session.status).toBe("active");
    expect(d.messages.at(-1).content).toBe("Two invoices, after the reconnect.");
    expect(d.messages.at(-1).steps[0]).toMatchObject({ tool: "gmail.search_messages", status: "ok", summary: "gmail.search_messages: 2 items" });
    // The model was not asked again for the step it had already decided: the call itself was retried.
    expect(model.requests).toHaveLength(2);
    expect(model.requests[1]!.messages.filter((m) => m.role === "tool")).toHaveLength(1);
  });
});
