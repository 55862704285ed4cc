// `npm run events:tail`: signs in and prints a user's live events, one JSON
// frame per line, resuming after the last id it printed whenever the
// connection drops. An example of using the realtime contract without the
// web app (see the README, "Real time").
//
//   TASKPILOT_EMAIL=me@example.com TASKPILOT_PASSWORD=… npm run events:tail
//   TASKPILOT_URL (default http://127.0.0.1:8787), TASKPILOT_AFTER=<id> to start with a replay
import WebSocket from "ws";

const base = (process.env.TASKPILOT_URL || "http://127.0.0.1:8787").replace(/\/$/, "");
const email = process.env.TASKPILOT_EMAIL;
const password = process.env.TASKPILOT_PASSWORD;
if (!email || !password) {
  console.error("Set TASKPILOT_EMAIL and TASKPILOT_PASSWORD (and TASKPILOT_URL if the app is not on http://127.0.0.1:8787).");
  process.exit(2);
}

const PING = JSON.stringify({ type: "ping" });
const note = (message) => console.error(`[events:tail] ${message}`);
let session;
let lastId = process.env.TASKPILOT_AFTER;
let attempt = 0;
let stopping = false;
let current;

async function call(path, { body, token, method = body ? "POST" : "GET" } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) throw Object.assign(new Error(`${method} ${path}: ${res.status} ${data?.code ?? ""} ${data?.detail ?? ""}`), { status: res.status });
  return data;
}

async function signIn() {
  session = await call("/api/auth/login", { body: { email, password } });
  note(`signed in as ${session.user?.email ?? email}`);
}

/** A fresh ticket; an expired access token is refreshed (or the login redone) once. */
async function ticket() {
  try {
    return (await call("/api/realtime/ticket", { method: "POST", token: session.accessToken })).ticket;
  } catch (e) {
    if (e.status !== 401) throw e;
    try {
      session = await call("/api/auth/refresh", { body: { refreshToken: session.refreshToken } });
    } catch {
      await signIn();
    }
    return (await call("/api/realtime/ticket", { method: "POST", token: session.accessToken })).ticket;
  }
}

// Ids already printed: a replay can interleave with live frames, so "newest id" alone cannot tell what is new.
const printed = new Set();

function print(frame) {
  if (frame.id !== undefined) {
    const id = Number(frame.id);
    if (printed.has(id)) return;
    printed.add(id);
    if (printed.size > 5000) printed.delete(printed.values().next().value);
    if (lastId === undefined || id > Number(lastId)) lastId = frame.id;
  }
  console.log(JSON.stringify(frame));
}

/** The hub no longer holds what we missed; D1 history may, so print that before going on. */
async function catchUpFromHistory(latestId) {
  let after = lastId ?? "0";
  for (;;) {
    const { events } = await call(`/api/events?after=${after}&limit=500`, { token: session.accessToken });
    for (const frame of events) print(frame);
    if (events.length < 500) break;
    after = events.at(-1).id;
  }
  if (lastId === undefined || Number(lastId) < Number(latestId)) lastId = latestId;
}

async function connect() {
  const url = `${base.replace(/^http/, "ws")}/api/realtime?ticket=${encodeURIComponent(await ticket())}`;
  const ws = new WebSocket(url);
  current = ws;
  let pinger;
  ws.on("open", () => {
    attempt = 0;
    note(lastId === undefined ? "connected" : `connected; resuming after ${lastId}`);
    if (lastId !== undefined) ws.send(JSON.stringify({ type: "resume", after: String(lastId) }));
    pinger = setInterval(() => ws.send(PING), 30_000);
  });
  ws.on("message", (data) => {
    const frame = JSON.parse(data.toString());
    if (frame.type === "pong") return;
    if (frame.code === "resume_gap") {
      note(`the hub no longer has events after ${lastId}; reading them from history`);
      catchUpFromHistory(frame.latestId).catch((e) => note(e.message));
      return;
    }
    print(frame);
  });
  ws.on("close", (code, reason) => {
    clearInterval(pinger);
    if (!stopping) retry(`closed (${code}${reason.length ? ` ${reason}` : ""})`);
  });
  ws.on("error", (e) => note(`socket error: ${e.message}`));
  return ws;
}

function retry(why) {
  attempt += 1;
  const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2);
  note(`${why}; reconnecting in ${Math.round(delay)} ms`);
  setTimeout(() => connect().catch((e) => retry(e.message)), delay);
}

process.on("SIGINT", () => {
  stopping = true;
  current?.close(1000);
  process.exit(0);
});
await signIn();
await connect();
