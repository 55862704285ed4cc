// Agent sessions over the real stack (the bundled worker in Miniflare): session init — POST /api/sessions, which
// creates the row, the AgentSession Durable Object and its first checkpoint — next to a bare D1 insert measured in
// the same run, and an offline-planner turn with one sandbox tool call (POST /api/sessions/{id}/messages).
import { summarize } from "./stats.mjs";

async function call(base, path, { token, body, method = "POST", cookies } = {}) {
  const headers = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}), ...(cookies?.length ? { cookie: cookies.join("; ") } : {}) };
  const res = await fetch(`${base}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined, redirect: "manual" });
  for (const c of res.headers.getSetCookie?.() ?? []) cookies?.push(c.split(";")[0]);
  return res;
}

async function ok(res, what) {
  if (res.status >= 400) throw new Error(`${what} → ${res.status} ${await res.text()}`);
  return res;
}

/**
 * Interleaved, one request at a time: a bare D1 insert (Node → Miniflare's D1 binding → workerd, one INSERT into a
 * scratch table), a bare HTTP request to the worker (an unrouted path: 404), and POST /api/sessions. Interleaving puts
 * all three under the same machine load. The D1 floor goes through Miniflare's binding proxy, which has costs of its
 * own, so the HTTP floor is printed beside it to read the ratio against.
 */
export async function sessionInit(base, token, db, { samples, warmup }) {
  await db.exec("CREATE TABLE IF NOT EXISTS bench_floor (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, title TEXT NOT NULL, created_at TEXT NOT NULL)");
  const floor = [];
  const http = [];
  const init = [];
  for (let i = 0; i < warmup + samples; i++) {
    let t = performance.now();
    await db.prepare("INSERT INTO bench_floor (id, user_id, title, created_at) VALUES (?, ?, ?, ?)").bind(crypto.randomUUID(), "bench", `floor ${i}`, new Date().toISOString()).run();
    const f = performance.now() - t;
    t = performance.now();
    // Every middleware, no auth, no storage: what any request to the worker costs before its own work.
    const bare = await fetch(`${base}/api/bench-floor`, { method: "POST" });
    await bare.text();
    const h = performance.now() - t;
    t = performance.now();
    const res = await ok(await call(base, "/api/sessions", { token, body: { title: `bench ${i}` } }), "POST /api/sessions");
    await res.json();
    const s = performance.now() - t;
    if (i >= warmup) (floor.push(f), http.push(h), init.push(s));
  }
  const a = summarize(init);
  const b = summarize(floor);
  return { sessionInit: a, bareD1Insert: b, bareHttpRoute: summarize(http), p95Ratio: Math.round((a.p95 / b.p95) * 100) / 100, targetRatio: 2, met: a.p95 <= 2 * b.p95 };
}

/** Connects Sandbox Gmail the way a browser does: Connect → consent page → Allow → callback. */
export function connectSandboxGmail(base, token) {
  return connectSandbox(base, token, "gmail");
}

/** Connects a sandbox provider the way a browser does; returns the sandbox email used. */
export async function connectSandbox(base, token, provider) {
  const cookies = [];
  const start = await (await ok(await call(base, `/api/integrations/${provider}/auth`, { token, body: {}, cookies }), `POST /api/integrations/${provider}/auth`)).json();
  const authorize = new URL(start.authorizationUrl);
  const email = `bench-${crypto.randomUUID().slice(0, 8)}@sandbox.test`;
  authorize.searchParams.set("login_hint", email);
  const page = await (await ok(await fetch(authorize, { redirect: "manual" }), "sandbox consent page")).text();
  const request = page.match(/name="request" value="([0-9a-f]+)"/)?.[1];
  if (!request) throw new Error("no consent request on the sandbox page");
  const allowed = await fetch(`${authorize.origin}${authorize.pathname}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ request, decision: "allow", email }),
    redirect: "manual",
  });
  const back = new URL(allowed.headers.get("location"));
  const done = await call(base, back.pathname + back.search, { method: "GET", cookies });
  if (done.status !== 302 || !done.headers.get("location")?.includes(`connected=${provider}`)) throw new Error(`callback → ${done.status} ${done.headers.get("location")}`);
  return email;
}

/** One new session per turn (so the conversation does not grow across samples); the turn alone is timed. */
export async function plannerTurn(base, token, { samples, warmup }) {
  const turns = [];
  let steps;
  for (let i = 0; i < warmup + samples; i++) {
    const { session } = await (await ok(await call(base, "/api/sessions", { token, body: { title: `turn ${i}` } }), "POST /api/sessions")).json();
    const t = performance.now();
    const res = await ok(await call(base, `/api/sessions/${session.id}/messages`, { token, body: { content: "search my email for invoice" } }), "POST messages");
    const body = await res.json();
    const took = performance.now() - t;
    steps = body.steps?.map((s) => `${s.tool}:${s.status}`);
    if (!body.steps?.some((s) => s.tool === "gmail.search_messages" && s.status === "ok")) throw new Error(`the turn made no Gmail call: ${JSON.stringify(body).slice(0, 400)}`);
    if (i >= warmup) turns.push(took);
  }
  return { turn: summarize(turns), steps };
}
