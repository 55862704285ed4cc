import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ChatModel, ModelResponse } from "../../worker/agent/model";
import { agentSession } from "../../worker/agent/routes";
import { AgentSession } from "../../worker/agent/session";
import type { Env } from "../../worker/env";
import { api } from "./integrations-helpers";
import { answer, call, createSession, detail, inject, scriptedModel, sendMessage, type Script } from "./agent-helpers";
import { recordingRuntime, sandboxUser, toolEnv } from "./tools-helpers";

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A model step that says when it was reached and answers only when released (or never). */
function held(reached: { resolve: () => void }, release: Promise<ModelResponse>): Script {
  return () => {
    reached.resolve();
    return release;
  };
}

async function storedTurn(sessionId: string): Promise<any> {
  return runInDurableObject(agentSession(env, sessionId), async (_instance, state) => ((await state.storage.get<any>("state")) ?? {}).turn ?? null);
}

/**
 * What an eviction or crash leaves: the object's storage, without its
 * memory (the turn in flight). A new instance is built over the same
 * storage, as the runtime does after an eviction, and `use` drives it.
 */
async function afterCrash<T>(sessionId: string, model: ChatModel, use: (fresh: AgentSession) => Promise<T>, runtime = recordingRuntime()): Promise<T> {
  return runInDurableObject(agentSession(env, sessionId), async (_old, state) => {
    const fresh = new AgentSession(state as unknown as DurableObjectState, env as unknown as Env);
    fresh.deps = { ...fresh.deps, chatModel: () => model, runtime: () => runtime, env: toolEnv as unknown as Env };
    return use(fresh);
  });
}

describe("agent sessions: one turn at a time", () => {
  it("a second message while a turn runs gets 409 turn_in_progress, as do PATCH and restore; the first turn is untouched", async () => {
    const u = await sandboxUser(["gmail"]);
    const id = await createSession(u.token);
    const reached = deferred();
    const release = deferred<ModelResponse>();
    await inject(id, scriptedModel([held(reached, release.promise), answer("second turn")]));

    const first = sendMessage(u.token, id, "first");
    await reached.promise;
    const second = await sendMessage(u.token, id, "second");
    expect(second.status).toBe(409);
    expect(((await second.json()) as any).code).toBe("turn_in_progress");
    expect((await api(u.token, "PATCH", `/api/sessions/${id}`, { status: "completed" })).status).toBe(409);
    const cps = (await detail(u.token, id)).checkpoints;
    expect((await api(u.token, "POST", `/api/sessions/${id}/restore`, { checkpointId: cps[0].id })).status).toBe(409);

    release.resolve({ content: "first answer", toolCalls: [], usage: { promptTokens: 1, completionTokens: 1 }, finishReason: "stop" });
    const done = await first;
    expect(done.status).toBe(200);
    // (Its body was produced in the object's context once the test released the model, so it is read through GET instead.)
    const messages = (await detail(u.token, id)).messages;
    expect(messages.map((m: any) => m.content)).toEqual(["first", "first answer"]);
  });
});

describe("agent sessions: a turn interrupted by an eviction", () => {
  it("is resumed from its last checkpoint by the next request: the finished tool step is not repeated, the turn completes", async () => {
    const u = await sandboxUser(["gmail"]);
    const id = await createSession(u.token);
    const reached = deferred();
    const runtime = recordingRuntime();
    await inject(id, scriptedModel([call("c1", "gmail.search_messages", { query: "invoice" }), held(reached, new Promise(() => undefined))]), runtime);

    void sendMessage(u.token, id, "search my email for invoice");
    await reached.promise;
    expect(await storedTurn(id)).toMatchObject({ status: "running", stepCount: 1 });
    const gmailCalls = runtime.requests.length;

    // A new instance: the turn is stored as running and nobody runs it; the next request (here a read) resumes it.
    const recovered = scriptedModel([
      (req) => {
        const tool = req.messages.find((m) => m.role === "tool");
        expect(tool).toMatchObject({ toolCallId: "c1" });
        return answer("Recovered: two invoices.")(req);
      },
    ]);
    const got = await afterCrash(id, recovered, (fresh) => fresh.detail(u.userId), runtime);
    if (!got.ok) throw new Error(got.code);
    const d = got.value as any;
    expect(d.messages.map((m: any) => m.content)).toEqual(["search my email for invoice", "Recovered: two invoices."]);
    expect(d.messages[1].steps.map((s: any) => s.kind)).toEqual(["tool", "note"]);
    expect(d.messages[1].steps[1].summary).toBe("Resumed after an interruption, from the last checkpoint.");
    expect(d.checkpoints.at(-1).reason).toBe("turn ended");
    // The Gmail search of step 1 was in the checkpoint: not run again.
    expect(runtime.requests.length).toBe(gmailCalls);
    expect(recovered.requests).toHaveLength(1);
    expect(await storedTurn(id)).toBeNull();
  });

  it("is resumed by the watchdog alarm with no request at all, or ends cleanly when the model fails on resume", async () => {
    const u = await sandboxUser(["gmail"]);
    const id = await createSession(u.token);
    const reached = deferred();
    await inject(id, scriptedModel([call("c1", "gmail.search_messages", { query: "invoice" }), held(reached, new Promise(() => undefined))]));
    void sendMessage(u.token, id, "search");
    await reached.promise;
    const failing = scriptedModel([
      () => {
        throw new Error("503 upstream overloaded");
      },
    ]);
    await afterCrash(id, failing, (fresh) => fresh.alarm());
    expect(await storedTurn(id)).toBeNull();
    const d = (await afterCrash(id, failing, async (fresh) => fresh.detail(u.userId))) as any;
    expect(d.ok).toBe(true);
    const view = d.value;
    expect(view.session.status).toBe("active");
    expect(view.messages[1].metadata.error).toBe(true);
    expect(view.messages[1].steps.map((s: any) => s.summary)).toContain("The model provider failed: 503 upstream overloaded");
    expect(view.checkpoints.at(-1).reason).toBe("turn ended");
  });
});
