import { environmentManager, MutationObserver, QueryObserver } from "@tanstack/solid-query";
import { beforeAll, describe, expect, it } from "vitest";
import type { Message, Session, Step, Usage } from "../../worker/contract/agent";
import { ApiError, createApiClient } from "../../web/src/lib/api";
import { EventsConnection } from "../../web/src/lib/events";
import { createAppQueryClient } from "../../web/src/lib/query";
import { invalidateOnEvents } from "../../web/src/stores/server-state";
import {
  blockingStep,
  createSessionMutation,
  dayLabel,
  describeSessionError,
  formatUsd,
  patchSessionMutation,
  rememberResume,
  restoreCheckpointMutation,
  sendMessageMutation,
  sessionDetailQuery,
  sessionKeys,
  sessionsListQuery,
  takeResume,
  toolsQuery,
  type LiveTurn,
  type SessionDetail,
  type TurnResult,
} from "../../web/src/stores/sessions";
import { FakeSocket } from "./fake-socket";

const T = "2026-12-01T10:00:00.000Z";
const zero: Usage = { promptTokens: 0, completionTokens: 0, costUsd: 0 };
const session = (id: string, over: Partial<Session> = {}): Session => ({
  id,
  title: `Chat ${id}`,
  status: "active",
  templateId: null,
  createdAt: T,
  updatedAt: T,
  lastCheckpointId: null,
  usage: zero,
  ...over,
});
const message = (id: string, sessionId: string, role: Message["role"], content: string, over: Partial<Message> = {}): Message => ({
  id,
  sessionId,
  role,
  content,
  steps: [],
  usage: null,
  metadata: {},
  createdAt: T,
  ...over,
});
const searchStep: Step = {
  id: "st1",
  order: 0,
  kind: "tool",
  tool: "gmail.search_messages",
  arguments: { query: "invoice" },
  status: "ok",
  summary: "Found 2 messages",
  sources: [{ url: "https://mail.google.com/mail/u/0/#inbox/m1", label: "Invoice 42" }],
  durationMs: 120,
};

/** A stand-in for the sessions API (and the two realtime calls) that counts calls and lets a test hold a turn open. */
function fakeServer() {
  const sessions = new Map<string, SessionDetail>();
  const calls: string[] = [];
  let turnGate: Promise<void> | undefined;
  let busy = false;
  const json = (status: number, body: unknown, type = "application/json") => new Response(JSON.stringify(body), { status, headers: { "content-type": type } });
  const problem = (status: number, code: string, detail: string) => json(status, { status, code, detail }, "application/problem+json");
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), "http://app.test");
    const path = url.pathname;
    const method = init?.method ?? "GET";
    if (path === "/api/events") return json(200, { events: [], latestId: "0" });
    if (path === "/api/realtime/ticket") return json(200, { ticket: "t", expiresIn: 60 });
    calls.push(`${method} ${path}${url.search}`);
    const body = init?.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : {};
    if (path === "/api/tools") return json(200, { tools: [{ name: "gmail.search_messages", provider: "gmail", description: "Search", parameters: { type: "object" } }] });
    if (path === "/api/sessions" && method === "POST") {
      const s = session(`s${sessions.size + 1}`, { title: (body.title as string) ?? "New chat" });
      sessions.set(s.id, { session: s, messages: [], checkpoints: [], draft: null });
      return json(201, { session: s });
    }
    if (path === "/api/sessions") return json(200, { groups: [{ key: "2026-12-01", sessions: [...sessions.values()].map((d) => d.session) }] });
    const m = path.match(/^\/api\/sessions\/([^/]+)(?:\/(\w+))?$/);
    const d = m ? sessions.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m || !d) return problem(404, "not_found", "No such session.");
    if (!m[2] && method === "GET") return json(200, d);
    if (!m[2] && method === "PATCH") {
      if (d.session.status !== "paused" && body.status === "active") return problem(409, "invalid_transition", "active → active is not a move.");
      d.session = { ...d.session, ...(body as Partial<Session>) };
      return json(200, { session: d.session });
    }
    if (m[2] === "messages") {
      if (busy) return problem(409, "turn_in_progress", "A turn is running.");
      busy = true;
      const user = message(`m${d.messages.length + 1}`, d.session.id, "user", body.content as string);
      d.messages.push(user);
      await turnGate;
      const usage: Usage = { promptTokens: 120, completionTokens: 30, costUsd: 0.0021 };
      const reply = message(`m${d.messages.length + 1}`, d.session.id, "assistant", "You have **2** invoices.", { steps: [searchStep], usage });
      d.messages.push(reply);
      d.session = { ...d.session, usage: { promptTokens: d.session.usage.promptTokens + 120, completionTokens: d.session.usage.completionTokens + 30, costUsd: d.session.usage.costUsd + 0.0021 } };
      busy = false;
      return json(200, { message: user, reply, steps: [searchStep], usage } satisfies TurnResult);
    }
    if (m[2] === "restore") {
      const cp = d.checkpoints.find((c) => c.id === body.checkpointId);
      if (!cp) return problem(404, "not_found", "No such checkpoint.");
      d.messages = d.messages.slice(0, cp.messageCount);
      return json(200, { session: d.session });
    }
    return problem(404, "not_found", "No such route.");
  };
  return {
    sessions,
    calls,
    client: createApiClient({ fetch: fetchImpl as typeof fetch }),
    /** The next turn waits until the returned function is called. */
    holdTurn() {
      let release!: () => void;
      turnGate = new Promise<void>((resolve) => (release = resolve));
      return () => {
        turnGate = undefined;
        release();
      };
    },
  };
}

const ready = () => Promise.resolve();
let nextId = 1;
const stamp = { timestamp: "2026-12-01T10:00:01.000Z" };
const stepFrame = (jobId: string, order: number, agent: string, msg: string, scope = "session") => ({ kind: "step", jobId, scope, agent, message: msg, order, id: String(nextId++), ...stamp });
const chatFrame = (jobId: string, content: string, metadata: Record<string, unknown> = {}, scope = "session") => ({
  kind: "chat",
  jobId,
  scope,
  role: "assistant",
  sender: "agent",
  content,
  metadata,
  id: String(nextId++),
  ...stamp,
});

/** A conversation on screen (active observers of its detail and live turn), with the event stream wired as the layout wires it. */
async function shownSession(server: ReturnType<typeof fakeServer>, id: string) {
  FakeSocket.all = [];
  const queryClient = createAppQueryClient();
  const detail = new QueryObserver(queryClient, sessionDetailQuery(server.client, queryClient, ready, id));
  const live = new QueryObserver(queryClient, { queryKey: sessionKeys.live(id), queryFn: () => null as LiveTurn | null, enabled: false, staleTime: Infinity });
  const list = new QueryObserver(queryClient, sessionsListQuery(server.client, ready));
  const offs = [detail.subscribe(() => {}), live.subscribe(() => {}), list.subscribe(() => {})];
  const connection = new EventsConnection(server.client, { baseUrl: "http://app.test", WebSocket: FakeSocket as unknown as typeof WebSocket });
  const stopInvalidating = invalidateOnEvents(queryClient, connection);
  connection.start();
  await expect.poll(() => FakeSocket.all.length).toBe(1);
  const socket = FakeSocket.all[0]!;
  socket.open();
  await expect.poll(() => detail.getCurrentResult().isSuccess && list.getCurrentResult().isSuccess).toBe(true);
  return {
    queryClient,
    detail,
    live,
    list,
    socket,
    stop() {
      for (const off of offs) off();
      stopInvalidating();
      connection.stop();
    },
  };
}

describe("sessions server state (solid-query)", () => {
  beforeAll(() => environmentManager.setIsServer(() => false));

  it("reads the sidebar and a conversation only after the event stream's snapshot point is known", async () => {
    const server = fakeServer();
    server.sessions.set("s1", { session: session("s1"), messages: [], checkpoints: [], draft: null });
    let open!: () => void;
    const point = new Promise<void>((resolve) => (open = resolve));
    const queryClient = createAppQueryClient();
    const list = queryClient.fetchQuery(sessionsListQuery(server.client, () => point));
    const one = queryClient.fetchQuery(sessionDetailQuery(server.client, queryClient, () => point, "s1"));
    await Promise.resolve();
    expect(server.calls).toEqual([]);
    open();
    expect((await list).map((g) => g.key)).toEqual(["2026-12-01"]);
    expect((await one).session.id).toBe("s1");
    expect(server.calls.sort()).toEqual(["GET /api/sessions/s1", "GET /api/sessions?groupBy=day"]);
  });

  it("a new chat is in the cache at once and the sidebar refetches", async () => {
    const server = fakeServer();
    const queryClient = createAppQueryClient();
    const list = new QueryObserver(queryClient, sessionsListQuery(server.client, ready));
    const stop = list.subscribe(() => {});
    await expect.poll(() => list.getCurrentResult().isSuccess).toBe(true);
    const create = new MutationObserver(queryClient, createSessionMutation(server.client, queryClient));
    const created = await create.mutate({ title: "Invoices" });
    expect(queryClient.getQueryData<SessionDetail>(sessionKeys.detail(created.id))?.session.title).toBe("Invoices");
    await expect.poll(() => list.getCurrentResult().data?.[0]?.sessions.map((s) => s.title)).toEqual(["Invoices"]);
    stop();
  });

  it("step and chat frames of the session fill the live turn as they arrive; the answer then lands in the conversation with its cost", async () => {
    const server = fakeServer();
    server.sessions.set("s1", { session: session("s1"), messages: [], checkpoints: [], draft: null });
    server.sessions.set("s2", { session: session("s2"), messages: [], checkpoints: [], draft: null });
    const shown = await shownSession(server, "s1");
    const release = server.holdTurn();
    const send = new MutationObserver(shown.queryClient, sendMessageMutation(server.client, shown.queryClient));
    const done = send.mutate({ sessionId: "s1", content: "search my email for invoice" });
    // The person's message shows before the server answers.
    await expect.poll(() => shown.live.getCurrentResult().data?.pending).toBe("search my email for invoice");

    server.calls.length = 0;
    shown.socket.serverSends(stepFrame("s1", 0, "gmail.search_messages", "Found 2 messages"));
    await expect.poll(() => shown.live.getCurrentResult().data?.steps.map((s) => `${s.tool}: ${s.summary}`)).toEqual(["gmail.search_messages: Found 2 messages"]);
    // A step refetches the conversation on screen but not the sidebar.
    await expect.poll(() => server.calls).toEqual(["GET /api/sessions/s1"]);

    // A chat frame with the full step in its metadata replaces the short one of the same order; the reply streams in.
    shown.socket.serverSends(chatFrame("s1", "", { step: searchStep }));
    await expect.poll(() => shown.live.getCurrentResult().data?.steps[0]?.step?.sources[0]?.label).toBe("Invoice 42");
    shown.socket.serverSends(chatFrame("s1", "You have ", { delta: true }));
    shown.socket.serverSends(chatFrame("s1", "**2** invoices.", { delta: true }));
    await expect.poll(() => shown.live.getCurrentResult().data?.reply).toBe("You have **2** invoices.");

    // Frames of another session, or of another scope, leave this one alone.
    const before = shown.live.getCurrentResult().data;
    server.calls.length = 0;
    shown.socket.serverSends(stepFrame("s1", 5, "explore", "Reading the repo", "spec"));
    shown.socket.serverSends(chatFrame("s1", "a PRD line", {}, "spec"));
    shown.socket.serverSends(stepFrame("s2", 0, "slack.post_message", "Posted"));
    // Frames are handled in order: once the last one is in, the two before it have been seen (and ignored).
    await expect.poll(() => shown.queryClient.getQueryData<LiveTurn>(sessionKeys.live("s2"))?.steps.map((s) => s.tool)).toEqual(["slack.post_message"]);
    expect(server.calls).toEqual([]);
    expect(shown.live.getCurrentResult().data).toBe(before);

    release();
    const turn = await done;
    expect(turn.usage.costUsd).toBe(0.0021);
    await expect.poll(() => shown.live.getCurrentResult().data).toBeNull();
    const detail = shown.detail.getCurrentResult().data!;
    expect(detail.messages.map((m) => `${m.role}: ${m.content}`)).toEqual(["user: search my email for invoice", "assistant: You have **2** invoices."]);
    expect(detail.messages[1]!.steps[0]!.tool).toBe("gmail.search_messages");
    expect(detail.session.usage.costUsd).toBeCloseTo(0.0021);
    shown.stop();
  });

  it("a live turn from another tab settles once the stored conversation holds its reply", async () => {
    const server = fakeServer();
    server.sessions.set("s1", { session: session("s1"), messages: [], checkpoints: [], draft: null });
    const shown = await shownSession(server, "s1");
    shown.socket.serverSends(stepFrame("s1", 0, "gmail.search_messages", "Found 2 messages"));
    await expect.poll(() => shown.live.getCurrentResult().data?.baseCount).toBe(0);
    const d = server.sessions.get("s1")!;
    d.messages.push(message("m1", "s1", "user", "hi"), message("m2", "s1", "assistant", "hello", { usage: zero, metadata: { label: "Offline planner", offline: true } }));
    shown.socket.serverSends(chatFrame("s1", "hello"));
    await expect.poll(() => shown.detail.getCurrentResult().data?.messages.length).toBe(2);
    await expect.poll(() => shown.live.getCurrentResult().data).toBeNull();
    shown.stop();
  });

  it("a second message while a turn runs is refused with turn_in_progress, said in words, and the live turn is dropped", async () => {
    const server = fakeServer();
    server.sessions.set("s1", { session: session("s1"), messages: [], checkpoints: [], draft: null });
    const shown = await shownSession(server, "s1");
    const release = server.holdTurn();
    const first = new MutationObserver(shown.queryClient, sendMessageMutation(server.client, shown.queryClient));
    const running = first.mutate({ sessionId: "s1", content: "one" });
    await expect.poll(() => server.calls.includes("POST /api/sessions/s1/messages")).toBe(true);
    const second = new MutationObserver(shown.queryClient, sendMessageMutation(server.client, shown.queryClient));
    const error = await second.mutate({ sessionId: "s1", content: "two" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("turn_in_progress");
    expect(describeSessionError(error)).toBe("The agent is still working on the previous message. Wait for its answer, then send again.");
    release();
    await running;
    shown.stop();
  });

  it("an integration frame refetches the tools on screen", async () => {
    FakeSocket.all = [];
    const server = fakeServer();
    const queryClient = createAppQueryClient();
    const tools = new QueryObserver(queryClient, toolsQuery(server.client, ready));
    const stop = tools.subscribe(() => {});
    const connection = new EventsConnection(server.client, { baseUrl: "http://app.test", WebSocket: FakeSocket as unknown as typeof WebSocket });
    const stopInvalidating = invalidateOnEvents(queryClient, connection);
    connection.start();
    await expect.poll(() => FakeSocket.all.length).toBe(1);
    FakeSocket.all[0]!.open();
    await expect.poll(() => tools.getCurrentResult().data?.map((t) => t.name)).toEqual(["gmail.search_messages"]);
    server.calls.length = 0;
    FakeSocket.all[0]!.serverSends({ kind: "integration", provider: "gmail", status: "expired", event: "expired", detail: {}, id: String(nextId++), ...stamp });
    await expect.poll(() => server.calls).toContain("GET /api/tools");
    stopInvalidating();
    connection.stop();
    stop();
  });

  it("resuming puts the server's session into the conversation; a move the status machine forbids comes back as invalid_transition", async () => {
    const server = fakeServer();
    server.sessions.set("s1", { session: session("s1", { status: "paused" }), messages: [], checkpoints: [], draft: null });
    const queryClient = createAppQueryClient();
    await queryClient.fetchQuery(sessionDetailQuery(server.client, queryClient, ready, "s1"));
    const patch = new MutationObserver(queryClient, patchSessionMutation(server.client, queryClient));
    await patch.mutate({ sessionId: "s1", status: "active" });
    expect(queryClient.getQueryData<SessionDetail>(sessionKeys.detail("s1"))?.session.status).toBe("active");
    const again = await patch.mutate({ sessionId: "s1", status: "active" }).catch((e: unknown) => e);
    expect((again as ApiError).code).toBe("invalid_transition");
    expect(describeSessionError(again)).toContain("cannot do that in its current state");
  });

  it("restoring a checkpoint refetches the conversation on screen, which then holds exactly that checkpoint's messages", async () => {
    const server = fakeServer();
    const messages = [message("m1", "s1", "user", "a"), message("m2", "s1", "assistant", "b"), message("m3", "s1", "user", "c"), message("m4", "s1", "assistant", "d")];
    const checkpoints = [{ id: "c2", sessionId: "s1", messageCount: 2, status: "active" as const, reason: "turn ended", createdAt: T }];
    server.sessions.set("s1", { session: session("s1"), messages, checkpoints, draft: null });
    const shown = await shownSession(server, "s1");
    expect(shown.detail.getCurrentResult().data?.messages).toHaveLength(4);
    const restore = new MutationObserver(shown.queryClient, restoreCheckpointMutation(server.client, shown.queryClient));
    await restore.mutate({ sessionId: "s1", checkpointId: "c2" });
    await expect.poll(() => shown.detail.getCurrentResult().data?.messages.map((m) => m.content)).toEqual(["a", "b"]);
    shown.stop();
  });

  it("another account's session or an unknown one is described without saying it exists", async () => {
    const server = fakeServer();
    const queryClient = createAppQueryClient();
    const error = await queryClient.fetchQuery({ ...sessionDetailQuery(server.client, queryClient, ready, "nope"), retry: false }).catch((e: unknown) => e);
    expect(describeSessionError(error)).toBe("This conversation does not exist, or it belongs to another account.");
  });
});

describe("chat helpers", () => {
  const reconnect: Step = { id: "r", order: 1, kind: "reconnect_required", status: "error", summary: "Gmail needs a reconnect", sources: [], provider: "gmail", connectUrl: "/integrations" };
  const withdrawn: Step = { id: "w", order: 0, kind: "note", status: "ok", summary: "Slack tools withdrawn: disconnected", sources: [] };

  it("finds what blocks the conversation in the latest reply only", () => {
    const older = message("m2", "s1", "assistant", "paused", { steps: [reconnect] });
    const newer = message("m4", "s1", "assistant", "done", { steps: [searchStep] });
    expect(blockingStep([older])?.kind).toBe("reconnect_required");
    expect(blockingStep([older, message("m3", "s1", "user", "go on"), newer])).toBeUndefined();
    expect(blockingStep([message("m2", "s1", "assistant", "x", { steps: [withdrawn, searchStep] })])?.summary).toContain("withdrawn");
    // A turn in flight that hits a revoked grant blocks before its reply is stored.
    expect(blockingStep([newer], { baseCount: 1, steps: [{ order: 1, tool: "gmail.search_messages", summary: "", step: reconnect }], reply: "" })?.provider).toBe("gmail");
  });

  it("remembers a reconnect for its own session only, once", () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v), removeItem: (k: string) => void store.delete(k) };
    rememberResume(storage, { sessionId: "s1", provider: "gmail" });
    expect(takeResume(storage, "s2")).toBeUndefined();
    expect(takeResume(storage, "s1")).toEqual({ sessionId: "s1", provider: "gmail" });
    expect(takeResume(storage, "s1")).toBeUndefined();
  });

  it("formats cost and days", () => {
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(0.0021)).toBe("$0.0021");
    expect(formatUsd(1.5)).toBe("$1.50");
    const now = new Date(Date.UTC(2026, 11, 1, 0, 30));
    expect(dayLabel("2026-12-01", now)).toBe("Today");
    expect(dayLabel("2026-11-30", now)).toBe("Yesterday");
    expect(dayLabel("2026-11-02", now)).not.toMatch(/Today|Yesterday/);
  });
});
