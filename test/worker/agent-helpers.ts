import { env, runInDurableObject, SELF } from "cloudflare:test";
import { expect } from "vitest";
import type { ModelRequest, ModelResponse, ChatModel } from "../../worker/agent/model";
import { agentSession } from "../../worker/agent/routes";
import type { AgentSession, SessionDeps } from "../../worker/agent/session";
import type { Env } from "../../worker/env";
import type { ToolRuntime } from "../../worker/tools/http";
import { ORIGIN } from "./auth-helpers";
import { api } from "./integrations-helpers";
import { recordingRuntime, toolEnv } from "./tools-helpers";

/** One scripted model step: sees the request the loop built, answers as a model would (or throws as a failing provider does). */
export type Script = (request: ModelRequest) => ModelResponse | Promise<ModelResponse>;

export interface ScriptedModel extends ChatModel {
  requests: ModelRequest[];
}

/** A ChatModel that plays `steps` in order and records every request; priced as gpt-4o-mini so cost is not zero. */
export function scriptedModel(steps: Script[], id = "gpt-4o-mini"): ScriptedModel {
  const requests: ModelRequest[] = [];
  return {
    id,
    label: id,
    offline: false,
    requests,
    async complete(request) {
      requests.push(structuredClone({ messages: request.messages, tools: request.tools }));
      const step = steps[requests.length - 1];
      if (!step) throw new Error(`the script has no step ${requests.length}`);
      return step(request);
    },
  };
}

export const call = (id: string, name: string, args: unknown, usage = { promptTokens: 100, completionTokens: 10 }): Script => () => ({
  content: "",
  toolCalls: [{ id, name, arguments: typeof args === "string" ? args : JSON.stringify(args) }],
  usage,
  finishReason: "tool_calls",
});

export const answer = (content: string, usage = { promptTokens: 200, completionTokens: 20 }): Script => () => ({ content, toolCalls: [], usage, finishReason: "stop" });

/** Points the session's object at the script, with tools running against the sandbox through `runtime`. */
export async function inject(sessionId: string, model: ChatModel, runtime: ToolRuntime = recordingRuntime()): Promise<void> {
  await runInDurableObject(agentSession(env, sessionId), (object) => {
    const instance = object as unknown as AgentSession;
    const deps: SessionDeps = { ...instance.deps, chatModel: () => model, runtime: () => runtime, env: toolEnv as unknown as Env };
    instance.deps = deps;
  });
}

export async function createSession(token: string, title?: string): Promise<string> {
  const res = await api(token, "POST", "/api/sessions", title === undefined ? {} : { title });
  expect(res.status).toBe(201);
  return ((await res.json()) as { session: { id: string } }).session.id;
}

export async function sendMessage(token: string, sessionId: string, content: string): Promise<Response> {
  return api(token, "POST", `/api/sessions/${sessionId}/messages`, { content });
}

export async function detail(token: string, sessionId: string): Promise<any> {
  const res = await api(token, "GET", `/api/sessions/${sessionId}`);
  expect(res.status).toBe(200);
  return res.json();
}

export async function framesOf(token: string, sessionId: string): Promise<any[]> {
  const res = await SELF.fetch(`${ORIGIN}/api/events`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { events: any[] };
  return body.events.filter((e) => e.jobId === sessionId);
}
