import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, assertPortFree, findFreePort, generateSecrets, startDevServer, type DevServer } from "../../scripts/lib/dev-server.mjs";
import { d1Execute } from "./run";

/**
 * The dev server (wrangler dev → workerd) killed with SIGKILL in the middle of an agent turn and of an indexing run,
 * then started again on the same state directory: nothing is lost, nothing is done twice, nothing stays running.
 *
 * The turn is held at the HTTP boundary, where the app meets an external service: Slack's API base
 * (SLACK_API_URL) is a small proxy in this test in front of the sandbox Slack. It forwards chat.postMessage — the
 * message is posted — and then keeps the answer from the worker, so the kill lands while the tool call is in flight,
 * deterministically. The indexing run is a ≈2 MB document; the kill follows its first progress frame from the
 * embedding loop (≥ 25 %) on the user's socket, and the restarted server must still show it `indexing`.
 */

const PASSWORD = "fault test password 123";
const TOOL_CALL = "/chat.postMessage";

/** In front of the sandbox Slack: counts chat.postMessage and, when armed, posts it but never answers. */
class SlackBoundary {
  server: Server;
  upstream = "";
  posts = 0;
  holdNext = false;
  private heldResolve: (() => void) | undefined;
  held = new Promise<void>((resolve) => (this.heldResolve = resolve));
  private open = new Set<ServerResponse>();

  constructor() {
    this.server = createServer((req, res) => void this.forward(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k, v]) => typeof v === "string" && !["host", "content-length", "connection"].includes(k))) as Record<string, string>;
    const isPost = req.url!.endsWith(TOOL_CALL);
    if (isPost) this.posts += 1;
    const answer = await fetch(`${this.upstream}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    const body = Buffer.from(await answer.arrayBuffer());
    if (isPost && this.holdNext) {
      // Posted in the sandbox; the worker waits for an answer that never comes.
      this.holdNext = false;
      this.open.add(res);
      this.heldResolve!();
      return;
    }
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
    res.end(body);
  }

  async close(): Promise<void> {
    for (const res of this.open) res.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let persistTo: string;
let port: number;
let vars: Record<string, string>;
let server: DevServer | undefined;
const slack = new SlackBoundary();
const ip = `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;

async function start(): Promise<DevServer> {
  server = await startDevServer({ port, persistTo, vars, quiet: true });
  return server;
}

/** SIGKILL to wrangler's whole process group (wrangler and its workerd): no shutdown, no flush, as a crash. */
async function crash(): Promise<void> {
  const s = server!;
  process.kill(-s.pid, "SIGKILL");
  await s.exited;
  server = undefined;
  // wrangler exits first; its workerd children are gone (and the port free) a moment later.
  await expect.poll(() => groupAlive(s.pid), { timeout: 30_000, interval: 50 }).toBe(false);
  await expect.poll(() => assertPortFree(port).then(() => true, () => false), { timeout: 30_000, interval: 50 }).toBe(true);
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw e;
  }
}

async function api<T = any>(path: string, init: { token?: string; method?: string; body?: unknown; form?: FormData; cookies?: string[] } = {}): Promise<{ status: number; body: T; res: Response }> {
  const res = await fetch(`${server!.url}${path}`, {
    method: init.method ?? (init.body !== undefined || init.form ? "POST" : "GET"),
    headers: {
      "cf-connecting-ip": ip,
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
      ...(init.cookies?.length ? { cookie: init.cookies.join("; ") } : {}),
    },
    body: init.form ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
    redirect: "manual",
  });
  for (const c of res.headers.getSetCookie()) init.cookies?.push(c.split(";")[0]!);
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // a page or a redirect
  }
  return { status: res.status, body, res };
}

/** Sandbox Slack connected the way a browser does: Connect → the sandbox consent page → Allow → the callback. */
async function connectSlack(token: string): Promise<void> {
  const cookies: string[] = [];
  const start = await api("/api/integrations/slack/auth", { token, body: {}, cookies });
  expect(start.status, JSON.stringify(start.body)).toBe(200);
  const authorize = new URL(start.body.authorizationUrl);
  const email = `faults-${Date.now().toString(36)}@sandbox.test`;
  authorize.searchParams.set("login_hint", email);
  const page = await (await fetch(authorize, { redirect: "manual" })).text();
  const request = page.match(/name="request" value="([0-9a-f]+)"/)?.[1];
  expect(request, "the consent page names its request").toBeTruthy();
  const allowed = await fetch(`${authorize.origin}${authorize.pathname}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ request: request!, decision: "allow", email }),
    redirect: "manual",
  });
  const back = new URL(allowed.headers.get("location")!);
  const done = await api(back.pathname + back.search, { cookies });
  expect(done.status).toBe(302);
  expect(done.res.headers.get("location")).toContain("connected=slack");
}

/** ≈`bytes` of Markdown prose with headed sections; `marker` sits in exactly one sentence of it. */
function bigDocument(bytes: number, marker: string): string {
  const words = "harbour lighthouse orchard garden river bridge market station engine signal harvest winter summer letter ledger report meeting budget project contract".split(" ");
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const parts = ["# Field notes"];
  let size = parts[0]!.length;
  for (let s = 0; size < bytes; s++) {
    const sentences = Array.from({ length: 6 }, () => {
      const w = Array.from({ length: 14 }, () => words[Math.floor(next() * words.length)]!).join(" ");
      return `${w[0]!.toUpperCase()}${w.slice(1)}.`;
    });
    if (s === 40) sentences.push(`The ${marker} was logged here once.`);
    const block = `## Section ${s}\n\n${sentences.join(" ")}`;
    parts.push(block);
    size += block.length + 2;
  }
  return parts.join("\n\n");
}

/** A socket of the user (ticket first, as the web app connects) that hands over the first frame a test waits for. */
async function openSocket(token: string): Promise<{ frame: (match: (f: any) => boolean) => Promise<any> }> {
  const { body } = await api("/api/realtime/ticket", { token, method: "POST" });
  const ws = new WebSocket(`${server!.url.replace(/^http/, "ws")}/api/realtime?ticket=${encodeURIComponent(body.ticket)}`);
  const frames: any[] = [];
  const waiting: Array<{ match: (f: any) => boolean; resolve: (f: any) => void }> = [];
  ws.on("message", (data) => {
    const f = JSON.parse(data.toString());
    frames.push(f);
    for (const w of waiting.splice(0)) (w.match(f) ? w.resolve(f) : waiting.push(w));
  });
  await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
  // The socket ends with its server; the test reads what it needs before that.
  ws.on("error", () => undefined);
  return {
    frame: (match) => {
      const seen = frames.find(match);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiting.push({ match, resolve }));
    },
  };
}

const sqlRows = async <T>(command: string): Promise<T[]> => (await d1Execute(persistTo, command))[0] as T[];

describe("faults: the dev server killed mid-turn and mid-indexing", () => {
  beforeAll(async () => {
    persistTo = mkdtempSync(join(tmpdir(), "taskpilot-faults-"));
    port = await findFreePort();
    const slackUrl = await slack.listen();
    slack.upstream = `http://127.0.0.1:${port}`;
    await applyMigrations({ persistTo, quiet: true });
    vars = { ...generateSecrets(), LOG_LEVEL: "warn", SLACK_API_URL: `${slackUrl}/sandbox/slack/api` };
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await slack.close();
    rmSync(persistTo, { recursive: true, force: true });
  });

  it("resumes the turn from its checkpoint without repeating the tool call, finishes or fails the document, and leaves no duplicates and nothing running", async () => {
    await start();
    const email = `faults-${Date.now().toString(36)}@example.test`;
    const registered = await api("/api/auth/register", { body: { email, password: PASSWORD } });
    expect(registered.status).toBe(201);
    const token: string = registered.body.accessToken;
    await connectSlack(token);

    // (a) A turn whose tool call is in flight: the planner posts to #general, the boundary holds Slack's answer.
    const { body: created } = await api("/api/sessions", { token, body: { title: "fault test" } });
    const sessionId: string = created.session.id;
    const text = `fault-check-${Date.now().toString(36)}`;
    slack.holdNext = true;
    const turn = api(`/api/sessions/${sessionId}/messages`, { token, body: { content: `post ${text} to #general` } }).catch((e: Error) => e);
    await slack.held;
    const during = (await api(`/api/sessions/${sessionId}`, { token })).body;
    expect(during.messages.map((m: { role: string }) => m.role)).toEqual(["user"]);
    expect(during.checkpoints.at(-1).reason).toBe("message received");

    await crash();
    expect(await turn, "the held request ends with the server").toBeInstanceOf(Error);
    expect(slack.posts).toBe(1);
    await start();

    // The next request to the session resumes the turn from its last checkpoint and completes it.
    const resumed = await api(`/api/sessions/${sessionId}`, { token });
    expect(resumed.status).toBe(200);
    const { session, messages, checkpoints } = resumed.body;
    expect(messages.map((m: { role: string }) => m.role)).toEqual(["user", "assistant"]);
    expect(new Set(messages.map((m: { id: string }) => m.id)).size).toBe(2);
    const reply = messages[1];
    expect(reply.steps.map((s: { summary: string }) => s.summary)).toContain("Resumed after an interruption, from the last checkpoint.");
    const call = reply.steps.find((s: { tool?: string }) => s.tool === "slack.post_message");
    expect(call.status).toBe("error");
    expect(call.error.code).toBe("call_interrupted");
    expect(reply.content).toContain("unclear whether it went through");
    expect(session.status).toBe("active");
    // Every checkpoint from before the kill is kept; the resumed turn went on from the last of them ("message
    // received"): its step (the interrupted call's outcome) and its end, nothing replayed before it.
    expect(checkpoints.slice(0, during.checkpoints.length).map((c: { id: string }) => c.id)).toEqual(during.checkpoints.map((c: { id: string }) => c.id));
    expect(checkpoints.slice(during.checkpoints.length).map((c: { reason: string }) => c.reason)).toEqual(["step 1", "turn ended"]);
    expect(session.lastCheckpointId).toBe(checkpoints.at(-1).id);
    // The interrupted post was not sent again: one chat.postMessage, and #general holds the text once.
    expect(slack.posts).toBe(1);
    const read = await api(`/api/sessions/${sessionId}/messages`, { token, body: { content: "read #general" } });
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(read.body.reply.content.split(text).length - 1).toBe(1);

    // (b) A document whose run is killed while it embeds: the kill follows the first progress frame from the embedding loop.
    const socket = await openSocket(token);
    const marker = `quasarmoth${Date.now().toString(36)}`;
    const form = new FormData();
    form.set("file", new File([bigDocument(2 * 1024 * 1024, marker)], "field-notes.md", { type: "text/markdown" }));
    const uploaded = await api("/api/kb/documents", { token, form });
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(202);
    const docId: string = uploaded.body.document.id;
    const midway = await socket.frame((f) => f.kind === "status" && f.jobId === docId && (f.status !== "indexing" || parseInt(f.message, 10) >= 25));
    await crash();
    expect(midway, "the run was embedding when the server died").toMatchObject({ status: "indexing" });
    // The cron pass re-queues a run only once it has been `indexing` for 10 minutes (KB_STALLED_AFTER_MS). Instead of
    // waiting, the run is made to have started 11 minutes ago: its start time moved back in the stored row, nothing
    // else touched. (wrangler dev's /cdn-cgi/handler/scheduled, which takes a time, answers 500 "exception" for this
    // app; /__scheduled works but runs at the wall clock.)
    await d1Execute(persistTo, `UPDATE kb_documents SET indexing_started_at = indexing_started_at - ${11 * 60_000} WHERE id = '${docId}'`);
    await start();
    // No run has touched it since: the row still says `indexing`, as a run that died with its isolate leaves it.
    expect((await api(`/api/kb/documents/${docId}`, { token })).body.document.status).toBe("indexing");

    // The cron pass a deployment runs every 5 minutes, through wrangler's scheduled test route: it re-queues the dead
    // run, which finishes the document (or fails it with a reason).
    const scheduled = await fetch(`${server!.url}/__scheduled?cron=${encodeURIComponent("*/5 * * * *")}`);
    expect(scheduled.status, await scheduled.text()).toBe(200);
    await expect
      .poll(async () => (await api(`/api/kb/documents/${docId}`, { token })).body.document.status, { timeout: 60_000, interval: 250 })
      .toMatch(/^(indexed|failed)$/);
    const detail = (await api(`/api/kb/documents/${docId}`, { token })).body;
    if (detail.document.status === "failed") {
      expect(detail.document.error, "a failed document says why").toMatch(/\w{3,}/);
    } else {
      expect(detail.document.chunks).toBeGreaterThan(100);
      expect(detail.chunks).toHaveLength(detail.document.chunks);
      expect(detail.chunks.map((c: { ordinal: number }) => c.ordinal)).toEqual([...Array(detail.document.chunks).keys()]);
      // Keyword entries: the one sentence with the marker is found once, not once per run.
      const keyword = await api("/api/kb/search", { token, body: { query: marker, mode: "keyword", topK: 50 } });
      expect(keyword.body.results.map((r: { documentId: string }) => r.documentId)).toEqual([docId]);
      const vector = await api("/api/kb/search", { token, body: { query: `The ${marker} was logged here once.`, mode: "vector", topK: 50 } });
      const ids = vector.body.results.map((r: { chunkId: string }) => r.chunkId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids[0]).toBe(keyword.body.results[0].chunkId);
    }

    await server!.stop();
    server = undefined;
    // What is stored, read from the local D1 itself.
    const [doc] = await sqlRows<{ status: string; attempts: number; chunks: number; rows: number; distinct_ids: number }>(
      `SELECT d.status, d.attempts, d.chunk_count AS chunks, (SELECT count(*) FROM kb_chunks c WHERE c.document_id = d.id) AS rows, (SELECT count(DISTINCT c.id) FROM kb_chunks c WHERE c.document_id = d.id) AS distinct_ids FROM kb_documents d WHERE d.id = '${docId}'`,
    );
    expect(doc!.attempts).toBe(2);
    if (doc!.status === "indexed") expect([doc!.rows, doc!.distinct_ids]).toEqual([doc!.chunks, doc!.chunks]);
    const stored = await sqlRows<{ role: string; content: string; n: number }>(`SELECT role, content, count(*) AS n FROM agent_messages WHERE session_id = '${sessionId}' GROUP BY role, content ORDER BY min(seq)`);
    expect(stored.map((r) => [r.role, r.n])).toEqual([
      ["user", 1],
      ["assistant", 1],
      ["user", 1],
      ["assistant", 1],
    ]);
    expect(stored[0]!.content).toBe(`post ${text} to #general`);
    const stuck = await sqlRows<{ what: string; n: number }>(
      "SELECT 'documents' AS what, count(*) AS n FROM kb_documents WHERE status IN ('pending', 'indexing') UNION ALL SELECT 'sessions', count(*) FROM agent_sessions WHERE status NOT IN ('active', 'completed', 'archived')",
    );
    expect(stuck).toEqual([
      { what: "documents", n: 0 },
      { what: "sessions", n: 0 },
    ]);
  }, 150_000);
});
