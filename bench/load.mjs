// `npm run bench:load` (and the `load` section of `npm run bench`, BENCH_ONLY=load): N simulated users (default 100),
// each a distinct client (its own CF-Connecting-IP, as the other benches and the browser tests do it), each with one
// WebSocket, looping a seeded mix of API calls against the local app for a bounded time:
//  - GET /api/integrations
//  - POST /api/kb/search (over the one small document seeded for the user)
//  - POST /api/sessions/{id}/messages "search my notes for …" (the offline planner, kb.search), then the turn's
//    completion frame (the assistant's chat frame naming the reply) awaited on the socket before the user goes on
//  - the floor: a POST to an unrouted /api path (every middleware, no auth, no storage: 404), the bare route the
//    other benches use, in the same mix so it is measured under the same load.
// Reports throughput (overall and per route), p50/p95/p99 per route, the ratios to the floor, every distinct error,
// the sockets still open at the end, and events lost: for each user the ids `GET /api/events` lists after the id
// the user started from must each have arrived on its socket exactly once, in order. Exits non-zero on any error,
// lost, duplicated or out-of-order event, or dropped socket.
//
// Standalone it runs `BENCH_ONLY=load` of bench/run.mjs (the deploy bundle in Miniflare/workerd, the section written to
// bench/results.json), or measures an app already running at --url (say `npm start`; print only). Options (flag or env):
//   --users=N        BENCH_LOAD_USERS     simulated users (default 100)
//   --duration=S     BENCH_LOAD_DURATION  seconds of the mixed loop (default 30)
//   --seed=N         BENCH_LOAD_SEED      seed of the mix, the think times and the documents (default 1)
//   --think-ms=MS    BENCH_LOAD_THINK_MS  each user waits a seeded 0…MS ms between calls (default 100)
//   --url=URL        BENCH_LOAD_URL       an already running app instead of starting one
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import WebSocket from "ws";
import { percentile, round2, seededRandom } from "./stats.mjs";

export const LOAD_DEFAULTS = { users: 100, durationSeconds: 30, seed: 1, thinkMs: 100 };
/** The mix: each call a user makes is one of these, drawn with these weights from the user's own seeded source. */
const MIX = [
  { route: "GET /api/integrations", weight: 0.3 },
  { route: "POST /api/kb/search", weight: 0.3 },
  { route: "POST /api/sessions/{id}/messages", weight: 0.2 },
  { route: "floor: POST /api/bench-floor (404)", weight: 0.2 },
];
const FLOOR = MIX[3].route;
const CHAT = MIX[2].route;
/** Not a call of its own: the time from sending the chat message to its completion frame arriving on the socket. */
const CHAT_FRAME = "chat message → completion frame on the socket";
const SETUP_CONCURRENCY = 10;
const FRAME_TIMEOUT_MS = 30_000;
const SETTLE_MS = 10_000;
const PASSWORD = "load bench password 123";
const WORDS = ("harbour lighthouse orchard garden river bridge market station engine signal harvest winter summer letter ledger invoice " +
  "report meeting budget project contract customer product order shipment warehouse schedule deadline review release feature design").split(" ");

const pick = (rand, list) => list[Math.floor(rand() * list.length)];

/** A distinct private address per simulated user (10.0.0.1 … 10.255.255.254), never shared between two of them. */
function userAddress(i) {
  const n = i + 1;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** One user's small notes document: a few headed sections of seeded words, so searches and the planner find passages. */
function notesDocument(rand, i) {
  const sections = Array.from({ length: 4 }, (_, s) => {
    const words = Array.from({ length: 40 }, () => pick(rand, WORDS)).join(" ");
    return `## Section ${s + 1} of user ${i}\n\n${words[0].toUpperCase()}${words.slice(1)}.`;
  });
  return `# Notes of load user ${i}\n\n${sections.join("\n\n")}\n`;
}

/** Counts every call: latency per route, and each failure by a stable description (route, status, problem code). */
class Recorder {
  constructor() {
    this.latencies = new Map();
    this.errors = new Map();
  }
  ok(route, ms) {
    if (!this.latencies.has(route)) this.latencies.set(route, []);
    this.latencies.get(route).push(ms);
  }
  error(route, what) {
    const key = `${route}: ${what}`;
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }
  get errorCount() {
    let n = 0;
    for (const c of this.errors.values()) n += c;
    return n;
  }
}

async function problemOf(res) {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text);
    return `${res.status} ${body.code ?? ""}`.trim();
  } catch {
    return `${res.status} ${text.slice(0, 80)}`.trim();
  }
}

/**
 * One request; resolves `{ok, status, body, ms}`. A network failure or an unexpected status is recorded as an
 * error of `route` (when given) and never thrown, so one failure does not stop the user.
 */
async function request(base, path, { token, ip, method = "GET", body, expect = [200, 201, 202], route, recorder }) {
  const started = performance.now();
  let res;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(ip ? { "cf-connecting-ip": ip } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    recorder?.error(route ?? `${method} ${path}`, `network error: ${e.cause?.code ?? e.message}`);
    return { ok: false };
  }
  if (!expect.includes(res.status)) {
    recorder?.error(route ?? `${method} ${path}`, await problemOf(res));
    return { ok: false, status: res.status };
  }
  const text = await res.text();
  const ms = performance.now() - started;
  if (route) recorder?.ok(route, ms);
  return { ok: true, status: res.status, body: text ? JSON.parse(text) : null, ms };
}

/** Must succeed (setup): throws with the problem otherwise. */
async function must(base, path, options) {
  const errors = new Recorder();
  const r = await request(base, path, { ...options, recorder: errors });
  if (!r.ok) throw new Error(`setup: ${[...errors.errors.keys()].join(", ")}`);
  return r.body;
}

/** A user's socket and every numbered frame it received, in arrival order; waiters for frames to come. */
class UserSocket {
  constructor(ws) {
    this.ws = ws;
    this.ids = [];
    this.frames = [];
    this.waiters = new Set();
    this.unexpectedClose = null;
    this.closingOnPurpose = false;
    this.notices = [];
    ws.on("message", (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.id === undefined) {
        if (frame.type !== "pong") this.notices.push(frame);
        return;
      }
      const at = performance.now();
      this.ids.push(Number(frame.id));
      this.frames.push({ frame, at });
      for (const w of this.waiters) if (w.match(frame)) (this.waiters.delete(w), w.resolve(at));
    });
    ws.on("close", (code, reason) => {
      if (!this.closingOnPurpose) this.unexpectedClose = `${code} ${reason.toString()}`.trim();
      for (const w of this.waiters) w.reject(new Error(`socket closed (${code})`));
      this.waiters.clear();
    });
  }

  /** Resolves with the arrival time of the first frame (already received or to come) that `match` accepts. */
  waitFor(match, what) {
    const seen = this.frames.find((f) => match(f.frame));
    if (seen) return Promise.resolve(seen.at);
    return new Promise((resolve, reject) => {
      const w = { match, resolve: (at) => (clearTimeout(timer), resolve(at)), reject: (e) => (clearTimeout(timer), reject(e)) };
      const timer = setTimeout(() => (this.waiters.delete(w), reject(new Error(`no ${what} on the socket within ${FRAME_TIMEOUT_MS} ms`))), FRAME_TIMEOUT_MS);
      this.waiters.add(w);
    });
  }

  get open() {
    return this.ws.readyState === WebSocket.OPEN;
  }
}

/**
 * Connects the way the web app does: the newest id over REST first (`GET /api/events?limit=0`), then a ticket, the
 * socket, and a resume after that id, so every event of the user after it reaches this socket, live or replayed.
 */
async function connect(base, token) {
  const { latestId } = await must(base, "/api/events?limit=0", { token });
  const { ticket } = await must(base, "/api/realtime/ticket", { token, method: "POST" });
  // One Node process holds every socket: compression off, as in the publish bench (see bench/run.mjs openSocket).
  const ws = new WebSocket(`${base.replace(/^http/, "ws")}/api/realtime?ticket=${encodeURIComponent(ticket)}`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const socket = new UserSocket(ws);
  ws.send(JSON.stringify({ type: "resume", after: latestId }));
  return { socket, startedAfter: Number(latestId) };
}

/** Register, connect, open a session and seed one indexed notes document: everything before the clock starts. */
async function setUpUser(base, i, seed) {
  const rand = seededRandom(seed * 1_000_003 + i);
  const ip = userAddress(i);
  const email = `load-${seed}-${i}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}@example.test`;
  const { accessToken: token } = await must(base, "/api/auth/register", { method: "POST", ip, body: { email, password: PASSWORD } });
  const { socket, startedAfter } = await connect(base, token);
  const { session } = await must(base, "/api/sessions", { token, ip, method: "POST", body: { title: `load ${i}` } });
  const { document } = await must(base, "/api/kb/documents", { token, ip, method: "POST", body: { title: `Notes ${i}`, content: notesDocument(rand, i), mimeType: "text/markdown" } });
  // The indexing run's last frame says `indexed` (or `failed`): the document is searchable from then on.
  await socket.waitFor((f) => f.kind === "status" && f.scope === "kb" && f.jobId === document.id && (f.status === "indexed" || f.status === "failed"), `indexed frame for ${document.id}`);
  const { document: indexed } = await must(base, `/api/kb/documents/${document.id}`, { token, ip });
  if (indexed.status !== "indexed") throw new Error(`setup: the seeded document of user ${i} ended ${indexed.status}: ${indexed.error}`);
  return { i, ip, token, socket, startedAfter, sessionId: session.id, rand };
}

async function inBatches(count, concurrency, fn) {
  const out = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

/** One call of the mix; a chat waits for its completion frame before returning. */
async function oneCall(base, user, recorder) {
  const r = user.rand();
  let acc = 0;
  const { route } = MIX.find((m) => (acc += m.weight) > r) ?? MIX[0];
  const common = { token: user.token, ip: user.ip, route, recorder };
  if (route === FLOOR) return request(base, "/api/bench-floor", { ...common, method: "POST", expect: [404] });
  if (route === "GET /api/integrations") return request(base, "/api/integrations", common);
  const word = pick(user.rand, WORDS);
  if (route === "POST /api/kb/search") return request(base, "/api/kb/search", { ...common, method: "POST", body: { query: word, topK: 5 } });
  // A chat turn: the reply names its message id; the completion frame is the assistant's chat frame with that id.
  const sent = performance.now();
  const turn = await request(base, `/api/sessions/${user.sessionId}/messages`, { ...common, method: "POST", body: { content: `search my notes for ${word}` } });
  if (!turn.ok) return turn;
  const replyId = turn.body.reply.id;
  if (!turn.body.steps.some((s) => s.tool === "kb.search" && s.status === "ok")) recorder.error(CHAT, `the turn made no kb.search call: ${JSON.stringify(turn.body.steps).slice(0, 200)}`);
  try {
    const at = await user.socket.waitFor((f) => f.kind === "chat" && f.role === "assistant" && f.jobId === user.sessionId && f.metadata?.messageId === replyId, "completion frame");
    recorder.ok(CHAT_FRAME, at - sent);
  } catch (e) {
    recorder.error(CHAT_FRAME, e.message);
  }
  return turn;
}

/** Every event of the user after `after`, from D1 (`GET /api/events`, 500 a page). */
async function history(base, token, after) {
  const ids = [];
  let cursor = String(after);
  for (;;) {
    const { events } = await must(base, `/api/events?after=${cursor}&limit=500`, { token });
    ids.push(...events.map((e) => Number(e.id)));
    if (events.length < 500) return ids;
    cursor = events.at(-1).id;
  }
}

/**
 * The user's published ids (D1 history after the id it started from) against the ids its socket received: lost =
 * published, never received; duplicated = received more than once; outOfOrder = a received id not above the one
 * before it; unpublished = received but not in the history (the history lags the hub only until its write lands).
 */
function compareEvents(published, received) {
  const seen = new Map();
  let outOfOrder = 0;
  for (let k = 0; k < received.length; k++) {
    seen.set(received[k], (seen.get(received[k]) ?? 0) + 1);
    if (k > 0 && received[k] <= received[k - 1]) outOfOrder++;
  }
  const inHistory = new Set(published);
  return {
    published: published.length,
    received: received.length,
    lost: published.filter((id) => !seen.has(id)).length,
    duplicated: [...seen.values()].reduce((n, c) => n + (c - 1), 0),
    outOfOrder,
    unpublished: [...seen.keys()].filter((id) => !inHistory.has(id)).length,
  };
}

function routeFigures(samples, seconds) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    requests: sorted.length,
    requestsPerSecond: round2(sorted.length / seconds),
    p50: round2(percentile(sorted, 50)),
    p95: round2(percentile(sorted, 95)),
    p99: round2(percentile(sorted, 99)),
    max: round2(sorted.at(-1) ?? NaN),
  };
}

/** The load run against the app at `server.url`; returns the section for bench/results.json. */
export async function loadBench(server, progress, options = {}) {
  const { users: userCount, durationSeconds, seed, thinkMs } = { ...LOAD_DEFAULTS, ...options };
  const base = server.url;
  progress(`load: setting up ${userCount} users (register, socket, session, one indexed notes document each)`);
  const loadBefore = loadavg()[0];
  const setupStarted = performance.now();
  const users = await inBatches(userCount, SETUP_CONCURRENCY, (i) => setUpUser(base, i, seed));
  const setupSeconds = (performance.now() - setupStarted) / 1000;

  progress(`load: ${userCount} users × ${durationSeconds} s of the mix (think time 0–${thinkMs} ms, seed ${seed})`);
  const recorder = new Recorder();
  const started = performance.now();
  const deadline = started + durationSeconds * 1000;
  let lastReport = started;
  await Promise.all(
    users.map(async (user) => {
      while (performance.now() < deadline) {
        await oneCall(base, user, recorder);
        if (performance.now() - lastReport > 10_000) {
          lastReport = performance.now();
          progress(`load: ${Math.round((lastReport - started) / 1000)} s, ${[...recorder.latencies.values()].reduce((n, l) => n + l.length, 0)} calls, ${recorder.errorCount} errors`);
        }
        if (thinkMs > 0) await new Promise((r) => setTimeout(r, Math.floor(user.rand() * thinkMs)));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;

  progress("load: comparing each user's event history with what its socket received");
  const socketsOpen = users.filter((u) => u.socket.open && !u.socket.unexpectedClose).length;
  const settleUntil = performance.now() + SETTLE_MS;
  let events;
  for (;;) {
    events = await inBatches(users.length, SETUP_CONCURRENCY, async (k) => compareEvents(await history(base, users[k].token, users[k].startedAfter), users[k].socket.ids));
    // An event numbered just now may still be on its way (to the socket, or into D1's history): wait a little for it.
    if (events.every((e) => e.lost === 0 && e.unpublished === 0) || performance.now() > settleUntil) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const dropped = users.filter((u) => u.socket.unexpectedClose).map((u) => `user ${u.i}: ${u.socket.unexpectedClose}`);
  const notices = users.flatMap((u) => u.socket.notices.map((n) => `user ${u.i}: ${n.code ?? JSON.stringify(n)}`));
  for (const u of users) u.socket.closingOnPurpose = true;
  await Promise.all(users.map((u) => new Promise((resolve) => (u.socket.open ? (u.socket.ws.once("close", resolve), u.socket.ws.close(1000)) : resolve()))));

  const sum = (key) => events.reduce((n, e) => n + e[key], 0);
  const routes = Object.fromEntries([...MIX.map((m) => m.route), CHAT_FRAME].map((route) => [route, routeFigures(recorder.latencies.get(route) ?? [], seconds)]));
  const floor = routes[FLOOR];
  const calls = MIX.reduce((n, m) => n + routes[m.route].requests, 0);
  const ratios = Object.fromEntries(
    MIX.filter((m) => m.route !== FLOOR).map((m) => [m.route, { p50: round2(routes[m.route].p50 / floor.p50), p95: round2(routes[m.route].p95 / floor.p95), p99: round2(routes[m.route].p99 / floor.p99) }]),
  );
  const section = {
    measuredAt: new Date().toISOString(),
    method:
      `${userCount} simulated users, each a distinct client (its own CF-Connecting-IP) with one WebSocket (resumed after the newest id read over REST first, as the web app connects), ` +
      `registered and given a session and one indexed Markdown notes document before the clock starts (${round2(setupSeconds)} s of setup, ${SETUP_CONCURRENCY} users at a time); ` +
      `then ${durationSeconds} s of a closed loop per user, each call drawn from a seeded mix (seed ${seed}): ${MIX.map((m) => `${m.route} ${Math.round(m.weight * 100)}%`).join(", ")}, ` +
      `with a seeded think time of 0–${thinkMs} ms between calls. A chat message (\"search my notes for <word>\", the offline planner calling kb.search) counts until its HTTP answer; ` +
      `the user then waits for the turn's completion frame (the assistant chat frame naming the reply) on its socket before going on. ` +
      "Errors: any unexpected status or network failure (the floor expects its 404). Throughput: answered calls ÷ the loop's wall time, from one Node process on the same machine. " +
      "Events: every id in the user's GET /api/events after its starting id must have arrived on its socket exactly once, in increasing order. Ratios: route ÷ floor at the same percentile.",
    // Other work on the machine shows up in the tails; the 1-minute load average says how much there was.
    loadAverage1m: { before: round2(loadBefore), after: round2(loadavg()[0]) },
    users: userCount,
    durationSeconds: round2(seconds),
    seed,
    thinkMs,
    setupSeconds: round2(setupSeconds),
    calls,
    requestsPerSecond: round2(calls / seconds),
    routes,
    ratiosToFloor: ratios,
    errors: recorder.errorCount,
    distinctErrors: Object.fromEntries(recorder.errors),
    sockets: { opened: users.length, openAtEnd: socketsOpen, dropped },
    events: { published: sum("published"), received: sum("received"), lost: sum("lost"), duplicated: sum("duplicated"), outOfOrder: sum("outOfOrder"), notInHistory: sum("unpublished"), notices },
  };
  section.passed =
    section.errors === 0 && section.events.lost === 0 && section.events.duplicated === 0 && section.events.outOfOrder === 0 && section.events.notInHistory === 0 && dropped.length === 0 && socketsOpen === userCount;
  return section;
}

export function printLoadTables(load, printTable) {
  printTable([
    [`load: ${load.users} users × ${load.durationSeconds} s`, "calls", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "p50/floor", "p95/floor"],
    ...Object.entries(load.routes).map(([route, r]) => [
      route,
      String(r.requests),
      String(r.requestsPerSecond),
      String(r.p50),
      String(r.p95),
      String(r.p99),
      String(r.max),
      load.ratiosToFloor[route] ? String(load.ratiosToFloor[route].p50) : "",
      load.ratiosToFloor[route] ? String(load.ratiosToFloor[route].p95) : "",
    ]),
    ["all calls", String(load.calls), String(load.requestsPerSecond), "", "", "", "", "", ""],
  ]);
  const e = load.events;
  console.log(
    `\nerrors: ${load.errors}; sockets open at the end: ${load.sockets.openAtEnd}/${load.sockets.opened} (dropped: ${load.sockets.dropped.length}); ` +
      `events: ${e.published} published, ${e.received} received, ${e.lost} lost, ${e.duplicated} duplicated, ${e.outOfOrder} out of order, ${e.notInHistory} not in the history`,
  );
  for (const [what, count] of Object.entries(load.distinctErrors)) console.log(`  error × ${count}: ${what}`);
  for (const d of load.sockets.dropped.slice(0, 20)) console.log(`  dropped socket: ${d}`);
  for (const n of e.notices.slice(0, 20)) console.log(`  notice: ${n}`);
  console.log(`load: ${load.passed ? "passed" : "FAILED"} (0 errors, 0 lost events and every socket held are required)\n`);
}

export function loadOptionsFrom(argv = process.argv.slice(2), env = process.env) {
  const { values } = parseArgs({
    args: argv,
    options: { users: { type: "string" }, duration: { type: "string" }, seed: { type: "string" }, "think-ms": { type: "string" }, url: { type: "string" } },
  });
  const number = (name, raw, fallback, { min, max }) => {
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`);
    return n;
  };
  return {
    users: number("--users / BENCH_LOAD_USERS", values.users ?? env.BENCH_LOAD_USERS, LOAD_DEFAULTS.users, { min: 1, max: 5000 }),
    durationSeconds: number("--duration / BENCH_LOAD_DURATION", values.duration ?? env.BENCH_LOAD_DURATION, LOAD_DEFAULTS.durationSeconds, { min: 1, max: 3600 }),
    seed: number("--seed / BENCH_LOAD_SEED", values.seed ?? env.BENCH_LOAD_SEED, LOAD_DEFAULTS.seed, { min: 0, max: 2 ** 31 - 1 }),
    thinkMs: number("--think-ms / BENCH_LOAD_THINK_MS", values["think-ms"] ?? env.BENCH_LOAD_THINK_MS, LOAD_DEFAULTS.thinkMs, { min: 0, max: 60_000 }),
    url: values.url ?? env.BENCH_LOAD_URL,
  };
}

function printTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  "));
}

async function main() {
  let options;
  try {
    options = loadOptionsFrom();
  } catch (e) {
    console.error(`bench:load: ${e.message}`);
    process.exitCode = 2;
    return;
  }
  if (!options.url) {
    // The worker as deployed (the wrangler deploy --dry-run bundle in Miniflare), as every section of `npm run bench`
    // is measured: bench/run.mjs starts it, runs this section and writes it to bench/results.json. Not wrangler dev:
    // it restarts the worker whenever a file of the checkout changes, which drops every socket mid-run.
    process.env.BENCH_ONLY = "load";
    await import("./run.mjs");
    return;
  }
  const progress = (step) => process.stderr.write(`bench: ${step}\n`);
  const load = await loadBench({ url: options.url.replace(/\/$/, "") }, progress, options);
  printLoadTables(load, printTable);
  if (!load.passed) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
